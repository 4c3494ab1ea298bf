import type { DnsLogFilterInput, DnsOutcome } from '../../../app/contract/dns-log.ts';
import { dnsLogFilterSchema, MAX_DNS_LOG_TEXT } from '../../../app/contract/dns-log.ts';
import { type HistoryRange, RANGE_MS } from './history-filter.ts';

/** The DNS log view's filter form, as typed. Its time ranges are the History view's. */
export interface DnsLogForm {
  readonly range: HistoryRange;
  readonly outcome: 'all' | DnsOutcome;
  readonly text: string;
  /** An executable's full path; empty for every app. */
  readonly app: string;
}

export const EMPTY_DNS_LOG_FORM: DnsLogForm = { range: 'day', outcome: 'all', text: '', app: '' };

/** Which typed field is not a valid value. */
export type DnsLogFormProblem = 'text' | 'app';

/** The longest app path the contract takes. */
const MAX_APP_PATH = 4096;

/** The app paths to offer in the app field: each full path once, sorted (unknown apps left out). */
export function knownAppPaths(rows: readonly { readonly appPath: string }[]): readonly string[] {
  const paths = new Set<string>();
  for (const row of rows) if (row.appPath.startsWith('/')) paths.add(row.appPath);
  return [...paths].sort();
}

/**
 * The contract filter the form asks for, over the range ending at `now`, or the fields that are
 * not valid (the view marks them and keeps showing the last valid result). Empty fields filter
 * nothing.
 *
 * The app is matched exactly by the engine, so only a full path is sent: a bare name ("curl")
 * would silently select nothing. Only the Linux daemon reports DNS, so a full path starts with '/'.
 */
export function dnsLogFilterOf(
  form: DnsLogForm,
  now: number,
): { readonly filter: DnsLogFilterInput } | { readonly problems: readonly DnsLogFormProblem[] } {
  const problems: DnsLogFormProblem[] = [];
  const text = form.text.trim();
  const app = form.app.trim();
  // Too long a search is refused rather than cut: a cut search would show other matches.
  if (text.length > MAX_DNS_LOG_TEXT) problems.push('text');
  if (app !== '' && (!app.startsWith('/') || app.length > MAX_APP_PATH)) problems.push('app');
  if (problems.length > 0) return { problems };
  const filter: DnsLogFilterInput = {
    // Answers logged while the page is open are in the next refresh.
    since: Math.max(0, now - RANGE_MS[form.range]),
    until: now + 1,
    ...(form.outcome === 'all' ? {} : { outcomes: [form.outcome] }),
    ...(text === '' ? {} : { text }),
    ...(app === '' ? {} : { appPath: app }),
  };
  // The contract has the last word; a field it refuses is marked like the checks above.
  const checked = dnsLogFilterSchema.safeParse(filter);
  if (checked.success) return { filter };
  for (const issue of checked.error.issues) {
    const field = issue.path[0];
    if (field === 'text' && !problems.includes('text')) problems.push('text');
    if (field === 'appPath' && !problems.includes('app')) problems.push('app');
  }
  // A refusal of no field of the form (a bad clock) marks nothing, but is still not sent.
  return { problems };
}
