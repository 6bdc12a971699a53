// Child of mercury-keepalive.test.ts (not a test itself): a program whose only work is a Mercury
// receiver. It reports each connection on stdout and leaves after the first reconnection.
import { WebexMessageHandler } from '@herald/webex';

const url = process.env.EMULATOR_URL ?? '';
const handler = new WebexMessageHandler({
  token: 'bot-token',
  u2cUrl: `${url}/u2c/api/v1`,
  baseUrl: `${url}/v1`,
  allowedOrigins: [url],
});
handler.on('connected', ({ reconnect }) => {
  process.stdout.write(`${reconnect ? 'reconnected' : 'connected'}\n`);
  if (reconnect) void handler.disconnect().then(() => process.exit(0));
});
await handler.connect();
