/**
 * The bot's cards, posted from the store's state (so a crash between deciding and posting only
 * delays a card): the report card in the sender's 1-1 (replaced, never edited: see ui/cards.ts),
 * the preview card, and the approval card in the approvers' space.
 */
import { WebexApiError } from '@herald/webex';
import { REPORT_FAILED_LINES, type ReportLine } from '../compose.js';
import { fill, type Templates } from '../locales.js';
import type { BroadcastRow, Store } from '../store/store.js';
import {
  PREVIEW_NAMES,
  type Rendered,
  type ReportModel,
  renderApproval,
  renderPreview,
  renderReport,
} from '../ui/cards.js';
import type { BroadcastContent } from './content.js';
import type { StageDeps } from './deps.js';
import { errorText } from './source.js';

export interface ReporterDeps extends StageDeps {
  templates: Templates;
}

export async function reportModel(
  store: Store,
  row: BroadcastRow,
  inProgress: boolean,
): Promise<ReportModel> {
  // Counted in SQL, and only the failed copies a report names are read: not every delivery row.
  const counts = await store.countDeliveries(row.id);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const failed: ReportLine[] = (await store.failedDeliveries(row.id, REPORT_FAILED_LINES)).map((d) => ({
    title: d.title ?? d.roomId,
    reason: d.error ?? 'unknown',
  }));
  const content = row.content ? (JSON.parse(row.content) as BroadcastContent) : undefined;
  const model: ReportModel = { broadcastId: row.id, inProgress, total, counts, failed };
  if (content?.fileLeftOut) model.fileLeftOut = content.fileLeftOut;
  if (row.recall_state === 'done')
    model.recall = { ...(await store.tasks.recallProgress(row.id)), done: true };
  if (row.content_version > 1) model.edit = await store.tasks.editProgress(row.id, row.content_version);
  return model;
}

async function post(
  deps: ReporterDeps,
  target: { toPersonId: string } | { roomId: string; parentId?: string },
  r: Rendered,
): Promise<string> {
  const msg = await deps.client.messages.create({
    ...target,
    markdown: r.markdown,
    ...(r.card ? { attachments: [r.card] } : {}),
  });
  return msg.id;
}

/** Delete a card replaced by a newer one; a failure leaves an old card behind, nothing worse. */
async function removeCard(deps: ReporterDeps, messageId: string | null, broadcastId: string): Promise<void> {
  if (!messageId) return;
  try {
    await deps.client.messages.delete(messageId);
  } catch (err) {
    if (err instanceof WebexApiError && err.status === 404) return;
    deps.log('warn', { broadcast: broadcastId, error: errorText(err) }, 'could not remove an old card');
  }
}

/**
 * A new report card is out: remember it first (a crash now leaves the old card, not an unknown
 * new one), then remove the old card, and only then let the broadcast look finished.
 */
async function replaced(
  deps: ReporterDeps,
  row: BroadcastRow,
  owner: string,
  reportId: string,
): Promise<void> {
  await deps.store.setReportMessage(row.id, owner, reportId, deps.now());
  await removeCard(deps, row.report_message_id, row.id);
}

/** The final report of a broadcast whose copies are all out (the row is leased in `reporting`). */
export async function postFinalReport(deps: ReporterDeps, row: BroadcastRow, owner: string): Promise<void> {
  const model = await reportModel(deps.store, row, false);
  let reportId: string | null = null;
  try {
    reportId = await post(deps, { toPersonId: row.sender_id }, renderReport(deps.templates, model));
  } catch (err) {
    if (!(err instanceof WebexApiError && err.isPermanent)) throw err;
    deps.log('warn', { broadcast: row.id, error: errorText(err) }, 'report refused');
  }
  if (reportId) await replaced(deps, row, owner, reportId);
  await deps.store.markReported(
    row.id,
    owner,
    reportId ?? row.report_message_id,
    deps.now(),
    row.report_wanted,
  );
  deps.log('info', { broadcast: row.id, sent: model.counts.sent, total: model.total }, 'broadcast reported');
}

/**
 * The card a leased broadcast is waiting for: the preview card, the approval card (and a word to
 * the sender), or a new report card replacing the previous one.
 */
export async function postCard(deps: ReporterDeps, row: BroadcastRow, owner: string): Promise<void> {
  const { store, templates: t } = deps;
  const content = row.content ? (JSON.parse(row.content) as BroadcastContent) : undefined;
  try {
    if (row.status === 'previewed' || row.status === 'awaiting_approval') {
      if (!content || row.control_message_id) {
        await store.cardPosted(row.id, owner, row.report_wanted, null, deps.now());
        return;
      }
      // Counted in SQL, with only the names the card shows: a preview of 10,000 spaces loads 30 rows.
      const planned = await store.plannedSpaces(row.id, PREVIEW_NAMES);
      if (row.status === 'previewed') {
        const id = await post(
          deps,
          { toPersonId: row.sender_id },
          renderPreview(t, {
            broadcastId: row.id,
            spaces: planned.names,
            cannotPost: planned.cannotPostNames,
            totals: { spaces: planned.total, cannotPost: planned.cannotPost },
            copy: content.direct,
          }),
        );
        await store.setControlMessage(row.id, id, deps.now());
      } else {
        let id: string;
        try {
          id = await post(
            deps,
            { roomId: deps.config.approval.room_id },
            renderApproval(t, {
              broadcastId: row.id,
              sender: content.sender,
              total: planned.total,
              copy: content.direct,
            }),
          );
        } catch (err) {
          if (!(err instanceof WebexApiError && err.isPermanent)) throw err;
          await approversUnreachable(deps, row, owner, planned.total, err);
          return;
        }
        await store.setControlMessage(row.id, id, deps.now());
        await deps.client.messages.create({
          toPersonId: row.sender_id,
          markdown: fill(t.approval_waiting, { total: planned.total }),
        });
      }
      await store.cardPosted(row.id, owner, row.report_wanted, null, deps.now());
      return;
    }
    const model = await reportModel(store, row, row.status === 'sending');
    const id = await post(deps, { toPersonId: row.sender_id }, renderReport(t, model));
    await replaced(deps, row, owner, id);
    await store.cardPosted(row.id, owner, row.report_wanted, id, deps.now());
  } catch (err) {
    if (!(err instanceof WebexApiError && err.isPermanent)) throw err;
    // Refused for good: do not try again and again.
    deps.log('warn', { broadcast: row.id, status: row.status, error: errorText(err) }, 'card refused');
    await store.cardPosted(row.id, owner, row.report_wanted, null, deps.now());
    // A preview nobody can see has no Send to press: end it rather than hold its copies for ever.
    if (row.status === 'previewed') await store.decide(row.id, 'previewed', 'rejected', null, deps.now());
  }
}

/**
 * The approvers' space refused the approval card for good (the bot is not a member, the space is
 * gone or announcement-only): nobody can approve, so the broadcast ends unsent and the sender is
 * told why, instead of waiting in silence.
 */
async function approversUnreachable(
  deps: ReporterDeps,
  row: BroadcastRow,
  owner: string,
  total: number,
  err: WebexApiError,
): Promise<void> {
  const { store } = deps;
  deps.log('warn', { broadcast: row.id, error: errorText(err) }, 'approvers space refused the approval card');
  await store.cardPosted(row.id, owner, row.report_wanted, null, deps.now());
  if (!(await store.decide(row.id, 'awaiting_approval', 'rejected', null, deps.now()))) return;
  await deps.client.messages
    .create({ toPersonId: row.sender_id, markdown: fill(deps.templates.approval_unreachable, { total }) })
    .catch((e: unknown) =>
      deps.log('warn', { broadcast: row.id, error: errorText(e) }, 'could not tell the sender'),
    );
}
