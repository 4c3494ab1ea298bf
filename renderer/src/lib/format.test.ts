import { describe, expect, it } from 'vitest';
import { COUNTED } from '../strings/common-strings.ts';
import {
  appName,
  formatAgo,
  formatBytes,
  formatEndpoint,
  formatRate,
  formatTime,
  formatTimeInColumn,
  plural,
  protocolName,
  secondsLeft,
  severityName,
} from './format.ts';
import { formatFor } from './locale-format.ts';

const en = formatFor('en-US');
const de = formatFor('de-DE');

describe('formatEndpoint', () => {
  it('writes an IPv6 address in brackets before its port', () => {
    expect(formatEndpoint('93.184.216.34', 443)).toBe('93.184.216.34:443');
    expect(formatEndpoint('2001:db8::1', 443)).toBe('[2001:db8::1]:443');
  });
});

describe('formatBytes', () => {
  it('uses SI units with three significant digits in the given locale', () => {
    expect(formatBytes(0, en)).toBe('0 bytes');
    expect(formatBytes(12_345, en)).toBe('12.3 kB');
    expect(formatBytes(1_048_576, de)).toBe('1,05 MB');
    expect(formatRate(1_200_000, de)).toBe('1,20 MB/s');
  });
  it('shows a dash for nonsense', () => {
    expect(formatBytes(-1, en)).toBe('—');
    expect(formatBytes(Number.NaN, en)).toBe('—');
  });
});

describe('plural', () => {
  it('counts with English words and the locale’s digits', () => {
    expect(plural(1, COUNTED.rule, en)).toBe('1 rule');
    expect(plural(0, COUNTED.rule, formatFor('fr-FR'))).toBe('0 rules');
    expect(plural(20_000, COUNTED.connection, de)).toBe('20.000 connections');
  });
});

describe('names', () => {
  it('takes the file name of a path', () => {
    expect(appName('/usr/bin/curl')).toBe('curl');
    expect(appName('C:\\Program Files\\Mozilla Firefox\\firefox.exe')).toBe('firefox.exe');
    expect(appName('unknown (uid 1000)')).toBe('unknown (uid 1000)');
    expect(appName('')).toBe('unknown');
  });
  it('names protocols and severities', () => {
    expect(protocolName(6)).toBe('TCP');
    expect(protocolName(17)).toBe('UDP');
    expect(protocolName(132)).toBe('Protocol 132');
    expect(protocolName('any')).toBe('Any');
    expect(severityName(4)).toBe('warning');
    expect(severityName(9)).toBe('level 9');
  });
});

describe('times', () => {
  const now = new Date(2026, 0, 15, 12, 0, 0).getTime();
  it('shows the clock today and the date before', () => {
    expect(formatTime(new Date(2026, 0, 15, 9, 5, 7).getTime(), now, de)).toBe('09:05:07');
    expect(formatTime(new Date(2026, 0, 14, 23, 0, 0).getTime(), now, de)).toBe('14.01.2026, 23:00:00');
    expect(formatTime(null, now, de)).toBe('—');
  });
  it('in a narrow column: the clock time today, the day before, with the whole as the tooltip', () => {
    expect(formatTimeInColumn(new Date(2026, 0, 15, 9, 5, 7).getTime(), now, en)).toEqual({
      text: '09:05:07 AM',
      full: null,
    });
    expect(formatTimeInColumn(new Date(2026, 0, 14, 23, 0, 0).getTime(), now, en)).toEqual({
      text: 'Jan 14',
      full: '01/14/2026, 11:00:00 PM',
    });
    expect(formatTimeInColumn(new Date(2025, 11, 31, 8, 0, 0).getTime(), now, de)).toEqual({
      text: '31. Dez.',
      full: '31.12.2025, 08:00:00',
    });
  });
  it('says how long ago', () => {
    expect(formatAgo(null, now, en)).toBe('never');
    expect(formatAgo(now - 500, now, en)).toBe('just now');
    expect(formatAgo(now - 1499, now, en)).toBe('just now');
    expect(formatAgo(now - 1500, now, en)).toBe('2 sec. ago');
    expect(formatAgo(now - 42_000, now, en)).toBe('42 sec. ago');
    expect(formatAgo(now - 3 * 60_000, now, de)).toBe('vor 3 Min.');
    expect(formatAgo(now - 3 * 86_400_000, now, en)).toBe('3 days ago');
  });
  it('counts whole seconds down to zero', () => {
    expect(secondsLeft(now + 29_001, now)).toBe(30);
    expect(secondsLeft(now + 1000, now)).toBe(1);
    expect(secondsLeft(now - 5000, now)).toBe(0);
  });
});
