import { rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import { RULE_FILE_FORMAT } from '../contract/rules.ts';
import { openStore } from '../store/index.ts';
import { ruleInput } from '../store/test-support/fixtures.ts';
import { loadSettings } from './settings.ts';
import { connection, type Harness, startRuntime, tempDbPath } from './test-support/harness.ts';

// Every handler that writes answers 'storage' when the database cannot take the write, and
// changes nothing in memory. Deterministic and without root: another connection holds the write
// lock and the store waits 0 ms for it (SQLITE_BUSY, a fault of the environment like a full
// disk: storage-errors.ts). A real full disk: storage-full.test.ts.

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  cleanups = [];
});

const blockLan = ruleInput({ destination: { kind: 'lan' }, action: 'block', notes: 'kept' });

async function lockedRuntime(): Promise<{ h: Harness; ruleId: string; lock: DatabaseSync }> {
  const dbPath = tempDbPath();
  const store = openStore(dbPath, { busyTimeoutMs: 0 });
  cleanups.push(() => rmSync(path.dirname(dbPath), { recursive: true, force: true }));
  cleanups.push(() => store.close());
  const h = startRuntime({ store });
  const created = await dispatch(h.handlers, 'rules:create', blockLan);
  if (!created.ok) throw new Error(created.error.message);
  const lock = new DatabaseSync(dbPath);
  lock.exec('BEGIN IMMEDIATE');
  cleanups.push(() => {
    if (lock.isTransaction) lock.exec('ROLLBACK');
    lock.close();
  });
  return { h, ruleId: (created.value as { id: string }).id, lock };
}

/** What the database holds and what is in force are the same rules, as before the failure. */
function unchanged(h: Harness): void {
  expect(h.runtime.engine.listRules()).toEqual(h.store.rules.list());
  expect(h.store.rules.list().map((rule) => [rule.notes, rule.action])).toEqual([['kept', 'block']]);
}

const locked = (outcome: string) =>
  `The database cannot be written (database is locked): ${outcome}. Try again once it can be written.`;

describe('a database that refuses writes', () => {
  it("answers every rule change with 'storage' and a sentence; memory stays what the database holds", async () => {
    const { h, ruleId, lock } = await lockedRuntime();
    // A held curl connection that the refused allow rule would have decided.
    h.runtime.handleEvent(connection(1n, 40_001), h.clock.now);
    const allowCurl = ruleInput({ destination: { kind: 'any' }, port: { kind: 'any' } });

    expect(await dispatch(h.handlers, 'rules:create', allowCurl)).toEqual({
      ok: false,
      error: { code: 'storage', message: locked('the rule was not created') },
    });
    unchanged(h);
    expect(h.verdicts).toEqual([]);

    expect(await dispatch(h.handlers, 'rules:update', { id: ruleId, patch: { action: 'allow' } })).toEqual({
      ok: false,
      error: { code: 'storage', message: locked('the rule was not changed') },
    });
    unchanged(h);

    expect(await dispatch(h.handlers, 'rules:delete', { id: ruleId })).toEqual({
      ok: false,
      error: { code: 'storage', message: locked('the rule was not deleted') },
    });
    unchanged(h);

    const file = { text: JSON.stringify({ format: RULE_FILE_FORMAT, version: 1, rules: [allowCurl] }) };
    expect(await dispatch(h.handlers, 'rules:import', file)).toEqual({
      ok: false,
      error: { code: 'storage', message: locked('nothing was imported') },
    });
    unchanged(h);
    expect(h.verdicts).toEqual([]); // still held: no refused rule is in force

    // Once the database takes writes again, so do the handlers.
    lock.exec('ROLLBACK');
    expect(await dispatch(h.handlers, 'rules:import', file)).toEqual({ ok: true, value: { imported: 1, skipped: 0 } });
    expect(h.verdicts).toEqual([[1n, 'permanent-accept']]);
    // (The hit it just counted reaches the database with the next tick.)
    const ids = (rules: ReadonlyArray<{ id: string }>) => rules.map((rule) => rule.id);
    expect(ids(h.runtime.engine.listRules())).toEqual(ids(h.store.rules.list()));
    expect(h.store.rules.list()).toHaveLength(2);
  });

  it("answers 'settings:set' with 'storage'; the settings in force stay the stored ones", async () => {
    const { h } = await lockedRuntime();
    const before = h.runtime.settings;
    const result = await dispatch(h.handlers, 'settings:set', { holdTimeoutSeconds: 5 });
    expect(result).toEqual({ ok: false, error: { code: 'storage', message: locked('the setting was not saved') } });
    expect(h.runtime.settings).toEqual(before);
    expect(loadSettings(h.store)).toEqual(before);
  });
});
