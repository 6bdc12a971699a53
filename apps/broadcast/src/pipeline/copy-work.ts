/**
 * Deleting and editing copies already sent, one claimed task at a time, through the same shared
 * rate limiter as the sends. Webex's answers decide what happens next, as for deliveries: 429 →
 * the task waits Retry-After and the limiter pauses; 5xx or no answer → retried with backoff; a
 * permanent 4xx → recorded. A copy already deleted (404 on DELETE) counts as removed, so a delete
 * repeated after a crash is harmless. Edits follow docs/protocol.md §7.4: PUT with `roomId` and markdown only; 400
 * "edit limit" or "unsupported" (a file or a card) ends the copy's edits.
 */
import { WebexApiError } from '@herald/webex';
import type { CopyTaskRow } from '../store/copy-tasks.js';
import type { BroadcastContent } from './content.js';
import { type DispatcherDeps, reason, tryAgainLater } from './dispatcher.js';

export interface CopyWorkDeps extends Omit<DispatcherDeps, 'count'> {
  count: (outcome: 'deleted' | 'edited' | 'task_failed' | 'rate_limited' | 'retried') => void;
}

export async function performTask(deps: CopyWorkDeps, task: CopyTaskRow, owner: string): Promise<void> {
  const { store } = deps;
  const delivery = (await store.deliveriesOfIds([task.delivery_id]))[0];
  const now0 = deps.now();
  if (!delivery?.message_id) {
    await store.tasks.finish(task.id, owner, { status: 'failed', error: 'copy not found' }, now0);
    return;
  }
  let markdown: string | undefined;
  if (task.kind === 'edit') {
    const row = await store.getBroadcast(task.broadcast_id);
    if (!row?.content || row.recall_state !== null) {
      await store.tasks.finish(task.id, owner, { status: 'done', result: 'skipped' }, now0);
      return;
    }
    const content = JSON.parse(row.content) as BroadcastContent;
    markdown = delivery.room_type === 'group' ? content.group : content.direct;
  }
  await deps.limiter.take();
  try {
    if (task.kind === 'delete') {
      await deps.client.messages.delete(delivery.message_id);
      await store.tasks.finish(task.id, owner, { status: 'done', result: 'deleted' }, deps.now());
      deps.count('deleted');
    } else {
      await deps.client.messages.edit(delivery.message_id, { roomId: delivery.room_id, markdown });
      await store.tasks.copyEdited(delivery.id, task.version, deps.now());
      await store.tasks.finish(task.id, owner, { status: 'done', result: 'edited' }, deps.now());
      deps.count('edited');
    }
  } catch (err) {
    const now = deps.now();
    if (err instanceof WebexApiError && err.status === 404) {
      // Already gone: deleted by someone else, or by our own earlier attempt before a crash.
      await store.tasks.finish(
        task.id,
        owner,
        task.kind === 'delete'
          ? { status: 'done', result: 'gone' }
          : { status: 'failed', error: reason(err) },
        now,
      );
      return;
    }
    if (task.kind === 'edit' && err instanceof WebexApiError && err.status === 400) {
      const text = `${err.apiMessage ?? ''} ${err.descriptions.join(' ')}`;
      if (/limit/i.test(text)) await store.tasks.copyNotEditable(delivery.id, 'edit_limit', now);
      else if (/unsupported|file|attachment/i.test(text))
        await store.tasks.copyNotEditable(delivery.id, 'not_editable', now);
    }
    const later = (at: number, why: string, rateLimited: boolean) =>
      store.tasks.retryLater(task.id, owner, at, why, now, rateLimited);
    if (await tryAgainLater(deps, err, task.attempts, now, later)) return;
    await store.tasks.finish(task.id, owner, { status: 'failed', error: reason(err) }, now);
    deps.count('task_failed');
    deps.log('info', { task: task.id, kind: task.kind, error: reason(err) }, 'copy task failed');
  }
}
