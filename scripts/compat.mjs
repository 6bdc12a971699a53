#!/usr/bin/env node
// Runs the compatibility suite (compat/test): the official Webex SDK, webex-node-bot-framework and
// node-kms, unmodified, against the emulator. Needs `npm ci --prefix compat` first.
// Usage: node scripts/compat.mjs [path-substring ...]
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(root, 'compat/node_modules/webex'))) {
  console.error('compat/node_modules is missing: run `npm ci --prefix compat` first');
  process.exit(1);
}
const filters = process.argv.slice(2);
const files = readdirSync(join(root, 'compat/test'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `compat/test/${f}`)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
const args = [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=1',
  '--test-timeout=120000',
  ...files,
];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
