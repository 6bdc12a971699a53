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

/** Each package, after the ones it imports; `assets` are copied from src/ to dist/ as they are. */
const packages = [
  { dir: 'packages/webex', assets: [] },
  { dir: 'packages/emulator', assets: ['ui/page.html', 'ui/style.css', 'ui/browser'] },
  { dir: 'apps/broadcast', assets: ['locales'] },
];

for (const { dir, assets } of packages) {
  const pkg = join(root, dir);
  rmSync(join(pkg, 'dist'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: tsc failed in ${dir}`);
    process.exit(r.status ?? 1);
  }
  for (const asset of assets) cpSync(join(pkg, 'src', asset), join(pkg, 'dist', asset), { recursive: true });
  console.log(`built ${dir}/dist`);
}
