import { describe, expect, it } from 'vitest';
import type { DriverPolicy } from '../contract/driver-policy.ts';
import { PolicySync } from './policy-sync.ts';

/**
 * NetworkSeen (driver/protocol/README.md, "Network facts"): after a network change the driver
 * decides nothing by its policy until told; the telling must come after the policy of the new
 * profile is written, never before, and never be forgotten.
 */
function setup() {
  const world = { key: 'home' };
  /** What reached the driver, in order. */
  const wire: string[] = [];
  const pending: Array<{ resolve(): void; reject(error: Error): void }> = [];
  const sync = new PolicySync({
    key: () => world.key,
    compile: (generation) => ({
      policy: { generation, noAppAction: 'block', caseInsensitivePaths: false, rules: [] },
      ruleIds: [],
      leftOut: [],
    }),
    send: (policy: DriverPolicy) => {
      expect(policy.generation).toBe(1n);
      wire.push(`policy ${world.key}`);
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
    nextGeneration: () => 1n,
    persistGeneration: () => undefined,
    changed: () => undefined,
    log: (_key, message) => wire.push(`log ${message}`),
    networkSeen: (epoch) => {
      wire.push(`seen ${String(epoch)}`);
      return Promise.resolve();
    },
  });
  return { sync, world, wire, pending };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PolicySync: NetworkSeen', () => {
  it('confirms at once when the policy written already is the right one', async () => {
    const { sync, wire, pending } = setup();
    sync.linkUp(true, 0);
    pending.shift()?.resolve();
    await settle();
    sync.networkSeen(3, 10);
    expect(wire).toEqual(['policy home', 'seen 3']);
  });

  it('sends the new profile’s policy at once, inside the coalescing time, and confirms after it is written', async () => {
    const { sync, world, wire, pending } = setup();
    sync.linkUp(true, 0);
    pending.shift()?.resolve();
    await settle();
    world.key = 'public';
    sync.networkSeen(4, 5); // 5 ms after the last send: a plain change would wait
    expect(wire).toEqual(['policy home', 'policy public']);
    pending.shift()?.resolve();
    await settle();
    expect(wire).toEqual(['policy home', 'policy public', 'seen 4']);
  });

  it('waits for a send in flight, then sends what changed and confirms last', async () => {
    const { sync, world, wire, pending } = setup();
    sync.linkUp(true, 0); // in flight
    world.key = 'public';
    sync.networkSeen(5, 1);
    expect(wire).toEqual(['policy home']);
    pending.shift()?.resolve();
    await settle();
    expect(wire).toEqual(['policy home', 'policy public']);
    pending.shift()?.resolve();
    await settle();
    expect(wire).toEqual(['policy home', 'policy public', 'seen 5']);
  });

  it('never confirms a network while its policy failed to go out: the old profile’s would decide', async () => {
    const { sync, world, wire, pending } = setup();
    sync.linkUp(true, 0);
    pending.shift()?.resolve();
    await settle();
    world.key = 'public';
    sync.networkSeen(6, 1000);
    pending.shift()?.reject(new Error('the driver refused the write'));
    await settle();
    expect(wire.filter((line) => line.startsWith('seen'))).toEqual([]);
    // Nothing is tried again in a loop ...
    sync.poll(2000);
    expect(wire.filter((line) => line.startsWith('policy'))).toEqual(['policy home', 'policy public']);
    // ... but the next network tries the failed policy once more, and confirms once it is written.
    sync.networkSeen(7, 3000);
    expect(wire.at(-1)).toBe('policy public');
    pending.shift()?.resolve();
    await settle();
    expect(wire.at(-1)).toBe('seen 7');
  });

  it('confirms with the next send that is written after a failed one', async () => {
    const { sync, world, wire, pending } = setup();
    sync.linkUp(true, 0);
    pending.shift()?.resolve();
    await settle();
    world.key = 'public';
    sync.networkSeen(8, 1000);
    pending.shift()?.reject(new Error('the driver refused the write'));
    await settle();
    world.key = 'public, edited';
    sync.changed(2000);
    expect(wire.at(-1)).toBe('policy public, edited');
    pending.shift()?.resolve();
    await settle();
    expect(wire.at(-1)).toBe('seen 8');
  });

  it('forgets a confirmation due on a link that went down', async () => {
    const { sync, world, wire, pending } = setup();
    sync.linkUp(true, 0);
    world.key = 'public';
    sync.networkSeen(7, 1);
    sync.linkDown();
    pending.shift()?.resolve();
    await settle();
    expect(wire).toEqual(['policy home']);
  });
});
