import { realpathSync } from 'node:fs';
import { expect, type Locator, type Page, test } from '@playwright/test';
import { DAEMON, Headless } from './support/headless-client.ts';
import { needsRoot, type RunResult, TestNet, waitFor } from './support/test-net.ts';

// Profiles on real networks: the UI in Chromium against headless mode, the real engine and a
// real zenithfenced in namespace a, which has two "networks": gateway b and gateway c, told
// apart by their MACs. Joining a network is what DHCP does: the default route changes (`ip route
// replace default via ...`); the daemon sees it on netlink and reports it in stream order.
test.describe.configure({ mode: 'serial' });

const CURL = realpathSync('/usr/bin/curl');

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
  const socket = await net.daemon(DAEMON);
  app = await Headless.start(net, ['--driver-socket', socket, '--data-dir', `${net.dir}/data`]);
  await waitFor(async () => (await app.call('status:get')).driver === 'connected', 10_000, 'the driver connection');
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(app.url);
  await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Driver connected');
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
