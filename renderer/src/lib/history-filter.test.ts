import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY_FORM, formatElapsed, historyFilterOf, RANGE_MS } from './history-filter.ts';
import { formatFor } from './locale-format.ts';

const NOW = 1_800_000_000_000;

describe('historyFilterOf', () => {
  it('an empty form asks for the range only', () => {
    expect(historyFilterOf(EMPTY_HISTORY_FORM, NOW)).toEqual({
      filter: { since: NOW - RANGE_MS.day, until: NOW + 1 },
    });
  });

  it('turns each field into its filter, trimmed', () => {
    const result = historyFilterOf(
      {
        range: 'hour',
        text: ' curl ',
        verdict: 'blocked',
        direction: 'inbound',
        appPath: ' /usr/bin/curl ',
        host: 'Example.com',
        address: '2001:DB8::1',
        port: '443',
      },
      NOW,
    );
    expect(result).toEqual({
      filter: {
        since: NOW - RANGE_MS.hour,
        until: NOW + 1,
        text: 'curl',
        verdicts: ['block', 'drop'],
        direction: 'inbound',
        appPath: '/usr/bin/curl',
        host: 'Example.com',
        remoteIp: '2001:DB8::1',
        remotePort: 443,
      },
    });
    expect(historyFilterOf({ ...EMPTY_HISTORY_FORM, verdict: 'allowed' }, NOW)).toMatchObject({
      filter: { verdicts: ['allow'] },
    });
  });

  it('names the fields that are not valid instead of asking', () => {
    expect(historyFilterOf({ ...EMPTY_HISTORY_FORM, port: '70000' }, NOW)).toEqual({ problems: ['port'] });
    expect(historyFilterOf({ ...EMPTY_HISTORY_FORM, port: '-1' }, NOW)).toEqual({ problems: ['port'] });
    expect(historyFilterOf({ ...EMPTY_HISTORY_FORM, address: '1.2.3' }, NOW)).toEqual({ problems: ['address'] });
    expect(historyFilterOf({ ...EMPTY_HISTORY_FORM, host: 'a b' }, NOW)).toEqual({ problems: ['host'] });
  });
});

describe('formatElapsed', () => {
  it('says a duration in its largest whole unit', () => {
    const en = formatFor('en-US');
    expect(formatElapsed(42_000, en)).toBe(en.duration(42, 'second'));
    expect(formatElapsed(5 * 60_000 + 10, en)).toBe(en.duration(5, 'minute'));
    expect(formatElapsed(3 * 3_600_000, en)).toBe(en.duration(3, 'hour'));
    expect(formatElapsed(2 * 86_400_000, en)).toBe(en.duration(2, 'day'));
    expect(formatElapsed(-5, en)).toBe(en.duration(0, 'second'));
  });
});
