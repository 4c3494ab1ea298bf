import { expect, type Page, test } from '@playwright/test';
import { RENDERER_ORIGIN, serveBuiltRenderer } from './fixtures/renderer-origin.ts';
import { busyScene, FakeEngine } from './support/fake-engine.ts';

// The DNS log view and its settings through the Electron preload path, with the stand-in
// engine's small DNS scene (support/fake-engine.ts: 60 answers of ten kinds over the last day,
// three more three days ago), filtered there as the contract says. Role and name selectors only.
// The real engine and zenithfenced are driven by ui.spec.ts.

const SHOTS = 'test-results/screenshots';

async function open(page: Page, engine: FakeEngine): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await engine.install(page.context());
  await serveBuiltRenderer(page.context());
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${RENDERER_ORIGIN}/`);
  // The busy scene comes with pending prompts: put them aside.
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Later' }).click();
  await expect(dialog).toBeHidden();
  return errors;
}

/** The body rows of the DNS log table (its header row left out). */
function bodyRows(page: Page): ReturnType<Page['getByRole']> {
  return page
    .getByRole('table', { name: 'DNS log' })
    .getByRole('row')
    .filter({ hasNot: page.getByRole('columnheader') });
}

test('the DNS log shows who asked for what, filters by outcome, text, range and app, and opens details', async ({
  page,
}) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  await page.getByRole('link', { name: 'DNS log' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'DNS log' })).toBeVisible();
  const table = page.getByRole('table', { name: 'DNS log' });
  await expect(table.getByRole('columnheader')).toHaveText(['Time', 'App', 'Name', 'Type', 'Result', 'TTL']);
  await expect(page.getByText('60 answers in the last 24 hours')).toBeVisible();

  // Each outcome in its words: addresses, no address, no such name, an error by its code.
  const mozilla = bodyRows(page).filter({ hasText: 'www.mozilla.org' }).filter({ hasText: 'AAAA' }).first();
  await expect(mozilla.getByRole('cell')).toHaveText([
    /.+/,
    'firefox',
    'www.mozilla.org',
    'AAAA',
    '2a04:4e42::347',
    /60/,
  ]);
  await expect(bodyRows(page).filter({ hasText: 'slack' }).first()).toContainText('3.120.0.12, 3.120.0.13, 3.120.0.14');
  await expect(bodyRows(page).filter({ hasText: 'api.spotify.com' }).first().getByRole('cell')).toHaveText([
    /.+/,
    'spotify',
    'api.spotify.com',
    'HTTPS',
    'No address',
    '—',
  ]);
  await expect(bodyRows(page).filter({ hasText: 'no-such-host.example.org' }).first()).toContainText('No such name');
  await expect(bodyRows(page).filter({ hasText: 'pypi.org' }).first()).toContainText('SERVFAIL');
  await expect(bodyRows(page).filter({ hasText: 'ads.doubleclick.net' }).first()).toContainText('REFUSED');
  await expect(bodyRows(page).filter({ hasText: 'time.example.net' }).first()).toContainText('Unknown app');

  // The outcome filter: the engine is asked for that outcome only, and the rows show it.
  const outcome = page.getByRole('radiogroup', { name: 'Outcome' });
  await expect(outcome.getByRole('radio')).toHaveText(['All', 'Answered', 'No address', 'No such name', 'Error']);
  await outcome.getByRole('radio', { name: 'No such name' }).click();
  await expect(page.getByText('6 answers in the last 24 hours')).toBeVisible();
  await expect(bodyRows(page)).toHaveCount(6);
  for (const row of await bodyRows(page).all()) await expect(row).toContainText('No such name');
  expect(engine.callsOf('dns:count').at(-1)).toMatchObject({ outcomes: ['no-such-name'] });
  await outcome.getByRole('radio', { name: 'Error' }).click();
  // SERVFAIL and REFUSED: two kinds of error, six of each.
  await expect(page.getByText('12 answers in the last 24 hours')).toBeVisible();
  await outcome.getByRole('radio', { name: 'All' }).click();
  await expect(page.getByText('60 answers in the last 24 hours')).toBeVisible();

  // Free text finds names, app paths and addresses.
  const search = page.getByRole('searchbox', { name: 'Search DNS log' });
  await search.fill('slack');
  await expect(page.getByText('6 answers in the last 24 hours')).toBeVisible();
  for (const row of await bodyRows(page).all()) await expect(row).toContainText('edgeapi.slack.com');
  await search.fill('93.184');
  await expect(page.getByText('6 answers in the last 24 hours')).toBeVisible();
  for (const row of await bodyRows(page).all()) await expect(row).toContainText('example.org');
  // A wider range reaches the answer of three days ago too.
  await page.getByRole('radiogroup', { name: 'Time range' }).getByRole('radio', { name: '7 days' }).click();
  await expect(page.getByText('7 answers in the last 7 days')).toBeVisible();

  // Details of one answer, and from there only its app.
  await bodyRows(page).first().click();
  const details = page.getByRole('complementary', { name: 'Answer details' });
  await expect(details).toBeVisible();
  for (const text of ['/usr/bin/curl', 'NOERROR', 'A (1)', '93.184.216.34', '192.168.1.1', 'Process id', 'User id']) {
    await expect(details).toContainText(text);
  }
  await details.getByRole('button', { name: 'Show only this app' }).click();
  const app = page.getByRole('combobox', { name: 'App' });
  await expect(app).toHaveValue('/usr/bin/curl');
  await expect(search).toHaveValue('93.184');
  await search.fill('');
  // Two kinds of curl answers, six each, and one of three days ago.
  await expect(page.getByText('13 answers in the last 7 days')).toBeVisible();
  expect(engine.callsOf('dns:count').at(-1)).toMatchObject({ appPath: '/usr/bin/curl' });
  await expect(details).toBeHidden();

  // A bare name is not a path the engine could match: the field says so, the last result stays.
  await app.fill('curl');
  await expect(app).toHaveAttribute('aria-invalid', 'true');
  await expect(app).toHaveAccessibleDescription(/full path, like \/usr\/bin\/curl/);
  await expect(page.getByText('13 answers in the last 7 days')).toBeVisible();
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(app).toHaveValue('');
  await expect(page.getByText('63 answers in the last 7 days')).toBeVisible();

  await bodyRows(page).filter({ hasText: 'edgeapi.slack.com' }).first().getByRole('button').click();
  await expect(details).toContainText('3.120.0.14');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${SHOTS}/preload-dns-log-${scheme}.png`, animations: 'disabled' });
  }
  await details.getByRole('button', { name: 'Close details' }).click();
  await expect(details).toBeHidden();
  expect(errors).toEqual([]);
});

test('turning "Keep DNS history" off asks first, deletes the log and the view says it is off', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  await page.getByRole('link', { name: 'Settings' }).click();
  const keep = page.getByRole('switch', { name: 'Keep DNS history' });
  const retention = page.getByRole('spinbutton', { name: 'DNS history retention' });
  await expect(keep).toBeChecked();
  await expect(retention).toHaveValue('7');
  await retention.fill('14');
  await retention.press('Enter');
  await expect.poll(() => engine.callsOf('settings:set')).toEqual([{ dnsRetentionDays: 14 }]);

  // Cancel (and Escape) leave it on, with nothing sent.
  const question = page.getByRole('group', { name: /Turn off DNS history and delete/ });
  await keep.click();
  await expect(question).toBeVisible();
  await expect(keep).toBeChecked();
  await expect(question.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await question.getByRole('button', { name: 'Cancel' }).click();
  await expect(question).toBeHidden();
  await keep.click();
  await expect(question).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(question).toBeHidden();
  await expect(keep).toBeChecked();
  expect(engine.callsOf('settings:set')).toHaveLength(1);

  await keep.click();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${SHOTS}/preload-dns-off-question-${scheme}.png`, animations: 'disabled' });
  }
  await question.getByRole('button', { name: 'Turn off and delete' }).click();
  await expect(question).toBeHidden();
  await expect(keep).not.toBeChecked();
  await expect(retention).toBeDisabled();
  expect(engine.callsOf('settings:set').at(-1)).toEqual({ keepDnsHistory: false });

  await page.getByRole('link', { name: 'DNS log' }).click();
  await expect(page.getByText(/^DNS history is off/)).toBeVisible();
  await expect(page.getByRole('table', { name: 'DNS log' })).toHaveCount(0);
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${SHOTS}/preload-dns-off-${scheme}.png`, animations: 'disabled' });
  }
  await page.getByRole('button', { name: 'Open Settings' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Settings' })).toBeVisible();

  // On again (no question for that): the log starts empty, as the engine deleted it.
  await keep.click();
  await expect(keep).toBeChecked();
  await expect(retention).toBeEnabled();
  await page.getByRole('link', { name: 'DNS log' }).click();
  await expect(page.getByText('0 answers in the last 24 hours')).toBeVisible();
  await expect(page.getByText(/^No DNS answers in this range match/)).toBeVisible();
  expect(errors).toEqual([]);
});
