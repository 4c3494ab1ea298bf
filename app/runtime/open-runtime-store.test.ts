import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleInput } from '../contract/rules.ts';
import { openStore, type Store, StoreVersionError } from '../store/index.ts';
import { openRuntimeStore } from './open-runtime-store.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { loadSettings, saveSettings } from './settings.ts';
import { tempDbPath } from './test-support/harness.ts';

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

/** A real SQLITE_FULL error, made with max_page_count (no full disk needed). */
function realFullError(): unknown {
  const db = new DatabaseSync(':memory:');
  try {
    db.exec('PRAGMA max_page_count = 1; CREATE TABLE a (x); CREATE TABLE b (x); CREATE TABLE c (x)');
  } catch (error) {
    return error;
  } finally {
    db.close();
  }
  throw new Error('max_page_count did not make the database full');
}

/** Creates a rule in a child process that is SIGKILLed right after the commit. */
async function killedAfterCommit(file: string, rule: RuleInput): Promise<void> {
  const store = path.resolve(import.meta.dirname, '..', 'store', 'index.ts');
  const script = `import { openStore } from ${JSON.stringify(store)};
    const store = openStore(${JSON.stringify(file)});
    store.rules.create(${JSON.stringify(rule)}, 2000);
    console.log('committed');
    setTimeout(() => undefined, 10_000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      if (data.toString().includes('committed')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the writer exited (${String(code)}) before committing`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const RULE: RuleInput = {
  app: { kind: 'path', path: '/usr/bin/curl' },
  destination: { kind: 'ip', address: '10.0.0.2' },
  port: { kind: 'any' },
  protocol: 'any',
  direction: 'outbound',
  action: 'allow',
  duration: { kind: 'forever' },
  enabled: true,
  notes: 'kept',
};

describe('openRuntimeStore', () => {
  it('opens the database as it is when it can', () => {
    const opened = openRuntimeStore(tempDbPath(), new RateLimitedLog(() => undefined));
    open.push(opened.store);
    expect(opened.unavailable).toBeNull();
  });

  it('when the open fails with a full disk, reads rules and settings from the file into a store in memory', async () => {
    const file = tempDbPath();
    const original = openStore(file);
    original.rules.create(RULE, 1_000);
    saveSettings(original, { defaultAction: 'drop' });
    original.close();
    // A process killed after a commit leaves it in the WAL only: it is read all the same.
    await killedAfterCommit(file, { ...RULE, notes: 'in the wal' });
    expect(existsSync(`${file}-wal`)).toBe(true);
    const lines: string[] = [];
    const full = realFullError();
    const opened = openRuntimeStore(file, new RateLimitedLog((line) => lines.push(line)), () => {
      throw full;
    });
    open.push(opened.store);
    expect(opened.unavailable).toBe('database or disk is full; 2 rules read from it');
    expect(opened.store.rules.list().map((rule) => rule.notes)).toEqual(['kept', 'in the wal']);
    expect(loadSettings(opened.store).defaultAction).toBe('drop');
    expect(lines).toEqual([
      expect.stringMatching(/^storage: could not open .* \(database or disk is full.*\); starting without it$/),
      expect.stringMatching(/^storage: read 2 rules from /),
    ]);
  });

  it('starts with no rules when not even reading works, and says so', () => {
    const opened = openRuntimeStore('/nonexistent-dir/zenithfence.sqlite', new RateLimitedLog(() => undefined), () => {
      throw realFullError();
    });
    open.push(opened.store);
    expect(opened.unavailable).toMatch(/its rules could not be read either, so every connection is asked about$/);
    expect(opened.store.rules.list()).toEqual([]);
  });

  it('still refuses a database of a newer release', () => {
    expect(() =>
      openRuntimeStore(tempDbPath(), new RateLimitedLog(() => undefined), () => {
        throw new StoreVersionError(99, 3);
      }),
    ).toThrow(StoreVersionError);
  });
});
