import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.ts';
import { PolicyGenerations } from './policy-generation.ts';
import { tempDbPath } from './test-support/harness.ts';

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

function storeAt(dbPath: string): Store {
  const store = openStore(dbPath);
  open.push(store);
  return store;
}

describe('PolicyGenerations', () => {
  it('is the clock in milliseconds, and one more than the last when the clock is behind it', () => {
    const generations = new PolicyGenerations(storeAt(tempDbPath()));
    expect(generations.next(5_000)).toBe(5_000n);
    expect(generations.next(5_000)).toBe(5_001n);
    expect(generations.next(4_000)).toBe(5_002n);
    expect(generations.next(9_000)).toBe(9_000n);
  });

  it('only grows across restarts of the app, also when the clock went back', () => {
    const dbPath = tempDbPath();
    const first = new PolicyGenerations(storeAt(dbPath));
    first.persist(first.next(1_000_000));
    const second = new PolicyGenerations(storeAt(dbPath));
    expect(second.next(10)).toBe(1_000_001n);
  });

  it('counts what the driver reported, for a store that lost the last generation', () => {
    const generations = new PolicyGenerations(storeAt(tempDbPath()));
    generations.saw(7_000_000n);
    expect(generations.next(10)).toBe(7_000_001n);
    generations.saw(3n); // older: changes nothing
    expect(generations.next(10)).toBe(7_000_002n);
  });

  it('starts from the clock when the stored value is not a generation', () => {
    const store = storeAt(tempDbPath());
    store.settings.set('policy-generation', 'soon');
    expect(new PolicyGenerations(store).next(42)).toBe(42n);
  });
});
