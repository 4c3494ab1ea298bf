import { describe, expect, it } from 'vitest';
import { previewLittleSnitch } from './little-snitch.ts';

/** A rule group as Little Snitch exports one (our own sample, from the format's fields). */
function group(fields: Record<string, unknown>): { name: string; text: string } {
  return { name: 'work.lsrules', text: JSON.stringify({ name: 'Work', description: 'team rules', ...fields }) };
}

describe('previewLittleSnitch', () => {
  it('maps rules field by field, one of ours per host, domain, address and port', () => {
    const preview = previewLittleSnitch(
      group({
        rules: [
          {
            process: '/usr/bin/git',
            action: 'allow',
            direction: 'outgoing',
            ports: '22, 443',
            protocol: 'tcp',
            'remote-hosts': 'git.example.com',
            notes: 'source control',
          },
          { process: 'any', action: 'deny', 'remote-domains': ['ads.example'], disabled: true },
          { process: '/usr/sbin/sshd', action: 'allow', direction: 'incoming', ports: '22', remote: 'local-net' },
          { action: 'allow', 'remote-addresses': '10.0.0.0/8, 192.0.2.7', ports: '8000-8100', protocol: 'udp' },
        ],
      }),
    );
    expect(preview.skipped).toEqual([]);
    const rules = preview.rules.map((r) => r.rule);
    expect(rules).toHaveLength(2 + 2 + 1 + 2);
    expect(rules[0]).toMatchObject({
      app: { kind: 'path', path: '/usr/bin/git' },
      destination: { kind: 'host', name: 'git.example.com' },
      port: { kind: 'port', port: 22 },
      protocol: 6,
      direction: 'outbound',
      action: 'allow',
      duration: { kind: 'forever' },
      enabled: true,
      notes: 'From Little Snitch: source control',
    });
    expect(rules[1]).toMatchObject({ port: { kind: 'port', port: 443 } });
    expect(preview.rules[0]?.caveats).toEqual(['one Little Snitch rule becomes 2 rules']);
    // A domain covers itself and every name under it.
    expect(rules.slice(2, 4).map((r) => r.destination)).toEqual([
      { kind: 'host', name: 'ads.example' },
      { kind: 'domain', pattern: '*.ads.example' },
    ]);
    expect(rules[2]).toMatchObject({ app: { kind: 'any' }, action: 'block', enabled: false });
    expect(rules[4]).toMatchObject({
      destination: { kind: 'lan' },
      direction: 'inbound',
      port: { kind: 'port', port: 22 },
    });
    expect(rules.slice(5).map((r) => r.destination)).toEqual([
      { kind: 'cidr', cidr: '10.0.0.0/8' },
      { kind: 'ip', address: '192.0.2.7' },
    ]);
    expect(rules[5]).toMatchObject({ port: { kind: 'range', from: 8000, to: 8100 }, protocol: 17 });
  });

  it('turns the denied lists into blocks for any program', () => {
    const preview = previewLittleSnitch(
      group({
        'denied-remote-hosts': ['tracker.example'],
        'denied-remote-domains': ['ads.example'],
        'denied-remote-addresses': ['198.51.100.0/24', '203.0.113.9'],
      }),
    );
    expect(preview.skipped).toEqual([]);
    expect(preview.rules.map((r) => [r.rule.destination, r.rule.action, r.rule.app])).toEqual([
      [{ kind: 'host', name: 'tracker.example' }, 'block', { kind: 'any' }],
      [{ kind: 'host', name: 'ads.example' }, 'block', { kind: 'any' }],
      [{ kind: 'domain', pattern: '*.ads.example' }, 'block', { kind: 'any' }],
      [{ kind: 'cidr', cidr: '198.51.100.0/24' }, 'block', { kind: 'any' }],
      [{ kind: 'ip', address: '203.0.113.9' }, 'block', { kind: 'any' }],
    ]);
  });

  it('skips what it cannot express, with the reason', () => {
    const preview = previewLittleSnitch(
      group({
        rules: [
          { action: 'ask', 'remote-hosts': 'a.example' },
          { action: 'allow', via: '/usr/libexec/helper', 'remote-hosts': 'b.example' },
          { action: 'allow', remote: 'bonjour' },
          { action: 'allow', 'remote-addresses': '10.0.0.1-10.0.0.9' },
          { action: 'allow', protocol: 'gre' },
          { action: 'allow', ports: 'http' },
          { action: 'allow', process: 'Safari' },
          { action: 'allow', 'remote-hosts': 'bad..name' },
          'not an object',
        ],
      }),
    );
    expect(preview.rules).toEqual([]);
    expect(preview.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/"ask" is what ZenithFence does without a rule/),
      expect.stringMatching(/"via" .*not a helper/),
      expect.stringMatching(/"remote": "bonjour" has no counterpart/),
      expect.stringMatching(/address range "10\.0\.0\.1-10\.0\.0\.9"/),
      expect.stringMatching(/protocol "gre"/),
      expect.stringMatching(/port "http"/),
      expect.stringMatching(/^app\.path: "Safari" is not an absolute path/),
      expect.stringMatching(/^destination\.name: /),
      expect.stringMatching(/not a Little Snitch rule/),
    ]);
    expect(preview.skipped[0]?.source).toBe('work.lsrules rules[0]');
  });

  it('refuses a file that is not a rule group as a whole', () => {
    expect(previewLittleSnitch({ name: 'x.lsrules', text: '{' }).skipped[0]?.reason).toMatch(/not JSON/);
    expect(previewLittleSnitch({ name: 'x.lsrules', text: '{"rules": 5}' }).skipped[0]?.reason).toMatch(
      /not a Little Snitch rule group/,
    );
  });

  it('notes a macOS program path and refuses an expansion past its limit', () => {
    const mac = previewLittleSnitch(
      group({
        rules: [{ process: '/Applications/Safari.app/Contents/MacOS/Safari', action: 'allow', priority: 'high' }],
      }),
    );
    expect(mac.rules[0]?.caveats).toEqual([
      'a macOS program path: it matches only that path here',
      '"high" priority has no counterpart: ZenithFence applies its own precedence',
    ]);
    const hosts = Array.from({ length: 101 }, (_, i) => `h${String(i)}.example`);
    const ports = Array.from({ length: 10 }, (_, i) => String(1000 + i)).join(',');
    const wide = previewLittleSnitch(group({ rules: [{ action: 'allow', 'remote-hosts': hosts, ports }] }));
    expect(wide.rules).toEqual([]);
    expect(wide.skipped[0]?.reason).toMatch(/1010 combinations .* over 1000/);
  });
});
