import { expect, type Locator, type Page, test } from '@playwright/test';
import { RENDERER_ORIGIN, serveBuiltRenderer } from './fixtures/renderer-origin.ts';
import { busyScene, FakeEngine } from './support/fake-engine.ts';
import type { LearnedConnection } from './support/fake-learning.ts';

// Learning through the Electron preload path, with the stand-in engine's learning
// (support/fake-learning.ts): start and stop it, what the status bar and the inbox say, the
// review per app (keep, narrow, discard; Apply), and per-app learning and "Always ask". Role
// and name selectors only. The engine's own learning is tested in app/engine and app/runtime.

const SHOTS = 'test-results/screenshots';

// 24-hour clock times, so a test can say which time the window shows.
test.use({ locale: 'en-GB' });

async function open(page: Page, engine: FakeEngine): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await engine.install(page.context());
  await serveBuiltRenderer(page.context());
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${RENDERER_ORIGIN}/`);
  await expect(status(page)).toContainText('Driver connected');
  return errors;
}

function status(page: Page): Locator {
  return page.getByRole('contentinfo', { name: 'Status' });
}

/** The status bar's learning menu button ("Learn", "Learning until 14:32", and a badge). */
function learningButton(page: Page): Locator {
  return status(page).getByRole('button', { name: 'Learning', exact: true });
}

async function chooseInLearningMenu(page: Page, name: string | RegExp): Promise<void> {
  await learningButton(page).click();
  await page.getByRole('menu', { name: 'Learning' }).getByRole('menuitem', { name }).click();
}

/** A clock time as the page shows it (en-GB, the machine's time zone, which the page shares). */
function clock(at: number): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' }).format(at);
}

function connections(
  appPath: string,
  host: string | null,
  remoteIp: string,
  remotePort: number,
  count: number,
): LearnedConnection[] {
  return Array.from({ length: count }, () => ({
    appPath,
    host,
    remoteIp,
    remotePort,
    protocol: 6,
    direction: 'outbound' as const,
  }));
}

const FIREFOX = '/usr/lib/firefox/firefox';
const SPOTIFY = '/opt/spotify/spotify';

/** 20 connections of two apps: firefox 12 to three destinations, spotify 8 to two (one without a name). */
const LEARNED: readonly LearnedConnection[] = [
  ...connections(FIREFOX, 'www.mozilla.org', '151.101.1.91', 443, 5),
  ...connections(SPOTIFY, 'api.spotify.com', '35.186.224.47', 443, 6),
  ...connections(FIREFOX, 'addons.mozilla.org', '151.101.65.91', 443, 4),
  ...connections(FIREFOX, 'detectportal.firefox.com', '34.107.221.82', 80, 3),
  ...connections(SPOTIFY, null, '35.186.224.25', 4070, 2),
];

test('learning for 15 minutes, then the review keeps one app (one rule narrowed) and discards the other', async ({
  page,
}) => {
  const engine = new FakeEngine({ ...busyScene(Date.now()), prompts: [] });
  const errors = await open(page, engine);
  const button = learningButton(page);
  await expect(button).toHaveText('Learn');

  await button.click();
  const menu = page.getByRole('menu', { name: 'Learning' });
  await expect(menu.getByRole('menuitem')).toHaveText([
    /^Learn for 15 minutes \(until \d\d:\d\d\)$/,
    /^Learn for 1 hour \(until \d\d:\d\d\)$/,
    'Learn for another time…',
  ]);
  await menu.getByRole('menuitem', { name: /^Learn for 15 minutes/ }).click();
  expect(engine.callsOf('learning:start')).toEqual([{ kind: 'minutes', minutes: 15 }]);
  const until = engine.status().learning.until;
  if (until === null) throw new Error('the stand-in is not learning');
  // On, and until when, in the bar and (the whole story) its tooltip.
  await expect(button).toHaveText(`Learning until ${clock(until)}`);
  await expect(page.getByTitle(`Learning every app until ${clock(until)}.`)).toBeVisible();

  // The engine learns 20 connections of two apps: the inbox line and the bar say so.
  expect(await engine.learn(page, LEARNED)).toBe(20);
  const inbox = page.getByRole('region', { name: 'Learned connections' });
  await expect(inbox).toContainText('20 connections of 2 apps learned');
  await expect(button).toHaveText(`Learning until ${clock(until)}5 to review`);
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${SHOTS}/preload-learning-inbox-${scheme}.png`, animations: 'disabled' });
  }

  await inbox.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Learning' })).toBeVisible();
  await expect(inbox).toHaveCount(0);
  const firefox = page.getByRole('region', { name: 'firefox' });
  const spotify = page.getByRole('region', { name: 'spotify' });
  await expect(firefox.getByRole('rowheader')).toHaveText([
    'www.mozilla.org',
    'addons.mozilla.org',
    'detectportal.firefox.com',
  ]);
  await expect(firefox.getByRole('row', { name: 'www.mozilla.org' }).getByRole('cell')).toHaveText([
    '443',
    'TCP',
    'Out',
    '5',
    /^\d\d:\d\d:\d\d$/,
    /^\d\d:\d\d:\d\d$/,
    'KeepNarrowDiscard',
  ]);
  await expect(spotify.getByRole('rowheader')).toHaveText(['api.spotify.com', '35.186.224.25']);
  await expect(spotify.getByRole('row', { name: '35.186.224.25' }).getByRole('cell').nth(3)).toHaveText('2');
  const tally = page.getByRole('status').filter({ hasText: /decided|to keep|to discard/ });
  await expect(tally).toHaveText('Nothing decided yet.');
  const apply = page.getByRole('button', { name: /^Apply \d+ decisions?$/ });
  await expect(apply).toBeDisabled();

  // Firefox: all kept, one narrowed in the rule editor to the Home profile.
  await firefox.getByRole('button', { name: 'Keep all' }).click();
  const addons = firefox.getByRole('row', { name: /^addons\.mozilla\.org/ });
  await expect(addons.getByRole('button', { name: 'Keep' })).toHaveAttribute('aria-pressed', 'true');
  await addons.getByRole('button', { name: 'Narrow' }).click();
  const editor = page.getByRole('dialog', { name: 'Narrow learned rule' });
  await expect(editor.getByRole('combobox', { name: 'App path' })).toHaveValue(FIREFOX);
  await expect(editor.getByRole('textbox', { name: 'Host name' })).toHaveValue('addons.mozilla.org');
  await expect(editor.getByRole('textbox', { name: 'Port' })).toHaveValue('443');
  await editor.getByRole('combobox', { name: 'Applies in' }).selectOption({ label: 'Only in Home' });
  await editor.getByRole('button', { name: 'Keep narrowed rule' }).click();
  await expect(editor).toBeHidden();
  await expect(addons).toContainText('Narrowed: allow addons.mozilla.org, port 443, TCP, only in Home');
  await expect(addons.getByRole('button', { name: 'Narrow' })).toHaveAttribute('aria-pressed', 'true');
  // Nothing reached the engine yet: the review is a draft until Apply.
  expect(engine.callsOf('learning:review')).toEqual([]);
  expect(engine.callsOf('rules:create')).toEqual([]);

  // Spotify: all discarded.
  await spotify.getByRole('button', { name: 'Discard all' }).click();
  await expect(tally).toHaveText('3 to keep (1 narrowed), 2 to discard.');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${SHOTS}/preload-learning-review-${scheme}.png`, animations: 'disabled' });
  }

  await expect(apply).toHaveText('Apply 5 decisions');
  await apply.click();
  await expect(page.getByText('Kept 3 rules; discarded 2 proposals.')).toBeVisible();
  // One request with every decision made, the narrowed rule in it.
  const reviews = engine.callsOf('learning:review');
  expect(reviews).toHaveLength(1);
  expect(reviews[0]).toEqual({
    decisions: [
      { proposalId: expect.any(String), action: 'keep' },
      {
        proposalId: expect.any(String),
        action: 'keep',
        rule: expect.objectContaining({
          app: { kind: 'path', path: FIREFOX },
          destination: { kind: 'host', name: 'addons.mozilla.org' },
          port: { kind: 'port', port: 443 },
          action: 'allow',
          profile: 'home',
        }),
      },
      { proposalId: expect.any(String), action: 'keep' },
      { proposalId: expect.any(String), action: 'discard' },
      { proposalId: expect.any(String), action: 'discard' },
    ],
  });

  // The proposals are gone: from the review, the bar and the engine.
  await expect(page.getByText('Nothing learned waits for review.')).toBeVisible();
  await expect(firefox).toHaveCount(0);
  await expect(button).toHaveText(`Learning until ${clock(until)}`);
  expect(engine.status().learning.proposals).toBe(0);

  // The kept rules are in the Rules view, the narrowed one in Home only; nothing of spotify's.
  await page.getByRole('link', { name: 'Rules' }).click();
  const rules = page.getByRole('table', { name: 'Rules' });
  await expect(rules.getByRole('row', { name: /www\.mozilla\.org/ })).toContainText('Always');
  await expect(rules.getByRole('row', { name: /addons\.mozilla\.org/ })).toContainText('Home');
  await expect(rules.getByRole('row', { name: /detectportal\.firefox\.com/ })).toHaveCount(1);
  await expect(rules.getByRole('row', { name: /api\.spotify\.com|35\.186\.224\.25/ })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Learned connections' })).toHaveCount(0);

  await chooseInLearningMenu(page, 'Stop learning');
  await expect(button).toHaveText('Learn');
  expect(engine.callsOf('learning:stop')).toHaveLength(1);
  expect(errors).toEqual([]);
});

test('a refused Always ask shows the click at once, then what is in force and why', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  await page.getByRole('dialog', { name: 'Connection request' }).getByRole('button', { name: 'Later' }).click();
  await page.getByRole('link', { name: 'Apps' }).click();
  await page.getByRole('table', { name: 'Apps' }).getByRole('button', { name: 'python3.12', exact: true }).click();
  const box = page.getByRole('group', { name: 'Learning' }).getByRole('checkbox', { name: 'Always ask' });
  await expect(box).not.toBeChecked();
  engine.refuse('learning:always-ask', 'the disk is full', 500);
  await box.click();
  // The click shows while the engine answers…
  await expect(box).toBeChecked();
  // …and its refusal puts back what is in force, with the reason.
  await expect(page.getByRole('alert')).toContainText('Could not change “Always ask”');
  await expect(page.getByRole('alert')).toContainText('the disk is full');
  await expect(box).not.toBeChecked();
  expect(engine.callsOf('learning:always-ask')).toEqual([{ appPath: '/usr/bin/python3.12', alwaysAsk: true }]);
  expect(errors).toEqual([]);
});

test('an app learns until it quits, one that always asks keeps asking, and another span is typed', async ({ page }) => {
  const engine = new FakeEngine(busyScene(Date.now()));
  const errors = await open(page, engine);
  // The scene holds two prompts, curl's and python's: put them aside.
  const prompt = page.getByRole('dialog', { name: 'Connection request' });
  await prompt.getByRole('button', { name: 'Later' }).click();
  await expect(status(page).getByRole('button', { name: '2 pending prompts' })).toBeVisible();

  // Curl learns until it quits: its held connection is learned at once and leaves the inbox.
  await page.getByRole('link', { name: 'Apps' }).click();
  const apps = page.getByRole('table', { name: 'Apps' });
  await apps.getByRole('button', { name: 'curl', exact: true }).click();
  const card = page.getByRole('group', { name: 'Learning' });
  await card.getByRole('button', { name: 'Learn until this app quits' }).click();
  expect(engine.callsOf('learning:start')).toEqual([{ kind: 'until-app-quits', appPath: '/usr/bin/curl' }]);
  await expect(card.getByRole('button', { name: 'Learning until this app quits' })).toBeDisabled();
  await expect(learningButton(page)).toHaveText('Learning curl until it quits1 to review');
  await expect(status(page).getByRole('button', { name: '1 pending prompt' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Learned connections' })).toContainText(
    '1 connection of 1 app learned',
  );

  // Python always asks: learning every app leaves its prompt where it is.
  await apps.getByRole('button', { name: 'python3.12', exact: true }).click();
  await card.getByRole('checkbox', { name: 'Always ask' }).check();
  await expect(card.getByRole('checkbox', { name: 'Always ask' })).toBeChecked();
  expect(engine.callsOf('learning:always-ask')).toEqual([{ appPath: '/usr/bin/python3.12', alwaysAsk: true }]);
  await chooseInLearningMenu(page, /^Learn for 1 hour/);
  await expect(learningButton(page)).toHaveText(/^Learning until \d\d:\d\d, curl until it quits1 to review$/);
  await expect(status(page).getByRole('button', { name: '1 pending prompt' })).toBeVisible();
  const learned = await engine.learn(page, [
    ...connections('/usr/bin/python3.12', 'pypi.org', '151.101.0.223', 443, 1),
    ...connections('/usr/bin/git', 'github.com', '140.82.121.4', 443, 1),
  ]);
  expect(learned).toBe(1);

  // The inbox (the prompt dialog) says what was learned meanwhile and opens the review.
  await status(page).getByRole('button', { name: '1 pending prompt' }).click();
  const line = prompt.getByRole('region', { name: 'Learned connections' });
  await expect(line).toContainText('2 connections of 2 apps learned');
  await page.screenshot({ path: `${SHOTS}/preload-learning-prompt.png`, animations: 'disabled' });
  await line.getByRole('button', { name: 'Review' }).click();
  await expect(prompt).toBeHidden();
  await expect(page.getByRole('heading', { level: 2, name: 'Learning' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'curl' }).getByRole('rowheader')).toHaveText(['www.example.org']);
  await expect(page.getByRole('region', { name: 'git' }).getByRole('rowheader')).toHaveText(['github.com']);

  // Another span, typed: out of range is refused before anything is sent.
  const controls = page.getByRole('group', { name: 'Learn' });
  const minutes = controls.getByRole('spinbutton', { name: 'Minutes' });
  await minutes.fill('0');
  await controls.getByRole('button', { name: 'Start learning' }).click();
  await expect(controls.getByRole('alert')).toHaveText('Learn for 1 to 1,440 minutes.');
  await minutes.fill('90');
  await controls.getByRole('button', { name: 'Start learning' }).click();
  expect(engine.callsOf('learning:start').at(-1)).toEqual({ kind: 'minutes', minutes: 90 });
  const until = engine.status().learning.until;
  if (until === null) throw new Error('the stand-in is not learning');
  await expect(learningButton(page)).toHaveText(`Learning until ${clock(until)}, curl until it quits2 to review`);

  await controls.getByRole('button', { name: 'Stop learning' }).click();
  await expect(learningButton(page)).toHaveText('Learn2 to review');
  // What was learned stays for review.
  await expect(page.getByRole('region', { name: 'curl' })).toBeVisible();
  expect(errors).toEqual([]);
});
