// Webhooks: signature check, receiver core, adapters, registration.
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
  type HeaderBag,
  parseEnvelope,
  type WebhookErrorContext,
  WebhookReceiver,
  type WebhookReceiverOptions,
  type WebhookRequest,
  type WebhookResponse,
} from './receiver.js';
export * from './register.js';
export {
  SIGNATURE_HEADER,
  signWebexBody,
  type VerifyWebexSignatureOptions,
  verifyWebexSignature,
} from './verify.js';
