import { expect, type Page, test } from '@playwright/test';
import { RENDERER_ORIGIN, serveBuiltRenderer } from './fixtures/renderer-origin.ts';
import { busyScene, FakeEngine } from './support/fake-engine.ts';

// The UI in Chromium with the browser set to a locale (Playwright's `locale` sets
// navigator.languages and Intl's default): counts, byte sizes and times follow it. The words stay
// English. The stand-in engine gives a repeatable scene (see ui-preload.spec.ts).

const SHOTS = 'test-results/screenshots';

/** Opens the UI on a busy scene of 1500 connections (a count with a thousands separator). */
async function open(page: Page, locale: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const engine = new FakeEngine(busyScene(Date.now(), 1500));
  await engine.install(page.context());
  await serveBuiltRenderer(page.context());
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${RENDERER_ORIGIN}/`);
  expect(await page.evaluate(() => navigator.language)).toBe(locale);
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Later' }).click();
  return errors;
}

/** The Sent cells of the Apps table that hold a size in kB, MB or GB. */
async function sentSizes(page: Page): Promise<string[]> {
  const apps = page.getByRole('table', { name: 'Apps' });
  await expect(apps.getByRole('row')).toHaveCount(10);
  const texts = await Promise.all(
    (await apps.locator('tbody tr').all()).map((row) => row.locator('td').nth(2).innerText()),
  );
  return texts.filter((text) => /[kMG]B$/.test(text));
}

test.describe('German (de-DE)', () => {
  test.use({ locale: 'de-DE' });

  test('numbers, byte sizes and times have German separators and a 24-hour clock', async ({ page }) => {
    const errors = await open(page, 'de-DE');

    // A count: German groups thousands with a full stop.
    const connections = page.getByRole('region', { name: 'Connections' });
    await expect(connections.getByText(/^1\.500 connections recorded, \d+ live$/)).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/locale-de-connections.png`, animations: 'disabled' });

    // Byte sizes: SI units with a decimal comma ("12,3 MB", "1,05 GB") where they have decimals.
    await page.getByRole('link', { name: 'Apps' }).click();
    const allApps = page.getByRole('table', { name: 'Apps' }).getByRole('row').filter({ hasText: 'All apps' });
    await expect(allApps.getByRole('cell').nth(1)).toHaveText('1.500');
    await expect(allApps.getByRole('cell').nth(2)).toHaveText(/^\d{1,3}(,\d{1,2})?[\u00a0 ][kMG]B$/);
    const sizes = await sentSizes(page);
    expect(sizes.filter((text) => /^\d{1,2},\d{1,2}[\u00a0 ][kMG]B$/.test(text)).length).toBeGreaterThan(0);
    expect(sizes.filter((text) => /\d\.\d/.test(text))).toEqual([]);
    await page.getByRole('button', { name: 'firefox', exact: true }).click();
    const chart = page.getByRole('img', { name: 'Bandwidth of firefox over 5 Min.' });
    await expect(chart).toBeVisible();
    // The chart's legend says the time under the pointer and the rates there, in German.
    await chart.hover();
    await expect(chart.locator('.u-legend')).toContainText(/\d\d:\d\d:\d\d.*\d,\d+[\u00a0 ]kB\/s/);
    await page.screenshot({ path: `${SHOTS}/locale-de-apps.png`, animations: 'disabled' });

    // Hit counts in the Rules view.
    await page.getByRole('link', { name: 'Rules' }).click();
    const lan = page.getByRole('table', { name: 'Rules' }).getByRole('row').filter({ hasText: 'Local network' });
    await expect(lan.getByRole('cell').nth(8)).toHaveText('4.410');
    await page.screenshot({ path: `${SHOTS}/locale-de-rules.png`, animations: 'disabled' });

    // Times on a 24-hour clock, without AM/PM (with the German date before them just after midnight).
    await page.getByRole('link', { name: 'Logs' }).click();
    const firstLine = page.getByRole('table', { name: 'Logs' }).getByRole('row').nth(1);
    await expect(firstLine.getByRole('cell').first()).toHaveText(/^(\d\d\.\d\d\.\d{4}, )?\d\d:\d\d:\d\d$/);
    expect(errors).toEqual([]);
  });
});

test.describe('American English (en-US)', () => {
  test.use({ locale: 'en-US' });

  test('the same scene has English separators and a 12-hour clock', async ({ page }) => {
    const errors = await open(page, 'en-US');
    await expect(
      page.getByRole('region', { name: 'Connections' }).getByText(/^1,500 connections recorded/),
    ).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/locale-en-connections.png`, animations: 'disabled' });
    await page.getByRole('link', { name: 'Apps' }).click();
    const sizes = await sentSizes(page);
    expect(sizes.filter((text) => /^\d{1,2}\.\d{1,2} [kMG]B$/.test(text)).length).toBeGreaterThan(0);
    expect(sizes.filter((text) => /\d,\d/.test(text))).toEqual([]);
    await page.getByRole('link', { name: 'Logs' }).click();
    const firstLine = page.getByRole('table', { name: 'Logs' }).getByRole('row').nth(1);
    await expect(firstLine.getByRole('cell').first()).toHaveText(/^(\d\d\/\d\d\/\d{4}, )?\d\d:\d\d:\d\d [AP]M$/);
    expect(errors).toEqual([]);
  });
});
