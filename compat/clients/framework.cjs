'use strict';
// webex-node-bot-framework 2.3.14 (on its own webex 2.4.2), unmodified, pointed at the emulator the
// way its README says: HYDRA_SERVICE_URL and U2C_SERVICE_URL in the environment (read by webex-core's
// config when it loads). Websocket mode by default; webhook mode when WEBHOOK_SECRET is set, with an
// Express server on loopback. Runs as a child process of a compat test, driven over IPC.
const express = require('express');
const Framework = require('webex-node-bot-framework');
const webhook = require('webex-node-bot-framework/webhook');

const send = (msg) => process.send?.(msg);
const fail = (kind) => (err) => send({ type: 'fatal', kind, error: String(err?.stack ?? err) });
process.on('unhandledRejection', fail('unhandledRejection'));
process.on('uncaughtException', fail('uncaughtException'));
process.on('exit', (code) => send({ type: 'exit', code }));
// The framework logs each step to the console; keep the test output to what fails.
if (!process.env.FRAMEWORK_LOG) for (const k of ['log', 'info', 'warn', 'debug']) console[k] = () => {};

let framework;
let server;

async function start() {
  const options = { token: process.env.WEBEX_TOKEN };
  if (process.env.WEBHOOK_SECRET) {
    const app = express();
    app.use(express.json());
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    options.webhookUrl = `http://127.0.0.1:${server.address().port}/webhook`;
    options.webhookSecret = process.env.WEBHOOK_SECRET;
    app.post('/webhook', (req, res) => {
      send({
        type: 'event',
        name: 'webhook',
        data: { signed: typeof req.headers['x-spark-signature'] === 'string' },
      });
      return webhook(framework)(req, res);
    });
  }
  framework = new Framework(options);
  framework.on('initialized', () => send({ type: 'event', name: 'initialized' }));
  framework.on('spawn', (bot, _id, addedBy) =>
    send({ type: 'event', name: 'spawn', data: { roomId: bot.room.id, addedBy: addedBy ?? null } }),
  );
  framework.on('despawn', (bot) => send({ type: 'event', name: 'despawn', data: { roomId: bot.room.id } }));
  framework.hears(/.*/, (bot, trigger) => {
    send({
      type: 'event',
      name: 'hears',
      data: {
        roomId: bot.room.id,
        text: trigger.text,
        message: trigger.message.text,
        from: trigger.person.emails[0],
      },
    });
    bot.say(`echo: ${trigger.message.text}`).catch(fail('say'));
  });
  framework.on('attachmentAction', (bot, trigger) => {
    send({
      type: 'event',
      name: 'attachmentAction',
      data: { roomId: bot.room.id, inputs: trigger.attachmentAction.inputs },
    });
  });
  await framework.start();
  return options.webhookUrl ?? null;
}

const commands = {
  start,
  async stop() {
    await framework.stop();
    server?.close();
    return true;
  },
};

process.on('message', async ({ id, cmd, arg }) => {
  try {
    send({ type: 'reply', id, value: await commands[cmd](arg) });
  } catch (err) {
    send({ type: 'reply', id, error: String(err?.stack ?? err) });
  }
});
send({ type: 'ready' });
