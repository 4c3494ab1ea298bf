import type { RuleHits } from '../store/index.ts';

/** A rule's running hit total as the engine reports it. */
export interface RuleHitTotal {
  readonly ruleId: string;
  readonly hitCount: number;
  readonly lastHitAt: number;
}

/**
 * The engine reports running hit totals per rule (so a rule saved in between cannot count a
 * hit twice); the store adds increments. This keeps what was already written, and the latest
 * totals until a write of them commits: hits counted while the disk was full are written once
 * it has space again.
 */
export class HitDeltas {
  readonly #written = new Map<string, number>();
  readonly #latest = new Map<string, RuleHitTotal>();

  /** Notes the latest totals and returns what the store does not have yet. */
  increments(totals: readonly RuleHitTotal[]): Map<string, RuleHits> {
    for (const total of totals) this.#latest.set(total.ruleId, total);
    const out = new Map<string, RuleHits>();
    for (const total of this.#latest.values()) {
      const count = total.hitCount - (this.#written.get(total.ruleId) ?? 0);
      if (count > 0) out.set(total.ruleId, { count, lastHitAt: total.lastHitAt });
    }
    return out;
  }

  /** The increments last returned were written (their transaction committed). */
  committed(): void {
    for (const total of this.#latest.values()) this.#written.set(total.ruleId, total.hitCount);
    this.#latest.clear();
  }
}
