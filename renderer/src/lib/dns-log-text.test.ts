import { describe, expect, it } from 'vitest';
import { DNS_LOG_COUNT_CAP } from '../../../app/contract/dns-log.ts';
import { dnsAppText, dnsCountLine, dnsResultText, dnsTtlText } from './dns-log-text.ts';
import { formatFor } from './locale-format.ts';

const en = formatFor('en-US');
const de = formatFor('de-DE');

describe('dnsResultText', () => {
  it('joins the addresses of an answer that gave some', () => {
    expect(
      dnsResultText({ outcome: 'addresses', rcode: 0, addresses: ['93.184.216.34', '2606:2800:220:1::248'] }),
    ).toBe('93.184.216.34, 2606:2800:220:1::248');
    expect(dnsResultText({ outcome: 'addresses', rcode: 0, addresses: ['10.0.0.1'] })).toBe('10.0.0.1');
  });

  it('says why an answer gave none', () => {
    expect(dnsResultText({ outcome: 'no-address', rcode: 0, addresses: [] })).toBe('No address');
    expect(dnsResultText({ outcome: 'no-such-name', rcode: 3, addresses: [] })).toBe('No such name');
  });

  it('names an error by its response code', () => {
    expect(dnsResultText({ outcome: 'error', rcode: 2, addresses: [] })).toBe('SERVFAIL');
    expect(dnsResultText({ outcome: 'error', rcode: 5, addresses: [] })).toBe('REFUSED');
    expect(dnsResultText({ outcome: 'error', rcode: 9, addresses: [] })).toBe('RCODE9');
  });
});

describe('dnsTtlText', () => {
  it('gives the TTL in seconds in the locale', () => {
    expect(dnsTtlText({ addresses: ['10.0.0.1'], ttlSeconds: 300 }, en)).toBe(en.duration(300, 'second'));
    expect(dnsTtlText({ addresses: ['10.0.0.1'], ttlSeconds: 86_400 }, de)).toBe(de.duration(86_400, 'second'));
    expect(dnsTtlText({ addresses: ['10.0.0.1'], ttlSeconds: 0 }, en)).toBe(en.duration(0, 'second'));
  });

  it('shows no TTL for an answer without addresses', () => {
    expect(dnsTtlText({ addresses: [], ttlSeconds: 0 }, en)).toBe('—');
  });
});

describe('dnsAppText', () => {
  it('shows the file name, or says the app is unknown', () => {
    expect(dnsAppText('/usr/lib/firefox/firefox')).toBe('firefox');
    expect(dnsAppText('')).toBe('Unknown app');
  });
});

describe('dnsCountLine', () => {
  it('counts answers in the range, with the locale digits', () => {
    expect(dnsCountLine({ count: 1, capped: false }, 'hour', en)).toBe('1 answer in the last hour');
    expect(dnsCountLine({ count: 1204, capped: false }, 'day', en)).toBe('1,204 answers in the last 24 hours');
    expect(dnsCountLine({ count: 1204, capped: false }, 'week', de)).toBe('1.204 answers in the last 7 days');
    expect(dnsCountLine({ count: 0, capped: false }, 'month', en)).toBe('0 answers in the last 30 days');
  });

  it('says "or more" when counting stopped at the cap', () => {
    expect(dnsCountLine({ count: DNS_LOG_COUNT_CAP, capped: true }, 'day', en)).toBe(
      '100,000 or more answers in the last 24 hours',
    );
  });

  it('says it is counting before the count is here', () => {
    expect(dnsCountLine(null, 'day', en)).toBe('Counting…');
  });
});
