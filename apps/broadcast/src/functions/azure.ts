/**
 * The Azure Functions v4 app: import it from the function app's entry (`deploy/azure`). It
 * registers the webhook (`app.http`, anonymous: the signature is the check), the one-minute drain
 * (`app.timer`) and the drain the webhook starts (`app.storageQueue`). Registering is what the v4
 * programming model does at import; the handlers themselves are in azure-handlers.ts.
 */
import { app } from '@azure/functions';
import { createAzureHandlers, DRAIN_QUEUE, drainQueueOutput } from './azure-handlers.js';
import { coreFromEnv } from './env.js';

/** The function names the app registers. */
export const AZURE_FUNCTIONS = {
  webhook: 'herald-webhook',
  timer: 'herald-drain-timer',
  queue: 'herald-drain-queue',
} as const;

const handlers = createAzureHandlers(coreFromEnv());

app.http(AZURE_FUNCTIONS.webhook, {
  methods: ['POST'],
  authLevel: 'anonymous',
  route: 'webhook',
  extraOutputs: [drainQueueOutput],
  handler: handlers.webhook,
});

app.timer(AZURE_FUNCTIONS.timer, {
  // NCRONTAB with seconds: at second 0 of every minute.
  schedule: '0 */1 * * * *',
  extraOutputs: [drainQueueOutput],
  handler: async (timer, context) => {
    await handlers.drain(timer, context);
  },
});

app.storageQueue(AZURE_FUNCTIONS.queue, {
  queueName: DRAIN_QUEUE,
  connection: 'AzureWebJobsStorage',
  extraOutputs: [drainQueueOutput],
  handler: async (message, context) => {
    await handlers.drain(message, context);
  },
});
