/**
 * Azure Functions v4 handlers (`@azure/functions`), without registering anything: azure.ts
 * registers them, tests call them with the library's own `HttpRequest` and `InvocationContext`.
 *
 * Prompt first copies: the webhook writes a message to a Storage queue (an output binding on the
 * `AzureWebJobsStorage` account every function app has), and a queue-triggered function drains. No
 * SDK and no credentials in the code; the host delivers the message after the webhook answered. A
 * drain that leaves work behind queues its successor the same way; the timer drains every minute.
 */
import {
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
  output,
  type StorageQueueOutput,
} from '@azure/functions';
import type { DrainReport, FunctionCore, Kick } from './core.js';
import { DRAIN_EVENT } from './lambda.js';

/** The queue whose messages start drains (created by the host on first use). */
export const DRAIN_QUEUE = 'herald-drain';

export const drainQueueOutput: StorageQueueOutput = output.storageQueue({
  queueName: DRAIN_QUEUE,
  connection: 'AzureWebJobsStorage',
});

/** The kick inside one invocation: a message on the drain queue, sent when the invocation ends. */
export function queueKick(context: InvocationContext): Kick {
  return () => context.extraOutputs.set(drainQueueOutput, DRAIN_EVENT);
}

export interface AzureHandlers {
  webhook(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit>;
  /** The timer and the queue trigger: a drain of `HERALD_DRAIN_BUDGET_MS`. */
  drain(trigger: unknown, context: InvocationContext): Promise<DrainReport>;
}

export function createAzureHandlers(core: () => FunctionCore): AzureHandlers {
  return {
    async webhook(request, context) {
      const body =
        request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
      const web = new Request(request.url, { method: request.method, headers: request.headers, body });
      const response = await core().fetchWebhook(web, queueKick(context));
      return {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: await response.text(),
      };
    },
    drain(_trigger, context) {
      return core().drain(core().settings.drainBudgetMs, queueKick(context));
    },
  };
}
