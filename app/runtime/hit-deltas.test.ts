import { describe, expect, it } from 'vitest';
import { HitDeltas } from './hit-deltas.ts';

describe('HitDeltas', () => {
  it('turns running totals into increments', () => {
    const deltas = new HitDeltas();
    expect(deltas.increments([{ ruleId: 'a', hitCount: 3, lastHitAt: 10 }])).toEqual(
      new Map([['a', { count: 3, lastHitAt: 10 }]]),
    );
    expect(
      deltas.increments([
        { ruleId: 'a', hitCount: 5, lastHitAt: 20 },
        { ruleId: 'b', hitCount: 1, lastHitAt: 20 },
      ]),
    ).toEqual(
      new Map([
        ['a', { count: 2, lastHitAt: 20 }],
        ['b', { count: 1, lastHitAt: 20 }],
      ]),
    );
    expect(deltas.increments([{ ruleId: 'a', hitCount: 5, lastHitAt: 20 }]).size).toBe(0);
  });
});
