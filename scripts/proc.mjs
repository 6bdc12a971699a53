// Process trees from /proc (Linux): what the packaging test and the start bench count and measure.
import { readdirSync, readFileSync } from 'node:fs';

/** The pids under `pid` (children, their children, ...), from each process's parent in /proc. */
export function descendants(pid) {
  const parents = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const out = [];
  for (let i = -1; i < out.length; i++) {
    const of = i < 0 ? pid : out[i];
    for (const [child, parent] of parents) if (parent === of) out.push(child);
  }
  return out;
}

/** A process's argv ([] once it is gone). */
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** A process's resident memory in bytes (0 once it is gone). */
export function rssOf(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return Number(m?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
