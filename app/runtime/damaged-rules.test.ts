import { rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/index.ts';
import { ruleInput } from '../store/test-support/fixtures.ts';
import { connection, startRuntime, tempDbPath } from './test-support/harness.ts';

// A start on a database with one damaged rule row (a disk error, an edit by hand, a rule a
// newer version stored): the other rules must stay in force. Reading them all or none left a
// block rule out of force because of an unrelated row, and the traffic it blocked got through.

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe('a damaged rule row at start', () => {
  it('leaves that rule out, keeps the others in force, and says which one and why', () => {
    const dbPath = tempDbPath();
    cleanups.push(() => rmSync(path.dirname(dbPath), { recursive: true, force: true }));
    const first = openStore(dbPath);
    const block = first.rules.create(
      ruleInput({ destination: { kind: 'ip', address: '93.184.216.34' }, action: 'block' }),
      1,
    );
    const damaged = first.rules.create(ruleInput({ destination: { kind: 'ip', address: '10.9.9.9' } }), 2);
    first.close();
    const db = new DatabaseSync(dbPath);
    db.prepare('UPDATE rules SET destination = ? WHERE id = ?').run('{"kind":"planet","name":"mars"}', damaged.id);
    db.close();

    const store = openStore(dbPath);
    cleanups.push(() => store.close());
    const h = startRuntime({ store });
    expect(h.runtime.engine.listRules().map((rule) => rule.id)).toEqual([block.id]);
    // The block rule decides curl → 93.184.216.34:443 without a prompt.
    h.runtime.handleEvent(connection(1n, 40_001), 1_100);
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    const said = h.runtime.logs().map((line) => line.message);
    expect(said).toContainEqual(
      expect.stringMatching(
        new RegExp(`^1 stored rule could not be read and is not in force: ${damaged.id} \\(Stored`),
      ),
    );
    // The row stays in the database for a later version or a repair; nothing deleted it.
    expect(store.rules.listReadable().unreadable.map((row) => row.id)).toEqual([damaged.id]);
  });
});
