import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('returns the oldest key still alive', () => {
    const alive = new Set([1, 2, 3, 4]);
    const fifo = new Fifo<number>((k) => alive.has(k));
    for (const k of alive) fifo.push(k);
    alive.delete(1);
    alive.delete(3);
    expect(fifo.shift()).toBe(2);
    alive.delete(2);
    expect(fifo.shift()).toBe(4);
    alive.delete(4);
    expect(fifo.shift()).toBeUndefined();
  });

  it('keeps working across sweeps of many departed keys', () => {
    const alive = new Set<number>();
    const fifo = new Fifo<number>((k) => alive.has(k));
    for (let k = 0; k < 100_000; k++) {
      alive.add(k);
      fifo.push(k);
      if (k % 10 !== 0) alive.delete(k); // 90 % leave on their own
    }
    expect(fifo.shift()).toBe(0);
    alive.delete(0);
    expect(fifo.shift()).toBe(10);
  });
});
