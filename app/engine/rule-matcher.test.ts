import { describe, expect, it } from 'vitest';
import type { Rule } from '../contract/rules.ts';
import { compileRule } from './compiled-rule.ts';
import { type ConnectionFacts, matchesRule } from './rule-matcher.ts';
import { makeFacts, makeRule } from './testing.ts';

const CASE_SENSITIVE = { caseInsensitivePaths: false };

function matches(fields: Partial<Rule>, facts: ConnectionFacts, now = 0, options = CASE_SENSITIVE): boolean {
  const compiled = compileRule(makeRule({ id: 'r', ...fields }), options);
  if (compiled === null) throw new Error('rule did not compile');
  return matchesRule(compiled, facts, now);
}

describe('matchesRule', () => {
  it('matches the app by exact path, case-insensitively only when asked', () => {
    const app = { kind: 'path', path: 'C:\\Apps\\Curl.exe' } as const;
    expect(matches({ app }, makeFacts({ appKey: 'C:\\Apps\\Curl.exe' }))).toBe(true);
    expect(matches({ app }, makeFacts({ appKey: 'c:\\apps\\curl.exe' }))).toBe(false);
    expect(matches({ app }, makeFacts({ appKey: 'c:\\apps\\curl.exe' }), 0, { caseInsensitivePaths: true })).toBe(true);
    expect(matches({ app }, makeFacts({ appKey: '' }))).toBe(false);
    expect(matches({ app: { kind: 'any' } }, makeFacts({ appKey: '' }))).toBe(true);
  });

  it('matches host names case-insensitively, ignoring a trailing dot', () => {
    const facts = makeFacts({ hostNames: ['www.example.com'] });
    expect(matches({ destination: { kind: 'host', name: 'WWW.Example.com.' } }, facts)).toBe(true);
    expect(matches({ destination: { kind: 'host', name: 'example.com' } }, facts)).toBe(false);
  });

  it('matches domain wildcards below the domain, not the domain itself', () => {
    const destination = { kind: 'domain', pattern: '*.example.com' } as const;
    expect(matches({ destination }, makeFacts({ hostNames: ['a.example.com'] }))).toBe(true);
    expect(matches({ destination }, makeFacts({ hostNames: ['a.b.example.com'] }))).toBe(true);
    expect(matches({ destination }, makeFacts({ hostNames: ['example.com'] }))).toBe(false);
    expect(matches({ destination }, makeFacts({ hostNames: ['badexample.com'] }))).toBe(false);
    expect(matches({ destination }, makeFacts({ hostNames: ['x.org', 'cdn.example.com'] }))).toBe(true);
  });

  it('compares ip addresses in canonical form', () => {
    const facts = makeFacts({ remoteIp: '2001:db8::1' });
    expect(matches({ destination: { kind: 'ip', address: '2001:DB8:0:0::0001' } }, facts)).toBe(true);
    expect(
      matches({ destination: { kind: 'ip', address: '::ffff:1.2.3.4' } }, makeFacts({ remoteIp: '1.2.3.4' })),
    ).toBe(true);
    expect(matches({ destination: { kind: 'ip', address: '2001:db8::2' } }, facts)).toBe(false);
  });

  it('matches cidr, lan and localhost', () => {
    expect(matches({ destination: { kind: 'cidr', cidr: '10.0.0.0/8' } }, makeFacts({ remoteIp: '10.9.9.9' }))).toBe(
      true,
    );
    expect(matches({ destination: { kind: 'cidr', cidr: '2001:db8::/32' } }, makeFacts({ remoteIp: '10.9.9.9' }))).toBe(
      false,
    );
    expect(matches({ destination: { kind: 'lan' } }, makeFacts({ remoteIp: '192.168.1.1' }))).toBe(true);
    expect(matches({ destination: { kind: 'lan' } }, makeFacts({ remoteIp: '1.1.1.1' }))).toBe(false);
    expect(matches({ destination: { kind: 'localhost' } }, makeFacts({ remoteIp: '::1' }))).toBe(true);
  });

  it('matches ports, ranges, protocol and direction', () => {
    const facts = makeFacts({ remotePort: 8080, protocol: 17, direction: 'inbound' });
    expect(matches({ port: { kind: 'port', port: 8080 }, direction: 'any' }, facts)).toBe(true);
    expect(matches({ port: { kind: 'port', port: 80 }, direction: 'any' }, facts)).toBe(false);
    expect(matches({ port: { kind: 'range', from: 8000, to: 8080 }, direction: 'any' }, facts)).toBe(true);
    expect(matches({ port: { kind: 'range', from: 8081, to: 9000 }, direction: 'any' }, facts)).toBe(false);
    expect(matches({ protocol: 17, direction: 'inbound' }, facts)).toBe(true);
    expect(matches({ protocol: 6, direction: 'inbound' }, facts)).toBe(false);
    expect(matches({ direction: 'outbound' }, facts)).toBe(false);
  });

  it('skips disabled and expired rules', () => {
    const facts = makeFacts();
    expect(matches({ enabled: false }, facts)).toBe(false);
    expect(matches({ expiresAt: 1000 }, facts, 999)).toBe(true);
    expect(matches({ expiresAt: 1000 }, facts, 1000)).toBe(false);
  });

  it('refuses to compile a destination it cannot parse', () => {
    expect(compileRule(makeRule({ id: 'r', destination: { kind: 'cidr', cidr: '10.0.0.0/40' } }), CASE_SENSITIVE)).toBe(
      null,
    );
    expect(compileRule(makeRule({ id: 'r', destination: { kind: 'ip', address: 'nope' } }), CASE_SENSITIVE)).toBe(null);
  });
});
