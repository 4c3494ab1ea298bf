import { describe, expect, it } from 'vitest';
import { RateLimitedLog } from './rate-limited-log.ts';
import { StorageGuard } from './storage-guard.ts';

const FULL = Object.assign(new Error('database or disk is full'), { errcode: 13 });

function guard(): { storage: StorageGuard; lines: string[]; changes: number[] } {
  const lines: string[] = [];
  const changes: number[] = [];
  const clock = { now: 0 };
  const storage = new StorageGuard({
    log: new RateLimitedLog(
      (line) => lines.push(line),
      () => clock.now,
    ),
    onChange: () => changes.push(1),
    retryMs: 5000,
  });
  return { storage, lines, changes };
}

describe('StorageGuard', () => {
  it('pauses the writes after a full disk, retries every 5 s, and resumes on the first that commits', () => {
    const { storage, lines, changes } = guard();
    expect(storage.mayWrite(0)).toBe(true);
    expect(storage.failed(FULL, 1_000, 'history')).toBe('full');
    expect(storage.state).toBe('full');
    expect([2_000, 5_999].map((now) => storage.mayWrite(now))).toEqual([false, false]);
    storage.drop(3, 1, 2);
    expect(storage.mayWrite(6_000)).toBe(true);
    storage.failed(FULL, 6_000, 'history');
    expect(storage.mayWrite(10_999)).toBe(false);
    expect(storage.message()).toMatch(
      /^The disk is full \(database or disk is full\): .*\(3 connections, 1 connection update and 2 bandwidth samples so far\)/,
    );
    storage.succeeded();
    expect(storage.state).toBe('ok');
    expect(storage.message()).toBe('');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^storage: The disk is full/);
    expect(lines[1]).toBe(
      'storage: saving again (the disk had been full); 3 connections, 1 connection update and 2 bandwidth samples were not saved meanwhile',
    );
    // Entering, the failed retry (new counts for the status) and leaving were each pushed.
    expect(changes).toHaveLength(3);
  });

  it('only logs an error of the data itself, without pausing anything', () => {
    const { storage, lines } = guard();
    const unique = Object.assign(new Error('UNIQUE constraint failed: history.id'), { errcode: 2067 });
    expect(storage.failed(unique, 1_000, 'history')).toBe('data');
    expect(storage.state).toBe('ok');
    expect(storage.mayWrite(1_001)).toBe(true);
    expect(lines).toEqual([expect.stringMatching(/^storage: history: UNIQUE constraint failed/)]);
  });

  it('never writes when the database could not be opened, and says what to do', () => {
    const storage = new StorageGuard({
      log: new RateLimitedLog(() => undefined),
      onChange: () => undefined,
      unavailable: 'disk I/O error; 2 rules read from it',
    });
    expect(storage.state).toBe('unavailable');
    expect(storage.mayWrite(1e12)).toBe(false);
    storage.succeeded();
    expect(storage.state).toBe('unavailable');
    expect(storage.message()).toMatch(
      /^The database could not be opened \(disk I\/O error; 2 rules read from it\).*restart ZenithFence\.$/,
    );
  });
});
