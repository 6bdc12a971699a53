// A serverless webhook handler (AWS Lambda behind API Gateway v1/v2 or a function URL).
// The same receiver core works with any Web-standard runtime through `createFetchHandler`.
import { createLambdaHandler, type LambdaHttpEvent, WebexClient, WebhookReceiver } from '@herald/webex';

export function makeHandler(env: NodeJS.ProcessEnv = process.env) {
  const client = new WebexClient({ token: env.WEBEX_TOKEN ?? '', baseUrl: env.WEBEX_API_URL });
  const receiver = new WebhookReceiver({ secret: env.WEBHOOK_SECRET ?? '', client });
  receiver.on('attachmentAction.created', async ({ data }) => {
    await client.messages.create({
      roomId: data.roomId,
      markdown: `Thanks, your answer was ${JSON.stringify(data.inputs)}`,
    });
  });
  // Returns after the delivery is processed: a frozen function would not finish background work.
  return createLambdaHandler(receiver);
}

let cached: ReturnType<typeof makeHandler> | undefined;
/** The Lambda entry point (`handler`), built on the first call. */
export const handler = (event: LambdaHttpEvent) => {
  cached ??= makeHandler();
  return cached(event);
};
