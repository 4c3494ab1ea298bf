import { describe, expect, it } from 'vitest';
import { HitDeltas } from './hit-deltas.ts';

describe('HitDeltas', () => {
  it('turns running totals into increments', () => {
    const deltas = new HitDeltas();
    expect(deltas.increments([{ ruleId: 'a', hitCount: 3, lastHitAt: 10 }])).toEqual(
      new Map([['a', { count: 3, lastHitAt: 10 }]]),
    );
    deltas.committed();
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
    deltas.committed();
    expect(deltas.increments([{ ruleId: 'a', hitCount: 5, lastHitAt: 20 }]).size).toBe(0);
  });

  it('keeps the increments of a write that did not commit for the next one', () => {
    const deltas = new HitDeltas();
    deltas.increments([{ ruleId: 'a', hitCount: 3, lastHitAt: 10 }]);
    // No committed(): the write failed (a full disk). The rule is not hit again meanwhile.
    expect(deltas.increments([])).toEqual(new Map([['a', { count: 3, lastHitAt: 10 }]]));
    deltas.committed();
    expect(deltas.increments([]).size).toBe(0);
  });
});
