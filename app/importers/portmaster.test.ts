import { describe, expect, it } from 'vitest';
import { previewPortmaster } from './portmaster.ts';

/** A profile export as Portmaster writes one (our own sample, from the format's fields). */
function exported(config: Record<string, unknown>, fingerprints?: unknown[]): { name: string; text: string } {
  return {
    name: 'firefox.json',
    text: JSON.stringify({
      name: 'Firefox',
      fingerprints: fingerprints ?? [{ type: 'path', key: '', operation: 'equals', value: '/usr/lib/firefox/firefox' }],
      config,
    }),
  };
}

describe('previewPortmaster', () => {
  it('maps endpoint entries in both directions and the default action', () => {
    const preview = previewPortmaster(
      exported({
        filter: {
          defaultAction: 'block',
          endpoints: [
            '+ example.com TCP/443',
            '+ .mozilla.org',
            '+ 10.0.0.0/8 UDP/53-60',
            '+ LAN',
            '- ads.example.net',
          ],
          serviceEndpoints: ['+ Localhost TCP/8080'],
        },
      }),
    );
    expect(preview.skipped).toEqual([]);
    const rows = preview.rules.map((r) => [
      r.rule.destination,
      r.rule.port,
      r.rule.protocol,
      r.rule.direction,
      r.rule.action,
    ]);
    expect(rows).toEqual([
      [{ kind: 'host', name: 'example.com' }, { kind: 'port', port: 443 }, 6, 'outbound', 'allow'],
      [{ kind: 'host', name: 'mozilla.org' }, { kind: 'any' }, 'any', 'outbound', 'allow'],
      [{ kind: 'domain', pattern: '*.mozilla.org' }, { kind: 'any' }, 'any', 'outbound', 'allow'],
      [{ kind: 'cidr', cidr: '10.0.0.0/8' }, { kind: 'range', from: 53, to: 60 }, 17, 'outbound', 'allow'],
      [{ kind: 'lan' }, { kind: 'any' }, 'any', 'outbound', 'allow'],
      [{ kind: 'host', name: 'ads.example.net' }, { kind: 'any' }, 'any', 'outbound', 'block'],
      [{ kind: 'localhost' }, { kind: 'port', port: 8080 }, 6, 'inbound', 'allow'],
      [{ kind: 'any' }, { kind: 'any' }, 'any', 'outbound', 'block'],
    ]);
    expect(
      preview.rules.every((r) => r.rule.app.kind === 'path' && r.rule.app.path === '/usr/lib/firefox/firefox'),
    ).toBe(true);
    expect(preview.rules[0]?.rule.notes).toBe('From Portmaster: Firefox: + example.com TCP/443');
    // The block after allows may meet an earlier allow first in Portmaster.
    expect(preview.rules[5]?.caveats).toEqual([expect.stringMatching(/first matching entry/)]);
    expect(preview.rules[0]?.caveats).toEqual([]);
  });

  it('reads flat config keys too, and skips entries after one that matches everything', () => {
    const preview = previewPortmaster(
      exported({ 'filter/endpoints': ['- *', '+ example.com'], 'filter/defaultAction': 'ask' }),
    );
    expect(preview.rules.map((r) => [r.rule.destination, r.rule.action])).toEqual([[{ kind: 'any' }, 'block']]);
    expect(preview.skipped).toEqual([
      { source: 'firefox.json filter/endpoints[1] "+ example.com"', reason: expect.stringMatching(/never reached/) },
    ]);
  });

  it('skips what it cannot express, with the reason', () => {
    const preview = previewPortmaster(
      exported({
        filter: {
          endpoints: [
            '+ Internet',
            '+ AS13335',
            '+ DE',
            '+ 1.1.1.1-1.1.1.9',
            '+ ex*ample.com',
            '+ example.com SCTPX/1',
            '* example.com',
            '+ bad..name',
          ],
        },
      }),
    );
    expect(preview.rules).toEqual([]);
    expect(preview.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/"Internet"/),
      expect.stringMatching(/autonomous system AS13335/),
      expect.stringMatching(/country DE/),
      expect.stringMatching(/address range/),
      expect.stringMatching(/a wildcard other than a leading/),
      expect.stringMatching(/protocol "SCTPX"/),
      expect.stringMatching(/is not an entry of the form/),
      expect.stringMatching(/^destination\.name: /),
    ]);
  });

  it('reads the YAML form of an export as the JSON form', () => {
    const yaml = [
      'name: Firefox',
      'fingerprints:',
      '  - type: path',
      '    operation: equals',
      '    value: /usr/lib/firefox/firefox',
      'config:',
      '  filter:',
      '    endpoints:',
      '      - "+ example.com TCP/443"',
      '      - "- *"',
    ].join('\n');
    const json = JSON.stringify({
      name: 'Firefox',
      fingerprints: [{ type: 'path', operation: 'equals', value: '/usr/lib/firefox/firefox' }],
      config: { filter: { endpoints: ['+ example.com TCP/443', '- *'] } },
    });
    const fromYaml = previewPortmaster({ name: 'firefox.yaml', text: yaml });
    const fromJson = previewPortmaster({ name: 'firefox.yaml', text: json });
    expect(fromYaml.rules).toHaveLength(2);
    expect(fromYaml).toEqual(fromJson);
  });

  it('takes a YAML document of nested aliases without expanding it', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 30; i++)
      bomb.push(
        `l${String(i)}: &l${String(i)} [*${i === 0 ? 'a' : `l${String(i - 1)}`}, *${i === 0 ? 'a' : `l${String(i - 1)}`}]`,
      );
    bomb.push('name: bomb');
    // 2^30 copies of the list would never finish: an expanding reader fails on the test's timeout.
    expect(previewPortmaster({ name: 'bomb.yaml', text: bomb.join('\n') }).skipped[0]?.reason).toMatch(
      /names no program/,
    );
  });

  it('refuses a profile it cannot tie to one program, and what is not an export', () => {
    const reason = (file: { name: string; text: string }) => previewPortmaster(file).skipped[0]?.reason;
    expect(reason(exported({}, []))).toMatch(/names no program/);
    expect(reason(exported({}, [{ type: 'path', operation: 'prefix', value: '/opt/' }]))).toMatch(
      /path prefix: ZenithFence rules name one program/,
    );
    expect(reason({ name: 'p.yaml', text: 'name: Firefox' })).toMatch(/names no program/);
    expect(reason({ name: 'p.txt', text: 'just words, no document' })).toMatch(/neither JSON nor YAML/);
    expect(reason({ name: 'p.yaml', text: 'a: [unclosed' })).toMatch(/neither JSON nor YAML/);
    expect(reason({ name: 'p.json', text: '[1, 2]' })).toMatch(/not a Portmaster profile export/);
  });
});
