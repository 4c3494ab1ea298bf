import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, lineColumn } from './json-syntax.ts';

describe('findJsonSyntaxError', () => {
  it.each([['{"a": 1}'], [' [1, -2.5e+3, "x\\n\\u00e9", true, false, null, {}, []] '], ['"just a string"'], ['0']])(
    'accepts valid JSON %s',
    (text) => {
      expect(() => JSON.parse(text) as unknown).not.toThrow();
      expect(findJsonSyntaxError(text)).toBeNull();
    },
  );

  it.each([
    ['{"a": x}', 1, 7, 'unexpected character "x"'],
    ['{\n  "a": 1,\n  "b": tru\n}', 3, 8, 'unexpected character "t"'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}'"],
    ['[1, 2,]', 1, 7, 'unexpected character "]"'],
    ['{"a": 1,}', 1, 9, 'expected a double-quoted property name'],
    ['{"a" 1}', 1, 6, "expected ':' after a property name"],
    ['"abc', 1, 5, 'unterminated string'],
    ['"a\\qb"', 1, 4, 'bad escape in string'],
    ['"a\u0001"', 1, 3, 'control character in string'],
    ['{"a": 01}', 1, 8, "expected ',' or '}'"],
    ['{"a": -}', 1, 7, 'bad number'],
    ['', 1, 1, 'unexpected end of input'],
    ['{"a": 1} x', 1, 10, 'unexpected text after the end of the JSON value'],
    ['\r\n\r\n  [1 2]', 3, 6, "expected ',' or ']'"],
  ])('locates the error in %j at line %i, column %i', (text, line, column, reason) => {
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    expect(findJsonSyntaxError(text)).toMatchObject({ line, column, reason });
  });

  it('stops at absurd nesting instead of overflowing the stack', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(findJsonSyntaxError(text)?.reason).toMatch(/nested deeper than 512/);
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
