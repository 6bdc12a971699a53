/**
 * `npm run bench`: runs every `*.bench.ts` beside this file (or those whose name contains one of the
 * arguments) and prints one table per benchmark, each with the peer it compares to in the same run.
 *
 * A bench file's default export is `async () => BenchTable[]`.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchTable, printTable } from '../harness/table.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

let failed = false;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as {
    default: () => Promise<BenchTable[]>;
  };
  try {
    for (const table of await mod.default()) printTable(table);
  } catch (err) {
    failed = true;
    console.error(`${file} failed:`, err);
  }
}
if (files.length === 0) console.log('no benchmarks matched');
process.exit(failed ? 1 : 0);
