import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlocklistLookup } from '../engine/decide.ts';
import type { ConnectionFacts } from '../engine/rule-matcher.ts';
import { openStore, type Store } from '../store/index.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { BlocklistManager } from './blocklists.ts';

const BIG = 60_000; // over the size built at once: built in slices

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

function listFile(name: string, text: string): string {
  const file = path.join(testTempDir('zf-sliced-'), name);
  writeFileSync(file, text);
  return file;
}

const facts = (name: string): ConnectionFacts => ({
  appKey: '',
  direction: 'outbound',
  protocol: 6,
  remoteIp: '203.0.113.9',
  remoteBytes: Uint8Array.of(203, 0, 113, 9),
  remotePort: 443,
  hostNames: [name],
});

/**
 * A manager whose pauses wait until the test lets them go, so the test can look at what is in
 * force in the middle of a build, and order a second change before the first build ends.
 */
function setup() {
  const store = openStore(path.join(testTempDir('zf-sliced-db-'), 'db.sqlite'));
  open.push(store);
  const waiting: Array<() => void> = [];
  const state = { lookup: null as BlocklistLookup | null, pauses: 0 };
  const manager = new BlocklistManager({
    store,
    setLookup: (lookup) => (state.lookup = lookup),
    clock: () => 1_000,
    cacheDir: null,
    log: () => undefined,
    pause: () => {
      state.pauses += 1;
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  });
  /** Lets every waiting pause go, again and again, until `work` is done. */
  const finish = async <T>(work: Promise<T>): Promise<T> => {
    let done = false;
    const result = work.finally(() => (done = true));
    while (!done) {
      for (const resolve of waiting.splice(0)) resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return result;
  };
  const blocks = (name: string): boolean => (state.lookup?.match(facts(name)) ?? -1) >= 0;
  return { manager, state, waiting, finish, blocks, store };
}

const bigList = (): string => Array.from({ length: BIG }, (_, i) => `big${String(i)}.example`).join('\n');

describe('blocklists built in slices', () => {
  it('a big list is read and built in slices; the entries in force stay until it is done', async () => {
    const { manager, state, waiting, finish, blocks } = setup();
    await finish(manager.add({ name: 'Small', path: listFile('small.txt', 'small.example\n') }));
    expect(blocks('small.example')).toBe(true);
    const adding = manager.add({ name: 'Big', path: listFile('big.txt', bigList()) });
    // Let go only two slices (60 000 lines are read in 6, then built in more): the work is under
    // way, the small list alone is in force.
    while (state.pauses < 2) {
      await new Promise((resolve) => setImmediate(resolve));
      if (state.pauses < 2) for (const resolve of waiting.splice(0)) resolve();
    }
    expect(waiting).toHaveLength(1);
    expect(blocks('small.example')).toBe(true);
    expect(blocks('big59999.example')).toBe(false);
    await finish(adding);
    expect(state.pauses).toBeGreaterThan(2);
    expect(blocks('big0.example')).toBe(true);
    expect(blocks('x.big59999.example')).toBe(true);
    expect(blocks('small.example')).toBe(true);
  });

  it('a set built for entries that changed meanwhile is never put in force: the newest build wins', async () => {
    const { manager, waiting, finish, blocks } = setup();
    await finish(manager.add({ name: 'Small', path: listFile('small.txt', 'small.example\n') }));
    const big = await finish(manager.add({ name: 'Big', path: listFile('big.txt', bigList()) }));
    manager.setEnabled(big.id, false);
    expect(blocks('big1.example')).toBe(false);
    // Switched on (a build in slices starts), then removed before that build is done.
    manager.setEnabled(big.id, true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(waiting.length).toBeGreaterThan(0);
    manager.remove(big.id);
    expect(blocks('big1.example')).toBe(false);
    // The stale build runs to its end: still not in force.
    await finish(new Promise((resolve) => setTimeout(resolve, 50)));
    expect(blocks('big1.example')).toBe(false);
    expect(blocks('small.example')).toBe(true);
  });

  it('at start the lists are read at once: in force when load() ends, with no turn to the event loop', async () => {
    const before = setup();
    await before.finish(before.manager.add({ name: 'Big', path: listFile('big.txt', bigList()) }));
    // A restart: a new manager over the same store.
    let lookup: BlocklistLookup | null = null;
    let pauses = 0;
    const after = new BlocklistManager({
      store: before.store,
      setLookup: (set) => (lookup = set),
      clock: () => 2_000,
      cacheDir: null,
      log: () => undefined,
      pause: () => {
        pauses += 1;
        return new Promise<void>((resolve) => setImmediate(resolve));
      },
    });
    await after.load();
    expect(pauses).toBe(0);
    expect((lookup as BlocklistLookup | null)?.match(facts('big59999.example'))).toBe(0);
    // Later changes are sliced again.
    after.setEnabled(after.list()[0]?.id ?? '', false);
    after.setEnabled(after.list()[0]?.id ?? '', true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pauses).toBeGreaterThan(0);
  });
});
