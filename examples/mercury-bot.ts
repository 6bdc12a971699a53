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
  // A reply that fails (rate limit, network) arrives here as a HandlerError; the bot keeps running.
  handler.on('error', (err) => console.error(`mercury-bot: ${err.message}`));
  // The bot's own messages are filtered out (ignoreSelfMessages defaults to true). Every event is
  // awaited: the next one of this space waits until the reply is sent.
  await handler.start(async (event) => {
    if (event.type !== 'message.created') return;
    const { roomId, text } = event.data;
    await guard.run(roomId, () => client.messages.create({ roomId, markdown: `You said: **${text}**` }));
  });
  return handler;
}

if (import.meta.url === `file://${process.argv[1]}`) await startMercuryBot();
