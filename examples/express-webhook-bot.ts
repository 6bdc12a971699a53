// A webhook bot on Express. Webex POSTs to PUBLIC_URL/webhook; the middleware checks the
// X-Spark-Signature over the raw bytes before anything else, answers at once and fetches the message.
//   WEBEX_TOKEN=… WEBHOOK_SECRET=… PUBLIC_URL=https://bot.example.com PORT=3000 npx tsx examples/express-webhook-bot.ts

import { createExpressMiddleware, syncWebhooks, WebexClient, WebhookReceiver } from '@herald/webex';
import express from 'express';

export async function startExpressBot(env: NodeJS.ProcessEnv = process.env) {
  const secret = env.WEBHOOK_SECRET ?? '';
  const client = new WebexClient({ token: env.WEBEX_TOKEN ?? '', baseUrl: env.WEBEX_API_URL });
  // Webhooks also report the bot's own messages; the receiver drops them (ignoreSelfMessages: true).
  const receiver = new WebhookReceiver({ secret, client });
  receiver.on('message.created', async ({ data }) => {
    await client.messages.create({ roomId: data.roomId, markdown: `Got it, ${data.personEmail}.` });
  });

  const app = express();
  app.post('/webhook', createExpressMiddleware(receiver)); // mount it before any JSON body parser
  const server = app.listen(Number(env.PORT ?? 3000));
  // Idempotent: a second start changes nothing; webhooks of other tools are left alone.
  await syncWebhooks({
    client,
    targetUrl: `${env.PUBLIC_URL}/webhook`,
    secret,
    resources: [{ resource: 'messages', event: 'created' }],
  });
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) await startExpressBot();
