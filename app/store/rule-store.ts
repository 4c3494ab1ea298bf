import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { Rule, RuleDuration, RuleInput } from '../contract/rules.ts';
import { ruleInputSchema, ruleSchema } from '../contract/rules.ts';
import type { Row } from './row-values.ts';
import { booleanColumn, idsOf, jsonColumn, validRow } from './row-values.ts';
import type { ReadableRules, RuleHits, RulePatch, RuleStore } from './store.ts';
import { inTransaction } from './transaction.ts';

const PATCHABLE = new Set<string>(Object.keys(ruleInputSchema.shape));
/** The rules table's columns, in the order the statements use (also read by rescue-reader.ts). */
export const RULE_COLUMNS = `id, enabled, created_at, updated_at, expires_at, action, direction, app, destination, port,
  protocol, duration, notes, hit_count, last_hit_at, profile`;
const MINUTE_MS = 60_000;

/** Rules in SQLite: indexed scalar columns plus JSON columns for the nested matchers. */
export function createRuleStore(db: DatabaseSync): RuleStore {
  const selectAll = db.prepare(`SELECT ${RULE_COLUMNS} FROM rules ORDER BY created_at, rowid`);
  const selectOne = db.prepare(`SELECT ${RULE_COLUMNS} FROM rules WHERE id = ?`);
  const insert = db.prepare(`INSERT INTO rules (${RULE_COLUMNS}) VALUES (:id, :enabled, :created_at, :updated_at,
    :expires_at, :action, :direction, :app, :destination, :port, :protocol, :duration, :notes, :hit_count, :last_hit_at, :profile)`);
  // Rewrites the whole row; update() reads it in the same transaction, so counters are kept.
  const replace = db.prepare(`UPDATE rules SET enabled = :enabled, created_at = :created_at,
    updated_at = :updated_at, expires_at = :expires_at, action = :action, direction = :direction, app = :app,
    destination = :destination, port = :port, protocol = :protocol, duration = :duration, notes = :notes,
    hit_count = :hit_count, last_hit_at = :last_hit_at, profile = :profile WHERE id = :id`);
  // One statement inserts or replaces (no read, no savepoint): an import puts thousands.
  const upsert = db.prepare(`INSERT INTO rules (${RULE_COLUMNS}) VALUES (:id, :enabled, :created_at, :updated_at,
    :expires_at, :action, :direction, :app, :destination, :port, :protocol, :duration, :notes, :hit_count, :last_hit_at, :profile)
    ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, created_at = excluded.created_at,
    updated_at = excluded.updated_at, expires_at = excluded.expires_at, action = excluded.action,
    direction = excluded.direction, app = excluded.app, destination = excluded.destination, port = excluded.port,
    protocol = excluded.protocol, duration = excluded.duration, notes = excluded.notes,
    hit_count = excluded.hit_count, last_hit_at = excluded.last_hit_at, profile = excluded.profile`);
  const remove = db.prepare('DELETE FROM rules WHERE id = ?');
  const addHits = db.prepare(`UPDATE rules SET hit_count = hit_count + ?,
    last_hit_at = max(coalesce(last_hit_at, 0), ?) WHERE id = ?`);
  const removeExpired = db.prepare('DELETE FROM rules WHERE expires_at <= ? RETURNING id');
  const removeByKind = db.prepare(
    'DELETE FROM rules WHERE duration_kind IN (SELECT value FROM json_each(?)) RETURNING id',
  );

  const get = (id: string): Rule | null => {
    const row = selectOne.get(id);
    return row === undefined ? null : rowToRule(row);
  };

  return {
    list: () => selectAll.all().map(rowToRule),
    listReadable: () => readRuleRows(selectAll.all()),
    put(rule: Rule): void {
      // The engine owns ids and bookkeeping of the rules it makes: store the rule as given.
      upsert.run(ruleToRow(ruleSchema.parse(rule)));
    },
    get,
    create(input: RuleInput, now: number): Rule {
      const parsed = ruleInputSchema.parse(input);
      const rule = ruleSchema.parse({
        ...parsed,
        id: randomUUID(),
        createdAt: now,
        updatedAt: now,
        expiresAt: expiryOf(parsed.duration, now),
        hitCount: 0,
        lastHitAt: null,
      });
      insert.run(ruleToRow(rule));
      return rule;
    },
    update(id: string, patch: RulePatch, now: number): Rule | null {
      // The patch may come from the UI: only user fields, so it cannot rewrite ids or counters.
      const unknown = Object.keys(patch).filter((key) => !PATCHABLE.has(key));
      if (unknown.length > 0) throw new TypeError(`A rule patch cannot set: ${unknown.join(', ')}`);
      return inTransaction(db, () => {
        const current = get(id);
        if (current === null) return null;
        const merged = { ...current, ...patch, updatedAt: now };
        if (patch.duration !== undefined) merged.expiresAt = expiryOf(patch.duration, now);
        const rule = ruleSchema.parse(merged);
        replace.run(ruleToRow(rule));
        return rule;
      });
    },
    delete: (id: string) => remove.run(id).changes > 0,
    recordHits(hits: ReadonlyMap<string, RuleHits>): void {
      if (hits.size === 0) return;
      inTransaction(db, () => {
        for (const [id, hit] of hits) addHits.run(hit.count, hit.lastHitAt, id);
      });
    },
    deleteExpired: (now: number) => idsOf(removeExpired.all(now)),
    deleteByDuration: (kinds: readonly RuleDuration['kind'][]) => idsOf(removeByKind.all(JSON.stringify(kinds))),
  };
}

/** 'minutes' rules stop applying `minutes` after they were set; every other kind has no clock. */
function expiryOf(duration: RuleDuration, now: number): number | null {
  return duration.kind === 'minutes' ? now + duration.minutes * MINUTE_MS : null;
}

function ruleToRow(rule: Rule): Record<string, string | number | null> {
  return {
    id: rule.id,
    enabled: rule.enabled ? 1 : 0,
    created_at: rule.createdAt,
    updated_at: rule.updatedAt,
    expires_at: rule.expiresAt,
    action: rule.action,
    direction: rule.direction,
    app: JSON.stringify(rule.app),
    destination: JSON.stringify(rule.destination),
    port: JSON.stringify(rule.port),
    protocol: JSON.stringify(rule.protocol),
    duration: JSON.stringify(rule.duration),
    notes: rule.notes,
    hit_count: rule.hitCount,
    last_hit_at: rule.lastHitAt,
    profile: rule.profile ?? null,
  };
}

/** A row of the rules table as a Rule; throws StoreDataError when it is not a valid rule. */
/** Rows of the rules table as rules, leaving out (and reporting) those that do not pass the schema. */
export function readRuleRows(rows: readonly Row[]): ReadableRules {
  const rules: Rule[] = [];
  const unreadable: Array<{ id: string; reason: string }> = [];
  for (const row of rows) {
    try {
      rules.push(rowToRule(row));
    } catch (error) {
      const id = row['id'];
      unreadable.push({
        id: typeof id === 'string' ? id : String(id),
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { rules, unreadable };
}

export function rowToRule(row: Row): Rule {
  const what = `rule ${String(row['id'])}`;
  return validRow(
    ruleSchema,
    {
      id: row['id'],
      enabled: booleanColumn(row, 'enabled'),
      createdAt: row['created_at'],
      updatedAt: row['updated_at'],
      expiresAt: row['expires_at'],
      action: row['action'],
      direction: row['direction'],
      app: jsonColumn(row, 'app', what),
      destination: jsonColumn(row, 'destination', what),
      port: jsonColumn(row, 'port', what),
      protocol: jsonColumn(row, 'protocol', what),
      duration: jsonColumn(row, 'duration', what),
      notes: row['notes'],
      hitCount: row['hit_count'],
      lastHitAt: row['last_hit_at'],
      // Absent rather than null for an always-on rule: the form every rule had before profiles.
      ...(row['profile'] === null || row['profile'] === undefined ? {} : { profile: row['profile'] }),
    },
    what,
  );
}
