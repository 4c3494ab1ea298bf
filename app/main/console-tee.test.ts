import { describe, expect, it } from 'vitest';
import { type ConsoleLike, teeConsole } from './console-tee.ts';

function quietConsole(printed: string[]): ConsoleLike {
  const record = (...args: unknown[]): void => void printed.push(args.map(String).join(' '));
  return { debug: record, log: record, info: record, warn: record, error: record };
}

describe('teeConsole', () => {
  it('hands each line to the sink with its level, formatted as console formats it', () => {
    const printed: string[] = [];
    const target = quietConsole(printed);
    const seen: string[] = [];
    teeConsole(target, (level, text) => seen.push(`${level} ${text}`));
    target.debug('d');
    target.log('%s has %d rules', 'app', 3);
    target.error(new Error('bad'));
    expect(seen[0]).toBe('DEBUG d');
    expect(seen[1]).toBe('INFO app has 3 rules');
    expect(seen[2]).toMatch(/^ERROR Error: bad\n\s+at /);
    expect(printed).toHaveLength(3);
  });

  it('survives a sink that throws or logs through the console itself', () => {
    const printed: string[] = [];
    const target = quietConsole(printed);
    let calls = 0;
    teeConsole(target, () => {
      calls += 1;
      target.error('the sink complains');
      throw new Error('sink broke');
    });
    expect(() => target.warn('one')).not.toThrow();
    expect(calls).toBe(1);
    expect(printed).toEqual(['one', 'the sink complains']);
  });
});
