#!/usr/bin/env node
// Lints what each package ships, as `npm pack` packs it: publint (package.json against the files) and
// @arethetypeswrong/cli (types resolve as the JavaScript does). ESM-only by choice, so attw's profile
// is `esm-only`; require() of the packages is covered by the packaging test (scripts/pack-test.mjs).
// Run after `npm run build` (npm run lint:packages does both).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// Their CLIs (publint exports no ./package.json to resolve from).
const publint = join(root, 'node_modules/publint/src/cli.js');
const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');

let failed = false;
for (const dir of ['packages/webex', 'packages/emulator', 'apps/broadcast']) {
  for (const [tool, args] of [
    ['publint', [publint, join(root, dir), '--strict']],
    ['attw', [attw, '--pack', join(root, dir), '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: root });
    if (r.status !== 0) {
      failed = true;
      console.error(`${tool} ${dir}: failed\n${r.stdout}${r.stderr}`);
    } else {
      console.log(`${tool} ${dir}: ok`);
    }
  }
}
process.exit(failed ? 1 : 0);
