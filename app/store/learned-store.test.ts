import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createLearnedStore } from './learned-store.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import type { LearnedStore, StoredProposalRow } from './store.ts';

let open: DatabaseSync[] = [];
afterEach(() => {
  for (const db of open) db.close();
  open = [];
});
function fresh(): { db: DatabaseSync; learned: LearnedStore } {
  const db = new DatabaseSync(':memory:');
  migrate(db, MIGRATIONS);
  open.push(db);
  return { db, learned: createLearnedStore(db) };
}

function proposal(id: string, key: string, connections = 1): StoredProposalRow {
  return {
    id,
    key,
    appKey: '/usr/bin/curl',
    rule: {
      app: { kind: 'path', path: '/usr/bin/curl' },
      destination: { kind: 'ip', address: '192.0.2.7' },
      port: { kind: 'port', port: 443 },
      protocol: 6,
      direction: 'outbound',
      action: 'allow',
      duration: { kind: 'forever' },
      enabled: true,
      notes: 'learned',
    },
    connections,
    firstAt: 100,
    lastAt: 200,
  };
}

describe('learned store', () => {
  it('writes, updates and removes proposals in batches', () => {
    const { learned } = fresh();
    learned.write([proposal('l1', 'k1'), proposal('l2', 'k2')], []);
    learned.write([proposal('l1', 'k1', 5)], ['l2']);
    const { proposals, unreadable } = learned.list();
    expect(unreadable).toBe(0);
    expect(proposals.map((p) => [p.id, p.connections])).toEqual([['l1', 5]]);
  });

  it('a row that no longer reads does not block a new proposal of its key (nor the batch with it)', () => {
    const { db, learned } = fresh();
    learned.write([proposal('old', 'k1')], []);
    // Damaged (or written under an older rule schema): valid JSON, not a rule.
    db.prepare(`UPDATE learned SET rule = '{"no":"rule"}' WHERE id = 'old'`).run();
    expect(learned.list()).toEqual({ proposals: [], unreadable: 1 });
    // The engine never saw it, so it learns the same destination under a new id.
    expect(() => learned.write([proposal('new', 'k1', 2)], [])).not.toThrow();
    const { proposals, unreadable } = learned.list();
    expect(unreadable).toBe(0);
    expect(proposals.map((p) => [p.id, p.connections])).toEqual([['new', 2]]);
  });
});
