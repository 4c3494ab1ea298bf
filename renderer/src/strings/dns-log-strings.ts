import type { DnsOutcome } from '../../../app/contract/dns-log.ts';
import type { PluralText } from '../lib/locale-format.ts';
import { HISTORY } from './history-strings.ts';

/** The words of the DNS log view (English); times and counts in them come formatted. */
export const DNS_LOG = {
  title: 'DNS log',
  answers: { one: (n) => `${n} answer`, other: (n) => `${n} answers` } satisfies PluralText,
  /** When counting stopped at the cap: "100,000 or more answers". */
  answersOrMore: { other: (n) => `${n} or more answers` } satisfies PluralText,
  /** "1,204 answers in the last 24 hours"; `answers` is already "N answer(s)". */
  subtitle: (answers: string, range: string) => `${answers} in ${range}`,
  counting: 'Counting…',
  // The same time ranges as the History view, in the same words.
  range: HISTORY.range,
  ranges: HISTORY.ranges,
  rangeLabels: HISTORY.rangeLabels,
  search: 'Search DNS log',
  searchPlaceholder: 'Name, address or app…',
  outcome: 'Outcome',
  outcomes: {
    all: 'All',
    addresses: 'Answered',
    'no-address': 'No address',
    'no-such-name': 'No such name',
    error: 'Error',
  } satisfies Readonly<Record<'all' | DnsOutcome, string>>,
  app: 'App',
  appPlaceholder: 'All apps',
  clearFilters: 'Clear filters',
  refresh: 'Refresh',
  invalid: {
    text: 'Search for at most 200 characters',
    app: 'Pick an app from the list or type its full path, like /usr/bin/curl',
  },
  columns: {
    at: 'Time',
    app: 'App',
    name: 'Name',
    type: 'Type',
    result: 'Result',
    ttl: 'TTL',
  },
  loading: 'Loading…',
  failed: 'The DNS log could not be read. Scroll or refresh to try again.',
  empty: 'No DNS answers in this range match. Only the Linux driver (zenithfenced) sees DNS.',
  unknownApp: 'Unknown app',
  /** What a row shows for an answer without addresses. */
  results: {
    'no-address': 'No address',
    'no-such-name': 'No such name',
  } satisfies Readonly<Partial<Record<DnsOutcome, string>>>,
  off: 'DNS history is off: ZenithFence keeps no record of the names apps look up.',
  offHint: 'Turn on "Keep DNS history" in Settings to see which app asked for which name.',
  openSettings: 'Open Settings',
  detailsTitle: 'Answer details',
  details: {
    at: 'Time',
    app: 'App',
    pid: 'Process id',
    user: 'User id',
    name: 'Name',
    type: 'Type',
    rcode: 'Response code',
    outcome: 'Result',
    addresses: 'Addresses',
    ttl: 'TTL',
    resolver: 'Resolver',
  },
  /** The question type with its number: "AAAA (28)". */
  typeWithNumber: (name: string, qtype: number) => `${name} (${String(qtype)})`,
  onlyThisApp: 'Show only this app',
  closeDetails: 'Close details',
  none: '—',
} as const;
