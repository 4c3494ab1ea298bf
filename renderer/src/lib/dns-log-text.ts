import type { DnsLogCount, DnsLogRow } from '../../../app/contract/dns-log.ts';
import { dnsRcodeName } from '../../../app/contract/dns-log.ts';
import { DNS_LOG } from '../strings/dns-log-strings.ts';
import { appName, plural } from './format.ts';
import type { HistoryRange } from './history-filter.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/**
 * What the DNS log view says about one answer and about a count: pure, so each outcome's words
 * are tested here (the components only place them).
 */

/** The Result cell: the addresses given, or why there are none (an error by its rcode name). */
export function dnsResultText(row: Pick<DnsLogRow, 'outcome' | 'addresses' | 'rcode'>): string {
  switch (row.outcome) {
    case 'addresses':
      return row.addresses.join(', ');
    case 'no-address':
      return DNS_LOG.results['no-address'];
    case 'no-such-name':
      return DNS_LOG.results['no-such-name'];
    case 'error':
      return dnsRcodeName(row.rcode);
  }
}

/** The TTL cell: the smallest TTL of the addresses in seconds; none without addresses. */
export function dnsTtlText(
  row: Pick<DnsLogRow, 'addresses' | 'ttlSeconds'>,
  format: LocaleFormat = userFormat(),
): string {
  // 0 is also what the contract gives when no address came: not a TTL of zero seconds.
  if (row.addresses.length === 0) return DNS_LOG.none;
  return format.duration(row.ttlSeconds, 'second');
}

/** The App cell: the executable's file name, or "Unknown app" when the process was not found. */
export function dnsAppText(appPath: string): string {
  return appPath === '' ? DNS_LOG.unknownApp : appName(appPath);
}

/**
 * The count line: "1,204 answers in the last 24 hours", "100,000 or more answers in …" when the
 * count stopped at the cap, "Counting…" while it is asked for.
 */
export function dnsCountLine(
  count: DnsLogCount | null,
  range: HistoryRange,
  format: LocaleFormat = userFormat(),
): string {
  if (count === null) return DNS_LOG.counting;
  const answers = plural(count.count, count.capped ? DNS_LOG.answersOrMore : DNS_LOG.answers, format);
  return DNS_LOG.subtitle(answers, DNS_LOG.ranges[range]);
}
