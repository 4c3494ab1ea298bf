/**
 * Which rule each tag of a policy generation stands for, so that a RuleDecided info (generation,
 * tag) names the engine's rule. Kept for the last few generations sent, because infos of the
 * previous policy still arrive while the next one is on its way, and for the generation the driver
 * last said it enforces (a send that failed must not cost the map of what is in force).
 */

/** Generations remembered besides the one the driver enforces. */
const KEPT_GENERATIONS = 3;

export class PolicyTags {
  /** Generation → rule ids by tag (tag n is index n - 1); oldest first. */
  readonly #byGeneration = new Map<bigint, readonly string[]>();
  #enforced: bigint | null = null;

  /** The tags of a policy just compiled. */
  remember(generation: bigint, ruleIds: readonly string[]): void {
    this.#byGeneration.delete(generation);
    this.#byGeneration.set(generation, ruleIds);
    this.#prune();
  }

  /** The driver said it enforces `generation` (0n: none): its map is kept while that lasts. */
  enforced(generation: bigint): void {
    this.#enforced = generation;
    this.#prune();
  }

  /** The rule id of `tag` in `generation`, or null when that generation or tag is not known. */
  ruleIdOf(generation: bigint, tag: number): string | null {
    return this.#byGeneration.get(generation)?.[tag - 1] ?? null;
  }

  #prune(): void {
    const others = [...this.#byGeneration.keys()].filter((generation) => generation !== this.#enforced);
    for (const generation of others.slice(0, Math.max(0, others.length - KEPT_GENERATIONS))) {
      this.#byGeneration.delete(generation);
    }
  }
}
