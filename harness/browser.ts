/**
 * Chromium for the tests that drive the emulator's chat page: where it is (`CHROMIUM_PATH`, default
 * /usr/bin/chromium), why such a test is skipped when it is missing, and one page that collects the
 * script errors it shows.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** For `describe(…, { skip })`: false when Chromium is there, else the reason to skip. */
export const skipWithoutChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (set CHROMIUM_PATH to run the browser test)`;

export interface BrowserPage {
  browser: Browser;
  page: Page;
  /** Uncaught script errors and console errors (a CSP violation is one) the page has shown. */
  pageErrors: string[];
}

/**
 * Launches Chromium (no sandbox, no GPU, no background traffic) and opens a page 1280 px wide and
 * `height` px high, whose actions wait up to `timeoutMs` (default 20000 ms). Close `browser` after.
 */
export async function openBrowserPage(options: { height: number; timeoutMs?: number }): Promise<BrowserPage> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: options.height } });
    page.setDefaultTimeout(options.timeoutMs ?? 20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    return { browser, page, pageErrors };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
