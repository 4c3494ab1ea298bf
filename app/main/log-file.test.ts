import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { RotatingLogFile } from './log-file.ts';

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) .*$/;

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').slice(0, -1);
}

describe('RotatingLogFile', () => {
  it('makes its folder and file owner-only and writes time, level and text per line', () => {
    const dir = path.join(testTempDir('zf-log-'), 'ZenithFence', 'logs');
    const log = new RotatingLogFile({ dir, name: 'main.log', maxBytes: 1 << 20, files: 3, clock: () => 1_000 });
    log.write('INFO', 'started');
    log.write('ERROR', 'uncaught exception: boom');
    log.close();
    expect(lines(log.path)).toEqual([
      '1970-01-01T00:00:01.000Z INFO  started',
      '1970-01-01T00:00:01.000Z ERROR uncaught exception: boom',
    ]);
    if (process.platform !== 'win32') {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(log.path).mode & 0o777).toBe(0o600);
    }
  });

  it('keeps at most `files` files of at most maxBytes, the newest lines in the first', () => {
    const dir = testTempDir('zf-log-');
    const options = { dir, name: 'main.log', maxBytes: 400, files: 3 };
    let log = new RotatingLogFile(options);
    for (let i = 0; i < 20; i += 1) log.write('INFO', `line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}`);
    log.close();
    // A restart appends to what is there and rotates at the same bound.
    log = new RotatingLogFile(options);
    for (let i = 20; i < 40; i += 1) log.write('WARN', `line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}`);
    log.close();

    expect(readdirSync(dir).sort()).toEqual(['main.log', 'main.log.1', 'main.log.2']);
    const files = ['main.log.2', 'main.log.1', 'main.log'].map((name) => path.join(dir, name));
    for (const file of files) expect(statSync(file).size).toBeLessThanOrEqual(400);
    const kept = files.flatMap(lines);
    for (const line of kept) expect(line).toMatch(LINE);
    const numbers = kept.map((line) => Number(/line (\d+)/.exec(line)?.[1]));
    // Oldest first across the files, no gaps, ending with the last line written.
    expect(numbers).toEqual(numbers.map((_, i) => 40 - numbers.length + i));
    expect(numbers.length).toBeGreaterThan(10);
  });

  it('never throws when the folder cannot be made, says so once, and tries again later', () => {
    const base = testTempDir('zf-log-');
    const blocker = path.join(base, 'logs');
    writeFileSync(blocker, 'a file where the folder should be');
    const said: string[] = [];
    let now = 0;
    const log = new RotatingLogFile({
      dir: blocker,
      name: 'main.log',
      maxBytes: 1000,
      files: 3,
      complain: (line) => said.push(line),
      clock: () => now,
      retryMs: 60_000,
    });
    for (let i = 0; i < 5; i += 1) log.write('ERROR', `lost ${String(i)}`);
    now = 61_000;
    log.write('ERROR', 'still lost');
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(`the log file ${path.join(blocker, 'main.log')} cannot be written (EEXIST`);

    // The folder becomes possible: the next try writes, and says what was lost.
    rmSync(blocker);
    now = 122_000;
    log.write('INFO', 'back');
    log.close();
    expect(lines(path.join(blocker, 'main.log'))).toEqual([
      '1970-01-01T00:02:02.000Z WARN  this log file could not be written from 1970-01-01T00:00:00.000Z on: 6 lines were lost',
      '1970-01-01T00:02:02.000Z INFO  back',
    ]);
  });

  it.skipIf(!existsSync('/dev/full'))('survives a full disk (/dev/full: every write fails with ENOSPC)', () => {
    const dir = testTempDir('zf-log-');
    const file = path.join(dir, 'main.log');
    symlinkSync('/dev/full', file);
    const said: string[] = [];
    let now = 0;
    const log = new RotatingLogFile({
      dir,
      name: 'main.log',
      maxBytes: 1000,
      files: 3,
      complain: (line) => said.push(line),
      clock: () => now,
    });
    expect(() => log.write('ERROR', 'disk full')).not.toThrow();
    log.write('ERROR', 'disk full again');
    expect(said).toEqual([expect.stringContaining('(ENOSPC')]);
    rmSync(file);
    now = 60_000;
    log.write('INFO', 'space again');
    log.close();
    expect(lines(file)).toEqual([
      expect.stringContaining(
        'WARN  this log file could not be written from 1970-01-01T00:00:00.000Z on: 2 lines were lost',
      ),
      expect.stringContaining('INFO  space again'),
    ]);
  });
});
