#!/usr/bin/env node
// Runs Biome's binary for this platform. The project depends on the platform packages directly
// (as optional dependencies) rather than on the `@biomejs/biome` wrapper, whose optional packages
// for every platform the lockfile would otherwise have to list.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = `@biomejs/cli-${process.platform}-${process.arch}`;
let binary;
try {
  binary = require.resolve(`${pkg}/biome${process.platform === 'win32' ? '.exe' : ''}`);
} catch {
  console.error(
    `biome: no binary for ${process.platform}-${process.arch}; add ${pkg} to optionalDependencies`,
  );
  process.exit(2);
}
const r = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status ?? 1);
