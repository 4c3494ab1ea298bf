import type { ConnectionRow } from '../../../app/contract/views.ts';
import { CONNECTIONS } from '../strings/connections-strings.ts';
import { appName, protocolName } from './format.ts';

/** Filtering and sorting of the connections table, done outside the table so it stays cheap. */

export const CONNECTION_COLUMNS = [
  'app',
  'direction',
  'host',
  'remoteIp',
  'remotePort',
  'protocol',
  'verdict',
  'sent',
  'received',
  'started',
  'ended',
] as const;
export type ConnectionColumn = (typeof CONNECTION_COLUMNS)[number];

/** 'driver': the driver answered alone (its link to the app was lost); what it did is not known. */
export type VerdictGroup = 'allowed' | 'blocked' | 'pending' | 'driver';
export const VERDICT_FILTERS = ['all', 'allowed', 'blocked', 'pending', 'live'] as const;
export type VerdictFilter = (typeof VERDICT_FILTERS)[number];

export interface ConnectionSort {
  readonly column: ConnectionColumn;
  readonly desc: boolean;
}

export interface ConnectionQuery {
  readonly search: string;
  readonly filter: VerdictFilter;
  /** Only this app's rows (the Apps view); null for all. */
  readonly app: string | null;
  readonly sort: ConnectionSort;
}

export const DEFAULT_QUERY: ConnectionQuery = {
  search: '',
  filter: 'all',
  app: null,
  sort: { column: 'started', desc: true },
};

/** Allowed, blocked (block or drop), still waiting for an answer, or answered by the driver alone. */
export function verdictGroup(verdict: ConnectionRow['verdict']): VerdictGroup {
  if (verdict === 'pending' || verdict === 'driver') return verdict;
  return verdict === 'accept' || verdict === 'permanent-accept' ? 'allowed' : 'blocked';
}

/** The word the Verdict column shows. */
export function verdictLabel(verdict: ConnectionRow['verdict']): string {
  return CONNECTIONS.verdicts[verdict];
}

export type Key = string | number;

/** The value a row sorts by in `column`. */
export function sortKey(row: ConnectionRow, column: ConnectionColumn): Key {
  switch (column) {
    case 'app':
      return appName(row.app).toLowerCase();
    case 'direction':
      return row.direction;
    case 'host':
      // Rows without a name sort after named ones (ascending).
      return row.host === null ? '\uffff' : row.host.toLowerCase();
    case 'remoteIp':
      return ipSortKey(row.remoteIp);
    case 'remotePort':
      return row.remotePort;
    case 'protocol':
      return protocolName(row.protocol);
    case 'verdict':
      return verdictLabel(row.verdict);
    case 'sent':
      return row.bytesSent;
    case 'received':
      return row.bytesReceived;
    case 'started':
      return row.startedAt;
    case 'ended':
      // Live connections count as "ended last".
      return row.endedAt ?? Number.MAX_SAFE_INTEGER;
  }
}

/** Makes IPv4 addresses sort numerically (10.0.0.9 before 10.0.0.10); IPv6 after IPv4. */
export function ipSortKey(ip: string): string {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (v4 !== null) {
    return `4${v4
      .slice(1)
      .map((part) => part.padStart(3, '0'))
      .join('.')}`;
  }
  return `6${ip.toLowerCase()}`;
}

function matchesSearch(row: ConnectionRow, needle: string): boolean {
  return (
    row.app.toLowerCase().includes(needle) ||
    (row.host?.toLowerCase().includes(needle) ?? false) ||
    row.remoteIp.includes(needle) ||
    String(row.remotePort) === needle ||
    protocolName(row.protocol).toLowerCase() === needle ||
    verdictLabel(row.verdict).toLowerCase() === needle
  );
}

function matchesFilter(row: ConnectionRow, filter: VerdictFilter): boolean {
  if (filter === 'all') return true;
  if (filter === 'live') return row.endedAt === null;
  return verdictGroup(row.verdict) === filter;
}

/** Whether a row passes the query's app, verdict and search filters (`needle`: the trimmed, lowercased search). */
export function matchesQuery(row: ConnectionRow, query: ConnectionQuery, needle: string): boolean {
  return (
    (query.app === null || row.app === query.app) &&
    matchesFilter(row, query.filter) &&
    (needle === '' || matchesSearch(row, needle))
  );
}

/** The search text as rows are matched against it. */
export function searchNeedle(query: ConnectionQuery): string {
  return query.search.trim().toLowerCase();
}

const NUMERIC: ReadonlySet<ConnectionColumn> = new Set(['remotePort', 'sent', 'received', 'started', 'ended']);

/**
 * The rows to show, filtered and sorted. Ascending is stable (ties keep the arrival order) and
 * descending is its exact reverse (ties newest first). Runs on every flush, so it avoids
 * per-row allocations: keys go into one array, and input that is already in order (the buffer
 * is in arrival order, so "Started" usually is) skips the sort.
 */
export function queryConnections(rows: readonly ConnectionRow[], query: ConnectionQuery): ConnectionRow[] {
  const needle = searchNeedle(query);
  const filtering = query.app !== null || query.filter !== 'all' || needle !== '';
  const kept = filtering ? rows.filter((row) => matchesQuery(row, query, needle)) : rows.slice();
  const n = kept.length;
  const column = query.sort.column;
  const keys: Key[] | Float64Array = NUMERIC.has(column) ? new Float64Array(n) : new Array<Key>(n);
  let ordered = true;
  for (let i = 0; i < n; i += 1) {
    const row = kept[i];
    if (row === undefined) continue;
    keys[i] = sortKey(row, column);
    if (i > 0 && (keys[i - 1] ?? 0) > (keys[i] ?? 0)) ordered = false;
  }
  let result = kept;
  if (!ordered) {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => {
      const ka = keys[a] ?? 0;
      const kb = keys[b] ?? 0;
      return ka < kb ? -1 : ka > kb ? 1 : a - b;
    });
    result = order.map((i) => kept[i] as ConnectionRow);
  }
  return query.sort.desc ? result.reverse() : result;
}
