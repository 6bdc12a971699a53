/**
 * The bot's own cards: the report (progress, recall and edit results, a Recall button), the
 * compose card (a field and a Preview button), the preview (where a message would go, a Send
 * button) and the approval request (Approve, Reject).
 * Pure functions of a model: markdown (the text clients without cards show, and what people and
 * tests read, e.g. "Delivered to N of M spaces.") plus an adaptive card (schema 1.3, docs/protocol.md §7.4).
 *
 * Webex cannot edit a message that carries a card (§7.4), so a card "updates" by being replaced:
 * the bot posts the new report card and then deletes the previous one, at milestones only (when
 * copies start going out for a large broadcast, then at most once a minute while it sends, at the end, when a recall
 * or an edit finishes). One report is visible at a time.
 */
import { type CardAttachment, cardAttachment } from '@herald/webex';
import { composeReport, type ReportLine } from '../compose.js';
import { fill, type Templates } from '../locales.js';
import type { EditProgress, RecallProgress } from '../store/copy-tasks.js';
import type { DeliveryCounts } from '../store/store.js';
import { actionData, COMPOSE_FIELD, COMPOSE_MAX_LENGTH } from './actions.js';

/** Lines of a list shown in a card; the markdown shows up to `MARKDOWN_LINES`. */
const CARD_LINES = 10;
const MARKDOWN_LINES = 30;
/** Space names a preview shows at most: a caller need not load more. */
export const PREVIEW_NAMES = MARKDOWN_LINES;

export interface Rendered {
  markdown: string;
  /** Absent when there is nothing to show in a card (no destination). */
  card?: CardAttachment | undefined;
}

export interface ReportModel {
  broadcastId: string;
  /** Copies still going out (progress card) or all final. */
  inProgress: boolean;
  total: number;
  counts: DeliveryCounts;
  /** The first few failed copies (the report lists so many at most). */
  failed: ReportLine[];
  /** Why the request's file was not carried, when it was not. */
  fileLeftOut?: string | undefined;
  recall?: (RecallProgress & { done: boolean }) | undefined;
  /** Present once the source was edited (version > 1). */
  edit?: EditProgress | undefined;
}

function text(s: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'TextBlock', text: s, wrap: true, ...extra };
}

/** The first `limit` items, then how many more there are (of `total`, default all of `items`). */
function bullets(items: string[], limit: number, t: Templates, total = items.length): string[] {
  const shown = items.slice(0, limit);
  if (total > limit) shown.push(fill(t.preview_more, { count: total - limit }));
  return shown;
}

function card(body: Array<Record<string, unknown>>, actions: Array<Record<string, unknown>>): CardAttachment {
  return cardAttachment({
    type: 'AdaptiveCard',
    version: '1.3',
    body,
    ...(actions.length ? { actions } : {}),
  });
}

function reasonText(t: Templates, r: EditProgress['notEdited'][number]): string {
  if (r.reason === 'not_editable') return t.reason_not_editable;
  if (r.reason === 'edit_limit') return t.reason_edit_limit;
  return r.error ?? 'error';
}

export function renderReport(t: Templates, m: ReportModel): Rendered {
  if (m.total === 0) return { markdown: t.report_nothing };
  const { counts } = m;
  const pending = counts.pending + counts.sending + counts.held;
  const lines = [composeReport(t, counts.sent, m.total, m.failed, counts.failed)];
  const body: Array<Record<string, unknown>> = [
    text(t.report_title, { weight: 'Bolder', size: 'Medium' }),
    text(
      m.inProgress
        ? fill(t.report_progress, { total: m.total })
        : fill(t.report_summary, { sent: counts.sent, total: m.total }),
    ),
  ];
  const facts = [
    { title: t.label_sent, value: String(counts.sent) },
    { title: t.label_failed, value: String(counts.failed) },
    { title: t.label_pending, value: String(pending) },
  ];
  if (m.inProgress) lines.push(`${t.label_pending}: ${pending}`);
  if (m.recall) facts.push({ title: t.label_removed, value: String(m.recall.removed) });
  body.push({ type: 'FactSet', facts });
  if (m.fileLeftOut) {
    const leftOut = fill(t.report_file_left_out, { reason: m.fileLeftOut });
    lines.push('', leftOut);
    body.push(text(leftOut, { color: 'Warning' }));
  }
  if (m.failed.length > 0) {
    body.push(text(t.report_failed_heading, { weight: 'Bolder' }));
    body.push(
      text(
        bullets(
          m.failed.map((f) => fill(t.report_failed_item, { title: f.title, reason: f.reason })),
          CARD_LINES,
          t,
          counts.failed,
        ).join('\n'),
        { isSubtle: true },
      ),
    );
  }
  if (m.recall?.done) {
    const recalled = fill(t.report_recalled, { removed: m.recall.removed, total: m.recall.total });
    lines.push('', recalled);
    body.push(text(recalled, { weight: 'Bolder' }));
    if (m.recall.failed.length > 0) {
      const items = m.recall.failed.map((f) => fill(t.report_failed_item, f));
      lines.push(t.report_recall_failed_heading, ...bullets(items, MARKDOWN_LINES, t));
      body.push(
        text(t.report_recall_failed_heading),
        text(bullets(items, CARD_LINES, t).join('\n'), { isSubtle: true }),
      );
    }
  }
  if (m.edit && !m.recall) {
    const edited = fill(t.report_edited, { edited: m.edit.edited, total: m.edit.total });
    lines.push('', edited);
    body.push(text(edited));
    if (m.edit.notEdited.length > 0) {
      const items = m.edit.notEdited.map((r) =>
        fill(t.report_failed_item, { title: r.title, reason: reasonText(t, r) }),
      );
      lines.push(t.report_not_edited_heading, ...bullets(items, MARKDOWN_LINES, t));
      body.push(
        text(t.report_not_edited_heading),
        text(bullets(items, CARD_LINES, t).join('\n'), { isSubtle: true }),
      );
    }
  }
  const actions =
    !m.recall && counts.sent + pending > 0
      ? [
          {
            type: 'Action.Submit',
            title: t.report_recall_button,
            data: actionData({ action: 'recall', broadcast: m.broadcastId }),
          },
        ]
      : [];
  return { markdown: lines.join('  \n'), card: card(body, actions) };
}

export interface PreviewModel {
  broadcastId: string;
  /** Titles of the spaces it would reach (the first `PREVIEW_NAMES` are enough). */
  spaces: string[];
  /** Titles of announcement-only spaces where the bot is not a moderator (the first ones, too). */
  cannotPost: string[];
  /** How many spaces and how many of them cannot be posted to, when the lists hold only the first. */
  totals?: { spaces: number; cannotPost: number };
  /** The copy as a 1-1 would show it. */
  copy: string;
}

export function renderPreview(t: Templates, m: PreviewModel): Rendered {
  const total = m.totals?.spaces ?? m.spaces.length;
  const blocked = m.totals?.cannotPost ?? m.cannotPost.length;
  const summary = fill(t.preview_summary, { total });
  const lines = [
    `**${t.preview_title}**`,
    summary,
    ...bullets(m.spaces, MARKDOWN_LINES, t, total).map((s) => `- ${s}`),
  ];
  const body: Array<Record<string, unknown>> = [
    text(t.preview_title, { weight: 'Bolder', size: 'Medium' }),
    text(m.copy, { isSubtle: true }),
    text(summary, { weight: 'Bolder' }),
    text(bullets(m.spaces, CARD_LINES, t, total).join('\n')),
  ];
  if (blocked > 0) {
    const heading = fill(t.preview_cannot_post, { count: blocked });
    lines.push('', heading, ...bullets(m.cannotPost, MARKDOWN_LINES, t, blocked).map((s) => `- ${s}`));
    body.push(
      text(heading, { color: 'Attention' }),
      text(bullets(m.cannotPost, CARD_LINES, t, blocked).join('\n')),
    );
  }
  const actions =
    total > 0
      ? [
          {
            type: 'Action.Submit',
            title: t.preview_send_button,
            data: actionData({ action: 'send', broadcast: m.broadcastId }),
          },
        ]
      : [];
  return { markdown: lines.join('  \n'), card: card(body, actions) };
}

/**
 * The answer to `preview` alone: how to use it, and a card to write the message in. Its Preview
 * button makes a preview of what was typed, as `preview <message>` would.
 */
export function renderCompose(t: Templates): Rendered {
  return {
    markdown: t.preview_usage,
    card: card(
      [
        text(t.preview_title, { weight: 'Bolder', size: 'Medium' }),
        text(t.preview_usage),
        text(t.compose_hint, { isSubtle: true }),
        {
          type: 'Input.Text',
          id: COMPOSE_FIELD,
          isMultiline: true,
          maxLength: COMPOSE_MAX_LENGTH,
          placeholder: t.compose_placeholder,
          isRequired: true,
          errorMessage: t.compose_placeholder,
        },
      ],
      [{ type: 'Action.Submit', title: t.compose_preview_button, data: actionData({ action: 'compose' }) }],
    ),
  };
}

export interface ApprovalModel {
  broadcastId: string;
  sender: { displayName: string; email: string };
  total: number;
  copy: string;
}

export function renderApproval(t: Templates, m: ApprovalModel): Rendered {
  const ask = fill(t.approval_request, { ...m.sender, total: m.total });
  return {
    markdown: `${ask}  \n\n${m.copy}`,
    card: card(
      [text(ask, { weight: 'Bolder' }), text(m.copy)],
      [
        {
          type: 'Action.Submit',
          title: t.approval_approve_button,
          data: actionData({ action: 'approve', broadcast: m.broadcastId }),
        },
        {
          type: 'Action.Submit',
          title: t.approval_reject_button,
          data: actionData({ action: 'reject', broadcast: m.broadcastId }),
        },
      ],
    ),
  };
}
