// Crash reports kept on this machine only.
import { app, crashReporter } from 'electron';

/**
 * Starts Crashpad before `ready` (so a crash of any process, the main one included, is caught)
 * with nothing uploaded: the minidumps stay in app.getPath('crashDumps'), by default the
 * "Crashpad" folder in the app's data folder (Windows: %APPDATA%\ZenithFence\Crashpad, Linux:
 * ~/.config/ZenithFence/Crashpad). Returns that folder, for the log.
 */
export function startCrashReports(): string {
  crashReporter.start({ uploadToServer: false });
  return app.getPath('crashDumps');
}
