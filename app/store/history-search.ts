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
 * How a free-text filter is read. `indexed`: through the app, host and address indexes, right for
 * text that few connections match (found at once, where a walk by time would read the whole
 * history). `walk`: by time through history_walk (migration 7), which holds every column the
 * text is tested on, right for text that many connections match (the first page is found after a
 * few hundred rows, where the indexes would collect and sort all of them first: 300 ms for a text
 * matching a tenth of a million rows). textWalkWindow says which, for a page. `window`: how the
 * store counts whether the start of a range holds a page: as `indexed`, which seeks that start in
 * the app and host indexes for each value, but with the address tested on each connection (the
 * address index cannot seek a time: counting the newest hundred matches of a text an old address
 * range also held read 300 000 index entries, 22-41 ms, where the time index reads the window).
 */
export type TextPlan = 'indexed' | 'walk' | 'window';

/**
 * What a walk costs for each connection it reads, against what the indexed plan costs for each
 * match it reads and sorts. Measured over a million rows (history-search-bench.ts data): a walk
 * 0.13-0.19 µs a connection; the indexes 0.2-0.47 µs a match for a text in one field, the more
 * so the more apps or names hold it (0.07 for a single one, already in time order), 0.5-0.8 in
 * two fields (each match read from the table to be sorted).
 */
export const WALK_COST_RATIO = 0.4;

/**
 * How many connections, the newest of the range (the oldest, oldest first), must hold a page of
 * a text filter for it to be walked rather than read through the indexes. The page reaches
 * `reach` matches deep (offset + limit) into a time range of `rangeSize` connections. When the
 * window holds the page, the walk reads at most the window; otherwise, were the matches spread
 * evenly, there would be fewer than reach x rangeSize / window, and the indexes read and sort
 * them all. The two bounds cost the same for the square root of reach x rangeSize /
 * WALK_COST_RATIO: 15 812 connections for a first page of 100 over a million, 353 907 for a page
 * 50 000 deep (a walk of 40-70 ms at most; the indexes read fewer than 141 600 matches).
 * Counting whether the window holds the page, rather than all the matches, also sees matches
 * that are not spread evenly: a text that only last week's connections hold is read through the
 * indexes, where a walk would have read every newer connection first.
 */
export function textWalkWindow(reach: number, rangeSize: number): number {
  return Math.ceil(Math.sqrt((reach * rangeSize) / WALK_COST_RATIO));
}

/**
 * How a page sorted by something other than time is read. `sorted`: the matches are found through
 * the filter's indexes and sorted, right when they are few. `walk`: in the sort key's index order,
 * testing each connection (the time window too, kept off its index), right when they are many:
 * a page then stops after a few hundred index entries where sorting took up to 1.5 s.
 */
export type SortPlan = 'sorted' | 'walk';

/**
 * The WHERE clause (without the keyword) of `filter`; free text looked for in `textFields` only
 * (every field by default; the store leaves out those textProbes finds nothing in).
 */
export function whereOf(
  filter: HistoryFilter,
  textPlan: TextPlan = 'indexed',
  sortPlan: SortPlan = 'sorted',
  textFields: readonly TextField[] = TEXT_FIELDS,
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
  if (filter.text !== undefined) add(...textTerm(filter.text, textPlan, textFields));
  return { sql: terms.join(' AND '), params };
}

/** Text that can be the start of an address: digits, hex letters, dots and colons. */
const ADDRESS_START = /^[0-9a-f.:]+$/i;

/** Where a free text is looked for: the app's path, the host name, the start of the remote address. */
export type TextField = 'app' | 'host' | 'address';
export const TEXT_FIELDS: readonly TextField[] = ['app', 'host', 'address'];

/** A query answering whether any connection can match a text in one field (its row: `found`, 0 or 1). */
export interface TextProbe extends SqlClause {
  readonly field: TextField;
}

/**
 * The probes of the fields `text` can be in, each a millisecond or less: the short lists of app
 * paths and host names (history_apps, history_hosts: every value the history holds, and maybe
 * some it no longer does), and one step into the address index. A field none of them finds is
 * left out of the text term (whereOf's `fields`): the indexes then read one or two ways instead
 * of three, or one index alone, in its time order (a page 50 000 deep of a text only one app's
 * path holds: 9 ms, where the app and host indexes together took 59 ms).
 */
export function textProbes(text: string): TextProbe[] {
  const pattern = `%${escapeLike(text)}%`;
  const probes: TextProbe[] = [
    {
      field: 'app',
      sql: `SELECT EXISTS (SELECT 1 FROM history_apps WHERE path LIKE ? ESCAPE '\\') AS found`,
      params: [pattern],
    },
    {
      field: 'host',
      sql: `SELECT EXISTS (SELECT 1 FROM history_hosts WHERE name LIKE ? ESCAPE '\\') AS found`,
      params: [pattern],
    },
  ];
  if (ADDRESS_START.test(text)) {
    probes.push({
      field: 'address',
      sql: 'SELECT EXISTS (SELECT 1 FROM history WHERE remote_ip >= ? AND remote_ip < ?) AS found',
      params: addressRange(text),
    });
  }
  return probes;
}

/**
 * Stored addresses are canonical: lower-case hex. Every text starting with `text` sorts at or
 * after it and before it followed by the highest character.
 */
function addressRange(text: string): [string, string] {
  const start = text.toLowerCase();
  return [start, `${start}\u{10FFFF}`];
}

/**
 * Free text: a case-insensitive part of the app's path or of the host name, or the start of the
 * remote address (a range of the address index), each in `fields` only. Any other part of an
 * address is not searched: a full scan of the history for it took 230 ms over a million rows.
 *
 * `indexed`: the app paths and host names that hold the text are found in their short lists,
 * then their connections through the app and host indexes. `walk`: each connection's path and
 * name are tested with LIKE itself, which selects the same connections (the lists hold every
 * value the history does; LIKE folds ASCII case, and names are stored in lower case), and is
 * the cheaper test for each one: over a million rows, 0.19 µs for both where looking each up in
 * the lists' matches took 0.32 µs, when a thousand names held the text.
 */
function textTerm(text: string, plan: TextPlan, fields: readonly TextField[]): [string, ...SQLInputValue[]] {
  const pattern = `%${escapeLike(text)}%`;
  const walk = plan === 'walk';
  const terms: string[] = [];
  const params: SQLInputValue[] = [];
  // A unary plus keeps SQLite from reading a term through its column's index (the walk reads
  // history_walk, which holds every column tested here).
  if (fields.includes('app')) {
    terms.push(
      walk
        ? `+app_path LIKE ? ESCAPE '\\'`
        : `app_path IN (SELECT path FROM history_apps WHERE path LIKE ? ESCAPE '\\')`,
    );
    params.push(pattern);
  }
  if (fields.includes('host')) {
    terms.push(
      walk
        ? `+host_name LIKE ? ESCAPE '\\'`
        : `host_name IN (SELECT name FROM history_hosts WHERE name LIKE ? ESCAPE '\\')`,
    );
    params.push(pattern);
  }
  if (fields.includes('address') && ADDRESS_START.test(text)) {
    // Through the indexes, SQLite guesses that this range holds a 64th of the history, and with
    // three ways to read it walked the whole history instead (370 ms to count a text few
    // connections match). The indexed plan is taken when the matches are few (history-store.ts),
    // so the range is said to be narrow; likelihood() changes that guess, not the result.
    terms.push(
      plan === 'indexed'
        ? '(likelihood(remote_ip >= ?, 0.001) AND remote_ip < ?)'
        : '(+remote_ip >= ? AND +remote_ip < ?)',
    );
    params.push(...addressRange(text));
  }
  // In no field: nothing matches, which SQLite sees before reading a row.
  if (terms.length === 0) return ['0'];
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
