import { describe, expect, it } from 'vitest';
import type { Rule } from '../contract/rules.ts';
import { type CompiledRule, compileRule } from './compiled-rule.ts';
import { compilePolicy, type PolicyOptions } from './policy-compiler.ts';
import { makeRule } from './testing.ts';

const OPTIONS: PolicyOptions = { generation: 7n, noAppAction: 'block', caseInsensitivePaths: false, now: 1_000 };

function compiled(rules: readonly Rule[], caseInsensitivePaths = false): CompiledRule[] {
  return rules.map((rule) => {
    const result = compileRule(rule, { caseInsensitivePaths });
    if (result === null) throw new Error(`rule ${rule.id} does not compile`);
    return result;
  });
}

function policyOf(rules: readonly Rule[], options: Partial<PolicyOptions> = {}) {
  const all = { ...OPTIONS, ...options };
  return compilePolicy(compiled(rules, all.caseInsensitivePaths), all);
}

describe('compilePolicy', () => {
  it('carries the generation, the no-app action and every field of a lasting rule', () => {
    const rule = makeRule({
      id: 'r1',
      app: { kind: 'path', path: '/usr/bin/curl' },
      destination: { kind: 'ip', address: '2001:DB8:0:0::1' },
      port: { kind: 'range', from: 8000, to: 8080 },
      protocol: 6,
      direction: 'inbound',
      action: 'drop',
      updatedAt: 500,
    });
    const { policy, ruleIds, leftOut } = policyOf([rule], { noAppAction: 'drop', generation: 42n });
    expect(policy).toEqual({
      generation: 42n,
      noAppAction: 'drop',
      caseInsensitivePaths: false,
      rules: [
        {
          tag: 1,
          action: 'drop',
          appDecides: false,
          direction: 'inbound',
          protocol: 6,
          portFrom: 8000,
          portTo: 8080,
          updatedAt: 500,
          expiresAt: null,
          appPath: '/usr/bin/curl',
          destination: { kind: 'ip', ip: '2001:db8::1' },
        },
      ],
    });
    expect(ruleIds).toEqual(['r1']);
    expect(leftOut).toEqual([]);
  });

  it('gives any app, any port, any protocol and any direction as the driver reads them', () => {
    const [rule] = policyOf([makeRule({ id: 'a', direction: 'any' })]).policy.rules;
    expect(rule).toMatchObject({ appPath: null, portFrom: 0, portTo: 65535, protocol: null, direction: 'any' });
    const [single] = policyOf([makeRule({ id: 'b', port: { kind: 'port', port: 53 } })]).policy.rules;
    expect(single).toMatchObject({ portFrom: 53, portTo: 53 });
  });

  it('numbers the rules in the order of their ids, the engine’s last tie-break', () => {
    const rules = ['r-b', 'r-a', 'r-c', 'R-z'].map((id) => makeRule({ id }));
    const { policy, ruleIds } = policyOf(rules);
    // String order by UTF-16 code units, as precedence.ts compares ids ('R' < 'r').
    expect(ruleIds).toEqual(['R-z', 'r-a', 'r-b', 'r-c']);
    expect(policy.rules.map((rule) => rule.tag)).toEqual([1, 2, 3, 4]);
  });

  it('leaves out disabled rules and rules whose time is up', () => {
    const { ruleIds, leftOut } = policyOf([
      makeRule({ id: 'off', enabled: false }),
      makeRule({ id: 'over', duration: { kind: 'minutes', minutes: 1 }, expiresAt: 1_000 }),
      makeRule({ id: 'later', duration: { kind: 'minutes', minutes: 1 }, expiresAt: 1_001 }),
    ]);
    expect(ruleIds).toEqual(['later']);
    expect(leftOut).toEqual([]);
  });

  it('gives minutes rules their end, and marks the rules that live only while the app runs', () => {
    const { policy } = policyOf([
      makeRule({ id: 'a', duration: { kind: 'forever' } }),
      makeRule({ id: 'b', duration: { kind: 'minutes', minutes: 5 }, expiresAt: 301_000 }),
      makeRule({ id: 'c', duration: { kind: 'until-restart' } }),
      makeRule({ id: 'd', duration: { kind: 'until-app-quits' }, app: { kind: 'path', path: '/usr/bin/curl' } }),
    ]);
    expect(policy.rules.map((rule) => [rule.tag, rule.appDecides, rule.expiresAt])).toEqual([
      [1, false, null],
      [2, false, 301_000],
      [3, true, null],
      [4, true, null],
    ]);
  });

  it('leaves out a once rule, should one ever be in force', () => {
    const { ruleIds, leftOut } = policyOf([makeRule({ id: 'o', duration: { kind: 'once' } })]);
    expect(ruleIds).toEqual([]);
    expect(leftOut).toEqual([{ id: 'o', reason: 'once' }]);
  });

  it('normalizes names: lowercase without a trailing dot, a domain pattern as its suffix', () => {
    const { policy } = policyOf([
      makeRule({ id: 'h', destination: { kind: 'host', name: 'WWW.Example.COM.' } }),
      makeRule({ id: 'd', destination: { kind: 'domain', pattern: '*.Example.ORG.' } }),
    ]);
    expect(policy.rules.map((rule) => rule.destination)).toEqual([
      { kind: 'domain', suffix: 'example.org' },
      { kind: 'host', name: 'www.example.com' },
    ]);
  });

  it('leaves out host and domain rules with names only the older check accepted', () => {
    const long = 'a'.repeat(64);
    const { ruleIds, leftOut } = policyOf([
      makeRule({ id: 'h', destination: { kind: 'host', name: `${long}.example.com` } }),
      makeRule({ id: 'd', destination: { kind: 'domain', pattern: `*.${long}.example.com` } }),
      makeRule({ id: 'ok', destination: { kind: 'host', name: `${'a'.repeat(63)}.example.com` } }),
    ]);
    expect(ruleIds).toEqual(['ok']);
    expect(leftOut).toEqual([
      { id: 'h', reason: 'legacy-name' },
      { id: 'd', reason: 'legacy-name' },
    ]);
  });

  it('masks the host bits of networks; an IPv4-mapped network of /96 or more is the IPv4 network', () => {
    const { policy } = policyOf([
      makeRule({ id: 'a', destination: { kind: 'cidr', cidr: '10.1.2.3/8' } }),
      makeRule({ id: 'b', destination: { kind: 'cidr', cidr: '2001:db8:ffff::1/33' } }),
      makeRule({ id: 'c', destination: { kind: 'cidr', cidr: '::ffff:192.168.7.9/112' } }),
      makeRule({ id: 'd', destination: { kind: 'ip', address: '::ffff:192.0.2.1' } }),
    ]);
    expect(policy.rules.map((rule) => rule.destination)).toEqual([
      { kind: 'cidr', ip: '10.0.0.0', prefix: 8 },
      { kind: 'cidr', ip: '2001:db8:8000::', prefix: 33 },
      { kind: 'cidr', ip: '192.168.0.0', prefix: 16 },
      { kind: 'ip', ip: '192.0.2.1' },
    ]);
  });

  it('with case-insensitive paths, says so and sends the paths lowercased', () => {
    const rule = makeRule({ id: 'w', app: { kind: 'path', path: 'C:\\Program Files\\App\\App.EXE' } });
    const { policy } = policyOf([rule], { caseInsensitivePaths: true });
    expect(policy.caseInsensitivePaths).toBe(true);
    expect(policy.rules[0]?.appPath).toBe('c:\\program files\\app\\app.exe');
    expect(policyOf([rule]).policy.rules[0]?.appPath).toBe('C:\\Program Files\\App\\App.EXE');
  });

  it('carries the longest path a rule can hold, and leaves out only what the format cannot carry', () => {
    // The contract allows 4096 UTF-16 units: at most 3 UTF-8 bytes each, 12 288 bytes, below the
    // document's 16 384. A path the format cannot carry (not a valid rule) is still left out.
    const longest = `/${'€'.repeat(4095)}`;
    const tooLong = `/${'€'.repeat(5462)}`;
    const { ruleIds, leftOut } = policyOf([
      makeRule({ id: 'longest', app: { kind: 'path', path: longest } }),
      makeRule({ id: 'long', app: { kind: 'path', path: tooLong } }),
    ]);
    expect(ruleIds).toEqual(['longest']);
    expect(leftOut).toEqual([{ id: 'long', reason: 'path-too-long' }]);
  });
});
