import { describe, expect, it } from 'vitest';
import { guarded } from './guarded.ts';
import { RateLimitedLog } from './rate-limited-log.ts';

function logAt(clock: { now: number }): { log: RateLimitedLog; lines: string[] } {
  const lines: string[] = [];
  return {
    log: new RateLimitedLog(
      (line) => lines.push(line),
      () => clock.now,
      60_000,
    ),
    lines,
  };
}

describe('RateLimitedLog', () => {
  it('writes a key once per window and tells how many lines it held back', () => {
    const clock = { now: 0 };
    const { log, lines } = logAt(clock);
    for (let second = 0; second < 90; second += 1) {
      clock.now = second * 1000;
      log.line('tick', `tick failed at ${String(second)}`);
    }
    log.line('other', 'another place');
    expect(lines).toEqual(['tick failed at 0', 'tick failed at 60 (59 more like it held back)', 'another place']);
  });

  it('keeps going when writing the line itself throws', () => {
    const log = new RateLimitedLog(() => {
      throw new Error('stderr closed');
    });
    expect(() => log.line('a', 'b')).not.toThrow();
  });
});

describe('guarded', () => {
  it('logs what a callback throws or rejects with, and returns normally', async () => {
    const { log, lines } = logAt({ now: 0 });
    const sync = guarded(
      'timer',
      () => {
        throw new Error('boom');
      },
      log,
    );
    const async = guarded('callback', () => Promise.reject(new Error('later')), log);
    expect(() => sync()).not.toThrow();
    expect(() => async()).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^timer: boom \(at /);
    expect(lines[1]).toMatch(/^callback: later/);
  });

  it('passes the arguments through', () => {
    const { log } = logAt({ now: 0 });
    const seen: number[] = [];
    guarded('sum', (a: number, b: number) => seen.push(a + b), log)(2, 3);
    expect(seen).toEqual([5]);
  });
});
