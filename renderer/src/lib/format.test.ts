import { describe, expect, it } from 'vitest';
import { appName, formatAgo, formatBytes, formatTime, protocolName, secondsLeft, severityName } from './format.ts';

describe('formatBytes', () => {
  it('uses SI units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.00 kB');
    expect(formatBytes(12_345)).toBe('12.3 kB');
    expect(formatBytes(999_499)).toBe('999 kB');
    expect(formatBytes(999_999)).toBe('1.00 MB');
    expect(formatBytes(1_048_576)).toBe('1.05 MB');
    expect(formatBytes(5_000_000_000)).toBe('5.00 GB');
  });
  it('shows a dash for nonsense', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
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
    expect(formatTime(new Date(2026, 0, 15, 9, 5, 7).getTime(), now)).toBe('09:05:07');
    expect(formatTime(new Date(2026, 0, 14, 23, 0, 0).getTime(), now)).toBe('2026-01-14 23:00:00');
    expect(formatTime(null, now)).toBe('—');
  });
  it('says how long ago', () => {
    expect(formatAgo(null, now)).toBe('never');
    expect(formatAgo(now - 500, now)).toBe('just now');
    expect(formatAgo(now - 42_000, now)).toBe('42 s ago');
    expect(formatAgo(now - 3 * 60_000, now)).toBe('3 min ago');
    expect(formatAgo(now - 5 * 3_600_000, now)).toBe('5 h ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 d ago');
  });
  it('counts whole seconds down to zero', () => {
    expect(secondsLeft(now + 29_001, now)).toBe(30);
    expect(secondsLeft(now + 1000, now)).toBe(1);
    expect(secondsLeft(now - 5000, now)).toBe(0);
  });
});
