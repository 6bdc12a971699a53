// Builds the three published packages and packs them as npm would publish them. Shared by the
// packaging test and the footprint measure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;
export const PACKAGES = ['@herald/webex', '@herald/emulator', '@herald/broadcast'];

/** npm's own CLI script, so that npm can be run under another Node binary. */
export const npmCli = (() => {
  const r = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('npm is not on PATH');
  return join(dirname(realpathSync(r.stdout.trim())), 'npm-cli.js');
})();

/**
 * `npm run build`, then `npm pack` of each package into `dest`: package name -> tarball path. With
 * `build: false` the dist/ folders are packed as they are (CI has just built them).
 */
export function buildAndPack(dest, { build = true } = {}) {
  if (build) {
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const args = [npmCli, 'pack', '--json', '--pack-destination', dest, ...PACKAGES.flatMap((p) => ['-w', p])];
  const packed = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack failed\n${packed.stdout}${packed.stderr}`);
  return Object.fromEntries(JSON.parse(packed.stdout).map((p) => [p.name, join(dest, p.filename)]));
}
