import { describe, expect, it } from 'vitest';
import { NameCache } from './name-cache.ts';

describe('NameCache', () => {
  it('learns names from DNS answers, normalized, most recent first', () => {
    const names = new NameCache();
    names.addDns('Example.COM.', '93.184.216.34', 60, 0);
    names.addDns('www.example.com', '93.184.216.34', 60, 1);
    expect(names.namesFor('93.184.216.34', 2)).toEqual(['www.example.com', 'example.com']);
    names.addDns('example.com', '93.184.216.34', 60, 3);
    expect(names.namesFor('93.184.216.34', 4)).toEqual(['example.com', 'www.example.com']);
  });

  it('canonicalizes the address', () => {
    const names = new NameCache();
    names.addDns('v6.example', '2001:DB8:0::1', 60, 0);
    names.addDns('mapped.example', '::ffff:1.2.3.4', 60, 0);
    expect(names.namesFor('2001:db8::1', 0)).toEqual(['v6.example']);
    expect(names.namesFor('1.2.3.4', 0)).toEqual(['mapped.example']);
  });

  it('keeps a name for its TTL, and at least the minimum retention', () => {
    const names = new NameCache({ minRetentionMs: 10_000 });
    names.addDns('short.example', '1.1.1.1', 1, 0);
    names.addDns('long.example', '1.1.1.1', 60, 0);
    expect(names.namesFor('1.1.1.1', 9_999)).toEqual(['long.example', 'short.example']);
    expect(names.namesFor('1.1.1.1', 10_000)).toEqual(['long.example']);
    expect(names.namesFor('1.1.1.1', 60_000)).toEqual([]);
  });

  it('does not change a names array it handed out', () => {
    const names = new NameCache();
    names.addDns('a.example', '1.1.1.1', 60, 0);
    const before = names.namesFor('1.1.1.1', 0);
    names.addDns('b.example', '1.1.1.1', 60, 0);
    names.addDns('a.example', '1.1.1.1', 60, 0);
    expect(before).toEqual(['a.example']);
  });

  it('evicts the least recently used address beyond its capacity', () => {
    const names = new NameCache({ maxAddresses: 2 });
    names.addDns('a', '1.0.0.1', 60, 0);
    names.addDns('b', '1.0.0.2', 60, 0);
    names.namesFor('1.0.0.1', 0); // used: 1.0.0.2 is now the oldest
    names.addDns('c', '1.0.0.3', 60, 0);
    expect(names.namesFor('1.0.0.2', 0)).toEqual([]);
    expect(names.namesFor('1.0.0.1', 0)).toEqual(['a']);
    expect(names.size).toBe(2);
  });

  it('asks for a reverse lookup once, shows but never matches its answer, and caches it', () => {
    const names = new NameCache({ reverseRetryMs: 1000, reverseTtlMs: 5000 });
    expect(names.wantsReverse('8.8.8.8', 0)).toBe(true);
    expect(names.wantsReverse('8.8.8.8', 10)).toBe(false); // pending
    expect(names.reverseAnswered('8.8.8.8', ['dns.google.'], 20)).toBe('dns.google');
    expect(names.displayName('8.8.8.8', 30)).toBe('dns.google');
    expect(names.namesFor('8.8.8.8', 30)).toEqual([]);
    expect(names.wantsReverse('8.8.8.8', 4000)).toBe(false); // cached
    expect(names.wantsReverse('8.8.8.8', 5020)).toBe(true); // expired
  });

  it('retries an unanswered reverse lookup, remembers an empty answer, prefers DNS names', () => {
    const names = new NameCache({ reverseRetryMs: 1000 });
    expect(names.wantsReverse('9.9.9.9', 0)).toBe(true);
    expect(names.wantsReverse('9.9.9.9', 1000)).toBe(true);
    names.reverseAnswered('9.9.9.9', [], 1001);
    expect(names.wantsReverse('9.9.9.9', 2000)).toBe(false);
    expect(names.displayName('9.9.9.9', 2000)).toBeNull();
    names.addDns('dns.quad9.net', '9.9.9.9', 60, 2000);
    expect(names.wantsReverse('9.9.9.9', 1e9)).toBe(false);
    expect(names.displayName('9.9.9.9', 2001)).toBe('dns.quad9.net');
  });

  it('prune drops addresses with nothing left', () => {
    const names = new NameCache({ minRetentionMs: 0 });
    names.addDns('a', '1.0.0.1', 1, 0);
    names.prune(1000);
    expect(names.size).toBe(0);
  });
});
