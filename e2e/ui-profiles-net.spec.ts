import { realpathSync } from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { DAEMON, Headless } from './support/headless-client.ts';
import { openRealUi } from './support/real-ui.ts';
import { needsRoot, type RunResult, TestNet, waitFor } from './support/test-net.ts';

// Profiles on real networks: the UI in Chromium against headless mode, the real engine and a
// real zenithfenced in namespace a, which has two "networks": gateway b and gateway c, told
// apart by their MACs. Joining a network is what DHCP does: the default route changes (`ip route
// replace default via ...`); the daemon sees it on netlink and reports it in stream order.
test.describe.configure({ mode: 'serial' });

const CURL = realpathSync('/usr/bin/curl');
const PYTHON = realpathSync('/usr/bin/python3');
/** The ports of b's servers the learning test's two apps connect to. */
const LEARN_PORTS = [8091, 8092, 8093, 8094, 8095] as const;

let net: TestNet;
let app: Headless;
let page: Page;
let home: { ns: string; gateway: string; mac: string };
let cafe: { ns: string; gateway: string; mac: string };
const pageErrors: string[] = [];

test.beforeAll(async ({ browser }) => {
  test.skip(needsRoot() === 'skip', 'root tests skipped knowingly (ZF_SKIP_ROOT_TESTS=1)');
  net = new TestNet('pn');
  home = net.addNetwork(0);
  cafe = net.addNetwork(1);
  net.useGateway(home.gateway);
  await net.httpServer(8090, { 'index.html': 'files at home' });
  for (const port of LEARN_PORTS) await net.httpServer(port, { 'index.html': `port ${String(port)}` });
  const socket = await net.daemon(DAEMON);
  app = await Headless.connected(net, socket);
  page = await openRealUi(browser, app, pageErrors);
});

test.afterAll(async () => {
  await page?.close();
  app?.close();
  await net?.close();
});

/** curl in namespace a to b's server (reachable on its own link whatever the default route). */
function curl(): Promise<RunResult> {
  return net.run(net.a, 'curl', ['-s', '--max-time', '5', `http://${net.ipB}:8090/`], 10_000);
}

/** python3 in namespace a fetching b's page on `port` (a second app, for learning). */
function python(port: number): Promise<RunResult> {
  const fetch = 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())';
  return net.run(net.a, PYTHON, ['-c', fetch, `http://${net.ipB}:${String(port)}/`], 10_000);
}

function curlTo(port: number): Promise<RunResult> {
  return net.run(net.a, 'curl', ['-s', '--max-time', '5', `http://${net.ipB}:${String(port)}/`], 10_000);
}

function profileButton(): Locator {
  return page.getByRole('contentinfo', { name: 'Status' }).getByRole('button', { name: 'Network profile' });
}

/** Creates a rule for curl to b:8090 in the Rules view, in `profile` only. */
async function curlRule(action: 'Allow' | 'Block', profile: string): Promise<void> {
  await page.getByRole('link', { name: 'Rules' }).click();
  await page.getByRole('button', { name: 'New rule' }).click();
  const editor = page.getByRole('dialog', { name: 'New rule' });
  await editor.getByRole('combobox', { name: 'App path' }).fill(CURL);
  await editor.getByRole('combobox', { name: 'Destination' }).selectOption({ label: 'IP address' });
  await editor.getByRole('textbox', { name: 'IP address' }).fill(net.ipB);
  await editor.getByRole('textbox', { name: 'Port' }).fill('8090');
  await editor.getByRole('combobox', { name: 'Protocol' }).selectOption({ label: 'TCP' });
  await editor.getByRole('combobox', { name: 'Action' }).selectOption({ label: action });
  await editor.getByRole('combobox', { name: 'Applies in' }).selectOption({ label: `Only in ${profile}` });
  await editor.getByRole('button', { name: 'Create rule' }).click();
  await expect(editor).toBeHidden();
}

test('the first network asks once; the answer switches the profile and its rule decides', async () => {
  const question = page.getByRole('dialog', { name: 'New network' });
  await expect(question).toBeVisible({ timeout: 10_000 });
  await expect(question).toContainText(`veth0 via ${net.ipB}`);
  // Until answered, the strictest profile.
  await expect(profileButton()).toHaveText(/Profile: Public/);
  await question.getByRole('button', { name: 'Home' }).click();
  await expect(question).toBeHidden();
  await expect(profileButton()).toHaveText(/Profile: Home$/);
  await curlRule('Allow', 'Home');
  await curlRule('Block', 'Public');
  expect(await curl()).toMatchObject({ code: 0, stdout: 'files at home' });
  expect(await app.call('prompts:list')).toEqual([]);
});

test('joining a second network switches to Public, whose rule blocks what Home allows', async () => {
  net.useGateway(cafe.gateway);
  const question = page.getByRole('dialog', { name: 'New network' });
  await expect(question).toBeVisible({ timeout: 10_000 });
  await expect(question).toContainText(`via ${cafe.gateway}`);
  await expect(profileButton()).toHaveText(/Profile: Public/);
  await question.getByRole('button', { name: 'Public' }).click();
  await expect(question).toBeHidden();
  // Blocked by Public's rule (a refusal: curl's exit 7), with no prompt.
  expect((await curl()).code).toBe(7);
  expect(await app.call('prompts:list')).toEqual([]);
  const known = await app.call('networks:list');
  expect(known.map((n) => [n.facts.gatewayMac, n.profileId]).sort()).toEqual([
    [home.mac, 'home'],
    [cafe.mac, 'public'],
  ]);
});

test('back on the first network, Home applies again without asking, and the driver enforces it', async () => {
  net.useGateway(home.gateway);
  await expect(profileButton()).toHaveText(/Profile: Home$/, { timeout: 10_000 });
  await expect(page.getByRole('dialog', { name: 'New network' })).toBeHidden();
  expect(await curl()).toMatchObject({ code: 0, stdout: 'files at home' });
  // The policy the driver holds is Home's (its rules decide while the app is closed too).
  await waitFor(async () => (await app.call('status:get')).policy.state === 'enforced', 5_000, 'the policy');
  expect(pageErrors).toEqual([]);
});

test('learning allows and records 20 connections of two apps; the review keeps one app and discards the other', async () => {
  const status = page.getByRole('contentinfo', { name: 'Status' });
  await status.getByRole('button', { name: 'Learning', exact: true }).click();
  await page
    .getByRole('menu', { name: 'Learning' })
    .getByRole('menuitem', { name: /^Learn for 15 minutes/ })
    .click();
  await expect(status.getByRole('button', { name: 'Learning', exact: true })).toHaveText(/^Learning until \d\d:\d\d/);

  // Ten connections each, two to every port: allowed at once, no prompt.
  for (const port of [...LEARN_PORTS, ...LEARN_PORTS]) {
    expect(await curlTo(port)).toMatchObject({ code: 0, stdout: `port ${String(port)}` });
    expect(await python(port)).toMatchObject({ code: 0, stdout: `port ${String(port)}\n` });
  }
  expect(await app.call('prompts:list')).toEqual([]);
  const inbox = page.getByRole('region', { name: 'Learned connections' });
  await expect(inbox).toContainText('20 connections of 2 apps');
  await inbox.getByRole('button', { name: 'Review' }).click();

  const curlGroup = page.getByRole('region', { name: 'curl' });
  const pythonGroup = page.getByRole('region', { name: PYTHON.split('/').pop() ?? 'python3' });
  await expect(curlGroup.getByRole('rowheader')).toHaveCount(LEARN_PORTS.length);
  await expect(pythonGroup.getByRole('rowheader')).toHaveCount(LEARN_PORTS.length);
  await curlGroup.getByRole('button', { name: 'Keep all' }).click();
  await pythonGroup.getByRole('button', { name: 'Discard all' }).click();
  await page.getByRole('button', { name: 'Apply 10 decisions' }).click();
  await expect(page.getByText('Kept 5 rules; discarded 5 proposals.')).toBeVisible();
  await status.getByRole('button', { name: 'Learning', exact: true }).click();
  await page.getByRole('menu', { name: 'Learning' }).getByRole('menuitem', { name: 'Stop learning' }).click();
  await expect(status.getByRole('button', { name: 'Learning', exact: true })).toHaveText(/^Learn\b/);

  // Kept: curl is decided by its rules, without a prompt. Discarded: python3 is asked again.
  for (const port of LEARN_PORTS) expect(await curlTo(port)).toMatchObject({ code: 0, stdout: `port ${String(port)}` });
  expect(await app.call('prompts:list')).toEqual([]);
  const asked = python(LEARN_PORTS[0]);
  const prompt = page.getByRole('dialog', { name: 'Connection request' });
  await expect(prompt.getByRole('heading', { level: 2 })).toHaveText(
    `${PYTHON.split('/').pop() ?? 'python3'} wants to connect to ${net.ipB} on TCP port ${String(LEARN_PORTS[0])}`,
    { timeout: 10_000 },
  );
  await prompt.getByRole('button', { name: 'Block', exact: true }).click();
  expect((await asked).code).not.toBe(0);
  expect(pageErrors).toEqual([]);
});
