import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * How many statements a cache keeps. Searches build their SQL from the fields a filter uses, so
 * there are few shapes; a bound all the same, since the filters come from the UI.
 */
const MAX_CACHED_STATEMENTS = 64;

/** A function that prepares each SQL text once and reuses it (emptied when full). */
export function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const statements = new Map<string, StatementSync>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
