import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import type { Store } from './store.ts';
import { historyRow } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

/** 1 000 history rows in 10 commits: a WAL of fewer pages than any writer's checkpoint waits for. */
function writeRows(store: Store): void {
  for (let part = 0; part < 10; part += 1) {
    const rows = Array.from({ length: 100 }, (_, i) =>
      historyRow(`c-${String(part * 100 + i)}`, { startedAt: 1_000 + part * 100 + i }),
    );
    store.transaction(() => store.history.insertBatch(rows));
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

function autoCheckpointPages(db: DatabaseSync): unknown {
  return db.prepare('PRAGMA wal_autocheckpoint').get()?.['wal_autocheckpoint'];
}

describe('background checkpoints', () => {
  it('copy the WAL into the database from their own thread while the writer only commits', async () => {
    const file = tempDbPath();
    const problems: string[] = [];
    const store = openStore(file, { backgroundCheckpoints: { intervalMs: 20, onProblem: (m) => problems.push(m) } });
    expect(store.checkpointMode()).toBe('background');
    const before = size(file);
    writeRows(store);
    // Far below the writer's own threshold (SQLite's 1 000 pages, and ours): only the thread copies.
    expect(size(`${file}-wal`)).toBeLessThan(1_000 * 4096);
    expect(await until(() => size(file) > before + 50 * 4096, 5_000)).toBe(true);
    expect(store.checkpointMode()).toBe('background');
    expect(problems).toEqual([]);
    store.close();
  });

  it('are not what copies without them (the same writes leave the database file as it was)', async () => {
    const file = tempDbPath();
    const store = openStore(file);
    expect(store.checkpointMode()).toBe('writer');
    const before = size(file);
    writeRows(store);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(size(file)).toBe(before);
    store.close();
  });

  it('stop with the store: nothing is left in a WAL, and a restart reads every row', () => {
    const file = tempDbPath();
    const store = openStore(file, { backgroundCheckpoints: { intervalMs: 20 } });
    writeRows(store);
    store.close();
    // The thread's connection closed first, so the store's close was the last and removed the WAL.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = openStore(file, { backgroundCheckpoints: { intervalMs: 20 } });
    expect(again.history.count()).toBe(1_000);
    again.close();
  });

  it('hand checkpoints back to the writer when their thread cannot open the database', async () => {
    const file = tempDbPath();
    openStore(file).close();
    const db = new DatabaseSync(file);
    const problems: string[] = [];
    const moved = path.join(path.dirname(file), 'not-there.db');
    const checkpointer = new WalCheckpointer(db, moved, { intervalMs: 20, onProblem: (m) => problems.push(m) });
    // While the thread checkpoints, the writer's own wait for a far larger WAL.
    expect(autoCheckpointPages(db)).toBe(10_000);
    expect(await until(() => checkpointer.mode === 'writer', 5_000)).toBe(true);
    expect(autoCheckpointPages(db)).toBe(1_000);
    expect(problems.join('\n')).toMatch(/could not open the database/);
    expect(problems.join('\n')).toMatch(/the writer checkpoints again/);
    // Not created by the attempt: a database that moved is not replaced by an empty one.
    expect(existsSync(moved)).toBe(false);
    checkpointer.stop();
    db.close();
  });

  it('hand checkpoints back to the writer when their file is not a database', async () => {
    const file = tempDbPath();
    openStore(file).close();
    const db = new DatabaseSync(file);
    const garbage = path.join(path.dirname(file), 'garbage.db');
    writeFileSync(garbage, 'not a database, but long enough to have a header: '.repeat(200));
    const problems: string[] = [];
    const checkpointer = new WalCheckpointer(db, garbage, { intervalMs: 20, onProblem: (m) => problems.push(m) });
    // Reported by the thread as its own failure (not an uncaught error), then the writer's again.
    expect(await until(() => checkpointer.mode === 'writer', 5_000)).toBe(true);
    expect(problems.join('\n')).toMatch(/could not open the database: file is not a database/);
    expect(problems.join('\n')).toMatch(/thread ended \(code 0\); the writer checkpoints again/);
    expect(autoCheckpointPages(db)).toBe(1_000);
    checkpointer.stop();
    db.close();
  });

  it('never keep a process alive that did not close its store', () => {
    const file = tempDbPath();
    const openStoreUrl = new URL('./open-store.ts', import.meta.url).href;
    const script = `
      const { openStore } = await import(${JSON.stringify(openStoreUrl)});
      const store = openStore(process.argv[1], { backgroundCheckpoints: { intervalMs: 20 } });
      console.log(store.checkpointMode());`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], {
      encoding: 'utf8',
      // A process the thread kept alive would run until killed here.
      timeout: 30_000,
    });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('background');
  });

  it('refuse an interval that is not a whole number of ms above 0', () => {
    const file = tempDbPath();
    openStore(file).close();
    const db = new DatabaseSync(file);
    expect(() => new WalCheckpointer(db, file, { intervalMs: 0 })).toThrow(RangeError);
    expect(() => new WalCheckpointer(db, file, { intervalMs: 1.5 })).toThrow(RangeError);
    db.close();
  });
});
