/**
 * AWS Lambda entry: one function for the webhook (API Gateway REST API payload v1, HTTP API payload
 * v2, function URL), the one-minute schedule (EventBridge) and the drains it starts itself.
 *
 * Prompt first copies: after recording a broadcast, the webhook call invokes its own function
 * asynchronously (`Invoke` with `X-Amz-Invocation-Type: Event`, answered 202 once Lambda queued the
 * event; https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html) with `{"herald":"drain"}`.
 * The answer to Webex does not wait for the drain, and the drain gets a whole invocation's time.
 * A lost kick only delays: the schedule drains within a minute. Response streaming was not chosen:
 * it keeps Webex's connection and the webhook invocation open for the whole drain.
 *
 * The call is signed with SigV4 by `aws4` over `fetch`, with the credentials Lambda puts in the
 * environment: no AWS SDK in the package.
 */

import type { LambdaHttpEvent, LambdaHttpResult } from '@herald/webex';
import aws4 from 'aws4';
import type { DrainReport, FunctionCore, Kick } from './core.js';
import { coreFromEnv } from './env.js';

/** The payload of a drain invocation. */
export const DRAIN_EVENT = { herald: 'drain' } as const;

/** The part of Lambda's context the handler reads. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
}

/** An EventBridge schedule's event (the fields told apart). */
interface ScheduledEvent {
  source?: string;
  'detail-type'?: string;
}

export type LambdaEvent = LambdaHttpEvent | ScheduledEvent | typeof DRAIN_EVENT;

export interface LambdaEntryOptions {
  /** The core; default one made from `process.env` on the first invocation. */
  core?: (() => FunctionCore) | undefined;
  /** Starts a drain; default the asynchronous self-invocation (`lambdaSelfInvoke`) when on Lambda. */
  kick?: Kick | undefined;
}

export type LambdaHandler = (
  event: LambdaEvent,
  context: LambdaContextLike,
) => Promise<LambdaHttpResult | DrainReport>;

export function createLambdaHandler(options: LambdaEntryOptions = {}): LambdaHandler {
  const core = options.core ?? coreFromEnv();
  let kick = options.kick;
  return async (event, context) => {
    kick ??= lambdaSelfInvoke(process.env);
    if (isDrainEvent(event)) return core().drain(context.getRemainingTimeInMillis(), kick);
    if (isHttpEvent(event)) return core().lambdaWebhook(event, kick);
    throw new TypeError(
      'herald: unknown Lambda event (expected an HTTP event, a schedule, or {"herald":"drain"})',
    );
  };
}

/** The handler SAM names (`deploy/aws/template.yaml`). */
export const handler: LambdaHandler = createLambdaHandler();

function isDrainEvent(event: LambdaEvent): boolean {
  const e = event as Record<string, unknown>;
  return e.herald === 'drain' || e.source === 'aws.events' || e['detail-type'] === 'Scheduled Event';
}

function isHttpEvent(event: LambdaEvent): event is LambdaHttpEvent {
  const e = event as Record<string, unknown>;
  return 'requestContext' in e || 'httpMethod' in e || 'headers' in e;
}

/**
 * The kick on Lambda: `Invoke` this same function (`AWS_LAMBDA_FUNCTION_NAME` in `AWS_REGION`) with
 * `InvocationType: Event`; `undefined` outside Lambda. The role needs `lambda:InvokeFunction` on
 * the function itself (the SAM template grants it).
 */
export function lambdaSelfInvoke(env: NodeJS.ProcessEnv, fetchImpl: typeof fetch = fetch): Kick | undefined {
  const name = env.AWS_LAMBDA_FUNCTION_NAME;
  const region = env.AWS_REGION;
  if (!name || !region) return undefined;
  return async () => {
    const host = `lambda.${region}.amazonaws.com`;
    const path = `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
    const body = JSON.stringify(DRAIN_EVENT);
    const signed = aws4.sign(
      {
        host,
        path,
        method: 'POST',
        service: 'lambda',
        region,
        body,
        headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
      },
      {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        sessionToken: env.AWS_SESSION_TOKEN,
      },
    );
    // fetch sets Host and Content-Length itself, to the values that were signed.
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers ?? {})) {
      if (!/^(host|content-length)$/i.test(k) && v !== undefined) headers[k] = String(v);
    }
    const res = await fetchImpl(`https://${host}${path}`, { method: 'POST', headers, body });
    await res.body?.cancel();
    if (res.status !== 202) throw new Error(`Lambda Invoke of the drain answered ${res.status}`);
  };
}
