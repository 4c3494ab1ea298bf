import type { RuleHits } from '../store/index.ts';

/** A rule's running hit total as the engine reports it. */
export interface RuleHitTotal {
  readonly ruleId: string;
  readonly hitCount: number;
  readonly lastHitAt: number;
}

/**
 * The engine reports running hit totals per rule (so a rule saved in between cannot count a
 * hit twice); the store adds increments. This keeps what was already written.
 */
export class HitDeltas {
  readonly #written = new Map<string, number>();

  increments(totals: readonly RuleHitTotal[]): Map<string, RuleHits> {
    const out = new Map<string, RuleHits>();
    for (const total of totals) {
      const before = this.#written.get(total.ruleId) ?? 0;
      const count = total.hitCount - before;
      this.#written.set(total.ruleId, total.hitCount);
      if (count > 0) out.set(total.ruleId, { count, lastHitAt: total.lastHitAt });
    }
    return out;
  }
}
