/**
 * AWS Lambda adapter for API Gateway REST APIs (payload v1), HTTP APIs (payload v2) and function URLs
 * (v2 shape). Binary or non-UTF-8 bodies arrive base64-encoded (`isBase64Encoded`); the signature is
 * checked over the decoded bytes. Typed structurally: no AWS dependency.
 *
 * By default the handler returns after the delivery was processed: Lambda freezes the function once
 * it returns, so background work would not run reliably.
 */
import type { WebhookReceiver } from '../receiver.js';

/** The fields of an API Gateway v1 / v2 / function-URL event the handler reads. */
export interface LambdaHttpEvent {
  /** `'2.0'` for HTTP APIs and function URLs; `'1.0'` or absent for REST APIs. */
  version?: string | undefined;
  /** v1. */
  httpMethod?: string | undefined;
  /** v1 and v2 (v2 lower-cases the names, v1 keeps the client's case). */
  headers?: Readonly<Record<string, string | undefined>> | null | undefined;
  /** v1. */
  multiValueHeaders?: Readonly<Record<string, string[] | undefined>> | null | undefined;
  body?: string | null | undefined;
  isBase64Encoded?: boolean | undefined;
  requestContext?:
    | { http?: { method?: string | undefined } | undefined; httpMethod?: string | undefined }
    | undefined;
}

export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface LambdaHandlerOptions {
  /** Return only after the delivery was processed. Default true (see the file comment). */
  awaitProcessing?: boolean | undefined;
}

export type LambdaWebhookHandler = (event: LambdaHttpEvent) => Promise<LambdaHttpResult>;

export function createLambdaHandler(
  receiver: WebhookReceiver,
  options: LambdaHandlerOptions = {},
): LambdaWebhookHandler {
  const awaitProcessing = options.awaitProcessing ?? true;
  return async (event) => {
    const method = event.requestContext?.http?.method ?? event.httpMethod ?? event.requestContext?.httpMethod;
    if (method !== undefined && method.toUpperCase() !== 'POST') return result(405, 'method not allowed');
    const raw = event.body ?? '';
    // base64 holds 3 bytes per 4 characters: refuse before decoding a body that cannot fit.
    if (event.isBase64Encoded && Math.floor((raw.length * 3) / 4) > receiver.maxBodyBytes + 2) {
      return result(413, 'payload too large');
    }
    const rawBody = event.isBase64Encoded ? Buffer.from(raw, 'base64') : raw;
    const answer = await receiver.handle({ headers: lambdaHeaders(event), rawBody });
    if (awaitProcessing) await answer.processed;
    return result(answer.status, answer.body);
  };
}

function lambdaHeaders(event: LambdaHttpEvent): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(event.multiValueHeaders ?? {})) if (v) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] ??= v;
  return out;
}

function result(statusCode: number, body: string): LambdaHttpResult {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}
