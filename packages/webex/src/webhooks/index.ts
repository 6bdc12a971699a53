// Webhooks: signature check, receiver core, adapters, registration.

export type { ReadableRequest, WritableResponse } from './adapters/body.js';
export {
  createExpressMiddleware,
  type ExpressLikeNext,
  type ExpressLikeRequest,
  type ExpressWebhookMiddleware,
} from './adapters/express.js';
export { createFetchHandler, type FetchHandlerOptions, type FetchWebhookHandler } from './adapters/fetch.js';
export {
  createLambdaHandler,
  type LambdaHandlerOptions,
  type LambdaHttpEvent,
  type LambdaHttpResult,
  type LambdaWebhookHandler,
} from './adapters/lambda.js';
export { createNodeHandler, type NodeWebhookHandler } from './adapters/node.js';
export { type DedupeStore, deliveryKey, MemoryDedupeStore, type MemoryDedupeStoreOptions } from './dedupe.js';
export type { WebhookEnvelope, WebhookHydrationClient } from './hydrate.js';
export {
  type ErrorHandler,
  type EventHandler,
  type HeaderBag,
  type WebhookErrorContext,
  WebhookReceiver,
  type WebhookReceiverOptions,
  type WebhookRequest,
  type WebhookResponse,
} from './receiver.js';
export {
  type CreateWebhookBody,
  DEFAULT_WEBHOOK_SUBSCRIPTIONS,
  type SyncActionKind,
  type SyncWebhookAction,
  type SyncWebhooksOptions,
  type SyncWebhooksResult,
  syncWebhooks,
  type UpdateWebhookBody,
  type WebhookRegistrationClient,
  type WebhookSubscription,
  webhookName,
} from './register.js';
export {
  SIGNATURE_HEADER,
  signWebexBody,
  type VerifyWebexSignatureOptions,
  verifyWebexSignature,
} from './verify.js';
