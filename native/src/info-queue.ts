// A single-consumer queue between the read loop (producer) and `for await` (consumer). It holds
// items until the consumer takes them, ends with or without an error, and tells the producer to
// pause above a high-water mark, so a slow consumer slows the reads instead of growing memory:
// the driver then queues (and, when full, applies its default verdict and counts it).

/** A queue of items with an end, consumed as an async iterator. */
export class InfoQueue<T> {
  readonly #highWaterMark: number;
  // Items in arrival order; #head is the next to take (shifting an array is O(n)).
  #items: T[] = [];
  #head = 0;
  #ended = false;
  #error: Error | undefined;
  #errorDelivered = false;
  #takeWaiter: (() => void) | undefined;
  #roomWaiter: (() => void) | undefined;
  #consumed = false;

  /** Creates a queue that asks the producer to pause at `highWaterMark` items. */
  constructor(highWaterMark: number) {
    this.#highWaterMark = highWaterMark;
  }

  /** Items waiting for the consumer. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item (ignored after the end). */
  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    this.#wakeTaker();
  }

  /** Ends the queue: the consumer gets what is queued, then `error` (if any), then the end. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wakeTaker();
    this.#wakeProducer();
  }

  /** Whether the producer may add more now: below the high-water mark, or ended. */
  hasRoom(): boolean {
    return this.length < this.#highWaterMark || this.#ended;
  }

  /** Resolves when the producer may add more: below the high-water mark, or ended. */
  room(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#roomWaiter = resolve;
    });
  }

  /** Releases a producer waiting in {@link InfoQueue.room} (for close). */
  wakeProducer(): void {
    this.#wakeProducer();
  }

  /** The consumer's iterator; there is only one (a second call throws). */
  iterate(): AsyncIterableIterator<T> {
    if (this.#consumed) throw new Error('infos() can be iterated only once per handle');
    this.#consumed = true;
    const iterator: AsyncIterableIterator<T> = {
      next: () => this.#next(),
      // Leaving a `for await` early stops the iteration only; the handle stays open.
      return: () => Promise.resolve({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  async #next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.length > 0) {
        const item = this.#items[this.#head] as T;
        this.#head += 1;
        this.#compact();
        this.#wakeProducerIfRoom();
        return { done: false, value: item };
      }
      if (this.#ended) {
        if (this.#error !== undefined && !this.#errorDelivered) {
          this.#errorDelivered = true;
          throw this.#error;
        }
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => {
        this.#takeWaiter = resolve;
      });
    }
  }

  // Drops taken items once they are half the array, keeping take and push amortized O(1).
  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  #wakeTaker(): void {
    const waiter = this.#takeWaiter;
    this.#takeWaiter = undefined;
    waiter?.();
  }

  #wakeProducerIfRoom(): void {
    if (this.length < this.#highWaterMark) this.#wakeProducer();
  }

  #wakeProducer(): void {
    const waiter = this.#roomWaiter;
    this.#roomWaiter = undefined;
    waiter?.();
  }
}
