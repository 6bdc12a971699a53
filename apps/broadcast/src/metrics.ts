/** Prometheus text exposition of the bot's counters. */
import type { BotMetrics } from './bot.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(m: BotMetrics, queueDepth: number): string {
  const lines: string[] = [];
  const metric = (name: string, help: string, type: 'counter' | 'gauge', values: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of values) lines.push(`${name}${labels} ${v}`);
  };
  metric(
    'herald_events_received_total',
    'Events received from Webex, by type.',
    'counter',
    Object.entries(m.events).map(([type, n]) => [`{type="${esc(type)}"}`, n]),
  );
  metric('herald_broadcasts_total', 'Broadcasts accepted.', 'counter', [['', m.broadcasts]]);
  metric('herald_broadcasts_refused_total', 'Broadcasts refused by the sender policy.', 'counter', [
    ['', m.refused],
  ]);
  metric(
    'herald_deliveries_total',
    'Delivery attempts by outcome.',
    'counter',
    Object.entries(m.deliveries).map(([outcome, n]) => [`{outcome="${outcome}"}`, n]),
  );
  metric('herald_rate_limited_total', '429 answers from Webex.', 'counter', [
    ['', m.deliveries.rate_limited],
  ]);
  metric(
    'herald_copy_tasks_total',
    'Deletes (recall) and edits (edit propagation) of copies, by outcome.',
    'counter',
    Object.entries(m.copies).map(([outcome, n]) => [`{outcome="${outcome}"}`, n]),
  );
  metric('herald_reports_total', 'Reports sent to senders.', 'counter', [['', m.reports]]);
  metric('herald_queue_depth', 'Deliveries pending or in flight.', 'gauge', [['', queueDepth]]);
  return `${lines.join('\n')}\n`;
}
