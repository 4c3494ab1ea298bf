import { z } from 'zod';
import type { Store } from '../store/index.ts';

const KEY = 'policy-generation';
/** A u64 in decimal (JSON has no 64-bit integers). */
const generationText = z.string().regex(/^\d{1,20}$/);
const U64_MAX = (1n << 64n) - 1n;

/**
 * Policy generations: each policy sent to the driver gets a larger one than any before it, also
 * across restarts of the app, so the driver (which keeps the last policy it was given) can tell
 * newer from older. A generation is the send time in milliseconds, or one more than the largest
 * used or seen so far when the clock is behind it (a clock set back, two sends in a millisecond).
 * The largest used is kept in the store; the driver's own report counts too (`saw`), so a store
 * that lost it (a full disk, a new data directory) still cannot make a generation go back.
 */
export class PolicyGenerations {
  readonly #store: Store;
  #floor: bigint;

  /** Reads the largest generation used before; a store that cannot be read gives 0 (and throws nothing). */
  constructor(store: Store) {
    this.#store = store;
    let stored = '0';
    try {
      stored = store.settings.get(KEY, generationText, '0');
    } catch {
      // An unreadable store starts from the clock; the driver's report raises the floor later.
    }
    this.#floor = BigInt(stored);
  }

  /** The next generation, noted as used (in memory; `persist` keeps it for the next run). */
  next(now: number): bigint {
    const clock = BigInt(Math.max(1, Math.floor(now)));
    const generation = clock > this.#floor ? clock : this.#floor + 1n;
    // Past u64 it could not travel; a floor there means a broken store or driver, and the clock
    // then restarts the count (the driver takes any generation; it reports what it enforces).
    this.#floor = generation > U64_MAX ? clock : generation;
    return this.#floor;
  }

  /** Stores `generation` as the largest used; throws what the store throws (a full disk). */
  persist(generation: bigint): void {
    this.#store.settings.set(KEY, generation.toString());
  }

  /** A generation the driver reported: later ones are larger. */
  saw(generation: bigint): void {
    if (generation > this.#floor && generation <= U64_MAX) this.#floor = generation;
  }
}
