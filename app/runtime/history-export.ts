import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PROTOCOL_NUMBERS } from '../contract/driver-events.ts';
import type { HistoryExportFormat, HistoryFilterInput, HistoryRow } from '../contract/history.ts';
import type { HistoryCursor, Store } from '../store/index.ts';

/**
 * Export of the stored history (a History filter) as CSV or as JSON lines, and the same records
 * for log shippers (history-log.ts). The fields, their names and order are stable: tools parse
 * them. Times are UTC, ISO 8601 with milliseconds, and also as ms since the epoch.
 *
 * | field | value |
 * |---|---|
 * | id | the connection's id in this history |
 * | started_at, started_at_ms | when it started |
 * | ended_at, ended_at_ms | when it ended; empty (CSV) or null (JSON) while open |
 * | duration_ms | ended_at_ms − started_at_ms; empty or null while open |
 * | app_path | the executable; empty when unknown |
 * | pid, uid | the process id (0 unknown) and its user id (empty or null unknown) |
 * | direction | outbound or inbound |
 * | protocol, protocol_name | IANA number, and tcp, udp, icmp, icmpv6 or empty |
 * | local_ip, local_port, remote_ip, remote_port | the addresses (canonical text) and ports |
 * | host | the DNS name of the remote address, when one is known |
 * | verdict | allow, block or drop |
 * | rule_id | the rule that decided; empty or null when the user was asked |
 * | bytes_sent, bytes_received | payload bytes, each way |
 */
export const EXPORT_FIELDS = [
  'id',
  'started_at',
  'started_at_ms',
  'ended_at',
  'ended_at_ms',
  'duration_ms',
  'app_path',
  'pid',
  'uid',
  'direction',
  'protocol',
  'protocol_name',
  'local_ip',
  'local_port',
  'remote_ip',
  'remote_port',
  'host',
  'verdict',
  'rule_id',
  'bytes_sent',
  'bytes_received',
] as const;
type ExportField = (typeof EXPORT_FIELDS)[number];
export type ExportRecord = Readonly<Record<ExportField, string | number | null>>;

const PROTOCOL_NAMES = new Map<number, string>(Object.entries(PROTOCOL_NUMBERS).map(([name, n]) => [n, name]));

/** One connection as an export record. */
export function exportRecord(row: HistoryRow): ExportRecord {
  const iso = (at: number): string => new Date(at).toISOString();
  return {
    id: row.id,
    started_at: iso(row.startedAt),
    started_at_ms: row.startedAt,
    ended_at: row.endedAt === null ? null : iso(row.endedAt),
    ended_at_ms: row.endedAt,
    duration_ms: row.endedAt === null ? null : row.endedAt - row.startedAt,
    app_path: row.appPath,
    pid: row.pid,
    uid: row.uid,
    direction: row.direction,
    protocol: row.protocol,
    protocol_name: PROTOCOL_NAMES.get(row.protocol) ?? null,
    local_ip: row.localIp,
    local_port: row.localPort,
    remote_ip: row.remoteIp,
    remote_port: row.remotePort,
    host: row.host,
    verdict: row.verdict,
    rule_id: row.ruleId,
    bytes_sent: row.bytesSent,
    bytes_received: row.bytesReceived,
  };
}

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. A text a
 * spreadsheet would run as a formula (it starts with = + - @ or a tab or carriage return; an app
 * path is anything a local user named it) gets a leading apostrophe, so opening an export never
 * runs what a hostile name carries.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The header line of a CSV export. */
export const CSV_HEADER = `${EXPORT_FIELDS.join(',')}\r\n`;

/** One record as a CSV line (CRLF, as RFC 4180 has it). */
export function csvLine(record: ExportRecord): string {
  return `${EXPORT_FIELDS.map((field) => csvCell(record[field])).join(',')}\r\n`;
}

/** One record as a JSON line (the fields in EXPORT_FIELDS order). */
export function jsonLine(record: ExportRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Connections read per page: one SQLite query and one file write each. */
const EXPORT_PAGE = 2_000;

export interface ExportResult {
  readonly path: string;
  readonly rows: number;
}

/**
 * Writes the connections `filter` selects, oldest first, to a new file in `dir` (made 0700; the
 * file 0600: the history says who went where). Streams: one page of the history in memory at a
 * time, and the event loop gets a turn between pages, so the firewall keeps deciding during a
 * long export. The file appears under its final name only when complete; on any failure (a full
 * disk) the partial file is removed and the error thrown.
 */
export async function exportHistory(
  store: Store,
  filter: HistoryFilterInput,
  format: HistoryExportFormat,
  dir: string,
  now: number,
): Promise<ExportResult> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const final = path.join(dir, `zenithfence-history-${stamp}.${format}`);
  const partial = `${final}.${randomBytes(4).toString('hex')}.partial`;
  const file = await open(partial, 'wx', 0o600);
  let rows = 0;
  try {
    if (format === 'csv') await file.write(CSV_HEADER);
    let after: HistoryCursor | null = null;
    do {
      const page = store.history.exportPage(filter, after, EXPORT_PAGE);
      const line = format === 'csv' ? csvLine : jsonLine;
      if (page.entries.length > 0) await file.write(page.entries.map((entry) => line(exportRecord(entry))).join(''));
      rows += page.entries.length;
      after = page.next;
      await new Promise((resolve) => setImmediate(resolve));
    } while (after !== null);
    await file.sync();
    await file.close();
    await rename(partial, final);
    return { path: final, rows };
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}
