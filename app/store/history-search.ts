import type { SQLInputValue } from 'node:sqlite';
import type { HistoryFilter, HistorySort, HistorySortKey } from '../contract/history.ts';

/**
 * A validated history filter and sort as SQL: the WHERE clause with positional parameters (never
 * text of the request in the SQL itself) and an ORDER BY from a fixed list. The statements built
 * from them are few (one per combination of filter fields used) and cached by the store.
 */
export interface SqlClause {
  readonly sql: string;
  readonly params: readonly SQLInputValue[];
}

/** LIKE's wildcards and its escape character, escaped (ESCAPE '\'). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * How a free-text filter is read. `indexed`: through the app and host indexes, right for text
 * that few connections match (found at once, where a walk by time would read the whole history).
 * `walk`: by time, testing each connection, right for text that many connections match (the
 * first page is found after a few hundred rows, where the indexes would collect and sort all of
 * them first: 300 ms for a text matching a tenth of a million rows).
 */
export type TextPlan = 'indexed' | 'walk';

/**
 * How a page sorted by something other than time is read. `sorted`: the matches are found through
 * the filter's indexes and sorted, right when they are few. `walk`: in the sort key's index order,
 * testing each connection (the time window too, kept off its index), right when they are many:
 * a page then stops after a few hundred index entries where sorting took up to 1.5 s.
 */
export type SortPlan = 'sorted' | 'walk';

/** The WHERE clause (without the keyword) of `filter`. */
export function whereOf(
  filter: HistoryFilter,
  textPlan: TextPlan = 'indexed',
  sortPlan: SortPlan = 'sorted',
): SqlClause {
  // A unary plus keeps SQLite from reading the time window through its index (the walk plan).
  const time = sortPlan === 'walk' ? '+started_at' : 'started_at';
  const terms: string[] = [`${time} >= ?`, `${time} < ?`];
  const params: SQLInputValue[] = [filter.since, filter.until];
  const add = (sql: string, ...values: SQLInputValue[]): void => {
    terms.push(sql);
    params.push(...values);
  };
  if (filter.appPath !== undefined) add('app_path = ?', filter.appPath);
  // Stored names are lower case (history-store.ts); the name itself, or any name under it,
  // found in the short list of names first, then read through the host index.
  if (filter.host !== undefined) {
    add(
      `host_name IN (SELECT name FROM history_hosts WHERE name = ? OR name LIKE ? ESCAPE '\\')`,
      filter.host,
      `%.${escapeLike(filter.host)}`,
    );
  }
  if (filter.remoteIp !== undefined) add('remote_ip = ?', filter.remoteIp);
  if (filter.remotePort !== undefined) add('remote_port = ?', filter.remotePort);
  if (filter.verdicts !== undefined) {
    add(`verdict IN (${filter.verdicts.map(() => '?').join(', ')})`, ...filter.verdicts);
  }
  if (filter.direction !== undefined) add('direction = ?', filter.direction);
  if (filter.protocol !== undefined) add('protocol = ?', filter.protocol);
  if (filter.ruleId !== undefined) add('rule_id = ?', filter.ruleId);
  if (filter.text !== undefined) add(...textTerm(filter.text, textPlan));
  return { sql: terms.join(' AND '), params };
}

/** Text that can be the start of an address: digits, hex letters, dots and colons. */
const ADDRESS_START = /^[0-9a-f.:]+$/i;

/**
 * Free text: a case-insensitive part of the app's path or of the host name (looked up in their
 * short lists, then read through the indexes), or the start of the remote address (a range of
 * the address index). Any other part of an address is not searched: a full scan of the history
 * for it took 230 ms over a million rows.
 */
function textTerm(text: string, plan: TextPlan): [string, ...SQLInputValue[]] {
  const pattern = `%${escapeLike(text)}%`;
  // A unary plus keeps SQLite from reading a term through its column's index (the walk plan).
  const column = (name: string): string => (plan === 'walk' ? `+${name}` : name);
  const terms = [
    `${column('app_path')} IN (SELECT path FROM history_apps WHERE path LIKE ? ESCAPE '\\')`,
    `${column('host_name')} IN (SELECT name FROM history_hosts WHERE name LIKE ? ESCAPE '\\')`,
  ];
  const params: SQLInputValue[] = [pattern, pattern];
  if (ADDRESS_START.test(text)) {
    // Stored addresses are canonical: lower-case hex. Every text starting with `start` sorts at
    // or after it and before `start` followed by the highest character.
    const start = text.toLowerCase();
    terms.push(`(${column('remote_ip')} >= ? AND ${column('remote_ip')} < ?)`);
    params.push(start, `${start}\u{10FFFF}`);
  }
  return [`(${terms.join(' OR ')})`, ...params];
}

/**
 * The SQL expression each sort key orders by. Each is written exactly as an index of migration 5
 * (or 4) has it, so the walk plan can read that index.
 */
const SORT_EXPRESSIONS: Readonly<Record<HistorySortKey, string>> = {
  startedAt: 'started_at',
  appPath: 'app_path',
  // Descending, SQLite puts NULL (the smallest) last: connections without a name come last.
  host: 'host_name',
  remotePort: 'remote_port',
  bytes: 'bytes_sent + bytes_received',
  // Open connections (no end yet) count as the longest.
  duration: `coalesce(ended_at, ${String(Number.MAX_SAFE_INTEGER)}) - started_at`,
};

/** Ascending, connections without a name come last too: through history_host_sort ('~' sorts after every name). */
const HOST_ASCENDING = "coalesce(host_name, '~')";

/** The ORDER BY clause (without the keywords): the key, then newest first, then insertion order. */
export function orderOf(sort: HistorySort): string {
  const direction = sort.descending ? 'DESC' : 'ASC';
  const expression = sort.key === 'host' && !sort.descending ? HOST_ASCENDING : SORT_EXPRESSIONS[sort.key];
  const keys = [`${expression} ${direction}`];
  // Ties: newest first, in insertion order (the start time alone may repeat).
  if (sort.key === 'startedAt') keys.push(`seq ${direction}`);
  else keys.push('started_at DESC', 'seq DESC');
  return keys.join(', ');
}
