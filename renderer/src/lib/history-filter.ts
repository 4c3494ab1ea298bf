import type { Direction } from '../../../app/contract/driver-events.ts';
import type { HistoryFilterInput } from '../../../app/contract/history.ts';
import { historyFilterSchema } from '../../../app/contract/history.ts';
import type { LocaleFormat } from './locale-format.ts';
import { userFormat } from './locale-format.ts';

/** The time ranges the History view offers. */
export const HISTORY_RANGES = ['hour', 'day', 'week', 'month'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];
const HOUR_MS = 3_600_000;
export const RANGE_MS: Readonly<Record<HistoryRange, number>> = {
  hour: HOUR_MS,
  day: 24 * HOUR_MS,
  week: 7 * 24 * HOUR_MS,
  month: 30 * 24 * HOUR_MS,
};

/** The History view's filter form, as typed. */
export interface HistoryForm {
  readonly range: HistoryRange;
  readonly text: string;
  readonly verdict: 'all' | 'allowed' | 'blocked';
  readonly direction: 'all' | Direction;
  readonly appPath: string;
  readonly host: string;
  readonly address: string;
  readonly port: string;
}

export const EMPTY_HISTORY_FORM: HistoryForm = {
  range: 'day',
  text: '',
  verdict: 'all',
  direction: 'all',
  appPath: '',
  host: '',
  address: '',
  port: '',
};

/** Which typed field is not a valid value. */
export type HistoryFormProblem = 'address' | 'port' | 'host';

/**
 * The contract filter the form asks for, over the range ending at `now`, or the fields that are
 * not valid (the view marks them and keeps showing the last valid result). Empty fields filter
 * nothing.
 */
export function historyFilterOf(
  form: HistoryForm,
  now: number,
): { readonly filter: HistoryFilterInput } | { readonly problems: readonly HistoryFormProblem[] } {
  const problems: HistoryFormProblem[] = [];
  const port = form.port.trim();
  const portNumber = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
  if (port !== '' && !(portNumber <= 65_535)) problems.push('port');
  const filter: HistoryFilterInput = {
    // Connections that start while the page is open are in the next refresh.
    since: Math.max(0, now - RANGE_MS[form.range]),
    until: now + 1,
    ...(form.text.trim() === '' ? {} : { text: form.text.trim().slice(0, 200) }),
    ...(form.verdict === 'all' ? {} : { verdicts: form.verdict === 'allowed' ? ['allow'] : ['block', 'drop'] }),
    ...(form.direction === 'all' ? {} : { direction: form.direction }),
    ...(form.appPath.trim() === '' ? {} : { appPath: form.appPath.trim() }),
    ...(form.host.trim() === '' ? {} : { host: form.host.trim() }),
    ...(form.address.trim() === '' ? {} : { remoteIp: form.address.trim() }),
    ...(port === '' || problems.includes('port') ? {} : { remotePort: portNumber }),
  };
  const checked = historyFilterSchema.safeParse(filter);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = issue.path[0];
      if (field === 'remoteIp') problems.push('address');
      if (field === 'host') problems.push('host');
    }
  }
  return problems.length > 0 ? { problems } : { filter };
}

/** How long a connection lasted, in its largest whole unit: "42 sec", "5 min", "3 hr", "2 days". */
export function formatElapsed(ms: number, format: LocaleFormat = userFormat()): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return format.duration(seconds, 'second');
  if (seconds < 3600) return format.duration(Math.floor(seconds / 60), 'minute');
  if (seconds < 86_400) return format.duration(Math.floor(seconds / 3600), 'hour');
  return format.duration(Math.floor(seconds / 86_400), 'day');
}
