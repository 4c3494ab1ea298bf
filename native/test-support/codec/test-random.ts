// Seeded randomness for the property tests. Each run picks a new seed and prints it; set
// CODEC_TEST_SEED to replay a failing run.

/** A seeded pseudo-random source (mulberry32: tiny, fast, good enough for test inputs). */
export class Random {
  #state: number;

  /** Starts the sequence for `seed` (any u32). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, below). */
  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty array');
    return item;
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  /** A u64, often an edge value. */
  u64(): bigint {
    if (this.chance(0.2)) return this.pick([0n, 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n]);
    return (BigInt(this.int(2 ** 32)) << 32n) | BigInt(this.int(2 ** 32));
  }

  /** A u8/u16/u32 value, often an edge value. */
  uint(bits: 8 | 16 | 32): number {
    const max = 2 ** bits - 1;
    return this.chance(0.2) ? this.pick([0, 1, max]) : this.int(max + 1);
  }
}

/** The seed for this run: CODEC_TEST_SEED if set, else a fresh one. Logs it so a failure can be replayed. */
export function testSeed(label: string): number {
  const fromEnv = process.env['CODEC_TEST_SEED'];
  const seed = fromEnv === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(fromEnv) >>> 0;
  console.log(`${label}: seed ${seed} (replay with CODEC_TEST_SEED=${seed})`);
  return seed;
}

/** Splits `bytes` into chunks of random sizes (including empty ones), as reads might return them. */
export function randomChunks(random: Random, bytes: Uint8Array, maxSize: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const size = random.int(maxSize + 1);
    chunks.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return chunks;
}
