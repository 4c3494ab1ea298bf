// The tray icon: state image and tooltip (tray-state.ts), and its menu.
import { Menu, nativeImage, nativeTheme, Tray, type MenuItemConstructorOptions } from 'electron';
import path from 'node:path';
import type { Mode, StatusView } from '../contract/views.ts';
import { trayState } from './tray-state.ts';

export interface TrayActions {
  openMain(): void;
  openPrompts(): void;
  pause(minutes: number): void;
  setMode(mode: Exclude<Mode, 'pause'>): void;
  startAtLogin(enabled: boolean): void;
  isStartAtLogin(): boolean;
  quit(): void;
}

const time = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export class AppTray {
  readonly #tray: Tray;
  readonly #iconDir: string;
  readonly #actions: TrayActions;

  constructor(iconDir: string, actions: TrayActions, status: StatusView) {
    this.#iconDir = iconDir;
    this.#actions = actions;
    this.#tray = new Tray(nativeImage.createEmpty());
    this.#tray.on('click', () => actions.openMain());
    this.update(status);
  }

  update(status: StatusView): void {
    const state = trayState(status, nativeTheme.shouldUseDarkColors ? 'dark' : 'light', time);
    this.#tray.setImage(nativeImage.createFromPath(path.join(this.#iconDir, `${state.image}.png`)));
    this.#tray.setToolTip(state.tooltip);
    this.#tray.setContextMenu(Menu.buildFromTemplate(this.#menu(status)));
  }

  #menu(status: StatusView): MenuItemConstructorOptions[] {
    const a = this.#actions;
    const mode = status.mode.mode;
    const pause = (minutes: number): MenuItemConstructorOptions => ({
      label: `Pause for ${String(minutes)} minutes (until ${time(Date.now() + minutes * 60_000)})`,
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
      {
        label: 'Start at login',
        type: 'checkbox',
        checked: a.isStartAtLogin(),
        click: (item) => a.startAtLogin(item.checked),
      },
      { label: 'Quit ZenithFence…', click: () => a.quit() },
    ];
  }
}
