import { format } from 'node:util';
import type { LogLevel } from './log-line.ts';

/** The console methods that are teed, and the level each one's lines get. */
const LEVELS = { debug: 'DEBUG', log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const satisfies Record<
  string,
  LogLevel
>;
type Method = keyof typeof LEVELS;

/** What teeConsole needs of a console (the global one in the app, a plain object in tests). */
export type ConsoleLike = Record<Method, (...args: unknown[]) => void>;

/**
 * Makes every console line of the process also reach `sink`, formatted as console formats it:
 * the runtime, the store and libraries (electron-updater) log through console, and an elevated
 * Windows app has no console to read. The console still prints as before. A sink that throws, or
 * that logs through the console itself, cannot loop or fail the caller. Returns the undo.
 */
export function teeConsole(target: ConsoleLike, sink: (level: LogLevel, text: string) => void): () => void {
  const originals = new Map<Method, (...args: unknown[]) => void>();
  let inSink = false;
  for (const method of Object.keys(LEVELS) as Method[]) {
    const original = target[method];
    originals.set(method, original);
    target[method] = (...args: unknown[]): void => {
      original.apply(target, args);
      if (inSink) return;
      inSink = true;
      try {
        sink(LEVELS[method], format(...args));
      } catch {
        // The console already printed it; a log file must not become a second fault.
      } finally {
        inSink = false;
      }
    };
  }
  return () => {
    for (const [method, original] of originals) target[method] = original;
  };
}
