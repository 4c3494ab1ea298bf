import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import type { Rule } from '../contract/rules.ts';
import { readRuleRows } from './rule-store.ts';
import type { JsonValue } from './store.ts';

/** What could be read from a database that would not open normally. */
export interface RescuedData {
  readonly rules: readonly Rule[];
  readonly settings: ReadonlyMap<string, JsonValue>;
  /** Rows that were unreadable or invalid, left out. */
  readonly skipped: number;
}

/**
 * Reads the rules and settings of a database that openStore could not open, so the firewall
 * starts with the user's rules even then (a full disk is the usual cause: a WAL database needs
 * to create and size its -shm file before it can be read at all).
 *
 * Two ways in, without -shm: first an exclusive connection, which keeps the WAL index in its own
 * memory and so also sees what was committed to the WAL but not yet checkpointed (query_only:
 * it writes nothing); then, if even that fails, the file as immutable (no locks, no WAL: only
 * what was checkpointed). Rows are a trust boundary: each is checked against the contract's
 * schema (the rule store's own row reader) and skipped, and counted, when it does not pass.
 */
export function rescueRulesAndSettings(file: string): RescuedData {
  let lastError: unknown;
  for (const open of [openExclusive, openImmutable]) {
    let db: DatabaseSync | undefined;
    try {
      db = open(file);
      return readAll(db);
    } catch (error) {
      lastError = error;
    } finally {
      try {
        db?.close();
      } catch {
        // Closing a connection that read nothing cannot lose anything.
      }
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

function openExclusive(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  db.exec('PRAGMA query_only = ON');
  return db;
}

function openImmutable(file: string): DatabaseSync {
  const url = pathToFileURL(file);
  url.searchParams.set('immutable', '1');
  return new DatabaseSync(url, { readOnly: true });
}

function readAll(db: DatabaseSync): RescuedData {
  const { rules, unreadable } = readRuleRows(
    // Every column there is: a damaged file may be from before a column was added (rules.profile).
    db.prepare('SELECT * FROM rules ORDER BY created_at, rowid').all(),
  );
  let skipped = unreadable.length;
  const settings = new Map<string, JsonValue>();
  for (const row of db.prepare('SELECT key, value FROM settings').all()) {
    const value = jsonOf(row['value']);
    if (typeof row['key'] === 'string' && value !== undefined) settings.set(row['key'], value as JsonValue);
    else skipped += 1;
  }
  return { rules, settings, skipped };
}

function jsonOf(text: SQLOutputValue | undefined): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
