import { describe, expect, it } from 'vitest';
import { previewSimplewall } from './simplewall.ts';

/** A profile as simplewall writes one in plain XML (our own sample, from the format's fields). */
const PROFILE = `<?xml version="1.0" encoding="utf-8"?>
<!-- simplewall profile -->
<root timestamp="1733400000" type="3" version="5">
  <apps>
    <item path="C:\\Program Files\\Mozilla Firefox\\firefox.exe" timestamp="1733400000" is_enabled="true" comment="browser"/>
    <item path="C:\\Tools\\temp.exe" timestamp="1733400000" timer="1733403600" is_enabled="true"/>
    <item path="%SystemRoot%\\system32\\svchost.exe" is_enabled="false"/>
  </apps>
  <rules_custom>
    <item name="DNS &amp; NTP" rule="9.9.9.9:53;[2620:fe::fe]:53;123" dir="0" protocol="17" is_block="false" is_enabled="true"/>
    <item name="Block ads" rule="198.51.100.0/24;203.0.113.9" dir="2" protocol="0" apps="C:\\a.exe|C:\\b.exe" is_block="true" is_enabled="false"/>
    <item name="Range" rule="10.0.0.1-10.0.0.9" dir="0" protocol="6"/>
    <item name="Local" rule="80" rule_local="192.168.1.5" dir="1" protocol="6"/>
  </rules_custom>
  <rules_system>
    <item name="Allow DHCP" rule="67" is_enabled="true"/>
  </rules_system>
</root>`;

describe('previewSimplewall', () => {
  const preview = previewSimplewall({ name: 'profile.xml', text: PROFILE });
  const rules = preview.rules.map((r) => r.rule);

  it('imports the allowed programs and the custom rules, one rule per entry and program', () => {
    expect(rules).toHaveLength(1 + 3 + 4);
    expect(rules[0]).toMatchObject({
      app: { kind: 'path', path: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe' },
      destination: { kind: 'any' },
      action: 'allow',
      enabled: true,
      notes: 'From simplewall (allowed program): browser',
    });
    expect(preview.rules[0]?.caveats).toEqual(['a Windows program path: it matches only on Windows']);
    expect(rules.slice(1, 4).map((r) => [r.destination, r.port, r.protocol, r.direction, r.action, r.notes])).toEqual([
      [
        { kind: 'ip', address: '9.9.9.9' },
        { kind: 'port', port: 53 },
        17,
        'outbound',
        'allow',
        'From simplewall: DNS & NTP',
      ],
      [
        { kind: 'ip', address: '2620:fe::fe' },
        { kind: 'port', port: 53 },
        17,
        'outbound',
        'allow',
        'From simplewall: DNS & NTP',
      ],
      [{ kind: 'any' }, { kind: 'port', port: 123 }, 17, 'outbound', 'allow', 'From simplewall: DNS & NTP'],
    ]);
    expect(rules.slice(4).map((r) => [r.app, r.destination, r.direction, r.action, r.enabled, r.protocol])).toEqual([
      [{ kind: 'path', path: 'C:\\a.exe' }, { kind: 'cidr', cidr: '198.51.100.0/24' }, 'any', 'block', false, 'any'],
      [{ kind: 'path', path: 'C:\\a.exe' }, { kind: 'ip', address: '203.0.113.9' }, 'any', 'block', false, 'any'],
      [{ kind: 'path', path: 'C:\\b.exe' }, { kind: 'cidr', cidr: '198.51.100.0/24' }, 'any', 'block', false, 'any'],
      [{ kind: 'path', path: 'C:\\b.exe' }, { kind: 'ip', address: '203.0.113.9' }, 'any', 'block', false, 'any'],
    ]);
  });

  it('skips, with the reason, what it cannot express', () => {
    expect(preview.skipped.map((s) => [s.source, s.reason])).toEqual([
      ['profile.xml apps item 2', expect.stringMatching(/timer/)],
      ['profile.xml apps item 3', expect.stringMatching(/^app\.path: "%SystemRoot%.*is not an absolute path/)],
      ['profile.xml rules_custom item 3 (Range)', expect.stringMatching(/address range "10\.0\.0\.1-10\.0\.0\.9"/)],
      ['profile.xml rules_custom item 4 (Local)', expect.stringMatching(/rule_local/)],
      ['profile.xml rules_system', expect.stringMatching(/1 entries of simplewall's own rules_system: not imported/)],
    ]);
  });

  it('says so for the compressed or encrypted form, broken XML and other documents', () => {
    const reason = (text: string) => previewSimplewall({ name: 'p.xml', text }).skipped[0]?.reason;
    expect(reason('\u0000\u0001binary')).toMatch(/compressed or encrypted profile is not read/);
    expect(reason('<root><apps><item path="x"/></root>')).toMatch(
      /not readable XML: <\/root> closes an element that is not open/,
    );
    expect(reason('<!DOCTYPE root [<!ENTITY a "b">]><root/>')).toMatch(/document type declaration/);
    expect(reason('<rules/>')).toMatch(/its root element is not <root>/);
  });
});
