/** Prometheus text exposition of the bot's counters. */
import type { BotMetrics } from './bot.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

type Samples = Array<[labels: string, value: number]>;

export function renderMetrics(m: BotMetrics, queueDepth: number): string {
  /** One sample per key of `counts`, labelled `label`. */
  const by = (label: string, counts: Record<string, number>): Samples =>
    Object.entries(counts).map(([value, n]) => [`{${label}="${esc(value)}"}`, n]);
  const one = (value: number): Samples => [['', value]];
  const metrics: Array<[name: string, type: 'counter' | 'gauge', help: string, samples: Samples]> = [
    ['herald_events_received_total', 'counter', 'Events received from Webex, by type.', by('type', m.events)],
    ['herald_broadcasts_total', 'counter', 'Broadcasts accepted.', one(m.broadcasts)],
    [
      'herald_broadcasts_refused_total',
      'counter',
      'Broadcasts refused by the sender policy.',
      one(m.refused),
    ],
    ['herald_deliveries_total', 'counter', 'Delivery attempts by outcome.', by('outcome', m.deliveries)],
    ['herald_rate_limited_total', 'counter', '429 answers from Webex.', one(m.deliveries.rate_limited)],
    [
      'herald_copy_tasks_total',
      'counter',
      'Deletes (recall) and edits (edit propagation) of copies, by outcome.',
      by('outcome', m.copies),
    ],
    ['herald_reports_total', 'counter', 'Reports sent to senders.', one(m.reports)],
    ['herald_queue_depth', 'gauge', 'Deliveries pending or in flight.', one(queueDepth)],
  ];
  const lines = metrics.flatMap(([name, type, help, samples]) => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...samples.map(([labels, value]) => `${name}${labels} ${value}`),
  ]);
  return `${lines.join('\n')}\n`;
}
