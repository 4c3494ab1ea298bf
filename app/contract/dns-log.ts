import { z } from 'zod';

/**
 * The DNS log: which app asked for which name and what it got, from the DnsExchange infos of the
 * Linux daemon (driver/protocol/README.md, "DNS exchanges"; the Windows driver sees no DNS). Kept
 * apart from the connection history, with its own retention and a switch to keep none (settings:
 * `dnsRetentionDays`, `keepDnsHistory`). Every request field crosses a trust boundary (the UI,
 * the headless WebSocket), so each is bounded here; the store uses SQL parameters only.
 */

const timestamp = z.number().int().nonnegative();

/** The most rows one page returns. */
export const MAX_DNS_LOG_PAGE = 1_000;
/** Counting stops here: the view shows "this many or more" beyond it. */
export const DNS_LOG_COUNT_CAP = 100_000;
/** The longest free-text search. */
export const MAX_DNS_LOG_TEXT = 200;

/**
 * What an answer gave: addresses; no address for an existing name (NOERROR, no record of the type
 * asked); no such name (NXDOMAIN); or an error (SERVFAIL, REFUSED and every other code).
 */
export const DNS_OUTCOMES = ['addresses', 'no-address', 'no-such-name', 'error'] as const;
export type DnsOutcome = (typeof DNS_OUTCOMES)[number];

/** The outcome of an answer with this response code and this many addresses. */
export function dnsOutcomeOf(rcode: number, addressCount: number): DnsOutcome {
  if (rcode === 3) return 'no-such-name';
  if (rcode !== 0) return 'error';
  return addressCount > 0 ? 'addresses' : 'no-address';
}

export const dnsLogFilterSchema = z
  .object({
    /** Answers logged at or after this time (ms since the epoch)... */
    since: timestamp,
    /** ...and before this one. */
    until: timestamp,
    /** Exactly this executable ('' for queries of an unknown process). */
    appPath: z.string().max(4096).optional(),
    /** Any of these outcomes (absent: all). */
    outcomes: z.array(z.enum(DNS_OUTCOMES)).min(1).max(DNS_OUTCOMES.length).optional(),
    /** Case-insensitive substring of the name asked, an address given, or the app's path. */
    text: z.string().min(1).max(MAX_DNS_LOG_TEXT).optional(),
  })
  .strict()
  .refine((filter) => filter.since <= filter.until, { message: 'since must not be after until' });
export type DnsLogFilter = z.output<typeof dnsLogFilterSchema>;
export type DnsLogFilterInput = z.input<typeof dnsLogFilterSchema>;

/** One page of the filtered DNS log, newest first. */
export const dnsLogPageRequestSchema = z
  .object({
    filter: dnsLogFilterSchema,
    offset: z.number().int().nonnegative().max(10_000_000),
    limit: z.number().int().min(1).max(MAX_DNS_LOG_PAGE),
  })
  .strict();
export type DnsLogPageRequest = z.output<typeof dnsLogPageRequestSchema>;
export type DnsLogPageRequestInput = z.input<typeof dnsLogPageRequestSchema>;

/** One logged answer as the DNS log shows it. Times are ms since the epoch. */
export interface DnsLogRow {
  /** Unique, increasing with the order answers were logged. */
  readonly id: number;
  readonly at: number;
  /** 0 when the asking process was not found. */
  readonly pid: number;
  /** Executable path; '' when unknown. */
  readonly appPath: string;
  readonly uid: number | null;
  /** The name asked, lowercase, without the trailing dot. */
  readonly name: string;
  /** The question's type: 1 A, 28 AAAA, 65 HTTPS, ... (dnsTypeName names them). */
  readonly qtype: number;
  /** The response code: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ... */
  readonly rcode: number;
  readonly outcome: DnsOutcome;
  /** The addresses the answer gave the name, canonical text (IPv4 first). */
  readonly addresses: readonly string[];
  /** The smallest TTL among the addresses; 0 when none. */
  readonly ttlSeconds: number;
  /** The resolver the query went to (address text). */
  readonly resolver: string;
}

/** One answer for the DNS log, as the engine hands it to the store. */
export interface DnsLogEntry {
  readonly at: number;
  readonly pid: number;
  readonly appPath: string;
  readonly uid: number | null;
  readonly name: string;
  readonly qtype: number;
  readonly rcode: number;
  /** Canonical address text, IPv4 first. */
  readonly addresses: readonly string[];
  readonly ttlSeconds: number;
  readonly resolver: string;
}

/** How many logged answers a filter selects; `capped`: more than `count` (DNS_LOG_COUNT_CAP). */
export interface DnsLogCount {
  readonly count: number;
  readonly capped: boolean;
}

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  43: 'DS',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
};

/** The usual name of a question type (`TYPE<n>` for one without, as RFC 3597 writes it). */
export function dnsTypeName(qtype: number): string {
  return TYPE_NAMES[qtype] ?? `TYPE${String(qtype)}`;
}

const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
};

/** The usual name of a response code (`RCODE<n>` for one without). */
export function dnsRcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${String(rcode)}`;
}
