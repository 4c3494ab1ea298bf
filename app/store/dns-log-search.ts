import type { SQLInputValue } from 'node:sqlite';
import type { DnsLogFilter, DnsOutcome } from '../contract/dns-log.ts';
import { escapeLike, type SqlClause, type TextPlan } from './history-search.ts';

/**
 * A validated DNS log filter as SQL with positional parameters (never text of the request in
 * the SQL itself). The statements built from it are few (one per combination of filter fields
 * used and outcome count) and cached by the store. The text plans are history-search.ts's:
 * `indexed` through the short lists and the indexes, for text few answers match; `walk` newest
 * first through an index in time order, testing each answer, for text many match.
 */

/** Newest first; seq orders answers logged in the same millisecond (insertion order). */
export const NEWEST_FIRST = 'at DESC, seq DESC';

/** The WHERE clause (without the keyword) of `filter`. */
export function dnsLogWhere(filter: DnsLogFilter, textPlan: TextPlan = 'indexed'): SqlClause {
  return where(filter, textPlan, filter.outcomes);
}

/**
 * The SQL selecting the `seq` of one page newest first, ending in `LIMIT ? OFFSET ?` (the
 * caller appends both values to `params`).
 *
 * Several outcomes without text are read as one arm per outcome, merged in time order
 * (`MERGE (UNION ALL)` in the plan): each arm is a range of dns_log_outcome_at, already newest
 * first and covering, so a deep page skips index entries only. With `outcome IN (...)` SQLite
 * would read every match and sort them, and a walk by time tests every answer in the table.
 */
export function dnsLogPageSql(filter: DnsLogFilter, textPlan: TextPlan): SqlClause {
  const outcomes = filter.outcomes ?? [];
  if (filter.text === undefined && outcomes.length > 1) {
    const arms = outcomes.map((outcome) => where(filter, textPlan, [outcome]));
    // A compound's ORDER BY names its result columns by number: 2 is at, 1 is seq.
    const union = arms.map((arm) => `SELECT seq, at FROM dns_log WHERE ${arm.sql}`).join(' UNION ALL ');
    return {
      sql: `SELECT seq FROM (${union} ORDER BY 2 DESC, 1 DESC LIMIT ? OFFSET ?)`,
      params: arms.flatMap((arm) => arm.params),
    };
  }
  const clause = where(filter, textPlan, filter.outcomes);
  return {
    sql: `SELECT seq FROM dns_log WHERE ${clause.sql} ORDER BY ${NEWEST_FIRST} LIMIT ? OFFSET ?`,
    params: clause.params,
  };
}

function where(filter: DnsLogFilter, textPlan: TextPlan, outcomes: DnsLogFilter['outcomes']): SqlClause {
  const terms: string[] = ['at >= ?', 'at < ?'];
  const params: SQLInputValue[] = [filter.since, filter.until];
  const add = (sql: string, ...values: SQLInputValue[]): void => {
    terms.push(sql);
    params.push(...values);
  };
  if (filter.appPath !== undefined) add('app_path = ?', filter.appPath);
  if (outcomes !== undefined) add(...outcomeTerm(outcomes, filter.text === undefined ? 'alone' : textPlan));

  if (filter.text !== undefined) add(...textTerm(filter.text, textPlan));
  return { sql: terms.join(' AND '), params };
}

/**
 * The outcome term. `alone` (no text): through dns_log_outcome_at. With text a unary plus keeps
 * SQLite off that index where another is better: `indexed`, the text's indexes (a text selects
 * fewer answers than an outcome, which SQLite cannot tell: it read every "no such name" answer
 * to find the few of a name); `walk`, several outcomes, whose ranges it would have to sort. A
 * walk reads one outcome's range in time order.
 */
function outcomeTerm(outcomes: readonly DnsOutcome[], plan: TextPlan | 'alone'): [string, ...SQLInputValue[]] {
  const column = plan === 'indexed' || (plan === 'walk' && outcomes.length > 1) ? '+outcome' : 'outcome';
  if (outcomes.length === 1) return [`${column} = ?`, ...outcomes];
  return [`${column} IN (${outcomes.map(() => '?').join(', ')})`, ...outcomes];
}

/**
 * Text that can be part of an address's canonical text: hex digits, dots and colons. Only such
 * text is looked for in the addresses; it has no space, so it never matches across two of them.
 */
const ADDRESS_PART = /^[0-9a-f.:]+$/i;

/**
 * Free text: a case-insensitive part of the name, of an address or of the app's path (LIKE
 * folds ASCII case; names and addresses are stored in lower case).
 *
 * `indexed`: the names, app paths and (address, name) pairs matching are found in the short
 * lists first, then the answers through dns_log_name_at and dns_log_app_at (a name that got the
 * address in some answers only: its answers are tested). `walk`: each answer's columns tested.
 * Both select the same answers: the lists hold every value the log holds (dns-log-store.ts).
 */
function textTerm(text: string, plan: TextPlan): [string, ...SQLInputValue[]] {
  const pattern = `%${escapeLike(text)}%`;
  const addresses = ADDRESS_PART.test(text);
  if (plan === 'walk') {
    const terms = [`name LIKE ? ESCAPE '\\'`, `app_path LIKE ? ESCAPE '\\'`];
    if (addresses) terms.push(`addresses LIKE ? ESCAPE '\\'`);
    return [`(${terms.join(' OR ')})`, ...terms.map(() => pattern)];
  }
  const terms = [
    `name IN (SELECT name FROM dns_log_names WHERE name LIKE ? ESCAPE '\\')`,
    `app_path IN (SELECT path FROM dns_log_apps WHERE path LIKE ? ESCAPE '\\')`,
  ];
  const params: SQLInputValue[] = [pattern, pattern];
  if (addresses) {
    terms.push(
      `(name IN (SELECT name FROM dns_log_addresses WHERE address LIKE ? ESCAPE '\\') AND addresses LIKE ? ESCAPE '\\')`,
    );
    params.push(pattern, pattern);
  }
  return [`(${terms.join(' OR ')})`, ...params];
}
