// Electron entry point: wiring only. The engine, store and pushes are the same runtime as
// headless mode (app/runtime); this file adds the windows, the tray, IPC and the lifecycle.
import { app, dialog, net, Notification, protocol, screen } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_ID } from '../contract/product.ts';
import { dispatch } from '../contract/dispatch.ts';
import { noAppActionConsequence } from '../contract/no-app-action.ts';
import type { PushChannel, PushMap } from '../contract/ipc.ts';
import { currentPlatform, platformHostOptions } from '../platform/index.ts';
import { createHost, type Host } from '../runtime/host.ts';
import { installLastResort } from '../runtime/last-resort.ts';
import { RateLimitedLog } from '../runtime/rate-limited-log.ts';
import { pushToWindows, registerIpc } from './ipc-main.ts';
import { placePrompt } from './prompt-placement.ts';
import { resolveRendererFile } from './renderer-files.ts';
import { setStartAtLogin } from './login-item.ts';
import { TimedOutPrompts, timedOutMessage } from './timed-out-prompts.ts';
import { AppTray } from './tray.ts';
import { TrustedSenders } from './trusted-senders.ts';
import { createMainWindow, createPromptWindow, denyPermissions } from './windows.ts';

// app/dist/app/main/main.js → the repository (or app.asar) root.
const ROOT = path.join(import.meta.dirname, '..', '..', '..', '..');
const RENDERER_DIR = path.join(ROOT, 'renderer', 'dist');
const PRELOAD = path.join(import.meta.dirname, '..', 'preload', 'preload.cjs');
const TRAY_ICONS = path.join(ROOT, 'resources', 'icons', 'tray');

// Must run before `ready`: app:// behaves like a secure, standard origin for the renderer.
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true } }]);

let host: Host | null = null;
const log = new RateLimitedLog((line) => {
  console.error(`zenithfence: ${line}`);
  host?.runtime.noteLog(line);
});
// First of all: see last-resort.ts for why a fault must not end the process (Electron would
// otherwise show a dialog and quit, and the daemon would let everything through).
installLastResort(log);

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the driver connection; it shows its window (second-instance below).
  app.quit();
} else {
  app.setAppUserModelId(APP_ID);
  // A start that fails (a database of a newer release) is said, not left as a silent window.
  void app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('ZenithFence cannot start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}

function start(): void {
  protocol.handle('app', (request) => {
    const file = resolveRendererFile(RENDERER_DIR, new URL(request.url).pathname);
    return file === null ? new Response('not found', { status: 404 }) : net.fetch(pathToFileURL(file).toString());
  });
  denyPermissions();
  const senders = new TrustedSenders();
  const main = createMainWindow(PRELOAD);
  const prompt = createPromptWindow(PRELOAD);
  for (const window of [main, prompt]) senders.add(window.webContents.id);

  let tray: AppTray | null = null;
  const timeouts = new TimedOutPrompts();
  const push = <C extends PushChannel>(channel: C, payload: PushMap[C]): void => {
    pushToWindows([main, prompt], channel, payload);
    if (channel === 'status:changed') tray?.update(payload as PushMap['status:changed']);
    if (channel === 'prompts:changed') {
      const groups = payload as PushMap['prompts:changed'];
      showPrompt(groups.some((group) => group.prompts.some((p) => p.held > 0)));
      for (const timedOut of timeouts.update(groups)) {
        const notification = new Notification(timedOutMessage(timedOut, runtime.settings.defaultAction));
        notification.on('click', () => prompt.showInactive());
        notification.show();
      }
    }
  };
  host = createHost({
    // Electron's own place for app data (kept where earlier releases put the database).
    dataDir: app.getPath('userData'),
    push,
    log,
    // The driver (socket or device; ZENITHFENCE_DRIVER_SOCKET / _DEVICE name another), process facts, paths.
    ...platformHostOptions(currentPlatform()),
  });
  const running = host;
  const runtime = running.runtime;
  const handlers = running.handlers;
  registerIpc(handlers, senders, (message) => console.error(`zenithfence: ${message}`));

  function showPrompt(pending: boolean): void {
    if (!pending) return prompt.hide();
    if (prompt.isVisible()) return;
    const display = screen.getDisplayNearestPoint(screen.getCursorScreenPoint());
    const [width = 440, height = 340] = prompt.getSize();
    const where = placePrompt(display.workArea, display.bounds, { width, height }, runtime.settings.promptPosition);
    prompt.setPosition(where.x, where.y);
    prompt.showInactive();
  }

  tray = new AppTray(
    TRAY_ICONS,
    {
      openMain: () => main.show(),
      openPrompts: () => prompt.showInactive(),
      pause: (minutes) => runtime.engine.setMode({ mode: 'pause', minutes }, Date.now()),
      setMode: (mode) => runtime.engine.setMode({ mode }, Date.now()),
      startAtLogin: (enabled) => {
        void setStartAtLogin(enabled, process.execPath)
          .then(() => void dispatch(handlers, 'settings:set', { startAtLogin: enabled }))
          .catch((error: unknown) => dialog.showErrorBox('Start at login', String(error)));
      },
      isStartAtLogin: () => runtime.settings.startAtLogin,
      noAppAction: () => runtime.settings.noAppAction,
      setNoAppAction: (noAppAction) => {
        // Through the contract, like the Settings view: saved first, then in force (and sent to
        // the driver with the policy); the menu shows the new choice at once.
        void dispatch(handlers, 'settings:set', { noAppAction }).then((result) => {
          if (!result.ok) dialog.showErrorBox('While ZenithFence is closed', result.error.message);
          tray?.update(runtime.status(Date.now()));
        });
      },
      quit: () => void confirmQuit(),
    },
    runtime.status(Date.now()),
  );

  running.start();

  /** What quitting means for new connections: it depends on whether the driver enforces the rules by itself. */
  function quitConsequence(): string {
    const policy = runtime.status(Date.now()).policy;
    if (policy.state === 'unsupported') {
      return 'While ZenithFence is closed, the driver applies its own setting to new connections (by default it lets them through).';
    }
    const rules =
      policy.state === 'enforced' || policy.state === 'unsaved' ? 'Your rules keep applying.' : policy.message;
    return `${rules} ${noAppActionConsequence(runtime.settings.noAppAction)}`;
  }

  async function confirmQuit(): Promise<void> {
    const { response } = await dialog.showMessageBox({
      type: 'question',
      buttons: ['Quit', 'Cancel'],
      defaultId: 1,
      message: 'Quit ZenithFence?',
      detail: `Connections waiting for an answer get the default action now. ${quitConsequence()}`,
    });
    if (response === 0) app.quit();
  }

  let stopped = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    stopped = true;
    // running.stop() answers the held connections first and never rejects.
    void running
      .stop()
      .then((answered) => {
        if (answered === 0) return;
        new Notification({
          title: 'ZenithFence',
          body: `${String(answered)} waiting connections got the default action.`,
        }).show();
      })
      .catch((error: unknown) => log.error('quit', error))
      .finally(() => {
        prompt.destroy();
        app.exit(0);
      });
  });
  app.on('second-instance', () => main.show());
  // Closing the main window keeps filtering running in the tray.
  main.on('close', (event) => {
    if (stopped) return;
    event.preventDefault();
    main.hide();
  });
}
