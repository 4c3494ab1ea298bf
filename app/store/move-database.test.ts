import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { moveDatabase } from './move-database.ts';
import { openStore } from './open-store.ts';
import { historyRow, ruleInput } from './test-support/fixtures.ts';

/**
 * A database as a killed process leaves it: the committed rule and history rows are still in
 * the write-ahead log (copied while the writer had it open), not yet in the main file.
 */
function crashedDatabase(dir: string): string {
  const live = path.join(testTempDir('zf-live-'), 'zenithfence.sqlite');
  const store = openStore(live);
  store.rules.create(ruleInput({ notes: 'kept' }), 1);
  store.history.insertBatch([historyRow('c1'), historyRow('c2')]);
  const file = path.join(dir, 'zenithfence.sqlite');
  copyFileSync(live, file);
  copyFileSync(`${live}-wal`, `${file}-wal`);
  store.close();
  return file;
}

function contents(file: string): { notes: string[]; history: number } {
  const store = openStore(file);
  try {
    return {
      notes: store.rules.list().map((rule) => rule.notes),
      history: store.history.query({ since: 0, until: Number.MAX_SAFE_INTEGER, limit: 10 }).length,
    };
  } finally {
    store.close();
  }
}

describe('moveDatabase', () => {
  it('moves every committed change, the ones still in the write-ahead log too, and leaves nothing behind', () => {
    const from = crashedDatabase(testTempDir('zf-earlier-'));
    expect(statSync(`${from}-wal`).size).toBeGreaterThan(0);
    const to = path.join(testTempDir('zf-data-'), 'zenithfence.sqlite');
    moveDatabase(from, to);
    expect(contents(to)).toEqual({ notes: ['kept'], history: 2 });
    for (const file of [from, `${from}-wal`, `${from}-shm`]) expect(existsSync(file), file).toBe(false);
  });

  it('moves nothing onto a database that exists', () => {
    const from = crashedDatabase(testTempDir('zf-earlier-'));
    const to = path.join(testTempDir('zf-data-'), 'zenithfence.sqlite');
    writeFileSync(to, 'already here');
    expect(() => moveDatabase(from, to)).toThrow(/already exists/);
    expect(existsSync(from)).toBe(true);
    expect(contents(from).notes).toEqual(['kept']);
  });

  // /dev/shm is its own tmpfs on Linux: a rename from there to the test's directory is EXDEV.
  const otherFileSystem = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(testTempDir('zf-dev-')).dev;
  it.skipIf(!otherFileSystem)('copies across file systems (where /dev/shm is another one)', () => {
    const dir = mkdtempSync('/dev/shm/zf-earlier-');
    try {
      const from = crashedDatabase(dir);
      const to = path.join(testTempDir('zf-data-'), 'zenithfence.sqlite');
      moveDatabase(from, to);
      expect(contents(to)).toEqual({ notes: ['kept'], history: 2 });
      expect(existsSync(from)).toBe(false);
      expect(existsSync(`${to}.moving`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
