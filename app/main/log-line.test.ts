import { describe, expect, it } from 'vitest';
import { formatLogLine, MAX_LINE_CHARS } from './log-line.ts';

const AT = new Date(Date.UTC(2026, 11, 4, 21, 5, 7, 42));

describe('formatLogLine', () => {
  it('starts with the ISO time and the level, and ends with one newline', () => {
    expect(formatLogLine('ERROR', 'driver status: boom', AT)).toBe(
      '2026-12-04T21:05:07.042Z ERROR driver status: boom\n',
    );
    expect(formatLogLine('INFO', 'started\n', AT)).toBe('2026-12-04T21:05:07.042Z INFO  started\n');
  });

  it('indents the continuation lines of a stack', () => {
    expect(formatLogLine('WARN', 'Error: x\n  at f (a.js:1)\r\n  at g (b.js:2)', AT)).toBe(
      '2026-12-04T21:05:07.042Z WARN  Error: x\n      at f (a.js:1)\n      at g (b.js:2)\n',
    );
  });

  it('cuts a line that is too long and says how much was cut', () => {
    const line = formatLogLine('INFO', 'x'.repeat(MAX_LINE_CHARS + 10), AT);
    expect(line.length).toBeLessThan(MAX_LINE_CHARS + 100);
    expect(line.endsWith('… (10 more characters cut)\n')).toBe(true);
  });
});
