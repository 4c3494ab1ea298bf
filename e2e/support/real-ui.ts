import { type Browser, expect, type Page } from '@playwright/test';
import type { Headless } from './headless-client.ts';

/**
 * The UI of headless mode `app` in a new page of Debian Chromium, as the real-stack specs use it:
 * a desktop-sized window, page errors collected in `errors` (each spec expects none), and the
 * status bar saying the driver is connected before anything else is done.
 */
export async function openRealUi(browser: Browser, app: Headless, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(app.url);
  await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Driver connected');
  return page;
}
