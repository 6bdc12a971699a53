#!/usr/bin/env node
// What installing each package costs a user: each tarball (with the tarballs of the @herald packages
// it depends on, which are not on a registry yet) installed alone into a blank project; then the
// packages installed, the size of node_modules on disk, and a cold `import` (median of 5 fresh
// processes). Usage: node scripts/footprint.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAndPack, npmCli } from './pack.mjs';

const RUNS = 5;
const work = mkdtempSync(join(tmpdir(), 'herald-footprint-'));

/** Every installed package folder under node_modules (scoped ones included, nested ones too). */
function countPackages(dir) {
  let n = 0;
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      n += countPackages(join(dir, name));
      continue;
    }
    n += 1 + countPackages(join(dir, name, 'node_modules'));
  }
  return n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const tarballs = buildAndPack(join(work, 'tarballs'));
  const wants = {
    '@herald/webex': ['@herald/webex'],
    '@herald/emulator': ['@herald/webex', '@herald/emulator'],
    '@herald/broadcast': ['@herald/webex', '@herald/emulator', '@herald/broadcast'],
  };
  const rows = [];
  for (const [name, needs] of Object.entries(wants)) {
    const project = join(work, name.replace('/', '-'));
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), '{"name":"footprint","private":true}\n');
    const args = [npmCli, 'install', '--no-audit', '--no-fund', ...needs.map((n) => tarballs[n])];
    const r = spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm install ${name} failed\n${r.stdout}${r.stderr}`);
    const du = spawnSync('du', ['-sb', join(project, 'node_modules')], { encoding: 'utf8' });
    const bytes = Number(du.stdout.split('\t')[0]);
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const code = `const t = performance.now(); await import(${JSON.stringify(name)}); console.log(performance.now() - t);`;
      const t = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        cwd: project,
        encoding: 'utf8',
      });
      if (t.status !== 0) throw new Error(`import ${name} failed\n${t.stderr}`);
      times.push(Number(t.stdout.trim()));
    }
    rows.push([
      name,
      countPackages(join(project, 'node_modules')),
      (bytes / 1024 / 1024).toFixed(1),
      median(times).toFixed(0),
    ]);
  }
  rows.push(['webex (official SDK), as issue 13 states', 972, '455', '-']);
  rows.push(['webex-node-bot-framework, as issue 13 states', 927, '357', '-']);
  const columns = [
    'package (installed from its tarball)',
    'packages installed',
    'MiB on disk',
    `cold import ms (median of ${RUNS})`,
  ];
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(`\nNode ${process.version}\n`);
  console.log(line(columns));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
} finally {
  rmSync(work, { recursive: true, force: true });
}
