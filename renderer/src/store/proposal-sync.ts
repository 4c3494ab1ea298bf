import type { LearningStatus, ProposalGroup } from '../../../app/contract/learning.ts';
import { isLearning, learnedTotals } from '../lib/learning-text.ts';

/**
 * When the window reads the proposals again. The status says how many wait but not how many
 * connections each covered, so they are read when that number differs from what is shown, and
 * on every status push while learning goes on (the engine pushes once per flush in which it
 * learned something: counts and times grew).
 */
export function proposalsStale(learning: LearningStatus, shown: readonly ProposalGroup[], now: number): boolean {
  if (learning.proposals !== learnedTotals(shown).proposals) return true;
  return learning.proposals > 0 && isLearning(learning, now);
}

/**
 * Reads the proposals, one read at a time and at most one per `gapMs`: a status push per flush
 * while learning must not become a list of up to 10 000 proposals read ten times a second. A
 * request during a read reads once more after it, so the last change is never missed.
 */
export class ProposalReader {
  readonly #read: () => Promise<void>;
  readonly #gapMs: number;
  readonly #clock: () => number;
  #reading = false;
  #again = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastStart = Number.NEGATIVE_INFINITY;

  constructor(read: () => Promise<void>, gapMs = 1000, clock: () => number = Date.now) {
    this.#read = read;
    this.#gapMs = gapMs;
    this.#clock = clock;
  }

  request(): void {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    if (this.#timer !== null) return;
    const wait = Math.max(0, this.#lastStart + this.#gapMs - this.#clock());
    this.#timer = setTimeout(() => void this.#run(), wait);
  }

  async #run(): Promise<void> {
    this.#timer = null;
    this.#reading = true;
    this.#lastStart = this.#clock();
    try {
      await this.#read();
    } finally {
      this.#reading = false;
      if (this.#again) {
        this.#again = false;
        this.request();
      }
    }
  }

  /** Stops a read that waits for its turn (the window's sync stops). */
  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#again = false;
  }
}
