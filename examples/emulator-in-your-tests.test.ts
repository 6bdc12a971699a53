// Using the emulator in your own tests: start it in-process, seed it, act as a person, assert on
// what your bot did. Everything runs on loopback; nothing reaches Webex.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEmulator } from '@herald/emulator';
import { WebexClient } from '@herald/webex';

test('a person writes to the bot, the bot answers', async () => {
  const emulator = await startEmulator({
    port: 0,
    seed: {
      orgs: [{ key: 'acme', displayName: 'Acme' }],
      people: [
        {
          key: 'bot',
          org: 'acme',
          email: 'helper@webex.bot',
          displayName: 'Helper',
          type: 'bot',
          token: 'BOT',
        },
        { key: 'ann', org: 'acme', email: 'ann@acme.example', displayName: 'Ann', token: 'ANN' },
      ],
      rooms: [{ key: 'ann-bot', title: 'Ann', type: 'direct', creator: 'ann', members: ['bot'] }],
    },
  });
  try {
    emulator.control.post('ann', { room: 'ann-bot', text: 'ping' });

    // The code under test would do this; here the bot's REST client answers directly.
    const bot = new WebexClient({ token: 'BOT', baseUrl: `${emulator.url}/v1` });
    const [question] = await bot.messages.list({ roomId: emulator.control.room('ann-bot').id }).toArray(1);
    assert.equal(question?.text, 'ping');
    await bot.messages.create({ roomId: question.roomId, text: 'pong' });

    const texts = emulator.control.messages('ann-bot').map((m) => m.text);
    assert.deepEqual(texts, ['ping', 'pong']);
  } finally {
    await emulator.stop();
  }
});
