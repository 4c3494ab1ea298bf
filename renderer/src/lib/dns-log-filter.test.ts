import { describe, expect, it } from 'vitest';
import { MAX_DNS_LOG_TEXT } from '../../../app/contract/dns-log.ts';
import { dnsLogFilterOf, EMPTY_DNS_LOG_FORM, knownAppPaths } from './dns-log-filter.ts';
import { RANGE_MS } from './history-filter.ts';

const NOW = 1_800_000_000_000;

describe('dnsLogFilterOf', () => {
  it('an empty form asks for the last 24 hours only', () => {
    expect(dnsLogFilterOf(EMPTY_DNS_LOG_FORM, NOW)).toEqual({
      filter: { since: NOW - RANGE_MS.day, until: NOW + 1 },
    });
  });

  it('turns each field into its filter, trimmed', () => {
    expect(
      dnsLogFilterOf({ range: 'week', outcome: 'no-such-name', text: ' Example ', app: ' /usr/bin/curl ' }, NOW),
    ).toEqual({
      filter: {
        since: NOW - RANGE_MS.week,
        until: NOW + 1,
        outcomes: ['no-such-name'],
        text: 'Example',
        appPath: '/usr/bin/curl',
      },
    });
  });

  it('asks for one outcome at a time, and for all of them without a filter', () => {
    for (const outcome of ['addresses', 'no-address', 'error'] as const) {
      expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, outcome }, NOW)).toMatchObject({
        filter: { outcomes: [outcome] },
      });
    }
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, outcome: 'all' }, NOW)).not.toHaveProperty('filter.outcomes');
  });

  it('blank text and a blank app filter nothing', () => {
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, text: '   ', app: ' ' }, NOW)).toEqual({
      filter: { since: NOW - RANGE_MS.day, until: NOW + 1 },
    });
  });

  it('never starts before the epoch', () => {
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, range: 'month' }, 1000)).toEqual({
      filter: { since: 0, until: 1001 },
    });
  });

  it('refuses a search longer than the contract takes instead of cutting it', () => {
    const longest = 'a'.repeat(MAX_DNS_LOG_TEXT);
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, text: longest }, NOW)).toMatchObject({ filter: { text: longest } });
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, text: `${longest}a` }, NOW)).toEqual({ problems: ['text'] });
  });

  it('takes a full path for the app only, and names every field that is not valid', () => {
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, app: 'curl' }, NOW)).toEqual({ problems: ['app'] });
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, app: `/${'a'.repeat(4096)}` }, NOW)).toEqual({ problems: ['app'] });
    expect(dnsLogFilterOf({ ...EMPTY_DNS_LOG_FORM, app: 'curl', text: 'x'.repeat(201) }, NOW)).toEqual({
      problems: ['text', 'app'],
    });
  });

  it('sends nothing the contract refuses, even with no field to blame', () => {
    expect(dnsLogFilterOf(EMPTY_DNS_LOG_FORM, Number.NaN)).toEqual({ problems: [] });
  });
});

describe('knownAppPaths', () => {
  it('offers each full path once, sorted, without unknown apps', () => {
    const rows = ['/usr/bin/curl', '', '/usr/bin/apt', 'unknown (uid 0)', '/usr/bin/curl'].map((appPath) => ({
      appPath,
    }));
    expect(knownAppPaths(rows)).toEqual(['/usr/bin/apt', '/usr/bin/curl']);
    expect(knownAppPaths([])).toEqual([]);
  });
});
