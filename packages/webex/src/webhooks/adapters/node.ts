/**
 * node:http adapter: `http.createServer(createNodeHandler(receiver))`, or call it from a router for
 * the webhook path. Reads the raw body itself (with the receiver's size limit) and answers POST only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerNow, type WebhookReceiver, type WebhookResponse } from '../receiver.js';
import { readWithin, writeAnswer } from './body.js';

export type NodeWebhookHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createNodeHandler(receiver: WebhookReceiver): NodeWebhookHandler {
  return (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      writeAnswer(res, 405, 'method not allowed');
      req.resume();
      return;
    }
    readWithin(
      req,
      res,
      receiver.maxBodyBytes,
      (body) => {
        const write = (answer: WebhookResponse) => writeAnswer(res, answer.status, answer.body);
        const answer = answerNow(receiver, { headers: req.headers, rawBody: body });
        if (answer instanceof Promise) void answer.then(write);
        else write(answer);
      },
      () => {
        // The client went away mid-body; nothing to answer.
        req.destroy();
      },
    );
  };
}
