/**
 * The sender's message as they wrote it, and a short account of a failed call: what the planner
 * (a new broadcast) and the edit handler (a changed one) both need before composing copies.
 */
import { WebexApiError } from '@herald/webex';
import type { SourceMessage } from '../compose.js';
import type { StageDeps } from './deps.js';

/** One line for a log or a report: the status and Webex's own words, or the error's message. */
export function errorText(err: unknown): string {
  if (err instanceof WebexApiError)
    return `${err.status} ${err.apiMessage ?? err.descriptions[0] ?? ''}`.trim();
  return err instanceof Error ? err.message : String(err);
}

/**
 * The message's text, HTML and markdown. An event without markdown (Mercury carries none) is read
 * once over REST to keep the sender's formatting; if that read fails, the event's own fields serve
 * and the failure is logged with `context`.
 */
export async function readSource(
  deps: Pick<StageDeps, 'client' | 'log'>,
  messageId: string,
  event: SourceMessage,
  context: Record<string, unknown>,
): Promise<SourceMessage> {
  if (event.markdown !== undefined) return event;
  try {
    const full = await deps.client.messages.get(messageId);
    return { text: full.text ?? event.text, html: full.html ?? event.html, markdown: full.markdown };
  } catch (err) {
    deps.log('warn', { ...context, error: errorText(err) }, 'message fetch failed; using the event text');
    return event;
  }
}
