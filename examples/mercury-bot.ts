// A Webex bot over Mercury in twenty lines: no public URL, no webhook. Run it with
//   WEBEX_TOKEN=<bot token> npx tsx examples/mercury-bot.ts
// (WEBEX_API_URL / WEBEX_U2C_URL / HERALD_ALLOWED_ORIGINS point it at the emulator instead of Webex.)
import { LoopGuard, WebexClient, WebexMessageHandler } from '@herald/webex';

export async function startMercuryBot(env: NodeJS.ProcessEnv = process.env) {
  const token = env.WEBEX_TOKEN ?? '';
  const client = new WebexClient({ token, baseUrl: env.WEBEX_API_URL });
  const guard = new LoopGuard(); // at most 5 replies in 3 s to one room
  const handler = new WebexMessageHandler({
    token,
    baseUrl: env.WEBEX_API_URL,
    u2cUrl: env.WEBEX_U2C_URL,
    allowedOrigins: env.HERALD_ALLOWED_ORIGINS?.split(','),
  });
  // The bot's own messages are filtered out (ignoreSelfMessages defaults to true).
  handler.on('message.created', async ({ data }) => {
    await guard.run(data.roomId, () =>
      client.messages.create({ roomId: data.roomId, markdown: `You said: **${data.text}**` }),
    );
  });
  await handler.connect();
  return handler;
}

if (import.meta.url === `file://${process.argv[1]}`) await startMercuryBot();
