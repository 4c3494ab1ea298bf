// The two windows. Both load the built renderer from app://, with the security baseline of
// ARCHITECTURE.md: context isolation, sandbox, no Node, navigation and new windows denied,
// permission requests denied.
import { BrowserWindow, session, shell, type WebContents } from 'electron';
import { APP_NAME } from '../contract/product.ts';

function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

/** Denies every permission request (camera, notifications from the page, ...) once per session. */
export function denyPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

function webPreferences(preload: string): Electron.WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    webSecurity: true,
    spellcheck: false,
  };
}

/** The main window; `show`: false when the app was started at login (it then waits in the tray). */
export function createMainWindow(preload: string, show: boolean): BrowserWindow {
  const window = new BrowserWindow({
    title: APP_NAME,
    width: 1180,
    height: 760,
    minWidth: 820,
    minHeight: 520,
    show: false,
    webPreferences: webPreferences(preload),
  });
  lockDown(window.webContents);
  if (show) window.once('ready-to-show', () => window.show());
  void window.loadURL('app://renderer/index.html');
  return window;
}

/**
 * The prompt window is created hidden at start and only shown (without taking focus) when a
 * prompt arrives, so it appears at once; closing it hides it, since the renderer keeps the
 * prompt until it is answered or its default action applies.
 */
export function createPromptWindow(preload: string): BrowserWindow {
  const window = new BrowserWindow({
    title: `${APP_NAME}: connection request`,
    width: 440,
    height: 340,
    frame: false,
    resizable: false,
    alwaysOnTop: true,
    skipTaskbar: true,
    show: false,
    fullscreenable: false,
    webPreferences: webPreferences(preload),
  });
  lockDown(window.webContents);
  window.on('close', (event) => {
    event.preventDefault();
    window.hide();
  });
  void window.loadURL('app://renderer/index.html?window=prompt');
  return window;
}
