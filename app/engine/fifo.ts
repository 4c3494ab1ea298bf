/**
 * Insertion order of keys that may leave in any order, for "evict the oldest" in O(1)
 * amortized. Why not `map.keys().next()`: V8 leaves a hole for every deleted Map entry until
 * the next rehash, and a fresh iterator walks over all of them, so evicting from the front of
 * a busy Map costs O(holes) each time.
 *
 * Keys that left (`alive` false) are skipped lazily and swept when the list has grown to
 * twice what was alive at the last sweep, so the list stays proportional to the live keys.
 */
export class Fifo<K> {
  readonly #alive: (key: K) => boolean;
  #items: K[] = [];
  #head = 0;
  #sweepAt = 1024;

  constructor(alive: (key: K) => boolean) {
    this.#alive = alive;
  }

  push(key: K): void {
    this.#items.push(key);
    if (this.#items.length - this.#head >= this.#sweepAt) {
      this.#items = this.#items.slice(this.#head).filter(this.#alive);
      this.#head = 0;
      this.#sweepAt = Math.max(1024, this.#items.length * 2);
    }
  }

  /** Removes and returns the oldest key still alive (forgetting the dead ones before it). */
  shift(): K | undefined {
    while (this.#head < this.#items.length) {
      const key = this.#items[this.#head++] as K;
      if (this.#alive(key)) {
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        return key;
      }
    }
    this.#items = [];
    this.#head = 0;
    return undefined;
  }
}
