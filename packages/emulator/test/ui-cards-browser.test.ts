/**
 * The chat page renders adaptive cards as Webex does, in Chromium: one card using every element the
 * renderer supports, each element's visible text asserted; the message's fallback text is not shown
 * beside the card; a FactSet shows its facts (not "[object HTMLElement]").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { openBrowserPage, skipWithoutChromium } from '../../../harness/browser.js';
import { choices } from '../../../harness/cards.js';
import { type RunningEmulator, startEmulator } from '../src/server.js';
import { testSeed } from './fixtures.js';

/** A 1×1 PNG: the page shows inline data images and loads nothing from other hosts. */
const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const EVERY_ELEMENT = {
  type: 'AdaptiveCard',
  version: '1.3',
  body: [
    { type: 'TextBlock', text: 'Weekly **report**', size: 'Large', weight: 'Bolder' },
    {
      type: 'RichTextBlock',
      inlines: [
        { type: 'TextRun', text: 'Rich ' },
        { type: 'TextRun', text: 'run', weight: 'Bolder' },
      ],
    },
    { type: 'Container', items: [{ type: 'TextBlock', text: 'Inside a container' }] },
    {
      type: 'ColumnSet',
      columns: [
        { type: 'Column', items: [{ type: 'TextBlock', text: 'Left column' }] },
        { type: 'Column', items: [{ type: 'TextBlock', text: 'Right column' }] },
      ],
    },
    {
      type: 'FactSet',
      facts: [
        { title: 'Delivered', value: '12 of 12' },
        { title: 'Failed', value: '0' },
      ],
    },
    { type: 'Image', url: PIXEL, altText: 'Inline pixel' },
    { type: 'Image', url: 'https://example.com/chart.png', altText: 'Remote chart' },
    { type: 'ImageSet', images: [{ type: 'Image', url: 'https://example.com/a.png', altText: 'Set image' }] },
    { type: 'Input.Text', id: 'note', label: 'Note', placeholder: 'Say something' },
    { type: 'Input.Number', id: 'count', label: 'How many' },
    { type: 'Input.Date', id: 'day', label: 'Which day' },
    { type: 'Input.Time', id: 'at', label: 'What time' },
    { type: 'Input.Toggle', id: 'agree', title: 'I agree' },
    {
      type: 'Input.ChoiceSet',
      id: 'size',
      label: 'Size',
      choices: choices({ Small: 's', Large: 'l' }),
    },
    {
      type: 'Input.ChoiceSet',
      id: 'colour',
      label: 'Colour',
      style: 'expanded',
      choices: choices({ Red: 'r', Blue: 'b' }),
    },
    {
      type: 'ActionSet',
      actions: [{ type: 'Action.OpenUrl', title: 'Open the docs', url: 'https://developer.webex.com/' }],
    },
  ],
  actions: [
    { type: 'Action.Submit', title: 'Send it', data: { form: 'report' } },
    {
      type: 'Action.ShowCard',
      title: 'More',
      card: { type: 'AdaptiveCard', body: [{ type: 'TextBlock', text: 'Shown on demand' }] },
    },
  ],
};

describe('the chat page renders cards like Webex', { skip: skipWithoutChromium }, () => {
  let emu: RunningEmulator;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  before(async () => {
    emu = await startEmulator({ port: 0, seed: testSeed });
    ({ browser, page, pageErrors } = await openBrowserPage({ height: 900 }));
  });
  after(async () => {
    await browser?.close();
    await emu?.stop();
  });

  it('shows every supported element with its text, and not the fallback text', async () => {
    emu.control.post('bot', {
      room: 'alice-bot',
      text: 'Fallback: your client cannot show cards',
      card: EVERY_ELEMENT,
    });
    await page.goto(`${emu.url}/`);
    await page.locator('.person', { hasText: 'Alice Archer' }).click();
    await page.locator(`.space[data-space-title="Herald"]`).click();
    const card = page.locator('#messages .card');
    await card.waitFor();

    const visible = async (text: string) =>
      assert.ok(await card.getByText(text, { exact: true }).isVisible(), text);
    for (const text of [
      'Inside a container',
      'Left column',
      'Right column',
      'Delivered',
      '12 of 12',
      'Failed',
      '0',
    ])
      await visible(text);
    assert.equal(
      await card.locator('.card-text.bolder strong').textContent(),
      'report',
      'TextBlock markdown',
    );
    assert.match((await card.locator('.card-text').first().textContent()) ?? '', /^Weekly report$/);
    assert.equal(
      await card.locator('.card-text .bolder', { hasText: 'run' }).count(),
      1,
      'RichTextBlock run',
    );
    assert.equal(await card.locator('img.card-image').getAttribute('alt'), 'Inline pixel');
    await visible('Image: Remote chart');
    await visible('Image: Set image');
    for (const label of ['Note', 'How many', 'Which day', 'What time', 'Size', 'Colour'])
      assert.ok(await card.getByLabel(label, { exact: true }).isVisible(), label);
    assert.equal(await card.getByLabel('Note').getAttribute('placeholder'), 'Say something');
    for (const text of ['I agree', 'Red', 'Blue']) await visible(text);
    assert.deepEqual(await card.getByLabel('Size').locator('option').allTextContents(), [
      'Choose…',
      'Small',
      'Large',
    ]);
    assert.equal(
      await card.getByRole('link', { name: 'Open the docs' }).getAttribute('href'),
      'https://developer.webex.com/',
    );
    assert.ok(await card.getByRole('button', { name: 'Send it' }).isVisible());
    assert.equal(await card.getByText('Shown on demand').isVisible(), false);
    await card.getByRole('button', { name: 'More' }).click();
    await card.getByText('Shown on demand').waitFor();

    const all = (await page.locator('#messages').textContent()) ?? '';
    assert.ok(!all.includes('[object'), 'no element is shown as its object string');
    assert.ok(!all.includes('not shown'), 'every element of the card is supported');
    assert.ok(!all.includes('Fallback: your client cannot show cards'), 'the fallback text is not shown');

    await card.getByLabel('Note').fill('all good');
    await card.getByLabel('I agree').check();
    await card.getByRole('button', { name: 'Send it' }).click();
    await card.getByText('You submitted this card').waitFor();
    const action = [...emu.world.attachmentActions.values()].at(-1);
    assert.equal(action?.inputs.note, 'all good');
    assert.equal(action?.inputs.agree, 'true');
    assert.equal(action?.inputs.form, 'report');
    assert.deepEqual(pageErrors, []);
  });
});
