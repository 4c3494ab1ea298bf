// The tray icon's menu as a template (tray.ts hands it to Electron), built apart so it is tested
// without Electron.
import type { MenuItemConstructorOptions } from 'electron';
import { NO_APP_ACTION_LABELS, noAppActionConsequence } from '../contract/no-app-action.ts';
import { BUILT_IN_PROFILE_IDS, type Profile, type ProfileStatus } from '../contract/profiles.ts';
import type { RuleAction } from '../contract/rules.ts';
import type { Mode, StatusView } from '../contract/views.ts';
import { learningPhrase, proposalCount } from './tray-state.ts';

export interface TrayActions {
  openMain(): void;
  openPrompts(): void;
  pause(minutes: number): void;
  setMode(mode: Exclude<Mode, 'pause'>): void;
  startAtLogin(enabled: boolean): void;
  isStartAtLogin(): boolean;
  /** What the driver does with connections no rule covers while ZenithFence is closed. */
  noAppAction(): RuleAction;
  setNoAppAction(action: RuleAction): void;
  /** The profiles to switch between (the engine's list, as `profiles:list` answers). */
  profiles(): readonly Profile[];
  /** Switches to a profile: until the network changes, or for good with `pin` (`profiles:activate`). */
  activateProfile(id: string, pin: boolean): void;
  /** Lets the network choose the profile again (`profiles:unpin`). */
  followNetwork(): void;
  /** Starts learning every app for `minutes` (`learning:start`) and stops all learning (`learning:stop`). */
  readonly learning: { start(minutes: number): void; stop(): void };
  quit(): void;
}

/** The order the choices are offered in: the default first. */
const NO_APP_ACTIONS: readonly RuleAction[] = ['block', 'drop', 'allow'];

/**
 * The no-app action as a submenu: the consequence of the current choice in one sentence, the
 * choices, and whether the driver enforces the rules by itself at all.
 */
function noAppActionMenu(status: StatusView, actions: TrayActions): MenuItemConstructorOptions {
  const current = actions.noAppAction();
  return {
    label: 'While ZenithFence is closed',
    submenu: [
      { label: noAppActionConsequence(current), enabled: false },
      { type: 'separator' },
      ...NO_APP_ACTIONS.map((action): MenuItemConstructorOptions => ({
        label: NO_APP_ACTION_LABELS[action],
        type: 'radio',
        checked: action === current,
        click: () => actions.setNoAppAction(action),
      })),
      { type: 'separator' },
      { label: status.policy.message, enabled: false },
    ],
  };
}

/** Built-ins first in their fixed order (Home, Public, Work), then the user's by name, as the window lists them. */
function ordered(profiles: readonly Profile[]): Profile[] {
  const rank = (p: Profile): number => {
    const index = (BUILT_IN_PROFILE_IDS as readonly string[]).indexOf(p.id);
    return p.builtIn && index !== -1 ? index : BUILT_IN_PROFILE_IDS.length;
  };
  return [...profiles].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

const PINNED = 'Pinned: kept on every network';

/** Why the profile is active, in a few words (the submenu's first line). */
function profileReason(profile: ProfileStatus): string {
  // Asked about before its facts are in: the question names it.
  const network = profile.network?.label ?? profile.question?.label ?? '';
  // The pin is what holds the profile, whatever reason is given beside it.
  if (profile.pinned) return PINNED;
  switch (profile.reason) {
    case 'network':
      return `The profile of ‘${network}’`;
    case 'unknown-network':
      return `‘${network}’ has no profile yet: the strictest applies`;
    case 'identifying':
      return 'Identifying the network: the strictest applies';
    case 'manual':
      return 'Chosen by you until the network changes';
    case 'pinned':
      return PINNED;
    case 'offline':
      return 'No network';
  }
}

/**
 * The profiles as a submenu: why the active one is active, the profiles as radio items (a
 * choice switches until the network changes; while pinned the new one stays pinned), Pin, and
 * Follow network when a pin or a switch by hand holds.
 */
function profileMenu(status: StatusView, actions: TrayActions): MenuItemConstructorOptions {
  const profile = status.profile;
  const listed = ordered(actions.profiles());
  // Before the engine has listed them, the active one alone (it is in the status).
  const shown = listed.length === 0 ? [profile.active] : listed;
  const following = !profile.pinned && profile.reason !== 'manual';
  return {
    label: `Profile: ${profile.active.name}${profile.pinned ? ' (pinned)' : ''}`,
    submenu: [
      { label: profileReason(profile), enabled: false },
      { type: 'separator' },
      ...shown.map((p): MenuItemConstructorOptions => ({
        label: p.name,
        type: 'radio',
        checked: p.id === profile.active.id,
        click: () => actions.activateProfile(p.id, profile.pinned),
      })),
      { type: 'separator' },
      {
        label: `Pin ${profile.active.name}`,
        type: 'checkbox',
        checked: profile.pinned,
        click: (item) => (item.checked ? actions.activateProfile(profile.active.id, true) : actions.followNetwork()),
      },
      { label: 'Follow network', enabled: !following, click: () => actions.followNetwork() },
    ],
  };
}

/** The learning windows the tray offers, in minutes (the window's Learning view takes any other). */
const LEARN_SPANS: readonly { minutes: number; words: string }[] = [
  { minutes: 15, words: '15 minutes' },
  { minutes: 60, words: '1 hour' },
];

/**
 * Learning as a submenu: what learns until when (its label, with the proposals waiting), each app
 * learning until it quits, 15 minutes or an hour, another span and the review in the window,
 * and Stop while anything learns.
 */
function learningMenu(
  status: StatusView,
  actions: TrayActions,
  now: number,
  time: (ms: number) => string,
): MenuItemConstructorOptions {
  const learning = status.learning;
  const phrase = learningPhrase(learning, time);
  const waiting = learning.proposals > 0;
  const label = phrase === null ? 'Learn' : `Learning ${phrase}`;
  const control = actions.learning;
  const apps: MenuItemConstructorOptions[] = learning.apps.map((app) => ({
    label: `${app}: until it quits`,
    enabled: false,
  }));
  const starts: MenuItemConstructorOptions[] = LEARN_SPANS.map(({ minutes, words }) => ({
    label: `Learn for ${words} (until ${time(now + minutes * 60_000)})`,
    click: () => control.start(minutes),
  }));
  return {
    label: waiting ? `${label} (${String(learning.proposals)} to review)` : label,
    submenu: [
      ...apps,
      ...(apps.length > 0 ? [{ type: 'separator' as const }] : []),
      ...starts,
      { label: 'Learn for another time…', click: () => actions.openMain() },
      { type: 'separator' },
      { label: 'Stop learning', enabled: phrase !== null, click: () => control.stop() },
      {
        label: waiting ? `Review ${proposalCount(learning.proposals)}…` : 'Nothing learned to review',
        enabled: waiting,
        click: () => actions.openMain(),
      },
    ],
  };
}

/** The tray menu for `status`; `time` formats a clock time, `now` is the current time. */
export function trayMenu(
  status: StatusView,
  actions: TrayActions,
  now: number,
  time: (ms: number) => string,
): MenuItemConstructorOptions[] {
  const a = actions;
  const mode = status.mode.mode;
  const pause = (minutes: number): MenuItemConstructorOptions => ({
    label: `Pause for ${String(minutes)} minutes (until ${time(now + minutes * 60_000)})`,
    click: () => a.pause(minutes),
  });
  return [
    { label: 'Open ZenithFence', click: () => a.openMain() },
    {
      label: status.pendingPrompts > 0 ? `Pending prompts (${String(status.pendingPrompts)})` : 'No pending prompts',
      enabled: status.pendingPrompts > 0,
      click: () => a.openPrompts(),
    },
    // A network waiting for its profile: the window asks (the network question), so open it.
    ...(status.profile.question === null
      ? []
      : [{ label: `You joined ‘${status.profile.question.label}’: choose its profile…`, click: () => a.openMain() }]),
    { type: 'separator' },
    ...(mode === 'pause' && status.mode.resumesAt !== null
      ? [{ label: `Paused until ${time(status.mode.resumesAt)}`, enabled: false }]
      : []),
    pause(5),
    pause(15),
    pause(60),
    { type: 'separator' },
    { label: 'Ask for new connections', type: 'radio', checked: mode === 'ask', click: () => a.setMode('ask') },
    { label: 'Allow all', type: 'radio', checked: mode === 'allow-all', click: () => a.setMode('allow-all') },
    { label: 'Block all', type: 'radio', checked: mode === 'block-all', click: () => a.setMode('block-all') },
    { type: 'separator' },
    profileMenu(status, a),
    learningMenu(status, a, now, time),
    noAppActionMenu(status, a),
    {
      label: 'Start at login',
      type: 'checkbox',
      checked: a.isStartAtLogin(),
      click: (item) => a.startAtLogin(item.checked),
    },
    { label: 'Quit ZenithFence…', click: () => a.quit() },
  ];
}
