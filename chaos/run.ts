/**
 * `npm run chaos` (a few minutes) and `npm run chaos -- --short` (under a minute, the CI gate).
 *
 * The broadcast bot runs in-process against the emulator while people post and the emulator drops
 * its socket, sends `shutdown`, answers half of its sends 429 and a tenth of all calls 503, delays
 * KMS replies, and (webhook phase) duplicates and reorders deliveries. Afterwards every broadcast
 * must be complete with one copy in every destination, nothing unhandled, the bot still connected.
 * Prints the figures; exits 1 when anything was lost, duplicated or otherwise wrong.
 */
import { printTable } from '../harness/table.js';
import { type PhaseOptions, type PhaseResult, runPhase } from './scenario.js';

const short = process.argv.includes('--short');

// Anything that escapes the bot's own handling is counted (and fails the run), not fatal.
const escaped = { unhandledRejection: 0, uncaughtException: 0 };
const escapedSamples: string[] = [];
process.on('unhandledRejection', (reason) => {
  escaped.unhandledRejection++;
  if (escapedSamples.length < 5) escapedSamples.push(`unhandledRejection: ${String(reason)}`);
});
process.on('uncaughtException', (err) => {
  escaped.uncaughtException++;
  if (escapedSamples.length < 5) escapedSamples.push(`uncaughtException: ${err.message}`);
});

const phases: PhaseOptions[] = short
  ? [
      {
        transport: 'mercury',
        seed: 20260701,
        trafficMs: 15_000,
        postEveryMs: 250,
        broadcastShare: 0.12,
        socketFaults: 5,
        socketGapMs: 2000,
        sendBucket: 3,
        settleMs: 30_000,
      },
      {
        transport: 'webhook',
        seed: 20260702,
        trafficMs: 4000,
        postEveryMs: 250,
        broadcastShare: 0.2,
        socketFaults: 0,
        socketGapMs: 0,
        sendBucket: 3,
        settleMs: 20_000,
      },
    ]
  : [
      {
        transport: 'mercury',
        seed: 20260711,
        trafficMs: 90_000,
        postEveryMs: 200,
        broadcastShare: 0.05,
        socketFaults: 8,
        socketGapMs: 3000,
        sendBucket: 2,
        settleMs: 90_000,
      },
      {
        transport: 'webhook',
        seed: 20260712,
        trafficMs: 30_000,
        postEveryMs: 200,
        broadcastShare: 0.08,
        socketFaults: 0,
        socketGapMs: 0,
        sendBucket: 2,
        settleMs: 60_000,
      },
    ];

const results: PhaseResult[] = [];
for (const p of phases) {
  process.stdout.write(`chaos: ${p.transport} phase, ${p.trafficMs / 1000} s of traffic…\n`);
  try {
    results.push(await runPhase(p));
  } catch (err) {
    console.error(`chaos: the ${p.transport} phase failed to run:`, err);
    process.exitCode = 1;
  }
}

const kinds = [...new Set(results.flatMap((r) => Object.keys(r.faults)))].sort();
printTable({
  title: `Chaos ${short ? '(short)' : '(full)'}: faults injected`,
  columns: ['fault', ...results.map((r) => r.transport), 'total'],
  rows: kinds.map((k) => {
    const per = results.map((r) => r.faults[k] ?? 0);
    return [k, ...per, per.reduce((a, b) => a + b, 0)];
  }),
  notes: results.map(
    (r) =>
      `${r.transport}: ${r.sends} sends, ${pct(r.faults['rest 429 on sends (rate limit)'] ?? 0, r.sends)} answered 429`,
  ),
});
printTable({
  title: `Chaos ${short ? '(short)' : '(full)'}: outcome`,
  columns: [
    'phase',
    'messages in',
    'broadcasts',
    'complete',
    'deliveries',
    'lost (at the bound)',
    'duplicated',
    'connected',
    'seconds',
  ],
  rows: results.map((r) => [
    r.transport,
    r.messagesIn,
    r.broadcasts,
    r.broadcastsDone,
    `${r.tally.delivered}/${r.tally.expected}`,
    r.tally.lost,
    r.tally.duplicated,
    r.connectedAtEnd ? 'yes' : 'NO',
    Math.round(r.elapsedMs / 1000),
  ]),
  notes: [
    `unhandled rejections: ${escaped.unhandledRejection}, uncaught exceptions: ${escaped.uncaughtException}`,
  ],
});

const problems = [
  ...results.flatMap((r) => r.problems.map((p) => `${r.transport}: ${p}`)),
  ...results
    .filter((r) => r.broadcastsDone !== r.broadcasts)
    .map((r) => `${r.transport}: ${r.broadcasts - r.broadcastsDone} broadcasts not complete`),
  ...escapedSamples,
];
if (results.length !== phases.length) problems.push('a phase did not run');
if (problems.length > 0) {
  console.error(`\nchaos: FAILED\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('\nchaos: passed (nothing lost, nothing duplicated, nothing unhandled, still connected)');
process.exit(0);

function pct(n: number, of: number): string {
  return of === 0 ? '0%' : `${Math.round((100 * n) / of)}%`;
}
