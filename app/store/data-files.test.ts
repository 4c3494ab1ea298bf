import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareDataDir } from './data-files.ts';
import { openStore } from './open-store.ts';
import { historyRow, ruleInput } from './test-support/fixtures.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zf-modes-'));
  dirs.push(dir);
  return dir;
}

const modeOf = (file: string) => statSync(file).mode & 0o777;

describe('database file permissions', () => {
  it('creates the database, its -wal and its -shm readable by their owner only (0600)', () => {
    const dir = tempDir();
    // What a file gets here without care: the process umask must leave others' read bits for
    // this test to prove anything (the usual 022 does).
    writeFileSync(path.join(dir, 'control'), '');
    expect(modeOf(path.join(dir, 'control')) & 0o044).not.toBe(0);

    const db = path.join(dir, 'zenithfence.sqlite');
    const notices: string[] = [];
    const store = openStore(db, { onPermissionNotice: (message) => notices.push(message) });
    store.rules.create(ruleInput(), 1);
    store.history.insertBatch([historyRow('c1')]);
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      expect(existsSync(file), file).toBe(true);
      expect(modeOf(file).toString(8), file).toBe('600');
    }
    store.close();
    expect(modeOf(db).toString(8)).toBe('600');
    expect(notices).toEqual([]); // nothing was loose, nothing to say
  });

  it('tightens an existing 0644 database and its side files at open, and says so', () => {
    const dir = tempDir();
    const db = path.join(dir, 'zenithfence.sqlite');
    // An older release's database, still open elsewhere so that its -wal and -shm exist.
    const other = new DatabaseSync(db);
    other.exec('PRAGMA journal_mode = WAL; CREATE TABLE old (x INTEGER); INSERT INTO old VALUES (1)');
    for (const file of [db, `${db}-wal`, `${db}-shm`]) chmodSync(file, 0o644);

    const notices: string[] = [];
    const store = openStore(db, { onPermissionNotice: (message) => notices.push(message) });
    for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(modeOf(file).toString(8), file).toBe('600');
    expect(notices).toEqual([
      `${db} was open to other users (mode 0644); changed to 0600`,
      `${db}-wal was open to other users (mode 0644); changed to 0600`,
      `${db}-shm was open to other users (mode 0644); changed to 0600`,
    ]);
    store.close();
    other.close();
  });
});

describe('prepareDataDir', () => {
  it('creates the data directory (and missing parents) 0700', () => {
    const dir = path.join(tempDir(), 'share', 'zenithfence');
    const notices: string[] = [];
    prepareDataDir(dir, (message) => notices.push(message));
    expect(modeOf(dir).toString(8)).toBe('700');
    expect(notices).toEqual([]);
  });

  it('tightens an existing 0755 data directory, and says so', () => {
    const dir = path.join(tempDir(), 'zenithfence');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const notices: string[] = [];
    prepareDataDir(dir, (message) => notices.push(message));
    expect(modeOf(dir).toString(8)).toBe('700');
    expect(notices).toEqual([`${dir} was open to other users (mode 0755); changed to 0700`]);
    prepareDataDir(dir, (message) => notices.push(message));
    expect(notices).toHaveLength(1);
  });
});
