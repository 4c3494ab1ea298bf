import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import type { Profile, ProfileStatus } from '../contract/profiles.ts';
import type { RuleAction } from '../contract/rules.ts';
import type { StatusView } from '../contract/views.ts';
import { OK_STATUS as OK } from '../headless/test-support/status-handlers.ts';
import { type TrayActions, trayMenu } from './tray-menu.ts';

const profile = (id: string, name: string, builtIn = true): Profile => ({
  id,
  name,
  mode: 'ask',
  noAppAction: 'block',
  builtIn,
});
const HOME = profile('home', 'Home');
const PROFILES = [profile('p1', 'Café', false), profile('work', 'Work'), HOME, profile('public', 'Public')];
const ON_HOME: ProfileStatus = {
  active: HOME,
  reason: 'network',
  pinned: false,
  network: null,
  question: null,
};
const OK_STATUS: StatusView = { ...OK, profile: ON_HOME };

/** What the menu asked the app to do. */
type Done = Array<
  | RuleAction
  | `activate ${string} ${'pinned' | 'until the network changes'}`
  | 'follow'
  | 'open'
  | `learn ${string}`
  | 'stop learning'
>;

function actions(current: RuleAction, chosen: Done, profiles: readonly Profile[] = PROFILES): TrayActions {
  const none = (): void => undefined;
  return {
    openMain: () => chosen.push('open'),
    openPrompts: none,
    pause: none,
    setMode: none,
    startAtLogin: none,
    isStartAtLogin: () => false,
    noAppAction: () => current,
    setNoAppAction: (action) => chosen.push(action),
    profiles: () => profiles,
    activateProfile: (id, pin) => chosen.push(`activate ${id} ${pin ? 'pinned' : 'until the network changes'}`),
    followNetwork: () => chosen.push('follow'),
    learning: {
      start: (minutes: number) => chosen.push(`learn ${String(minutes)}`),
      stop: () => chosen.push('stop learning'),
    },
    quit: none,
  };
}

/** Clicks a menu item as Electron would (a checkbox flips before its click handler runs). */
function click(item: MenuItemConstructorOptions | undefined): void {
  if (item?.click === undefined) throw new Error(`no click handler on ${String(item?.label)}`);
  const checked = item.type === 'checkbox' ? item.checked !== true : item.checked;
  item.click({ checked } as never, undefined, {} as never);
}

function profileSubmenu(menu: MenuItemConstructorOptions[]): { label: string; items: MenuItemConstructorOptions[] } {
  const item = menu.find((entry) => entry.label?.startsWith('Profile: '));
  if (item?.label === undefined || !Array.isArray(item.submenu)) throw new Error('no submenu for profiles');
  return { label: item.label, items: item.submenu };
}

function learningSubmenu(menu: MenuItemConstructorOptions[]): { label: string; items: MenuItemConstructorOptions[] } {
  const item = menu.find((entry) => entry.label?.startsWith('Learn'));
  if (item?.label === undefined || !Array.isArray(item.submenu)) throw new Error('no submenu for learning');
  return { label: item.label, items: item.submenu };
}

function noAppSubmenu(menu: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  const item = menu.find((entry) => entry.label === 'While ZenithFence is closed');
  if (!Array.isArray(item?.submenu)) throw new Error('no submenu for the no-app action');
  return item.submenu;
}

describe('trayMenu: the no-app action', () => {
  it('says the consequence of the current choice in one sentence, and whether the driver enforces the rules', () => {
    const submenu = noAppSubmenu(trayMenu(OK_STATUS, actions('block', []), 0, String));
    expect(submenu[0]).toEqual({
      label: 'While ZenithFence is closed, connections no rule covers are blocked (programs see a refusal).',
      enabled: false,
    });
    expect(submenu.at(-1)).toEqual({ label: OK_STATUS.policy.message, enabled: false });
    const drop = noAppSubmenu(trayMenu(OK_STATUS, actions('drop', []), 0, String));
    expect(drop[0]?.label).toBe(
      'While ZenithFence is closed, connections no rule covers are dropped (programs see a timeout).',
    );
  });

  it('checks the current choice, and a click chooses another', () => {
    const chosen: Done = [];
    const radios = noAppSubmenu(trayMenu(OK_STATUS, actions('drop', chosen), 0, String)).filter(
      (item) => item.type === 'radio',
    );
    expect(radios.map((item) => [item.label, item.checked])).toEqual([
      ['Block (programs see a refusal)', false],
      ['Drop (programs see a timeout)', true],
      ['Allow', false],
    ]);
    click(radios[2]);
    expect(chosen).toEqual(['allow']);
  });
});

describe('trayMenu: profiles', () => {
  it('names the active profile and lists every profile as a radio item, built-ins first', () => {
    const { label, items } = profileSubmenu(trayMenu(OK_STATUS, actions('block', []), 0, String));
    expect(label).toBe('Profile: Home');
    expect(items.filter((item) => item.type === 'radio').map((item) => [item.label, item.checked])).toEqual([
      ['Home', true],
      ['Public', false],
      ['Work', false],
      ['Café', false],
    ]);
  });

  it('switches until the network changes, and pins from the Pin item', () => {
    const chosen: Done = [];
    const { items } = profileSubmenu(trayMenu(OK_STATUS, actions('block', chosen), 0, String));
    click(items.find((item) => item.label === 'Work'));
    click(items.find((item) => item.label === 'Pin Home'));
    expect(chosen).toEqual(['activate work until the network changes', 'activate home pinned']);
    // Nothing to undo while the network chooses.
    expect(items.find((item) => item.label === 'Follow network')?.enabled).toBe(false);
  });

  it('while pinned, keeps the pin on a new choice; unpinning follows the network again', () => {
    const chosen: Done = [];
    const pinned = { ...OK_STATUS, profile: { ...ON_HOME, reason: 'pinned', pinned: true } as const };
    const { label, items } = profileSubmenu(trayMenu(pinned, actions('block', chosen), 0, String));
    expect(label).toBe('Profile: Home (pinned)');
    expect(items[0]).toEqual({ label: 'Pinned: kept on every network', enabled: false });
    click(items.find((item) => item.label === 'Work'));
    const pin = items.find((item) => item.label === 'Pin Home');
    expect(pin?.checked).toBe(true);
    click(pin);
    click(items.find((item) => item.label === 'Follow network' && item.enabled === true));
    expect(chosen).toEqual(['activate work pinned', 'follow', 'follow']);
  });

  it('offers the active profile alone before the engine has listed them', () => {
    const { items } = profileSubmenu(trayMenu(OK_STATUS, actions('block', [], []), 0, String));
    expect(items.filter((item) => item.type === 'radio').map((item) => item.label)).toEqual(['Home']);
  });

  it('asks about a new network by opening the window', () => {
    const chosen: Done = [];
    const asking: StatusView = {
      ...OK_STATUS,
      profile: { ...ON_HOME, reason: 'unknown-network', question: { key: 'k', label: 'Café Wi-Fi' } },
    };
    const menu = trayMenu(asking, actions('block', chosen), 0, String);
    click(menu.find((item) => item.label === 'You joined ‘Café Wi-Fi’: choose its profile…'));
    expect(chosen).toEqual(['open']);
    expect(profileSubmenu(menu).items[0]?.label).toBe('‘Café Wi-Fi’ has no profile yet: the strictest applies');
    expect(
      trayMenu(OK_STATUS, actions('block', []), 0, String).some((item) => item.label?.startsWith('You joined')),
    ).toBe(false);
  });
});

describe('trayMenu: learning', () => {
  const time = (ms: number): string => `T${String(ms)}`;
  const off = OK_STATUS.learning;

  it('starts learning for 15 minutes or an hour, saying until when; another span opens the window', () => {
    const chosen: Done = [];
    const { label, items } = learningSubmenu(trayMenu(OK_STATUS, actions('block', chosen), 1000, time));
    expect(label).toBe('Learn');
    expect(items.map((item) => item.label ?? item.type)).toEqual([
      'Learn for 15 minutes (until T901000)',
      'Learn for 1 hour (until T3601000)',
      'Learn for another time…',
      'separator',
      'Stop learning',
      'Nothing learned to review',
    ]);
    click(items[0]);
    click(items[1]);
    click(items[2]);
    expect(chosen).toEqual(['learn 15', 'learn 60', 'open']);
    // Nothing learns, nothing waits: nothing to stop or review.
    expect(items[4]?.enabled).toBe(false);
    expect(items[5]?.enabled).toBe(false);
  });

  it('says what learns until when, each app until it quits, and how many proposals wait', () => {
    const chosen: Done = [];
    const learning = { ...off, until: 5000, apps: ['/usr/bin/curl'], proposals: 20 };
    const { label, items } = learningSubmenu(
      trayMenu({ ...OK_STATUS, learning }, actions('block', chosen), 1000, time),
    );
    expect(label).toBe('Learning until T5000, curl until it quits (20 to review)');
    expect(items[0]).toEqual({ label: '/usr/bin/curl: until it quits', enabled: false });
    const stop = items.find((item) => item.label === 'Stop learning');
    expect(stop?.enabled).toBe(true);
    click(stop);
    click(items.find((item) => item.label === 'Review 20 proposals…'));
    expect(chosen).toEqual(['stop learning', 'open']);
  });
});
