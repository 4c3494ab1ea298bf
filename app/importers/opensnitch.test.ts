import { describe, expect, it } from 'vitest';
import { goDurationMinutes, previewOpenSnitch } from './opensnitch.ts';

/** A rule file as OpenSnitch's daemon writes one (our own sample, from the format's fields). */
function ruleFile(name: string, fields: Record<string, unknown>): { name: string; text: string } {
  const rule = {
    created: '2026-11-30T10:00:00Z',
    updated: '2026-11-30T10:00:00Z',
    name,
    description: '',
    enabled: true,
    precedence: false,
    nolog: false,
    action: 'allow',
    duration: 'always',
    ...fields,
  };
  return { name: `${name}.json`, text: JSON.stringify(rule, null, 2) };
}

const simple = (operand: string, data: string) => ({ type: 'simple', operand, sensitive: false, data, list: null });

describe('previewOpenSnitch', () => {
  it('maps a program rule, a list of conditions and every action', () => {
    const preview = previewOpenSnitch([
      ruleFile('allow-curl', { operator: simple('process.path', '/usr/bin/curl') }),
      ruleFile('deny-tracker', { action: 'deny', operator: simple('dest.host', 'tracker.example.com') }),
      ruleFile('reject-dns', {
        action: 'reject',
        duration: 'until restart',
        description: 'no plain DNS',
        operator: {
          type: 'list',
          operand: 'list',
          data: '',
          list: [simple('process.path', '/usr/bin/dig'), simple('dest.port', '53'), simple('protocol', 'udp')],
        },
      }),
      ruleFile('lan', { operator: { type: 'network', operand: 'dest.network', data: '192.168.0.0/16' } }),
      ruleFile('high-ports', { operator: { type: 'range', operand: 'dest.port', data: '8000-8999' } }),
    ]);
    expect(preview.skipped).toEqual([]);
    const byName = Object.fromEntries(preview.rules.map((r) => [r.source, r.rule]));
    expect(byName['allow-curl.json (allow-curl)']).toMatchObject({
      app: { kind: 'path', path: '/usr/bin/curl' },
      destination: { kind: 'any' },
      action: 'allow',
      duration: { kind: 'forever' },
      direction: 'outbound',
      notes: 'From OpenSnitch: allow-curl',
    });
    expect(byName['deny-tracker.json (deny-tracker)']).toMatchObject({
      app: { kind: 'any' },
      destination: { kind: 'host', name: 'tracker.example.com' },
      action: 'drop',
    });
    expect(byName['reject-dns.json (reject-dns)']).toMatchObject({
      app: { kind: 'path', path: '/usr/bin/dig' },
      port: { kind: 'port', port: 53 },
      protocol: 17,
      action: 'block',
      duration: { kind: 'until-restart' },
      notes: 'From OpenSnitch: reject-dns. no plain DNS',
    });
    expect(byName['lan.json (lan)']).toMatchObject({ destination: { kind: 'cidr', cidr: '192.168.0.0/16' } });
    expect(byName['high-ports.json (high-ports)']).toMatchObject({ port: { kind: 'range', from: 8000, to: 8999 } });
    // Name order, as OpenSnitch evaluates them.
    expect(preview.rules.map((r) => r.rule.notes.split('. ')[0])).toEqual([
      'From OpenSnitch: allow-curl',
      'From OpenSnitch: deny-tracker',
      'From OpenSnitch: high-ports',
      'From OpenSnitch: lan',
      'From OpenSnitch: reject-dns',
    ]);
  });

  it('skips, whole and with the reason, what a rule cannot express', () => {
    const preview = previewOpenSnitch([
      ruleFile('regexp', { operator: { type: 'regexp', operand: 'dest.host', data: '.*\\.example\\.com' } }),
      ruleFile('by-user', {
        operator: {
          type: 'list',
          operand: 'list',
          list: [simple('process.path', '/usr/bin/ssh'), simple('user.id', '1000')],
        },
      }),
      ruleFile('lists', { operator: { type: 'lists', operand: 'lists.domains', data: '/etc/opensnitchd/blocklists' } }),
      ruleFile('once', { duration: 'once', operator: simple('dest.ip', '1.1.1.1') }),
      ruleFile('two-ips', {
        operator: { type: 'list', operand: 'list', list: [simple('dest.ip', '1.1.1.1'), simple('dest.ip', '8.8.8.8')] },
      }),
      ruleFile('relative', { operator: simple('process.path', 'firefox') }),
      ruleFile('bad-ip', { operator: simple('dest.ip', '1.2.3.999') }),
      { name: 'broken.json', text: '{ "name": ' },
      { name: 'README', text: 'not a rule' },
    ]);
    expect(preview.rules).toEqual([]);
    const reasons = Object.fromEntries(preview.skipped.map((s) => [s.source, s.reason]));
    expect(reasons['regexp.json (regexp)']).toMatch(/regular expression/);
    expect(reasons['by-user.json (by-user)']).toMatch(/user\.id: ZenithFence rules do not name a user/);
    expect(reasons['lists.json (lists)']).toMatch(/blocklists/);
    expect(reasons['once.json (once)']).toMatch(/one connection only/);
    expect(reasons['two-ips.json (two-ips)']).toMatch(/two conditions on the same field \(destination\)/);
    expect(reasons['relative.json (relative)']).toMatch(/^app\.path: "firefox" is not an absolute path/);
    expect(reasons['bad-ip.json (bad-ip)']).toMatch(/^destination\.address: /);
    expect(reasons['broken.json']).toMatch(/not JSON/);
    expect(reasons['README']).toMatch(/not a \.json file/);
  });

  it('says what changes in meaning', () => {
    const preview = previewOpenSnitch([
      ruleFile('timed', { duration: '1h30m', precedence: true, operator: simple('protocol', 'tcp6') }),
    ]);
    const [rule] = preview.rules;
    expect(rule?.rule.duration).toEqual({ kind: 'minutes', minutes: 90 });
    expect(rule?.rule.protocol).toBe(6);
    expect(rule?.caveats).toEqual([
      'protocol tcp6 becomes TCP over IPv4 and IPv6',
      'lasts 90 minutes from the import, not from when OpenSnitch made it',
      '"precedence" has no counterpart: ZenithFence orders rules by its own precedence (app/engine/README.md)',
    ]);
  });

  it('refuses input over its size limit as a whole', () => {
    const big = { name: 'big.json', text: 'x'.repeat(33 * 1024 * 1024) };
    const preview = previewOpenSnitch([big]);
    expect(preview.rules).toEqual([]);
    expect(preview.skipped[0]?.reason).toMatch(/over the \d+ one import reads/);
  });
});

describe('goDurationMinutes', () => {
  it.each([
    ['30s', 1],
    ['5m', 5],
    ['1h30m', 90],
    ['24h', 1440],
    ['90.5m', 91],
  ])('%s is %d minutes', (text, minutes) => expect(goDurationMinutes(text)).toBe(minutes));

  it.each(['', 'always', '5 m', '1x', '0s', '-5m'])('refuses %j', (text) => expect(goDurationMinutes(text)).toBeNull());
});
