import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatFor, type PluralText, userFormat, userLocales } from './locale-format.ts';

// Exact strings come from the ICU data of the Node the tests run on (CLDR 48); the separators
// are spelled out: U+00A0 no-break space, U+202F narrow no-break space.
const NBSP = '\u00a0';
const NNBSP = '\u202f';

const CONNECTION: PluralText = { one: (n) => `${n} connection`, other: (n) => `${n} connections` };

describe('numbers', () => {
  it('groups and separates as the locale does', () => {
    expect(formatFor('en-US').integer(1_234_567)).toBe('1,234,567');
    expect(formatFor('de-DE').integer(1_234_567)).toBe('1.234.567');
    expect(formatFor('fr-FR').integer(1_234_567)).toBe(`1${NNBSP}234${NNBSP}567`);
    // Indian grouping: lakh and crore, two digits after the first three.
    expect(formatFor('hi-IN').integer(1_234_567)).toBe('12,34,567');
    // Arabic-Indic digits and separators.
    expect(formatFor('ar-EG').integer(1_234_567)).toBe('١٬٢٣٤٬٥٦٧');
  });

  it('rounds counts to whole numbers and formats percentages', () => {
    expect(formatFor('en-US').integer(2.6)).toBe('3');
    expect(formatFor('en-US').percent(0.425)).toBe('42.5%');
    expect(formatFor('de-DE').percent(0.425)).toBe(`42,5${NBSP}%`);
  });
});

describe('byte sizes and rates', () => {
  it('keeps SI units, three significant digits and the step at 999.5', () => {
    const en = formatFor('en-US');
    expect(en.bytes(0)).toBe('0 bytes');
    expect(en.bytes(1)).toBe('1 byte');
    expect(en.bytes(999)).toBe('999 bytes');
    expect(en.bytes(999.4)).toBe('999 bytes');
    expect(en.bytes(999.6)).toBe('1.00 kB');
    expect(en.bytes(1000)).toBe('1.00 kB');
    expect(en.bytes(12_345)).toBe('12.3 kB');
    expect(en.bytes(999_499)).toBe('999 kB');
    expect(en.bytes(999_999)).toBe('1.00 MB');
    expect(en.bytes(1_048_576)).toBe('1.05 MB');
    expect(en.bytes(5_000_000_000)).toBe('5.00 GB');
    expect(en.bytes(3.2e12)).toBe('3.20 TB');
    // Past the largest unit the number grows instead.
    expect(en.bytes(2e18)).toBe('2,000 PB');
  });

  it('says sizes with the locale’s separators and unit names', () => {
    expect(formatFor('de-DE').bytes(1_048_576)).toBe('1,05 MB');
    expect(formatFor('de-DE').bytes(999)).toBe('999 Byte');
    expect(formatFor('fr-FR').bytes(12_345)).toBe(`12,3${NNBSP}ko`);
    expect(formatFor('ar-EG').bytes(1_048_576)).toBe('١٫٠٥ م.ب');
  });

  it('formats rates per second', () => {
    expect(formatFor('en-US').rate(0)).toBe('0 byte/s');
    expect(formatFor('en-US').rate(1_200_000)).toBe('1.20 MB/s');
    expect(formatFor('de-DE').rate(1_200_000)).toBe('1,20 MB/s');
    expect(formatFor('fr-FR').rate(1_200_000)).toBe(`1,20${NNBSP}Mo/s`);
  });

  it('shows a dash for nonsense', () => {
    expect(formatFor('en-US').bytes(-1)).toBe('—');
    expect(formatFor('en-US').bytes(Number.NaN)).toBe('—');
    expect(formatFor('en-US').rate(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('plurals', () => {
  it('picks the words by the plural rules of their language', () => {
    const en = formatFor('en-US');
    expect(en.plural(0, CONNECTION)).toBe('0 connections');
    expect(en.plural(1, CONNECTION)).toBe('1 connection');
    expect(en.plural(21_000, CONNECTION)).toBe('21,000 connections');
  });

  it('uses the locale’s digits, and the words’ language for the form', () => {
    // French calls 0 singular; English words shown to a French user must not.
    expect(formatFor('fr-FR').plural(0, CONNECTION, 'en')).toBe('0 connections');
    expect(formatFor('fr-FR').plural(0, { one: (n) => `${n} connexion`, other: (n) => `${n} connexions` })).toBe(
      '0 connexion',
    );
    expect(formatFor('de-DE').plural(1234, CONNECTION, 'en')).toBe('1.234 connections');
    expect(formatFor('ar-EG').plural(1, CONNECTION, 'en')).toBe('١ connection');
  });

  it('falls back to `other` when the words lack the category', () => {
    // Arabic has a "two" form; words without one say `other`.
    const ar = formatFor('ar-EG');
    expect(ar.plural(2, { other: (n) => `${n} x`, two: (n) => `${n} two` })).toBe('٢ two');
    expect(ar.plural(2, { other: (n) => `${n} x` })).toBe('٢ x');
  });
});

describe('dates and times', () => {
  const now = new Date(2026, 0, 15, 12, 0, 0).getTime();
  const morning = new Date(2026, 0, 15, 9, 5, 7).getTime();
  const yesterday = new Date(2026, 0, 14, 23, 0, 0).getTime();

  it('shows the time today and the date with it before', () => {
    expect(formatFor('de-DE').timeOrDate(morning, now)).toBe('09:05:07');
    expect(formatFor('de-DE').timeOrDate(yesterday, now)).toBe('14.01.2026, 23:00:00');
    expect(formatFor('en-US').timeOrDate(morning, now)).toBe('09:05:07 AM');
    expect(formatFor('en-US').timeOrDate(yesterday, now)).toBe('01/14/2026, 11:00:00 PM');
    expect(formatFor('en-GB').timeOrDate(yesterday, now)).toBe('14/01/2026, 23:00:00');
  });

  it('formats clock times and days', () => {
    const afternoon = new Date(2026, 10, 26, 14, 35).getTime();
    expect(formatFor('de-DE').clock(afternoon)).toBe('14:35');
    expect(formatFor('en-US').clock(afternoon)).toBe('02:35 PM');
    expect(formatFor('en-US').day(afternoon)).toBe('Nov 26');
    expect(formatFor('de-DE').day(afternoon)).toBe('26. Nov.');
  });

  it('says how long ago in seconds, minutes, hours up to two days, then days', () => {
    const en = formatFor('en-US');
    expect(en.ago(now - 42_000, now)).toBe('42 sec. ago');
    expect(en.ago(now - 3 * 60_000, now)).toBe('3 min. ago');
    expect(en.ago(now - 5 * 3_600_000, now)).toBe('5 hr. ago');
    expect(en.ago(now - 47 * 3_600_000, now)).toBe('47 hr. ago');
    expect(en.ago(now - 3 * 86_400_000, now)).toBe('3 days ago');
    expect(formatFor('de-DE').ago(now - 3 * 60_000, now)).toBe('vor 3 Min.');
    // A clock that went backwards is not the future.
    expect(en.ago(now + 5000, now)).toBe('0 sec. ago');
  });

  it('formats durations in one unit', () => {
    expect(formatFor('en-US').duration(30, 'second')).toBe('30 sec');
    expect(formatFor('en-US').duration(5, 'minute')).toBe('5 min');
    expect(formatFor('en-US').duration(1, 'hour', 'long')).toBe('1 hour');
    expect(formatFor('en-US').duration(24, 'hour', 'long')).toBe('24 hours');
    expect(formatFor('de-DE').duration(7, 'day', 'long')).toBe('7 Tage');
  });
});

describe('locales', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('makes one formatter per list of locales', () => {
    expect(formatFor('de-DE')).toBe(formatFor(['de-DE']));
    expect(formatFor('de-DE')).not.toBe(formatFor('en-US'));
  });

  it('skips malformed tags and falls back to en-US when none is left', () => {
    expect(formatFor(['not a locale!', 'de-DE']).locale).toBe('de-DE');
    expect(formatFor(['not a locale!']).locale).toBe('en-US');
    expect(formatFor([]).locale).toBe('en-US');
  });

  it('follows the browser’s languages', () => {
    vi.stubGlobal('navigator', { languages: ['de-DE', 'en-US'], language: 'de-DE' });
    expect(userLocales()).toEqual(['de-DE', 'en-US']);
    expect(userFormat().integer(1234)).toBe('1.234');
    vi.stubGlobal('navigator', { languages: [], language: 'fr-FR' });
    expect(userFormat().locale).toBe('fr-FR');
    vi.stubGlobal('navigator', undefined);
    expect(userLocales()).toEqual(['en-US']);
    expect(userFormat().integer(1234)).toBe('1,234');
  });

  it('keeps the user’s formatter in a browser until the languages change', async () => {
    const listeners: Array<() => void> = [];
    vi.stubGlobal('addEventListener', (type: string, listener: () => void) => {
      if (type === 'languagechange') listeners.push(listener);
    });
    vi.stubGlobal('navigator', { languages: ['de-DE'], language: 'de-DE' });
    vi.resetModules();
    const fresh = await import('./locale-format.ts');
    expect(fresh.userFormat().locale).toBe('de-DE');
    vi.stubGlobal('navigator', { languages: ['fr-FR'], language: 'fr-FR' });
    expect(fresh.userFormat().locale).toBe('de-DE');
    expect(listeners).toHaveLength(1);
    for (const listener of listeners) listener();
    expect(fresh.userFormat().locale).toBe('fr-FR');
  });
});
