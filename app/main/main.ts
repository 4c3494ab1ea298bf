// Electron entry point: wiring only. The engine, store and pushes are the same runtime as
// headless mode (app/runtime); this file adds the windows, the tray, IPC and the lifecycle.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, dialog, net, protocol, screen } from 'electron';
import { dispatch } from '../contract/dispatch.ts';
import type { PushChannel, PushMap } from '../contract/ipc.ts';
import { noAppActionConsequence } from '../contract/no-app-action.ts';
import { APP_ID } from '../contract/product.ts';
import { currentPlatform, platformHostOptions } from '../platform/index.ts';
import { createHost, type Host } from '../runtime/host.ts';
import { installLastResort } from '../runtime/last-resort.ts';
import { RateLimitedLog } from '../runtime/rate-limited-log.ts';
import { startCrashReports } from './crash-reports.ts';
import { DriverAlerts } from './driver-alerts.ts';
import { pushToWindows, registerIpc } from './ipc-main.ts';
import { setStartAtLogin } from './login-item.ts';
import { startMainLog } from './main-log.ts';
import { showNotice } from './notify.ts';
import { placePrompt } from './prompt-placement.ts';
import { resolveRendererFile } from './renderer-files.ts';
import { opensMainWindow } from './startup.ts';
import { timedOutMessage, TimedOutPrompts } from './timed-out-prompts.ts';
import { AppTray } from './tray.ts';
import { TrustedSenders } from './trusted-senders.ts';
import { startUpdateChecks } from './updater.ts';
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
  startDiagnostics();
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

/**
 * The primary instance's log file and crash reports, before anything else it does (and before
 * `ready`, which crash reports need). Only the primary writes them: a second instance quits at
 * once, and two processes rotating one file would lose lines. Neither may keep the app from
 * starting: what fails is said on the console.
 */
function startDiagnostics(): void {
  let where = '';
  try {
    // An elevated app on Windows has no console: main.log is where its lines can be read.
    where = `log: ${startMainLog(app.getPath('logs')).file.path}`;
  } catch (error) {
    log.error('log file', error);
  }
  try {
    where += `; crash reports: ${startCrashReports()}`;
  } catch (error) {
    log.error('crash reports', error);
  }
  console.info(`ZenithFence ${app.getVersion()} starts (${where}; arguments: ${process.argv.slice(1).join(' ')})`);
}

function start(): void {
  protocol.handle('app', (request) => {
    const file = resolveRendererFile(RENDERER_DIR, new URL(request.url).pathname);
    return file === null ? new Response('not found', { status: 404 }) : net.fetch(pathToFileURL(file).toString());
  });
  denyPermissions();
  const senders = new TrustedSenders();
  // Started at login (login-item.ts), the app waits in the tray; the user's start opens the window.
  const main = createMainWindow(PRELOAD, opensMainWindow(process.argv));
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
        showNotice(timedOutMessage(timedOut, runtime.settings.defaultAction), () => prompt.showInactive());
      }
    }
  };
  // A lost link, a refusal, a driver never reached: one notification per change (driver-alerts.ts).
  const alerts = new DriverAlerts(Date.now());
  const platform = currentPlatform();
  host = createHost({
    // The platform's data directory, the one headless mode (and so `npm start`) uses too; earlier
    // releases kept the database in Electron's userData, from where it is moved once.
    dataDir: platform.defaultDataDir(),
    earlierDataDir: app.getPath('userData'),
    push,
    log,
    // The driver (socket or device; ZENITHFENCE_DRIVER_SOCKET / _DEVICE name another), process facts, paths.
    ...platformHostOptions(platform),
    onDriverStatus: (state, message) => {
      const alert = alerts.update(state, message, Date.now());
      if (alert !== null) showNotice(alert, showMainWindow);
    },
  });
  const running = host;
  const runtime = running.runtime;
  const handlers = running.handlers;
  registerIpc(handlers, senders, (message) => console.error(`zenithfence: ${message}`));

  function showMainWindow(): void {
    if (main.isMinimized()) main.restore();
    main.show();
    main.focus();
  }

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
      openMain: showMainWindow,
      openPrompts: () => prompt.showInactive(),
      pause: (minutes) => runtime.engine.setMode({ mode: 'pause', minutes }, Date.now()),
      setMode: (mode) => runtime.engine.setMode({ mode }, Date.now()),
      startAtLogin: (enabled) => {
        void setStartAtLogin(enabled, process.execPath)
          .then(() => void dispatch(handlers, 'settings:set', { startAtLogin: enabled }))
          .catch((error: unknown) => dialog.showErrorBox('Start at login', String(error)));
      },
      isStartAtLogin: () => runtime.settings.startAtLogin,
      // The active profile's (runtime.settingsView), as the Settings view shows it.
      noAppAction: () => runtime.settingsView().noAppAction,
      setNoAppAction: (noAppAction) => {
        // Through the contract, like the Settings view: saved first, then in force (and sent to
        // the driver with the policy); the menu shows the new choice at once.
        void dispatch(handlers, 'settings:set', { noAppAction }).then((result) => {
          if (!result.ok) dialog.showErrorBox('While ZenithFence is closed', result.error.message);
          tray?.update(runtime.status(Date.now()));
        });
      },
      // Through the contract, like the status bar's menu: the status push updates the tray.
      profiles: () => runtime.engine.listProfiles(),
      activateProfile: (id, pin) => void dispatch(handlers, 'profiles:activate', { id, pin }),
      followNetwork: () => void dispatch(handlers, 'profiles:unpin', undefined),
      learning: {
        start: (minutes) => void dispatch(handlers, 'learning:start', { kind: 'minutes', minutes }),
        stop: () => void dispatch(handlers, 'learning:stop', undefined),
      },
      quit: () => void confirmQuit(),
    },
    runtime.status(Date.now()),
  );

  running.start();
  // Only a packaged build with a release feed checks, and only when the user allows it.
  startUpdateChecks({
    allowed: () => runtime.settings.checkForUpdates,
    notify: showNotice,
    log: (where, error) => log.error(where, error),
  }).catch((error: unknown) => log.error('update checks', error));

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
        showNotice(
          { title: 'ZenithFence', body: `${String(answered)} waiting connections got the default action.` },
          () => undefined,
        );
      })
      .catch((error: unknown) => log.error('quit', error))
      .finally(() => {
        prompt.destroy();
        app.exit(0);
      });
  });
  // Another start while this one runs: the user's opens the window, the login item's does not.
  app.on('second-instance', (_event, argv) => {
    if (opensMainWindow(argv)) showMainWindow();
  });
  // Closing the main window keeps filtering running in the tray.
  main.on('close', (event) => {
    if (stopped) return;
    event.preventDefault();
    main.hide();
  });
}
