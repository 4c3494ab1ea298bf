import { describe, expect, it } from 'vitest';
import { previewImport } from './preview-import.ts';

describe('previewImport', () => {
  it('reads an OpenSnitch directory as a whole and joins one-file formats in order', () => {
    const opensnitch = previewImport('opensnitch', [
      {
        name: 'b.json',
        text: JSON.stringify({
          name: 'b',
          action: 'allow',
          duration: 'always',
          operator: { type: 'simple', operand: 'dest.ip', data: '192.0.2.2' },
        }),
      },
      {
        name: 'a.json',
        text: JSON.stringify({
          name: 'a',
          action: 'deny',
          duration: 'always',
          operator: { type: 'simple', operand: 'dest.ip', data: '192.0.2.1' },
        }),
      },
    ]);
    expect(opensnitch.format).toBe('OpenSnitch rules');
    expect(opensnitch.rules.map((r) => r.source)).toEqual(['a.json (a)', 'b.json (b)']);
    const joined = previewImport('little-snitch', [
      { name: 'one.lsrules', text: JSON.stringify({ 'denied-remote-hosts': ['one.example'] }) },
      { name: 'two.lsrules', text: '{' },
      { name: 'three.lsrules', text: JSON.stringify({ 'denied-remote-hosts': ['three.example'] }) },
    ]);
    expect(joined.format).toBe('Little Snitch rule group');
    expect(joined.rules.map((r) => r.rule.destination)).toEqual([
      { kind: 'host', name: 'one.example' },
      { kind: 'host', name: 'three.example' },
    ]);
    expect(joined.skipped).toEqual([{ source: 'two.lsrules', reason: expect.stringMatching(/not JSON/) }]);
    expect(previewImport('simplewall', [{ name: 'p.xml', text: '<root/>' }]).format).toBe('simplewall profile');
    expect(previewImport('portmaster', [{ name: 'p.json', text: '{}' }]).skipped[0]?.reason).toMatch(
      /names no program/,
    );
  });
});
