import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { installLastResort, type ProcessEvents } from '../runtime/last-resort.ts';
import { RateLimitedLog } from '../runtime/rate-limited-log.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import type { ConsoleLike } from './console-tee.ts';
import { MAIN_LOG, startMainLog } from './main-log.ts';

/** A console that records what it printed (what the real one would show in a terminal). */
function recordingConsole(): { console: ConsoleLike; printed: string[] } {
  const printed: string[] = [];
  const record =
    (method: string) =>
    (...args: unknown[]): void => {
      printed.push(`${method}: ${args.map(String).join(' ')}`);
    };
  return {
    printed,
    console: {
      debug: record('debug'),
      log: record('log'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    },
  };
}

describe('startMainLog', () => {
  it('writes every console line, and the uncaught errors of the last resort, to main.log', () => {
    const dir = testTempDir('zf-main-log-');
    const { console: target, printed } = recordingConsole();
    const { file, undo } = startMainLog(dir, target);
    // Wired as main.ts wires them: the host's log prints on the console, the last resort uses it.
    const log = new RateLimitedLog((line) => target.error(`zenithfence: ${line}`));
    const processEvents = new EventEmitter();
    installLastResort(log, processEvents as ProcessEvents);

    target.info('Checking for update');
    target.warn('zenithfence: tightened %s to %o', '/data', 0o700);
    processEvents.emit('uncaughtException', new Error('boom'));
    processEvents.emit('unhandledRejection', 'nobody waited');
    undo();
    target.log('after undo: console only');

    expect(file.path).toBe(path.join(dir, MAIN_LOG.name));
    const text = readFileSync(file.path, 'utf8');
    const entries = text
      .split('\n')
      .filter((line) => /^\d{4}-/.test(line))
      .map((line) => line.slice(25));
    expect(entries).toEqual([
      'INFO  Checking for update',
      'WARN  zenithfence: tightened /data to 448',
      expect.stringMatching(/^ERROR zenithfence: uncaught exception: boom \(at /),
      'ERROR zenithfence: unhandled rejection: nobody waited',
    ]);
    // The console still printed everything, and the undone tee no longer writes to the file.
    expect(printed).toHaveLength(5);
    expect(text).not.toContain('after undo');
  });
});
