// The queue between the read loop and `for await`: order, end, error and back-pressure.
import { describe, expect, it } from 'vitest';
import { InfoQueue } from './info-queue.ts';

describe('InfoQueue', () => {
  it('hands items over in order, whether queued before next() or arriving while it waits', async () => {
    const queue = new InfoQueue<number>(10);
    const items = queue.iterate();
    queue.push(1);
    queue.push(2);
    expect(await items.next()).toEqual({ done: false, value: 1 });
    expect(await items.next()).toEqual({ done: false, value: 2 });
    const waiting = items.next();
    queue.push(3);
    expect(await waiting).toEqual({ done: false, value: 3 });
  });

  it('gives what is queued, then the error once, then done', async () => {
    const queue = new InfoQueue<number>(10);
    const items = queue.iterate();
    queue.push(1);
    queue.end(new Error('gone'));
    queue.push(2); // after the end: ignored
    expect(await items.next()).toEqual({ done: false, value: 1 });
    await expect(items.next()).rejects.toThrow('gone');
    expect(await items.next()).toEqual({ done: true, value: undefined });
  });

  it('ends a next() that waits when the queue ends', async () => {
    const queue = new InfoQueue<number>(10);
    const items = queue.iterate();
    const waiting = items.next();
    queue.end();
    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  it('tells the producer to wait at the high-water mark and wakes it when the consumer takes one', async () => {
    const queue = new InfoQueue<number>(2);
    const items = queue.iterate();
    queue.push(1);
    expect(queue.hasRoom()).toBe(true);
    queue.push(2);
    expect(queue.hasRoom()).toBe(false);
    let woken = false;
    const room = queue.room().then(() => (woken = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woken).toBe(false);
    await items.next();
    await room;
    expect(woken).toBe(true);
    expect(queue.hasRoom()).toBe(true);
  });
});
