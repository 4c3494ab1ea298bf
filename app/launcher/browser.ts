import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** A program and its arguments. */
export interface Command {
  readonly program: string;
  readonly args: readonly string[];
}

/** Whether `program` is an executable on `PATH` (or at its path, when it has a slash). */
export function onPath(program: string, envPath: string): boolean {
  const candidates = program.includes('/')
    ? [program]
    : envPath
        .split(path.delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => path.join(dir, program));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * How to open `url` in the user's browser, or null when there is no desktop session to show it
 * in (no DISPLAY or WAYLAND_DISPLAY: a server, ssh, a service) or nothing to open it with. The
 * BROWSER convention comes first (a ':'-separated list of commands; its first is taken; '%s'
 * stands for the URL, else the URL is appended), then xdg-open.
 */
export function browserCommand(
  url: string,
  env: Readonly<Record<string, string | undefined>>,
  found: (program: string) => boolean = (program) => onPath(program, env['PATH'] ?? ''),
): Command | null {
  const desktop = (env['DISPLAY'] ?? '') !== '' || (env['WAYLAND_DISPLAY'] ?? '') !== '';
  if (!desktop) return null;
  const chosen = (env['BROWSER'] ?? '').split(':').find((entry) => entry.trim() !== '');
  if (chosen !== undefined) {
    const [program = '', ...rest] = chosen.trim().split(/\s+/);
    const args = rest.some((arg) => arg.includes('%s')) ? rest.map((arg) => arg.replaceAll('%s', url)) : [...rest, url];
    return { program, args };
  }
  return found('xdg-open') ? { program: 'xdg-open', args: [url] } : null;
}

/**
 * Starts `command` on its own, never waiting for it and never failing: the URL is printed in
 * any case, and a browser that does not open is not a reason to stop a firewall. `env` is the
 * browser's whole environment: under sudo the invoking user's (their HOME, so their profile,
 * not root's), with this session's DISPLAY and the rest.
 */
export function openDetached(
  command: Command,
  prefix: readonly string[] = [],
  env: Readonly<Record<string, string | undefined>> = process.env,
): void {
  try {
    const [program, ...args] = [...prefix, command.program, ...command.args];
    if (program === undefined) return;
    const child = spawn(program, args, { detached: true, env, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // Opening is a convenience; the URL is on the terminal.
  }
}
