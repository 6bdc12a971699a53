#!/usr/bin/env node
// Builds every published package to its dist/: JavaScript, .d.ts and source maps (tsc), in dependency
// order, plus the files each one reads at run time (the emulator's chat page, the bot's locales).
// Usage: node scripts/build.mjs   (npm run build)
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * Each package, after the ones it imports. `assets`: folders under src/ whose files other than
 * TypeScript are copied to dist/ as they are (the chat page's HTML, CSS and browser scripts; locales).
 */
const packages = [
  { dir: 'packages/webex', assets: [] },
  { dir: 'packages/emulator', assets: ['ui'] },
  { dir: 'apps/broadcast', assets: ['locales'], bundle: 'cli' },
];

for (const { dir, assets, bundle } of packages) {
  const pkg = join(root, dir);
  rmSync(join(pkg, 'dist'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: tsc failed in ${dir}`);
    process.exit(r.status ?? 1);
  }
  for (const asset of assets) {
    const filter = (path) => !path.endsWith('.ts');
    cpSync(join(pkg, 'src', asset), join(pkg, 'dist', asset), { recursive: true, filter });
  }
  if (bundle) await bundleCommand(pkg, bundle);
  console.log(`built ${dir}/dist`);
}

/**
 * The command as one file (esbuild), so that `herald start` loads fast: the package's own modules and
 * @herald/webex's in one; the other dependencies (and @herald/emulator, which only `demo` imports)
 * stay packages of their own.
 */
async function bundleCommand(pkg, name) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(pkg, 'src', `${name}.ts`)],
    outfile: join(pkg, 'dist', `${name}.js`),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    sourcesContent: true,
    tsconfig: join(pkg, 'tsconfig.build.json'),
    // The folder, so that subpaths (@herald/webex/proxy) map to their sources too.
    alias: { '@herald/webex': join(root, 'packages/webex/src') },
    logLevel: 'warning',
  });
}
