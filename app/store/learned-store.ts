import type { DatabaseSync } from 'node:sqlite';
import { z } from 'zod';
import { MAX_PROPOSALS } from '../contract/learning.ts';
import { ruleInputSchema } from '../contract/rules.ts';
import type { Row } from './row-values.ts';
import { jsonColumn, validRow } from './row-values.ts';
import type { LearnedStore, StoredProposalRow } from './store.ts';
import { inTransaction } from './transaction.ts';

/** A proposal row as read back: a trust boundary (the file may have been edited or damaged). */
const proposalSchema = z
  .object({
    id: z.string().min(1).max(128),
    key: z.string().min(1).max(10_000),
    appKey: z.string().min(1).max(20_000),
    rule: ruleInputSchema,
    connections: z.number().int().positive(),
    firstAt: z.number().int().nonnegative(),
    lastAt: z.number().int().nonnegative(),
  })
  .strict();

/** The proposals learning made, waiting for review (app/engine/learning.ts). */
export function createLearnedStore(db: DatabaseSync): LearnedStore {
  const selectAll = db.prepare(
    `SELECT id, key, app_key, rule, connections, first_at, last_at FROM learned ORDER BY first_at, rowid LIMIT ${String(MAX_PROPOSALS)}`,
  );
  const upsert = db.prepare(`INSERT INTO learned (id, key, app_key, rule, connections, first_at, last_at)
    VALUES (:id, :key, :app_key, :rule, :connections, :first_at, :last_at)
    ON CONFLICT (id) DO UPDATE SET connections = excluded.connections, last_at = excluded.last_at`);
  const remove = db.prepare('DELETE FROM learned WHERE id = ?');
  // A row of the same key under another id is one the engine does not hold: one that could not be
  // read back at start (damaged, or written under an older rule schema). Left, its UNIQUE key
  // would refuse this proposal and with it every later batch of history, hits and DNS answers.
  const removeStale = db.prepare('DELETE FROM learned WHERE key = ? AND id <> ?');
  return {
    list(): { proposals: StoredProposalRow[]; unreadable: number } {
      const proposals: StoredProposalRow[] = [];
      let unreadable = 0;
      for (const row of selectAll.all()) {
        try {
          proposals.push(rowToProposal(row));
        } catch {
          // A damaged row loses one proposal, not the review.
          unreadable++;
        }
      }
      return { proposals, unreadable };
    },
    write(put: readonly StoredProposalRow[], removed: readonly string[]): void {
      if (put.length === 0 && removed.length === 0) return;
      inTransaction(db, () => {
        // Deletes first: a reviewed proposal's key may be learned again under a new id in the same batch.
        for (const id of removed) remove.run(id);
        for (const proposal of put) {
          removeStale.run(proposal.key, proposal.id);
          upsert.run({
            id: proposal.id,
            key: proposal.key,
            app_key: proposal.appKey,
            rule: JSON.stringify(proposal.rule),
            connections: proposal.connections,
            first_at: proposal.firstAt,
            last_at: proposal.lastAt,
          });
        }
      });
    },
  };
}

function rowToProposal(row: Row): StoredProposalRow {
  const what = `proposal ${String(row['id'])}`;
  return validRow(
    proposalSchema,
    {
      id: row['id'],
      key: row['key'],
      appKey: row['app_key'],
      rule: jsonColumn(row, 'rule', what),
      connections: row['connections'],
      firstAt: row['first_at'],
      lastAt: row['last_at'],
    },
    what,
  );
}
