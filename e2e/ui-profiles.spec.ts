import { expect, type Locator, type Page, test } from '@playwright/test';
import { RENDERER_ORIGIN, serveBuiltRenderer } from './fixtures/renderer-origin.ts';
import { busyScene, FakeEngine } from './support/fake-engine.ts';

// Network profiles through the Electron preload path, with the stand-in engine's profiles
// (support/fake-profiles.ts: Home, Public and Work; on Home Wi-Fi, given Home; an office network
// given Work and a hotel given Public seen before). Role and name selectors only. The engine's
// own profile behaviour is tested in app/engine.

const SHOTS = 'test-results/screenshots';

async function open(page: Page, engine: FakeEngine, { keepPrompts = false } = {}): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await engine.install(page.context());
  await serveBuiltRenderer(page.context());
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${RENDERER_ORIGIN}/`);
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  await expect(dialog).toBeVisible();
  // The busy scene comes with pending prompts: put them aside unless the test answers them.
  if (!keepPrompts) {
    await dialog.getByRole('button', { name: 'Later' }).click();
    await expect(dialog).toBeHidden();
  }
  return errors;
}

/** The status bar's profile menu button (its text: "Profile: Home", and a badge when there is one). */
function profileButton(page: Page): Locator {
  return page.getByRole('contentinfo', { name: 'Status' }).getByRole('button', { name: 'Network profile' });
}

async function chooseInProfileMenu(
  page: Page,
  item: { role: 'menuitemradio' | 'menuitem'; name: string },
): Promise<void> {
  await profileButton(page).click();
  await page
    .getByRole('menu', { name: 'Network profile' })
    .getByRole(item.role, { name: item.name, exact: true })
    .click();
}

test('the status bar switches profiles, pins one and follows the network again', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  const button = profileButton(page);
  await expect(button).toHaveText(/Profile: Home$/);
  // Why it is active, in the tooltip.
  await expect(page.getByTitle('Home: the profile you gave ‘Home Wi-Fi’.')).toBeVisible();

  await button.click();
  const menu = page.getByRole('menu', { name: 'Network profile' });
  // The active one is checked (its text starts with the check mark).
  await expect(menu.getByRole('menuitemradio')).toHaveText([/Home$/, /^Public$/, /^Work$/]);
  await expect(menu.getByRole('menuitemradio', { name: 'Home' })).toHaveAttribute('aria-checked', 'true');
  await expect(menu.getByRole('menuitem')).toHaveText(['Pin Home']);
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${SHOTS}/preload-profile-menu-${scheme}.png`, animations: 'disabled' });
  }
  await menu.getByRole('menuitemradio', { name: 'Work' }).click();
  await expect(menu).toBeHidden();
  // Switched until the network changes: nothing pinned, and the way back is offered.
  await expect(button).toHaveText(/Profile: Work$/);
  expect(engine.callsOf('profiles:activate')).toEqual([{ id: 'work', pin: false }]);
  await button.click();
  await expect(menu.getByRole('menuitem')).toHaveText(['Pin Work', 'Follow network']);
  await page.keyboard.press('Escape');

  await chooseInProfileMenu(page, { role: 'menuitem', name: 'Pin Work' });
  await expect(button).toHaveText(/Profile: Workpinned$/);
  await expect(page.getByTitle(/^Work: pinned/)).toBeVisible();
  expect(engine.callsOf('profiles:activate').at(-1)).toEqual({ id: 'work', pin: true });
  // While pinned, another choice stays pinned.
  await chooseInProfileMenu(page, { role: 'menuitemradio', name: 'Public' });
  await expect(button).toHaveText(/Profile: Publicpinned$/);
  expect(engine.callsOf('profiles:activate').at(-1)).toEqual({ id: 'public', pin: true });

  await chooseInProfileMenu(page, { role: 'menuitem', name: 'Follow network' });
  await expect(button).toHaveText(/Profile: Home$/);
  expect(engine.callsOf('profiles:unpin')).toHaveLength(1);
  expect(errors).toEqual([]);
});

test('a new network is asked about: the strictest profile applies until the answer', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  const question = page.getByRole('dialog', { name: 'New network' });
  await expect(question).toHaveCount(0);

  await engine.joinNetwork(page, {
    label: 'Café Wi-Fi',
    facts: { ssid: 'Café Wi-Fi', gatewayIp: '192.168.7.1', gatewayMac: '02:00:5e:10:20:30', epoch: 2 },
  });
  await expect(question).toBeVisible();
  await expect(question).toContainText('You joined ‘Café Wi-Fi’. Treat it as:');
  await expect(question).toContainText('Until you answer, the strictest profile (Public) applies.');
  await expect(question.getByRole('button')).toHaveText(['Home', 'Public', 'Work']);
  await expect(profileButton(page)).toHaveText(/Profile: Publicunknown network$/);
  // Not modal: the window stays usable while the question waits.
  await page.getByRole('link', { name: 'Rules' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Rules' })).toBeVisible();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${SHOTS}/preload-network-question-${scheme}.png`, animations: 'disabled' });
  }

  await question.getByRole('button', { name: 'Work' }).click();
  await expect(question).toBeHidden();
  await expect(profileButton(page)).toHaveText(/Profile: Work$/);
  expect(engine.callsOf('networks:assign')).toEqual([{ key: '02:00:5e:10:20:30', profileId: 'work' }]);

  // The Profiles view knows the network now, with its profile.
  await page.getByRole('link', { name: 'Profiles' }).click();
  await expect(page.getByRole('combobox', { name: 'Profile for Café Wi-Fi' })).toHaveValue('work');
  expect(errors).toEqual([]);
});

test('a profile’s mode and no-app action are edited; the active one’s mode is the mode in force', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  await page.getByRole('link', { name: 'Profiles' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Profiles' })).toBeVisible();
  const table = page.getByRole('table', { name: 'Profiles' });
  await expect(table.getByRole('rowheader')).toHaveText([/^HomeActiveBuilt-in$/, /^PublicBuilt-in$/, /^WorkBuilt-in$/]);
  // The office network has Work, which has the one rule for the office's servers.
  const work = table.getByRole('row', { name: /Work/ }).getByRole('cell');
  await expect(work.nth(2)).toHaveText('1');
  await expect(work.nth(3)).toHaveText('1');
  // Built-ins are never deleted.
  await expect(table.getByRole('button', { name: /^Delete / })).toHaveCount(0);

  const status = page.getByRole('contentinfo', { name: 'Status' });
  await expect(status.getByRole('button', { name: 'Filtering mode' })).toHaveText(/Mode: Ask/);
  await page.getByRole('combobox', { name: 'Mode of Home' }).selectOption({ label: 'Block all' });
  await expect(status.getByRole('button', { name: 'Filtering mode' })).toHaveText(/Mode: Block all/);
  expect(engine.callsOf('profiles:update')).toEqual([{ id: 'home', patch: { mode: 'block-all' } }]);
  // Another profile's mode changes nothing in force.
  await page.getByRole('combobox', { name: 'Mode of Work' }).selectOption({ label: 'Allow all' });
  await page.getByRole('combobox', { name: 'While ZenithFence is closed, Work' }).selectOption('drop');
  await expect(page.getByRole('combobox', { name: 'While ZenithFence is closed, Work' })).toHaveValue('drop');
  await expect(status.getByRole('button', { name: 'Filtering mode' })).toHaveText(/Mode: Block all/);
  expect(engine.callsOf('profiles:update').slice(1)).toEqual([
    { id: 'work', patch: { mode: 'allow-all' } },
    { id: 'work', patch: { noAppAction: 'drop' } },
  ]);

  // Renamed in place; the status bar follows.
  await page.getByRole('button', { name: 'Rename Home' }).click();
  const name = page.getByRole('textbox', { name: 'Name of Home' });
  await name.fill('work');
  await name.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'There is a profile named Work already.' })).toBeVisible();
  await name.fill('Flat');
  await name.press('Enter');
  await expect(table.getByRole('rowheader').first()).toHaveText(/^FlatActive/);
  await expect(profileButton(page)).toHaveText(/Profile: Flat$/);

  // The known networks with what the OS said about them; Forget drops one.
  const networks = page.getByRole('table', { name: 'Known networks' });
  await expect(networks.getByRole('row', { name: /Home Wi-Fi/ }).getByRole('cell')).toHaveText([
    'wlan0',
    '192.168.1.1',
    'a4:2b:b0:11:22:33',
    'lan',
    'Home Wi-Fi',
    'Off',
    /ago|just now/,
    /Flat/,
    'Forget',
  ]);
  await expect(networks.getByRole('row', { name: /Hotel Guest/ })).toContainText('On');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${SHOTS}/preload-profiles-${scheme}.png`, animations: 'disabled' });
  }
  await page.getByRole('button', { name: 'Forget Hotel Guest' }).click();
  await expect(networks.getByRole('row', { name: /Hotel Guest/ })).toHaveCount(0);
  expect(engine.callsOf('networks:forget')).toEqual([{ key: '3c:5a:b4:00:00:01' }]);
  expect(errors).toEqual([]);
});

test('a profile the user adds gets rules of its own; deleting it asks first and takes its rules', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  await page.getByRole('link', { name: 'Profiles' }).click();
  await page.getByRole('textbox', { name: 'New profile name' }).fill('Café');
  await page.getByRole('button', { name: 'Add profile' }).click();
  const table = page.getByRole('table', { name: 'Profiles' });
  await expect(table.getByRole('rowheader')).toHaveText([/^Home/, /^Public/, /^Work/, 'Café']);
  expect(engine.callsOf('profiles:create')).toEqual([{ name: 'Café', mode: 'ask', noAppAction: 'block' }]);

  // A rule made in the Café profile says so in the Rules view, and the filter finds it.
  await page.getByRole('link', { name: 'Rules' }).click();
  await page.getByRole('button', { name: 'New rule' }).click();
  const editor = page.getByRole('dialog', { name: 'New rule' });
  await editor.getByRole('combobox', { name: 'Destination' }).selectOption({ label: 'Host name' });
  await editor.getByRole('textbox', { name: 'Host name' }).fill('menu.example.net');
  const appliesIn = editor.getByRole('combobox', { name: 'Applies in' });
  await expect(appliesIn).toHaveValue('');
  await expect(appliesIn.getByRole('option')).toHaveText([
    'Always (every profile)',
    'Only in Home',
    'Only in Public',
    'Only in Work',
    'Only in Café',
  ]);
  await appliesIn.selectOption({ label: 'Only in Café' });
  await editor.getByRole('button', { name: 'Create rule' }).click();
  await expect(editor).toBeHidden();
  const rules = page.getByRole('table', { name: 'Rules' });
  await expect(rules.getByRole('columnheader', { name: 'Profile' })).toBeVisible();
  await expect(rules.getByRole('row', { name: /menu\.example\.net/ })).toContainText('Café');
  await expect(rules.getByRole('row', { name: /Local network/ })).toContainText('Always');
  await expect(rules.getByRole('row', { name: /10\.0\.0\.0\/8/ })).toContainText('Work');
  const filter = page.getByRole('combobox', { name: 'Profile' });
  await filter.selectOption({ label: 'Only in Café' });
  await expect(rules.getByRole('row').filter({ hasNot: page.getByRole('columnheader') })).toHaveCount(1);
  await filter.selectOption({ label: 'Always on' });
  // Six rules in the scene, one of them Work's.
  await expect(rules.getByRole('row').filter({ hasNot: page.getByRole('columnheader') })).toHaveCount(5);
  await filter.selectOption({ label: 'All profiles' });

  // Deleting asks, says the rules go too; Cancel keeps everything.
  await page.getByRole('link', { name: 'Profiles' }).click();
  await page.getByRole('button', { name: 'Delete Café' }).click();
  const confirm = page.getByRole('group', { name: /^Delete Café and its 1 rule\?/ });
  await expect(confirm).toContainText('asked about again');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toBeHidden();
  expect(engine.callsOf('profiles:delete')).toEqual([]);
  await page.getByRole('button', { name: 'Delete Café' }).click();
  await confirm.getByRole('button', { name: 'Delete profile and its rules' }).click();
  await expect(table.getByRole('rowheader')).toHaveCount(3);
  await expect(page.getByText('Deleted Café and its 1 rule.')).toBeVisible();
  await page.getByRole('link', { name: 'Rules' }).click();
  await expect(rules.getByRole('row', { name: /menu\.example\.net/ })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a lasting prompt answer can be kept to the active profile', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine, { keepPrompts: true });
  const dialog = page.getByRole('dialog', { name: 'Connection request' });
  const onlyHere = dialog.getByRole('checkbox', { name: 'Only in Home' });
  await expect(onlyHere).not.toBeChecked();
  // 'Once' makes no rule: nothing to keep to a profile.
  await dialog.getByRole('combobox', { name: 'Duration' }).selectOption({ label: 'Once' });
  await expect(onlyHere).toBeDisabled();
  await dialog.getByRole('combobox', { name: 'Duration' }).selectOption({ label: 'Forever' });
  await onlyHere.check();
  const allow = dialog.getByRole('button', { name: 'Allow', exact: true });
  await expect(allow).toBeEnabled({ timeout: 2000 });
  await allow.click();
  await expect.poll(() => engine.callsOf('prompts:answer')).toHaveLength(1);
  expect(engine.callsOf('prompts:answer')[0]).toMatchObject({ promptId: 'p1', action: 'allow', profile: 'home' });

  // The next prompt starts with it off again: an always-on rule is the default.
  await expect(dialog.getByRole('checkbox', { name: 'Only in Home' })).not.toBeChecked();
  await expect(dialog.getByRole('button', { name: 'Block', exact: true })).toBeEnabled({ timeout: 2000 });
  await dialog.getByRole('button', { name: 'Block', exact: true }).click();
  await expect.poll(() => engine.callsOf('prompts:answer')).toHaveLength(2);
  expect(engine.callsOf('prompts:answer')[1]).not.toHaveProperty('profile');
  expect(errors).toEqual([]);
});
