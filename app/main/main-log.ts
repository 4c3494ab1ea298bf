import { type ConsoleLike, teeConsole } from './console-tee.ts';
import { RotatingLogFile } from './log-file.ts';

/** main.log in the OS's log folder (Electron's app.getPath('logs')): 1 MiB, three files in all. */
export const MAIN_LOG = { name: 'main.log', maxBytes: 1024 * 1024, files: 3 } as const;

/**
 * Starts the main process's log file in `dir`: every console line of the process (the host's
 * log, which also carries the last resort's uncaught errors, electron-updater, the store's
 * notices) goes there with its time and level. Returns the file; undo() gives the console back.
 */
export function startMainLog(
  dir: string,
  target: ConsoleLike = console,
  complain?: (line: string) => void,
): { readonly file: RotatingLogFile; undo(): void } {
  const file = new RotatingLogFile({ dir, ...MAIN_LOG, ...(complain === undefined ? {} : { complain }) });
  const untee = teeConsole(target, (level, text) => file.write(level, text));
  return {
    file,
    undo() {
      untee();
      file.close();
    },
  };
}
