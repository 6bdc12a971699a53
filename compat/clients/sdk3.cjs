'use strict';
// The official Webex JS SDK 3.x, loaded the way its maintainers advise for Node (webex/webex-js-sdk#3510:
// `require('webex')` pulls in the meetings plugin, which needs `window`): `@webex/webex-core` plus the
// plugins a bot uses. Runs as a child process of a compat test and is driven over IPC; it never
// touches the emulator in-process. Everything it sees goes back to the parent as messages.
require('@webex/internal-plugin-device');
require('@webex/internal-plugin-mercury');
require('@webex/internal-plugin-encryption');
require('@webex/internal-plugin-conversation');
require('@webex/plugin-logger');
require('@webex/plugin-people');
require('@webex/plugin-rooms');
require('@webex/plugin-memberships');
require('@webex/plugin-messages');
require('@webex/plugin-attachment-actions');
const WebexCore = require('@webex/webex-core').default;

const send = (msg) => process.send?.(msg);
const fail = (kind) => (err) => send({ type: 'fatal', kind, error: String(err?.stack ?? err) });
process.on('unhandledRejection', fail('unhandledRejection'));
process.on('uncaughtException', fail('uncaughtException'));
process.on('exit', (code) => send({ type: 'exit', code }));

const url = process.env.EMULATOR_URL;
const webex = new WebexCore({
  credentials: { access_token: process.env.WEBEX_TOKEN },
  config: {
    logger: { level: process.env.SDK_LOG_LEVEL ?? 'silent' },
    services: { discovery: { hydra: `${url}/v1`, u2c: `${url}/u2c/api/v1` } },
  },
});

const commands = {
  async listen() {
    webex.messages.on('created', (e) => send({ type: 'event', name: 'messages:created', data: e.data }));
    webex.messages.on('deleted', (e) => send({ type: 'event', name: 'messages:deleted', data: e.data }));
    webex.attachmentActions.on('created', (e) =>
      send({ type: 'event', name: 'attachmentActions:created', data: e.data }),
    );
    webex.internal.mercury.on('online', () => send({ type: 'event', name: 'mercury:online' }));
    webex.internal.mercury.on('offline', (e) => send({ type: 'event', name: 'mercury:offline', data: e }));
    for (const [resource, events] of [
      ['memberships', ['created', 'updated', 'deleted']],
      ['rooms', ['created', 'updated']],
    ]) {
      for (const name of events)
        webex[resource].on(name, (e) => send({ type: 'event', name: `${resource}:${name}`, data: e.data }));
    }
    await webex.messages.listen();
    await webex.attachmentActions.listen();
    await webex.memberships.listen();
    await webex.rooms.listen();
    return webex.internal.device.url;
  },
  messagesCreate: (a) => webex.messages.create(a),
  roomsList: (a) => webex.rooms.list(a).then((p) => p.items),
  membershipsList: (a) => webex.memberships.list(a).then((p) => p.items),
  peopleGet: (id) => webex.people.get(id),
  membershipsGet: (id) => webex.memberships.get(id),
  roomsGet: (id) => webex.rooms.get(id),
  attachmentActionsGet: (id) => webex.attachmentActions.get(id),
  async stop() {
    await webex.messages.stopListening();
    await webex.attachmentActions.stopListening();
    await webex.memberships.stopListening();
    await webex.rooms.stopListening();
    await webex.internal.device.unregister();
    return true;
  },
};

process.on('message', async ({ id, cmd, arg }) => {
  try {
    const value = await commands[cmd](arg);
    send({ type: 'reply', id, value });
  } catch (err) {
    send({ type: 'reply', id, error: String(err?.stack ?? err) });
  }
});
webex.once('ready', () => send({ type: 'ready' }));
