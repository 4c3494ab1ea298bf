import type { ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { policyFileArgs } from './support/daemon-args.ts';
import { DAEMON, Headless } from './support/headless-client.ts';
import { needsRoot, type RunResult, stopChild, TestNet, waitFor } from './support/test-net.ts';

// The remaining scenarios of the desktop UI on real traffic: Debian Chromium against headless
// mode, the real engine and a real zenithfenced in network namespaces, with curl and Python as
// the clients. The page is driven by role and name only; the contract is used to set up
// (a short hold timeout) and to check that no prompt was raised where none should be.
test.describe.configure({ mode: 'serial' });

const CURL = realpathSync('/usr/bin/curl');
const PYTHON = realpathSync('/usr/bin/python3');
const FIVE_MB = 5_000_000;
const PARALLEL = 50;

let net: TestNet;
let daemon: ChildProcess;
let app: Headless;
let page: Page;
let dataDir: string;
let restarts = 0;
const pageErrors: string[] = [];

/** Starts zenithfenced in `a` on a fresh socket (a restart must not see the old one). */
async function startDaemon(): Promise<string> {
  const socket = path.join(net.dir, `driver-${restarts}.sock`);
  const queue = String(3000 + (process.pid % 1000));
  daemon = net.start(net.a, DAEMON, ['--socket', socket, '--queue', queue, ...policyFileArgs(DAEMON, net.dir)]);
  await waitFor(() => Promise.resolve(existsSync(socket)), 10_000, 'the zenithfenced socket');
  return socket;
}

/** Starts headless mode on `socket`, waits for the driver, and opens its URL in the page. */
async function startHeadless(socket: string): Promise<void> {
  app = await Headless.start(net, ['--driver-socket', socket, '--data-dir', dataDir]);
  await waitFor(async () => (await app.call('status:get')).driver === 'connected', 10_000, 'the driver connection');
  await page.goto(app.url);
  await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Driver connected');
}

test.beforeAll(async ({ browser }) => {
  test.skip(needsRoot() === 'skip', 'root tests skipped knowingly (ZF_SKIP_ROOT_TESTS=1)');
  net = new TestNet('us');
  dataDir = `${net.dir}/data`;
  await net.httpServer(8080, { 'index.html': 'many hello' });
  await net.httpServer(8081, { 'index.html': 'answered late', 'big.bin': Buffer.alloc(FIVE_MB, 7) });
  await net.httpServer(8082, { 'index.html': 'forever yes' });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await startHeadless(await startDaemon());
});

test.afterAll(async () => {
  await page?.close();
  app?.close();
  await net?.close();
});

/** curl in namespace a, started now and awaited later. */
function curl(port: number, file = '', extra: readonly string[] = []): Promise<RunResult> {
  return net.run(net.a, 'curl', ['-s', '--max-time', '15', ...extra, `http://${net.ipB}:${port}/${file}`], 20_000);
}

function dialog(): ReturnType<Page['getByRole']> {
  return page.getByRole('dialog', { name: 'Connection request' });
}

test('50 parallel connections of one app give one prompt, and one Allow releases them all', async () => {
  // 50 sockets at once, each with its own source port, all to b:8080; prints how many connected.
  const script = [
    'import socket, sys, threading',
    'ok = []',
    'def go():',
    '    s = socket.create_connection((sys.argv[1], 8080), timeout=15)',
    '    ok.append(s)',
    `threads = [threading.Thread(target=go) for _ in range(${PARALLEL})]`,
    '[t.start() for t in threads]',
    '[t.join() for t in threads]',
    'print(len(ok), len({s.getsockname()[1] for s in ok}))',
  ].join('\n');
  const run = net.run(net.a, PYTHON, ['-c', script, net.ipB], 20_000);
  await waitFor(
    async () => (await app.call('prompts:list')).some((g) => g.prompts.some((p) => p.held === PARALLEL)),
    10_000,
    `${PARALLEL} held connections`,
  );
  const groups = await app.call('prompts:list');
  expect(groups).toHaveLength(1);
  expect(groups[0]?.appPath).toBe(PYTHON);
  expect(groups[0]?.count).toBe(PARALLEL);
  expect(groups[0]?.prompts).toHaveLength(1);

  await expect(dialog()).toBeVisible({ timeout: 10_000 });
  await expect(dialog().getByRole('heading', { level: 2 })).toContainText(`on TCP port 8080`);
  await expect(dialog()).toContainText(`${PARALLEL} connections, ${PARALLEL} waiting`);
  await expect(page.getByRole('button', { name: '1 pending prompt' })).toBeVisible();
  const allow = dialog().getByRole('button', { name: 'Allow', exact: true });
  await expect(allow).toBeEnabled();
  await allow.click();
  expect(await run).toMatchObject({ code: 0, stdout: `${PARALLEL} ${PARALLEL}\n` });
  await expect(dialog()).toBeHidden();
  await expect(page.getByRole('button', { name: 'No pending prompts' })).toBeVisible();
  expect(await app.call('prompts:list')).toEqual([]);
});

test('a prompt left alone times out to the default action, shows in the inbox, and its late answer counts', async () => {
  await app.call('settings:set', { holdTimeoutSeconds: 2, defaultAction: 'block' });
  const fetch = curl(8081);
  await expect(dialog()).toBeVisible({ timeout: 10_000 });
  await expect(dialog().getByRole('heading', { level: 2 })).toHaveText(
    `curl wants to connect to ${net.ipB} on TCP port 8081`,
  );
  // Nobody answers: the default action (block) after two seconds, so curl is refused (7), long
  // before its own limit would end it (28).
  const result = await fetch;
  expect(result.code).toBe(7);
  // The prompt stays, now in the inbox: nothing is held, the dialog says what was applied.
  await expect(dialog().getByRole('status')).toContainText(/Timed out at .+: Block was applied\./, {
    timeout: 5_000,
  });
  await expect(dialog()).toContainText('Your answer decides the next connections.');
  const [group] = await app.call('prompts:list');
  expect(group?.appPath).toBe(CURL);
  expect(group?.prompts[0]).toMatchObject({ held: 0, holdDeadline: null, remotePort: 8081 });
  await expect(page.getByRole('button', { name: '1 pending prompt' })).toBeVisible();

  // Answered later (Forever): the rule decides the retry without a new prompt.
  await app.call('settings:set', { holdTimeoutSeconds: 30 });
  await dialog().getByRole('button', { name: 'Allow', exact: true }).click();
  await expect(dialog()).toBeHidden();
  await expect(page.getByRole('button', { name: 'No pending prompts' })).toBeVisible();
  expect(await curl(8081)).toMatchObject({ code: 0, stdout: 'answered late' });
  expect(await app.call('prompts:list')).toEqual([]);
  await expect(dialog()).toBeHidden();
});

test('after a 5 MB download the Apps view shows about 5 MB for curl', async () => {
  // curl -> b:8081 is allowed by the rule the late answer above made.
  const download = await curl(8081, 'big.bin', ['-o', '/dev/null']);
  expect(download.code).toBe(0);
  expect(await app.call('prompts:list')).toEqual([]);
  await page.getByRole('link', { name: 'Apps' }).click();
  const apps = page.getByRole('table', { name: 'Apps' });
  const row = apps.getByRole('row').filter({ has: page.getByRole('button', { name: 'curl', exact: true }) });
  const received = row.getByRole('cell').nth(3);
  await expect(received).toHaveText(/^5\.\d\d MB$/, { timeout: 10_000 });
  const megabytes = Number.parseFloat((await received.textContent()) ?? '');
  // The file plus the two small page fetches and HTTP headers: within a few percent of 5 MB.
  expect(megabytes).toBeGreaterThanOrEqual(5);
  expect(megabytes).toBeLessThan(5 * 1.03);
});

test('a Forever rule survives a restart of headless mode and zenithfenced', async () => {
  const fetch = curl(8082);
  await expect(dialog()).toBeVisible({ timeout: 10_000 });
  await expect(dialog().getByRole('heading', { level: 2 })).toHaveText(
    `curl wants to connect to ${net.ipB} on TCP port 8082`,
  );
  await expect(dialog().getByRole('combobox', { name: 'Duration' })).toHaveValue('forever');
  await dialog().getByRole('button', { name: 'Allow', exact: true }).click();
  expect(await fetch).toMatchObject({ code: 0, stdout: 'forever yes' });
  await expect(dialog()).toBeHidden();

  // Stop both (SIGTERM, as a service manager does), then start both on the same data directory.
  app.close();
  expect(await stopChild(app.process, 10_000)).toBe(0);
  expect(await stopChild(daemon, 10_000)).toBe(0);
  restarts += 1;
  await startHeadless(await startDaemon());

  expect(await curl(8082)).toMatchObject({ code: 0, stdout: 'forever yes' });
  expect(await app.call('prompts:list')).toEqual([]);
  await expect(dialog()).toBeHidden();
  await page.getByRole('link', { name: 'Rules' }).click();
  const rules = page.getByRole('table', { name: 'Rules' });
  const row = rules.getByRole('row').filter({ hasText: '8082' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(net.ipB);
  await expect(row).toContainText('Allow');
  expect(pageErrors).toEqual([]);
});
