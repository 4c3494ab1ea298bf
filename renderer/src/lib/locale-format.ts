/**
 * Numbers, byte sizes, rates, dates, times and plurals in the user's locale, through Intl. Pure
 * apart from `userFormat()`, which reads the browser's languages; tests ask `formatFor(locale)`.
 *
 * Every formatter is made once per locale and kept: constructing Intl objects costs tens of
 * microseconds each, and the connections table formats several cells per row on every flush.
 */

/** The words a count is said with, per plural category of the locale; `other` is required. */
export type PluralText = Readonly<Partial<Record<Intl.LDMLPluralRule, (count: string) => string>>> & {
  readonly other: (count: string) => string;
};

/** The units a duration is said in (Intl's sanctioned ones). */
export type DurationUnit = 'second' | 'minute' | 'hour' | 'day';

/**
 * Decimal (SI) units, 1 kB = 1000 B: they are the only byte units Intl knows (CLDR's kilobyte
 * is 1000 bytes; it has no kibibyte), they are what network rates are quoted in, and they are
 * what this UI always showed.
 */
const BYTE_UNITS = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte', 'petabyte'] as const;

const MINUTE_S = 60;
const HOUR_S = 60 * MINUTE_S;
const DAY_S = 24 * HOUR_S;

export interface LocaleFormat {
  /** The locale Intl settled on, e.g. "de-DE". */
  readonly locale: string;
  /** A whole number with the locale's grouping: 1,234 / 1.234 / 1 234 / 12,34,567. */
  integer(value: number): string;
  /** A fraction as a percentage: 0.42 → 42 % (de). */
  percent(fraction: number): string;
  /**
   * `count` (in this locale's digits) with its words, chosen by the plural rules of the language
   * the words are in (`textLanguage`, this locale's by default): "1 connection", "2 connections".
   */
  plural(count: number, text: PluralText, textLanguage?: string): string;
  /** Bytes in SI units, three significant digits from 1 kB on: "999 bytes", "1.00 kB", "12.3 MB". */
  bytes(bytes: number): string;
  /** Bytes per second: "999 byte/s", "1.20 MB/s". */
  rate(bytesPerSecond: number): string;
  /** A duration in one unit: "30 sec", "5 min", "1 hour" (`long`), "7 days". */
  duration(value: number, unit: DurationUnit, display?: 'short' | 'long'): string;
  /** A clock time with seconds (local): 09:05:07 / 09:05:07 AM. */
  time(at: number): string;
  /** A clock time without seconds: 14:35 / 02:35 PM. */
  clock(at: number): string;
  /** The time alone when `at` is on the same day as `now`, else the date and the time. */
  timeOrDate(at: number, now: number): string;
  /** A day of the year, short: "Nov 26" / "26. Nov.". */
  day(at: number): string;
  /** How long ago, coarse (seconds, minutes, hours up to two days, then days): "3 min. ago". */
  ago(at: number, now: number): string;
}

/** Memoizes one value per key: the Intl objects a locale needs, made when first asked for. */
function lazy<K, V>(make: (key: K) => V): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = make(key);
      made.set(key, value);
    }
    return value;
  };
}

/**
 * Plural rules per language of the words. They follow the words, not the number format: English
 * words shown to a French user still say "0 connections" (French rules would pick "one").
 */
const pluralRules = lazy((language: string) => new Intl.PluralRules(language));

/** Whether two instants fall on the same local calendar day. */
export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function makeFormat(locales: readonly string[]): LocaleFormat {
  const list = [...locales];
  const integer = new Intl.NumberFormat(list, { maximumFractionDigits: 0 });
  const percent = new Intl.NumberFormat(list, { style: 'percent', maximumFractionDigits: 1 });
  const ownRules = new Intl.PluralRules(list);
  // Bytes under 1 kB in the long form: English CLDR's short form is "999 byte", its narrow one "999B".
  const wholeBytes = new Intl.NumberFormat(list, {
    style: 'unit',
    unit: 'byte',
    unitDisplay: 'long',
    maximumFractionDigits: 0,
  });
  // Three significant digits, as always: 1.00 kB, 12.3 kB, 456 kB.
  const sized = lazy(
    (unit: string) =>
      new Intl.NumberFormat(list, {
        style: 'unit',
        unit,
        unitDisplay: 'short',
        minimumSignificantDigits: 3,
        maximumSignificantDigits: 3,
      }),
  );
  const wholeRate = new Intl.NumberFormat(list, {
    style: 'unit',
    unit: 'byte-per-second',
    unitDisplay: 'short',
    maximumFractionDigits: 0,
  });
  const durations = lazy((key: `${DurationUnit}:${'short' | 'long'}`) => {
    const [unit, display] = key.split(':') as [DurationUnit, 'short' | 'long'];
    return new Intl.NumberFormat(list, { style: 'unit', unit, unitDisplay: display, maximumFractionDigits: 0 });
  });
  // Two-digit hours keep a column of times aligned in every locale, 12- or 24-hour.
  const time = new Intl.DateTimeFormat(list, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const clock = new Intl.DateTimeFormat(list, { hour: '2-digit', minute: '2-digit' });
  const dateTime = new Intl.DateTimeFormat(list, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const day = new Intl.DateTimeFormat(list, { day: 'numeric', month: 'short' });
  const relative = new Intl.RelativeTimeFormat(list, { style: 'short', numeric: 'always' });

  /** [value scaled to its SI unit, unit index in BYTE_UNITS], from 1000 on. */
  const scale = (bytes: number): [number, number] => {
    let value = bytes / 1000;
    let unit = 0;
    // 999.5 and more would round to "1,000 kB": that is 1.00 MB.
    while (value >= 999.5 && unit < BYTE_UNITS.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return [value, unit];
  };

  return {
    locale: integer.resolvedOptions().locale,
    integer: (value) => integer.format(value),
    percent: (fraction) => percent.format(fraction),
    plural: (count, text, textLanguage) => {
      const rules = textLanguage === undefined ? ownRules : pluralRules(textLanguage);
      return (text[rules.select(count)] ?? text.other)(integer.format(count));
    },
    bytes: (bytes) => {
      if (!Number.isFinite(bytes) || bytes < 0) return '—';
      if (Math.round(bytes) < 1000) return wholeBytes.format(Math.round(bytes));
      const [value, unit] = scale(bytes);
      return sized(BYTE_UNITS[unit] ?? 'petabyte').format(value);
    },
    rate: (bytesPerSecond) => {
      if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return '—';
      if (Math.round(bytesPerSecond) < 1000) return wholeRate.format(Math.round(bytesPerSecond));
      const [value, unit] = scale(bytesPerSecond);
      return sized(`${BYTE_UNITS[unit] ?? 'petabyte'}-per-second`).format(value);
    },
    duration: (value, unit, display = 'short') => durations(`${unit}:${display}`).format(value),
    time: (at) => time.format(at),
    clock: (at) => clock.format(at),
    timeOrDate: (at, now) => (sameDay(new Date(at), new Date(now)) ? time.format(at) : dateTime.format(at)),
    day: (at) => day.format(at),
    ago: (at, now) => {
      const seconds = Math.max(0, Math.round((now - at) / 1000));
      if (seconds < MINUTE_S) return relative.format(-seconds, 'second');
      if (seconds < HOUR_S) return relative.format(-Math.floor(seconds / MINUTE_S), 'minute');
      if (seconds < 2 * DAY_S) return relative.format(-Math.floor(seconds / HOUR_S), 'hour');
      return relative.format(-Math.floor(seconds / DAY_S), 'day');
    },
  };
}

const FALLBACK_LOCALE = 'en-US';

/** Valid BCP 47 tags of `locales`, in order; the fallback when none is. */
function canonical(locales: readonly string[]): string[] {
  const valid = locales.flatMap((tag) => {
    try {
      return Intl.getCanonicalLocales(tag);
    } catch {
      // A malformed tag (a hand-edited setting, an odd environment) is skipped, not fatal.
      return [];
    }
  });
  return valid.length === 0 ? [FALLBACK_LOCALE] : valid;
}

/** Formatters by the locale list as asked for (so a repeated ask skips canonicalizing) and as resolved. */
const byRequest = new Map<string, LocaleFormat>();
const byLocales = new Map<string, LocaleFormat>();

/** The formatter for `locales` (most preferred first), made once per distinct list. */
export function formatFor(locales: string | readonly string[]): LocaleFormat {
  const request = typeof locales === 'string' ? locales : locales.join(',');
  const known = byRequest.get(request);
  if (known !== undefined) return known;
  const list = canonical(typeof locales === 'string' ? [locales] : locales);
  const key = list.join(',');
  let format = byLocales.get(key);
  if (format === undefined) {
    format = makeFormat(list);
    byLocales.set(key, format);
  }
  byRequest.set(request, format);
  return format;
}

/** The languages the user prefers, as the browser (or Electron, from the OS) reports them. */
export function userLocales(): readonly string[] {
  const nav = (globalThis as { navigator?: Partial<Pick<Navigator, 'languages' | 'language'>> }).navigator;
  if (nav?.languages !== undefined && nav.languages.length > 0) return nav.languages;
  if (nav?.language !== undefined && nav.language !== '') return [nav.language];
  return [FALLBACK_LOCALE];
}

let current: LocaleFormat | null = null;
let listening = false;

/**
 * The formatter for the user's locale. Chromium hands out a new `navigator.languages` array on
 * every read, so the formatter is kept until the browser says the languages changed
 * (`languagechange`); where there is no such event (plain Node) it is looked up on every call.
 */
export function userFormat(): LocaleFormat {
  if (current !== null) return current;
  const format = formatFor(userLocales());
  const target = globalThis as { addEventListener?: (type: string, listener: () => void) => void };
  if (typeof target.addEventListener === 'function') {
    if (!listening) {
      target.addEventListener('languagechange', () => {
        current = null;
      });
      listening = true;
    }
    current = format;
  }
  return format;
}
