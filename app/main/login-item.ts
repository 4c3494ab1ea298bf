import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { STARTED_AT_LOGIN } from './startup.ts';

/**
 * Start at login, the way each platform allows for this app. Windows: the app runs elevated
 * and UAC does not start elevated programs from the Run key, so the installer registers a
 * logon task "ZenithFence" (resources/installer/windows/driver.nsh) and this only enables or
 * disables it. Linux: an XDG autostart entry. The choice itself is kept in the settings.
 */
export const WINDOWS_TASK = 'ZenithFence';

/** The schtasks arguments that switch the logon task on or off. */
export function schtasksArgs(enabled: boolean): string[] {
  return ['/Change', '/TN', WINDOWS_TASK, enabled ? '/ENABLE' : '/DISABLE'];
}

/** The XDG autostart entry that starts `executable` at login. */
export function autostartEntry(executable: string): string {
  const quoted = `"${executable.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=ZenithFence',
    `Exec=${quoted} ${STARTED_AT_LOGIN}`,
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

function autostartPath(): string {
  const config = process.env['XDG_CONFIG_HOME'] ?? path.join(os.homedir(), '.config');
  return path.join(config, 'autostart', 'zenithfence.desktop');
}

/** Applies the start-at-login choice; rejects with the platform's error. */
export async function setStartAtLogin(enabled: boolean, executable: string): Promise<void> {
  if (process.platform === 'win32') {
    await new Promise<void>((resolve, reject) =>
      execFile('schtasks', schtasksArgs(enabled), (error) => (error === null ? resolve() : reject(error))),
    );
  } else if (process.platform === 'linux') {
    const file = autostartPath();
    if (enabled) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, autostartEntry(executable));
    } else {
      await rm(file, { force: true });
    }
  }
}
