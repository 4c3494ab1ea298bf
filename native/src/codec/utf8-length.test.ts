import { describe, expect, it } from 'vitest';
import { ByteWriter } from './byte-writer.ts';
import { utf8Length } from './utf8-length.ts';

describe('utf8Length', () => {
  it('counts 1 to 4 bytes per code point, as TextEncoder writes them', () => {
    for (const text of [
      '',
      'a',
      '/usr/bin/curl',
      'é',
      'ߺ',
      '\u0800',
      '✓',
      '\uffff',
      '日本',
      '😀',
      'a😀é✓\0',
      '\ufeff',
    ]) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(new TextEncoder().encode(text).length);
    }
  });

  it('refuses lone surrogates, which UTF-8 cannot carry', () => {
    for (const text of ['\ud800', 'a\udc00', '\ud83d', '\ud83da', '\ude00\ud83d', 'x\udbff']) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(-1);
    }
  });

  it('sizes what ByteWriter.utf8 writes, ASCII or not', () => {
    for (const text of ['plain', 'Ünïcode 😀 app']) {
      const length = utf8Length(text);
      const bytes = new ByteWriter(length + 2).u8(1).utf8(text, length).u8(2).finish();
      expect(bytes).toEqual(Uint8Array.of(1, ...new TextEncoder().encode(text), 2));
    }
    expect(() => new ByteWriter(10).utf8('é', 1)).toThrow(/UTF-8/);
  });
});
