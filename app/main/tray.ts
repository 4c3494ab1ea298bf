// The tray icon: state image and tooltip (tray-state.ts), and its menu (tray-menu.ts).
import path from 'node:path';
import { Menu, nativeImage, nativeTheme, Tray } from 'electron';
import type { StatusView } from '../contract/views.ts';
import { type TrayActions, trayMenu } from './tray-menu.ts';
import { trayState } from './tray-state.ts';

export type { TrayActions } from './tray-menu.ts';

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
    this.#tray.setContextMenu(Menu.buildFromTemplate(trayMenu(status, this.#actions, Date.now(), time)));
  }
}
