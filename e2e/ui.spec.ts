import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { DAEMON, Headless } from './support/headless-client.ts';
import { openRealUi } from './support/real-ui.ts';
import { needsRoot, type RunResult, TestNet } from './support/test-net.ts';

// The UI in Debian Chromium against headless mode, the real engine and a real zenithfenced in
// network namespaces, with curl and Python HTTP servers as the traffic. Everything is done the
// way a user does it: through the page, found by role and name.
test.describe.configure({ mode: 'serial' });

const CURL = realpathSync('/usr/bin/curl');
const PYTHON = realpathSync('/usr/bin/python3');
const SHOTS = 'test-results/screenshots';
const VIEWS = ['Connections', 'Apps', 'History', 'DNS log', 'Rules', 'Settings', 'Logs'] as const;
const BIG = 1_000_000;

let net: TestNet;
let app: Headless;
let page: Page;
const pageErrors: string[] = [];

test.beforeAll(async ({ browser }) => {
  test.skip(needsRoot() === 'skip', 'root tests skipped knowingly (ZF_SKIP_ROOT_TESTS=1)');
  net = new TestNet('ui');
  await net.httpServer(8080, { 'index.html': 'hello from b', 'big.bin': Buffer.alloc(BIG, 7) });
  await net.httpServer(8081, { 'index.html': 'other port' });
  await net.httpServer(8082, { 'index.html': 'the rule says yes' });
  // A resolver in b for a's programs, known to the daemon before it starts (it reads resolv.conf).
  net.resolvConf(net.a, `nameserver ${net.ipB}\n`);
  await net.dnsServer({ 'files.zf.test': net.ipB });
  const socket = await net.daemon(DAEMON);
  app = await Headless.connected(net, socket);
  page = await openRealUi(browser, app, pageErrors);
});

test.afterAll(async () => {
  await page?.close();
  app?.close();
  await net?.close();
});

/** curl in namespace a, started now and awaited later. */
function curl(port: number, path = '', extra: readonly string[] = []): Promise<RunResult> {
  return net.run(net.a, 'curl', ['-s', '--max-time', '20', ...extra, `http://${net.ipB}:${port}/${path}`], 25_000);
}

async function shoot(name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(100);
    await page.screenshot({ path: `${SHOTS}/${name}-${scheme}.png`, animations: 'disabled' });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('a connection makes the prompt appear, and Allow lets curl fetch the page', async () => {
  const fetch = curl(8080);
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  const allow = dialog.getByRole('button', { name: 'Allow', exact: true });
  // Inert at first: a keystroke meant for another window cannot answer.
  await expect(allow).toBeDisabled();
  await expect(dialog.getByRole('heading', { level: 2 })).toHaveText(
    `curl wants to connect to ${net.ipB} on TCP port 8080`,
  );
  await expect(dialog).toContainText(CURL);
  await expect(dialog).toContainText(`${net.ipB}:8080`);
  await expect(dialog.getByRole('combobox', { name: 'Duration' })).toHaveValue('forever');
  await shoot('ui-prompt');
  await allow.click();
  expect(await fetch).toMatchObject({ code: 0, stdout: 'hello from b' });
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'No pending prompts' })).toBeVisible();
});

test('a second prompt answered Block makes curl fail fast', async () => {
  const fetch = curl(8081);
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog.getByRole('heading', { level: 2 })).toHaveText(
    `curl wants to connect to ${net.ipB} on TCP port 8081`,
    { timeout: 10_000 },
  );
  const block = dialog.getByRole('button', { name: 'Block', exact: true });
  await expect(block).toBeEnabled();
  const clicked = performance.now();
  await block.click();
  const result = await fetch;
  const afterClick = (performance.now() - clicked) / 1000;
  expect(result.code).toBe(7);
  expect(afterClick).toBeLessThan(1.5);
  await expect(dialog).toBeHidden();
});

test('a rule created in the Rules view decides the next connection without a prompt', async () => {
  await page.getByRole('link', { name: 'Rules' }).click();
  const rules = page.getByRole('table', { name: 'Rules' });
  // The prompt answers above made two Forever rules.
  await expect(rules.getByRole('row')).toHaveCount(3);
  await page.getByRole('button', { name: 'New rule' }).click();
  const editor = page.getByRole('dialog', { name: 'New rule' });
  await editor.getByRole('combobox', { name: 'App path' }).fill(CURL);
  await editor.getByRole('combobox', { name: 'Destination' }).selectOption({ label: 'IP address' });
  await editor.getByRole('textbox', { name: 'IP address' }).fill(net.ipB);
  await editor.getByRole('textbox', { name: 'Port' }).fill('8082');
  await editor.getByRole('combobox', { name: 'Protocol' }).selectOption({ label: 'TCP' });
  await editor.getByRole('combobox', { name: 'Action' }).selectOption({ label: 'Allow' });
  await editor.getByRole('button', { name: 'Create rule' }).click();
  await expect(editor).toBeHidden();
  const row = rules.getByRole('row').filter({ hasText: '8082' });
  await expect(row).toContainText(net.ipB);
  await expect(row.getByRole('cell').nth(8)).toHaveText('0');

  expect(await curl(8082)).toMatchObject({ code: 0, stdout: 'the rule says yes' });
  expect(await app.call('prompts:list')).toEqual([]);
  await expect(page.getByRole('dialog', { name: 'Connection request' })).toBeHidden();
  // The hit shows up (the view refreshes hit counts every few seconds).
  await expect(row.getByRole('cell').nth(8)).toHaveText('1', { timeout: 10_000 });
  await expect(row.getByRole('cell').nth(9)).not.toHaveText('never');

  // Disabling it brings the prompt back for the next connection.
  await row.getByRole('switch', { name: 'Enabled' }).click();
  await expect(row.getByRole('switch', { name: 'Enabled' })).not.toBeChecked();
  const fetch = curl(8082);
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  await dialog.getByRole('combobox', { name: 'Duration' }).selectOption({ label: 'Once' });
  await dialog.getByRole('button', { name: 'Allow', exact: true }).click();
  expect(await fetch).toMatchObject({ code: 0, stdout: 'the rule says yes' });
  await expect(dialog).toBeHidden();
});

test('rules go out to a file and come back from one', async () => {
  await page.getByRole('link', { name: 'Rules' }).click();
  const rules = page.getByRole('table', { name: 'Rules' });
  const before = await rules.getByRole('row').count();
  const downloaded = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export' }).click();
  const download = await downloaded;
  expect(download.suggestedFilename()).toBe('zenithfence-rules.json');
  const text = await readFile(await download.path(), 'utf8');
  expect(JSON.parse(text)).toMatchObject({ format: 'zenithfence-rules', version: 1 });
  const file = JSON.parse(text) as { rules: Array<{ port: { kind: string; port?: number } }> };
  // Import just the 8082 rule again: it is there already, so no row is added.
  const one = { ...file, rules: file.rules.filter((r) => r.port.port === 8082) };
  expect(one.rules).toHaveLength(1);
  const importFile = (rulesFile: unknown) =>
    page.getByLabel('Import rules').setInputFiles({
      name: 'one-rule.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(rulesFile)),
    });
  await importFile(one);
  await expect(
    page.getByRole('status').filter({ hasText: 'Nothing was imported: the rule already existed.' }),
  ).toBeVisible();
  await expect(rules.getByRole('row')).toHaveCount(before);
  // The same rule for port 8083 is a new one: one more row.
  await importFile({ ...one, rules: one.rules.map((r) => ({ ...r, port: { kind: 'port', port: 8083 } })) });
  await expect(page.getByRole('status').filter({ hasText: 'Imported 1 rule.' })).toBeVisible();
  await expect(rules.getByRole('row')).toHaveCount(before + 1);
  // And delete it again (two clicks: the first one asks).
  const imported = rules.getByRole('row').filter({ hasText: '8083' }).last();
  await imported.getByRole('button', { name: 'Delete' }).click();
  await imported.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(rules.getByRole('row')).toHaveCount(before);
});

test('rules from Little Snitch: a preview to pick from, then one import and one undo', async () => {
  await page.getByRole('link', { name: 'Rules' }).click();
  const rules = page.getByRole('table', { name: 'Rules' });
  const before = await rules.getByRole('row').count();
  await page.getByRole('button', { name: 'Import from another firewall…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import rules from another firewall' });
  await dialog.getByRole('combobox', { name: 'Firewall' }).selectOption({ label: 'Little Snitch (.lsrules)' });
  // Written for this test from the format's documentation: two rules it can express, one it cannot.
  const lsrules = {
    name: 'Tools',
    rules: [
      { process: '/usr/bin/wget', action: 'allow', 'remote-hosts': 'downloads.example.org', ports: '443' },
      { process: '/usr/bin/wget', action: 'deny', 'remote-addresses': '203.0.113.9' },
      { process: '/usr/bin/wget', action: 'allow', remote: 'bonjour' },
    ],
  };
  await dialog.getByLabel('Files', { exact: true }).setInputFiles({
    name: 'tools.lsrules',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(lsrules)),
  });
  await expect(dialog.getByRole('heading', { name: 'What it cannot express' })).toBeVisible();
  await expect(dialog).toContainText('bonjour');
  const boxes = dialog.getByRole('checkbox');
  await expect(boxes).toHaveCount(2);
  // Nothing is written before the confirmation.
  await expect(rules.getByRole('row')).toHaveCount(before);
  await boxes.nth(1).uncheck();
  await dialog.getByRole('button', { name: 'Import 1 rule' }).click();
  await expect(dialog.getByRole('status')).toHaveText('Imported 1 rule.');
  await expect(rules.getByRole('row')).toHaveCount(before + 1);
  await expect(rules.getByRole('row').filter({ hasText: 'downloads.example.org' })).toHaveCount(1);
  await expect(rules.getByRole('row').filter({ hasText: '203.0.113.9' })).toHaveCount(0);
  await shoot('ui-import-done');
  await dialog.getByRole('button', { name: 'Undo import' }).click();
  await expect(dialog.getByRole('status')).toHaveText('Removed the 1 imported rule.');
  await expect(rules.getByRole('row')).toHaveCount(before);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('the Apps view shows the bytes of a 1 MB download for curl', async () => {
  const download = await curl(8080, 'big.bin', ['-o', '/dev/null']);
  expect(download.code).toBe(0);
  await page.getByRole('link', { name: 'Apps' }).click();
  const apps = page.getByRole('table', { name: 'Apps' });
  const row = apps.getByRole('row').filter({ has: page.getByRole('button', { name: 'curl', exact: true }) });
  // Received: the page fetches (a few hundred bytes) plus the 1 000 000-byte file.
  await expect(row.getByRole('cell').nth(3)).toHaveText(/^1\.0[0-1] MB$/, { timeout: 10_000 });
  await row.getByRole('button', { name: 'curl', exact: true }).click();
  await expect(page.getByRole('img', { name: /Bandwidth of curl over 5 min/ })).toBeVisible();
  await expect(page.getByRole('heading', { level: 3, name: 'curl' })).toBeVisible();
  // The selected app's connections, including the download.
  const connections = page.getByRole('table', { name: 'Connections of curl' });
  await expect(connections.getByRole('row').filter({ hasText: '1.00 MB' })).toHaveCount(1);
  // The chart's totals for the last five minutes come from the stored time series.
  await expect(page.getByRole('group', { name: 'Received in range' })).toContainText(/1\.0[0-1] MB/, {
    timeout: 10_000,
  });
});

test('the Connections view lists what curl did, live, with search and sort', async () => {
  await page.getByRole('link', { name: 'Connections' }).click();
  const table = page.getByRole('table', { name: 'Connections' });
  for (const name of [
    'App',
    'Direction',
    'Remote host',
    'Remote address',
    'Port',
    'Protocol',
    'Verdict',
    'Sent',
    'Received',
    'Started',
    'Ended',
  ]) {
    await expect(table.getByRole('columnheader', { name, exact: true })).toBeVisible();
  }
  await page.getByRole('searchbox', { name: 'Search connections' }).fill('8081');
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(table.getByRole('row').nth(1)).toContainText('Blocked');
  await page.getByRole('searchbox', { name: 'Search connections' }).fill('');
  await table.getByRole('columnheader', { name: 'Received' }).getByRole('button').click();
  await expect(table.getByRole('columnheader', { name: 'Received' })).toHaveAttribute('aria-sort', 'descending');
  await expect(table.getByRole('row').nth(1)).toContainText('1.00 MB');
  // "Make rule" opens the editor prefilled from the row.
  await table.getByRole('row').nth(1).getByRole('button', { name: 'Make rule' }).click();
  const editor = page.getByRole('dialog', { name: 'Make rule' });
  await expect(editor.getByRole('combobox', { name: 'App path' })).toHaveValue(CURL);
  await expect(editor.getByRole('textbox', { name: 'Port' })).toHaveValue('8080');
  await editor.getByRole('button', { name: 'Cancel' }).click();
});

test('in a 1280 × 800 window the Connections view shows every column and the Apps view whole names', async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    const table = page.getByRole('table', { name: 'Connections' });
    await expect(table.getByRole('row')).not.toHaveCount(1);
    // No sideways scrolling: the narrow layout (an arrow for the direction, a "+" for Make rule).
    await expect.poll(() => table.evaluate((scroll) => scroll.scrollWidth - scroll.clientWidth)).toBeLessThanOrEqual(0);
    for (const name of ['App', 'Direction', 'Remote address', 'Started', 'Ended']) {
      await expect(table.getByRole('columnheader', { name, exact: true })).toBeInViewport({ ratio: 1 });
    }
    // Direction's header shows no word here: its name is its tooltip, and a click sorts by it.
    const direction = table.getByRole('columnheader', { name: 'Direction', exact: true });
    await expect(direction).toHaveAttribute('title', 'Direction');
    await direction.click();
    await expect(direction).toHaveAttribute('aria-sort', /ascending|descending/);
    const row = table.getByRole('row').nth(1);
    // The direction's word is its arrow's tooltip (and its text for screen readers).
    await expect(row.getByRole('cell').nth(1).getByTitle('Out', { exact: true })).toBeVisible();
    await row.hover();
    const makeRule = row.getByRole('button', { name: 'Make rule' });
    await expect(makeRule).toBeInViewport({ ratio: 1 });
    await makeRule.click();
    const editor = page.getByRole('dialog', { name: 'Make rule' });
    await expect(editor.getByRole('combobox', { name: 'App path' })).toHaveValue(CURL);
    // Closed with Escape, the editor gives the focus back to the button that opened it.
    await page.keyboard.press('Escape');
    await expect(editor).toBeHidden();
    await expect(makeRule).toBeFocused();

    // The Apps view puts the list above the selected app (side by side the names had a few
    // letters): curl's name is whole, and its connections need no sideways scrolling either.
    await page.getByRole('link', { name: 'Apps' }).click();
    const curl = page.getByRole('table', { name: 'Apps' }).getByRole('button', { name: 'curl', exact: true });
    await curl.click();
    await expect
      .poll(() => curl.getByText('curl', { exact: true }).evaluate((name) => name.scrollWidth - name.clientWidth))
      .toBeLessThanOrEqual(0);
    const ofCurl = page.getByRole('table', { name: 'Connections of curl' });
    await expect(ofCurl.getByRole('row')).not.toHaveCount(1);
    await expect
      .poll(() => ofCurl.evaluate((scroll) => scroll.scrollWidth - scroll.clientWidth))
      .toBeLessThanOrEqual(0);
  } finally {
    await page.setViewportSize({ width: 1440, height: 900 });
  }
});

test('the History view reads back from the database what curl did, filtered, with details', async () => {
  await page.getByRole('link', { name: 'History' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'History' })).toBeVisible();
  const table = page.getByRole('table', { name: 'History' });
  const body = table.getByRole('rowgroup').nth(1);
  // The connection to port 8081 was answered Block in the Connections prompt earlier.
  await page.getByRole('radiogroup', { name: 'Verdict' }).getByRole('radio', { name: 'Blocked' }).click();
  // The engine writes the history in batches: Refresh until the batch is in.
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(body.getByRole('row').first()).toContainText('8081', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  for (const row of await body.getByRole('row').all()) await expect(row).toContainText('Blocked');

  await page.getByRole('button', { name: 'More filters' }).click();
  const port = page.getByRole('textbox', { name: 'Remote port' });
  await port.fill('80800');
  await expect(port).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('A port is a number from 0 to 65535')).toBeVisible();
  await port.fill('8080');
  await expect(page.getByText('No connections in this range match.')).toBeVisible();
  await page.getByRole('radiogroup', { name: 'Verdict' }).getByRole('radio', { name: 'All', exact: true }).click();
  await expect(body.getByRole('row').first()).toContainText('8080');
  for (const row of await body.getByRole('row').all()) await expect(row).toContainText('8080');
  await expect(page.getByRole('heading', { level: 2, name: 'History' })).toBeVisible();
  await expect(page.getByText(/\d+ connections? in the last 24 hours/)).toBeVisible();

  // The details of one connection: the process path and the verdict the prompt gave.
  await body.getByRole('row').first().getByRole('button').click();
  const details = page.getByRole('complementary', { name: 'Connection details' });
  await expect(details).toContainText(CURL);
  await expect(details).toContainText('Allowed');
  await expect(details).toContainText(`${net.ipB}:8080`);
  await shoot('ui-history-details');
  await details.getByRole('button', { name: 'Close details' }).click();
  await expect(details).toBeHidden();

  // Export what the filter selects (port 8080): a CSV file in the data directory, said in a toast.
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const toast = page.getByText(/Exported \d+ connections? to \S+\.csv/);
  await expect(toast).toBeVisible();
  const file = /to (\S+\.csv)$/.exec((await toast.textContent()) ?? '')?.[1] ?? '';
  expect(file.startsWith(`${net.dir}/data/exports/`)).toBe(true);
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\r\n');
  expect(lines[0]).toMatch(/^id,started_at,/);
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines.slice(1)) expect(line).toContain(`,${net.ipB},8080,`);
  await page.getByRole('button', { name: 'Clear filters' }).click();
});

test('a setting changed in the Settings view reaches the engine', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const hold = page.getByRole('spinbutton', { name: 'Hold timeout' });
  await expect(hold).toHaveValue('30');
  await hold.fill('25');
  await hold.press('Enter');
  await expect.poll(async () => (await app.call('settings:get')).holdTimeoutSeconds).toBe(25);
  await page.getByRole('combobox', { name: 'Default action' }).selectOption('drop');
  await expect.poll(async () => (await app.call('settings:get')).defaultAction).toBe('drop');
  await page.getByRole('combobox', { name: 'Default action' }).selectOption('block');
  await expect.poll(async () => (await app.call('settings:get')).defaultAction).toBe('block');
  const updates = page.getByRole('switch', { name: 'Check for updates' });
  await expect(updates).toBeChecked();
  await updates.click();
  await expect.poll(async () => (await app.call('settings:get')).checkForUpdates).toBe(false);
  await updates.click();
  await expect.poll(async () => (await app.call('settings:get')).checkForUpdates).toBe(true);

  // The connection log for log shippers: a switch; the file is beside the database, and the next
  // connection (allowed by the first prompt's rule) is in it.
  const connectionLog = page.getByRole('switch', { name: 'Connection log' });
  await expect(connectionLog).not.toBeChecked();
  await connectionLog.click();
  await expect.poll(async () => (await app.call('settings:get')).connectionLog).toBe(true);
  expect(await curl(8080)).toMatchObject({ code: 0, stdout: 'hello from b' });
  const file = `${net.dir}/data/connections.jsonl`;
  await expect
    .poll(async () => (await readFile(file, 'utf8').catch(() => '')).includes('"remote_port":8080'), {
      timeout: 10_000,
    })
    .toBe(true);
  await connectionLog.click();
  await expect.poll(async () => (await app.call('settings:get')).connectionLog).toBe(false);
});

test('a blocklist added in Settings blocks what no rule allows, and counts it', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const card = page.getByRole('region', { name: 'Blocklists' });
  await expect(card).toContainText('No blocklists yet.');
  const file = `${net.dir}/blocklist.txt`;
  await writeFile(file, `# a test list\n0.0.0.0 ads.example.org\n${net.ipB}\n`);
  await card.getByRole('textbox', { name: 'List name' }).fill('Test list');
  await card.getByRole('textbox', { name: 'File path or web address' }).fill(file);
  await card.getByRole('button', { name: 'Add blocklist' }).click();
  await expect(card).toContainText('2 entries');
  // Port 8084 has no rule: refused at once (curl 7: a reset), and nobody is asked.
  expect((await curl(8084)).code).toBe(7);
  expect(await app.call('prompts:list')).toEqual([]);
  // The first prompt's allow rule for 8080 wins over the list.
  expect(await curl(8080)).toMatchObject({ code: 0, stdout: 'hello from b' });
  await card.getByRole('button', { name: 'Check Test list now' }).click();
  await expect(card).toContainText('1 blocked');
  // The Rules view shows the list as a group after the rules, with its hits and its switch.
  await page.getByRole('link', { name: 'Rules' }).click();
  const group = page.getByRole('table', { name: 'Blocklists' });
  const listRow = group.getByRole('row').filter({ hasText: 'Test list' });
  await expect(listRow).toContainText('2 entries');
  await expect(listRow.getByRole('cell').nth(3)).toHaveText('1');
  await listRow.getByRole('switch', { name: 'Use Test list' }).click();
  await expect.poll(async () => (await app.call('blocklists:list'))[0]?.enabled).toBe(false);
  await listRow.getByRole('switch', { name: 'Use Test list' }).click();
  await expect.poll(async () => (await app.call('blocklists:list'))[0]?.enabled).toBe(true);
  await page.getByRole('link', { name: 'Settings' }).click();
  await card.getByRole('button', { name: 'Remove Test list' }).click();
  await expect(card).toContainText('No blocklists yet.');
});

test('the DNS log shows which app asked for which name and what it got', async () => {
  const lookup = (name: string): Promise<RunResult> =>
    net.run(
      net.a,
      PYTHON,
      ['-c', `import socket\ntry:\n print(socket.gethostbyname('${name}'))\nexcept OSError as e:\n print('error', e)`],
      25_000,
    );
  // The query itself is a new connection: python is asked about, and allowed.
  const first = lookup('files.zf.test');
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog.getByRole('heading', { level: 2 })).toHaveText(/on UDP port 53$/, { timeout: 10_000 });
  const allow = dialog.getByRole('button', { name: 'Allow', exact: true });
  await expect(allow).toBeEnabled();
  await allow.click();
  expect((await first).stdout.trim()).toBe(net.ipB);
  expect((await lookup('missing.zf.test')).stdout).toMatch(/^error/);

  await page.getByRole('link', { name: 'DNS log' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'DNS log' })).toBeVisible();
  const table = page.getByRole('table', { name: 'DNS log' });
  const missing = table.getByRole('row').filter({ hasText: 'missing.zf.test' });
  // Written in batches once a second: Refresh until it is in.
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(missing).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(missing).toContainText('No such name');
  const found = table.getByRole('row').filter({ hasText: 'files.zf.test' });
  await expect(found).toContainText(net.ipB);
  // The asker, from the query's socket.
  await expect(found).toContainText(path.basename(PYTHON));

  await page.getByRole('radiogroup', { name: 'Outcome' }).getByRole('radio', { name: 'No such name' }).click();
  await expect(found).toHaveCount(0);
  await expect(missing).toHaveCount(1);
  await missing.getByRole('button').first().click();
  const details = page.getByRole('complementary', { name: 'Answer details' });
  await expect(details).toContainText(PYTHON);
  await expect(details).toContainText('NXDOMAIN');
  await expect(details).toContainText(net.ipB);
  await shoot('ui-dns-log-details');
  await details.getByRole('button', { name: 'Close details' }).click();
  await page.getByRole('radiogroup', { name: 'Outcome' }).getByRole('radio', { name: 'All' }).click();

  // "Keep DNS history" off asks first, then deletes what was kept; on again, it logs again.
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('switch', { name: 'Keep DNS history' }).click();
  await page
    .getByRole('group', { name: /^Turn off DNS history and delete/ })
    .getByRole('button', { name: 'Turn off and delete' })
    .click();
  await expect.poll(async () => (await app.call('settings:get')).keepDnsHistory).toBe(false);
  const everything = { since: 0, until: Date.now() + 86_400_000 };
  expect(await app.call('dns:count', everything)).toEqual({ count: 0, capped: false });
  await page.getByRole('link', { name: 'DNS log' }).click();
  await expect(page.getByText(/^DNS history is off/)).toBeVisible();
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('switch', { name: 'Keep DNS history' }).click();
  await expect.poll(async () => (await app.call('settings:get')).keepDnsHistory).toBe(true);
});

test('every view, light and dark', async () => {
  // Something for the Logs view and the status bar: a pause, shown with its resume time.
  await page.getByRole('button', { name: 'Filtering mode' }).click();
  await page.getByRole('menuitem', { name: /Pause for 5 minutes/ }).click();
  await expect(page.getByRole('button', { name: 'Filtering mode' })).toContainText(/Paused until \d\d:\d\d/);
  for (const view of VIEWS) {
    await page.getByRole('link', { name: view }).click();
    await expect(page.getByRole('heading', { level: 2, name: view })).toBeVisible();
    await shoot(`ui-${view.toLowerCase().replaceAll(' ', '-')}`);
  }
  await page.getByRole('button', { name: 'Filtering mode' }).click();
  await page.getByRole('menuitem', { name: /Resume now/ }).click();
  await expect(page.getByRole('button', { name: 'Filtering mode' })).toContainText('Ask');
  expect(pageErrors).toEqual([]);
});
