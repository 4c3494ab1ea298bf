// The tray icon's menu as a template (tray.ts hands it to Electron), built apart so it is tested
// without Electron.
import type { MenuItemConstructorOptions } from 'electron';
import { NO_APP_ACTION_LABELS, noAppActionConsequence } from '../contract/no-app-action.ts';
import type { RuleAction } from '../contract/rules.ts';
import type { Mode, StatusView } from '../contract/views.ts';

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
