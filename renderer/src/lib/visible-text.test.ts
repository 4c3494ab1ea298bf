import { describe, expect, it } from 'vitest';
import { visibleText } from './visible-text.ts';

describe('visibleText', () => {
  it('shows a right-to-left override as its code point, so a name cannot read as another', () => {
    expect(visibleText('/home/u/bin/\u202Ehsab')).toBe('/home/u/bin/\\u202Ehsab');
    expect(visibleText('\u2066x\u2069')).toBe('\\u2066x\\u2069');
  });

  it('shows zero-width, control and line-separator characters too', () => {
    expect(visibleText('cu\u200Brl')).toBe('cu\\u200Brl');
    expect(visibleText('a\nb\u0007\u2028')).toBe('a\\u000Ab\\u0007\\u2028');
    expect(visibleText('\u{E0041}')).toBe('\\uE0041');
  });

  it('leaves ordinary text of any script alone', () => {
    for (const text of [
      'curl',
      '/usr/bin/python3.11',
      'C:\\Program Files\\Firefox\\firefox.exe',
      'مرحبا',
      'Grüße',
      '日本語.exe',
    ]) {
      expect(visibleText(text)).toBe(text);
    }
  });
});
