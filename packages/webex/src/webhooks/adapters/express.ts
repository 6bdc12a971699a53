/**
 * Express/Connect-style middleware. Signatures are over the raw bytes (docs/protocol.md §8.4), so the middleware finds
 * them wherever they are:
 * 1. `req.rawBody` (a Buffer or string kept by a body parser's `verify` hook, or by a framework);
 * 2. `req.body` as a Buffer (`express.raw()`) or a string (`express.text()`);
 * 3. the request stream, when no body parser has read it.
 * A body already parsed into an object, with its bytes gone, cannot be verified: `next(error)` with a
 * message saying how to mount the middleware. It never re-serialises a parsed body.
 * Typed structurally: Express is not a dependency.
 */
import { InvalidArgumentError } from '../../errors.js';
import { answerNow, type WebhookReceiver, type WebhookResponse } from '../receiver.js';
import { type ReadableRequest, readWithin, type WritableResponse, writeAnswer } from './body.js';

export interface ExpressLikeRequest extends ReadableRequest {
  body?: unknown;
  rawBody?: unknown;
  /** Set by node once the stream has been read to the end. */
  readableEnded?: boolean;
}

export type ExpressLikeNext = (err?: unknown) => void;

export type ExpressWebhookMiddleware = (
  req: ExpressLikeRequest,
  res: WritableResponse,
  next: ExpressLikeNext,
) => void;

export function createExpressMiddleware(receiver: WebhookReceiver): ExpressWebhookMiddleware {
  return (req, res, next) => {
    const respond = (rawBody: Uint8Array | string) => {
      const write = (answer: WebhookResponse) => writeAnswer(res, answer.status, answer.body);
      try {
        const answer = answerNow(receiver, { headers: req.headers, rawBody });
        if (answer instanceof Promise) answer.then(write, next);
        else write(answer);
      } catch (err) {
        // Only `writeAnswer` can throw here (a response already under way): Express handles it.
        next(err);
      }
    };
    const kept = keptRawBody(req);
    if (kept !== undefined) {
      respond(kept);
      return;
    }
    if (req.readableEnded === true) {
      next(
        new InvalidArgumentError(
          'webhook middleware: the body was already parsed and its raw bytes were not kept; mount the ' +
            'webhook middleware before express.json(), or use express.raw({ type: "*/*" }) on its route',
        ),
      );
      return;
    }
    readWithin(req, res, receiver.maxBodyBytes, respond, next);
  };
}

function keptRawBody(req: ExpressLikeRequest): Uint8Array | string | undefined {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === 'string') return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === 'string') return req.body;
  return undefined;
}
