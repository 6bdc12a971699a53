/**
 * The whole system as a person sees it: the emulator (demo seed) and the bot in-process, the
 * emulator's chat page in Chromium. Alice sends the bot a message in their 1-1, sees the copy in a
 * group space and the report in the 1-1; she sends a JSON card file, and Bob submits the card copy.
 * Saves `test-results/chat-page.png`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfig, type RunningBot, runBot } from '@herald/broadcast';
import { type RunningEmulator, startEmulator } from '@herald/emulator';
import { silentLogger } from '@herald/webex';
import type { Browser, Page } from 'playwright-core';
import { openBrowserPage, skipWithoutChromium } from '../../../harness/browser.js';
import { choices } from '../../../harness/cards.js';

const SCREENSHOT = fileURLToPath(new URL('../../../test-results/chat-page.png', import.meta.url));
/** Bounded wait for an outcome (the bot works asynchronously); not a timing assertion. */
const OUTCOME_MS = 20_000;

const LUNCH_CARD = {
  type: 'AdaptiveCard',
  version: '1.3',
  body: [
    { type: 'TextBlock', text: 'Team lunch on Friday', size: 'Medium', weight: 'Bolder' },
    { type: 'TextBlock', text: 'Pick a place, and tell us what to avoid.', isSubtle: true, wrap: true },
    {
      type: 'Input.ChoiceSet',
      id: 'place',
      label: 'Where',
      choices: choices({ 'Pizza Napoli': 'pizza', 'Green Bowl': 'salad', Taqueria: 'tacos' }),
    },
    { type: 'Input.Text', id: 'comment', label: 'Anything to avoid?', placeholder: 'e.g. olives' },
    { type: 'Input.Toggle', id: 'veggie', title: 'Vegetarian please' },
  ],
  actions: [{ type: 'Action.Submit', title: 'Vote', data: { poll: 'lunch' } }],
};

describe('the chat page in a browser, with the bot', { skip: skipWithoutChromium }, () => {
  let emu: RunningEmulator;
  let bot: RunningBot;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let pageErrors: string[];

  before(async () => {
    emu = await startEmulator({ port: 0, seed: 'demo' });
    dir = mkdtempSync(join(tmpdir(), 'herald-browser-'));
    bot = await runBot(
      {
        token: emu.control.token('bot'),
        config: parseConfig({
          delivery: { rate_per_second: 200, workers: 4, lease_seconds: 30, max_attempts: 3 },
        }),
        locale: 'en_US',
        sqlitePath: join(dir, 'bot.sqlite'),
        port: 0,
        logLevel: 'silent',
        apiBaseUrl: `${emu.url}/v1`,
      },
      {
        logger: silentLogger,
        instanceId: 'browser-test',
        u2cUrl: `${emu.url}/u2c/api/v1`,
        allowedOrigins: [emu.url, emu.wsUrl],
        port: 0,
        host: '127.0.0.1',
        pollMs: 25,
      },
    );
    ({ browser, page, pageErrors } = await openBrowserPage({ height: 800, timeoutMs: OUTCOME_MS }));
  });

  after(async () => {
    await browser?.close();
    await bot?.stop();
    await emu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const person = (key: string) => emu.world.findPerson(key)!;
  const room = (key: string) => emu.world.findRoom(key)!;
  const space = (title: string) => page.locator(`.space[data-space-title="${title}"]`);
  const messages = () => page.locator('#messages');

  async function chooseAs(displayName: string): Promise<void> {
    if (await page.locator('#chooser').isHidden()) await page.getByRole('button', { name: 'Switch' }).click();
    await page.locator('.person', { hasText: displayName }).click();
    await page.locator('.me-name', { hasText: displayName }).waitFor();
  }

  it('Alice messages the bot; the copy arrives live in a group space; the report comes back', async () => {
    await page.goto(`${emu.url}/`);
    await page.getByRole('heading', { name: 'Who are you?' }).waitFor();
    await chooseAs('Alice Archer');

    await space('Herald').click();
    await page.locator('.room-title', { hasText: 'Herald' }).waitFor();
    await page.locator('#text').fill('Quarterly **results** are out');
    await page.locator('#text').press('Enter');
    await messages().locator('.message-text strong', { hasText: 'results' }).waitFor();

    await space('Acme General').click();
    const copy = messages().locator('.message', { hasText: 'Quarterly results are out' });
    await copy.waitFor();
    assert.ok(
      emu.world.messages.size > 0 &&
        [...emu.world.messages.values()].some(
          (m) => m.roomId === room('acme-general').id && m.personId === person('bot').id,
        ),
      'the copy is the bot’s message in the world',
    );
    // The copy names the sender with a mention; the page shows it as her name.
    await messages().locator('.mention', { hasText: '@Alice Archer' }).first().waitFor();
    await messages().locator('.message strong', { hasText: 'results' }).first().waitFor();

    await space('Herald').click();
    // The report is a card (its text is the fallback, not shown); its FactSet shows each fact.
    const report = messages().locator('.card', { hasText: /Delivered to \d+ of \d+ spaces/ });
    await report.waitFor();
    await report.locator('.card-facts dt', { hasText: 'Sent' }).waitFor();
    assert.ok(!((await report.textContent()) ?? '').includes('[object'), 'no fact shown as an object string');
  });

  it('typing @ offers the members; the mention is sent in Webex markdown', async () => {
    await space('Acme General').click();
    await page.locator('.room-title', { hasText: 'Acme General' }).waitFor();
    await page.locator('#text').pressSequentially('thanks @Bo');
    await page.locator('.mention-option', { hasText: 'Bob Baker' }).waitFor();
    await page.locator('#text').press('Enter');
    await page.locator('#text').pressSequentially('for the numbers');
    await page.locator('#text').press('Enter');
    await messages().locator('.message', { hasText: 'for the numbers' }).locator('.mention').waitFor();
    const sent = [...emu.world.messages.values()].find((m) => m.text.includes('for the numbers'));
    assert.ok(sent, 'the message is in the world');
    assert.deepEqual(sent.mentionedPeople, [person('bob').id]);
    assert.match(sent.markdown ?? '', /^thanks <@personId:[^|>]+\|Bob Baker> for the numbers$/);
  });

  it('a JSON card file sent to the bot arrives as a card; Bob submits it', async () => {
    await space('Herald').click();
    // The composer sends to the open space: wait until it is this one, or the file goes where the
    // last test was.
    await page.locator('.room-title', { hasText: 'Herald' }).waitFor();
    await page.locator('#file-input').setInputFiles({
      name: 'lunch.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(LUNCH_CARD)),
    });
    await page.locator('#attachment-chip', { hasText: 'lunch.json' }).waitFor();
    await page.locator('#text').fill('Where shall we eat?');
    await page.locator('#text').press('Enter');
    const file = messages().locator('a.file', { hasText: 'lunch.json' });
    await file.waitFor();
    const download = await fetch(new URL((await file.getAttribute('href'))!, emu.url));
    assert.equal(download.status, 200);
    assert.deepEqual(JSON.parse(await download.text()), LUNCH_CARD);

    await chooseAs('Bob Baker');
    await space('Acme General').click();
    // The copy shows the card alone; its text is the fallback Webex does not show beside a card.
    const card = messages().locator('.message .card', { hasText: 'Team lunch on Friday' });
    await card.waitFor();
    await card.getByText('Team lunch on Friday').waitFor();
    await card.getByLabel('Where').selectOption('pizza');
    await card.getByLabel('Anything to avoid?').fill('olives');
    await card.getByLabel('Vegetarian please').check();
    await card.getByRole('button', { name: 'Vote' }).click();
    await card.getByText('You submitted this card').waitFor();

    const bob = person('bob').id;
    const action = [...emu.world.attachmentActions.values()].find((a) => a.personId === bob);
    assert.ok(action, 'the attachment action exists in the world');
    assert.equal(action.roomId, room('acme-general').id);
    assert.equal(emu.world.messages.get(action.messageId)?.personId, person('bot').id, 'on the bot’s copy');
    assert.deepEqual(action.inputs, { place: 'pizza', comment: 'olives', veggie: 'true', poll: 'lunch' });

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    assert.deepEqual(pageErrors, [], 'no script errors or CSP violations on the page');
  });
});
