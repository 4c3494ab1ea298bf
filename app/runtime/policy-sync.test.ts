import { describe, expect, it } from 'vitest';
import type { DriverPolicy, PolicyStateReport } from '../contract/driver-policy.ts';
import { POLICY_COALESCE_MS, PolicySync } from './policy-sync.ts';

/** A send the test settles by hand. */
interface PendingSend {
  readonly policy: DriverPolicy;
  resolve(): void;
  reject(error: Error): void;
}

function setup(options: { compileThrows?: boolean; persistThrows?: boolean } = {}) {
  const world = { key: 'v1', generation: 100n, changes: 0 };
  const sends: PendingSend[] = [];
  const persisted: bigint[] = [];
  const lines: string[] = [];
  const sync = new PolicySync({
    key: () => world.key,
    compile: (generation) => {
      if (options.compileThrows === true) throw new Error('compile broke');
      return {
        policy: { generation, noAppAction: 'block', caseInsensitivePaths: false, rules: [] },
        ruleIds: [],
        leftOut: [],
      };
    },
    send: (policy) =>
      new Promise<void>((resolve, reject) => {
        sends.push({ policy, resolve, reject });
      }),
    nextGeneration: () => ++world.generation,
    persistGeneration: (generation) => {
      if (options.persistThrows === true) throw new Error('disk full');
      persisted.push(generation);
    },
    changed: () => world.changes++,
    log: (_key, message) => lines.push(message),
  });
  return { sync, world, sends, persisted, lines };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function report(generation: bigint, fields: Partial<PolicyStateReport> = {}): PolicyStateReport {
  return {
    kind: 'policy-state',
    generation,
    ruleCount: 3,
    noAppAction: 'block',
    origin: 'client',
    problem: null,
    problemGeneration: 0n,
    ...fields,
  };
}

describe('PolicySync', () => {
  it('sends the rules as soon as a link grants POLICY, and never without a link', async () => {
    const { sync, world, sends } = setup();
    world.key = 'v0';
    sync.poll(0);
    expect(sends).toHaveLength(0);
    sync.linkUp(true, 1_000);
    expect(sends.map((s) => s.policy.generation)).toEqual([101n]);
    sends[0]?.resolve();
    await settle();
    // A change later waits for the coalescing time.
    world.key = 'v1';
    sync.poll(2_000);
    sync.poll(2_000 + POLICY_COALESCE_MS - 1);
    expect(sends).toHaveLength(1);
    sync.poll(2_000 + POLICY_COALESCE_MS);
    expect(sends).toHaveLength(2);
  });

  it('sends a change the user made at once, unless a send started within the coalescing time', async () => {
    const { sync, world, sends } = setup();
    sync.linkUp(true, 0);
    sends[0]?.resolve();
    await settle();
    world.key = 'v2';
    sync.changed(POLICY_COALESCE_MS - 1); // too close to the send at connect: it waits
    expect(sends).toHaveLength(1);
    sync.poll(POLICY_COALESCE_MS + 100);
    sync.poll(2 * POLICY_COALESCE_MS - 2);
    expect(sends).toHaveLength(1);
    sync.poll(2 * POLICY_COALESCE_MS - 1);
    expect(sends).toHaveLength(2);
    sends[1]?.resolve();
    await settle();
    sync.reported(report(102n));
    expect(sync.status().state).toBe('enforced');
    world.key = 'v3'; // a change not sent yet: the driver does not have the rules as they are
    expect(sync.status().state).toBe('sending');
    sync.changed(10_000); // long after: at once
    expect(sends).toHaveLength(3);
    sync.changed(10_001); // nothing new: nothing sent
    expect(sends).toHaveLength(3);
  });

  it('sends nothing to a driver without policy support, and says so', () => {
    const { sync, sends } = setup();
    sync.linkUp(false, 0);
    sync.poll(10_000);
    expect(sends).toHaveLength(0);
    expect(sync.status().state).toBe('unsupported');
  });

  it('coalesces changes, keeps one send in flight, and sends the latest once it is done', async () => {
    const { sync, world, sends } = setup();
    sync.linkUp(true, 0);
    expect(sends).toHaveLength(1);
    // Three changes while the first send is in flight: nothing more leaves.
    for (const key of ['v2', 'v3', 'v4']) {
      world.key = key;
      sync.poll(1_000);
    }
    expect(sends).toHaveLength(1);
    sends[0]?.resolve();
    await settle();
    sync.poll(2_000); // the change is due from here
    expect(sends).toHaveLength(1);
    sync.poll(2_000 + POLICY_COALESCE_MS);
    expect(sends.map((s) => s.policy.generation)).toEqual([101n, 102n]);
    sends[1]?.resolve();
    await settle();
    sync.poll(10_000); // nothing changed since: nothing is sent
    expect(sends).toHaveLength(2);
  });

  it('says the driver enforces the rules once it reports the generation last sent', async () => {
    const { sync, sends } = setup();
    sync.linkUp(true, 0);
    expect(sync.status().state).toBe('sending');
    sends[0]?.resolve();
    await settle();
    expect(sync.status().state).toBe('sending'); // written, not yet confirmed
    sync.reported(report(101n, { ruleCount: 1 }));
    expect(sync.status()).toEqual({
      state: 'enforced',
      message: 'Driver enforces your rules (1 rule).',
      enforcedGeneration: '101',
      ruleCount: 1,
    });
  });

  it('says what went wrong when the driver dropped the document', async () => {
    const { sync, sends } = setup();
    sync.linkUp(true, 0);
    sync.reported(report(50n, { origin: 'stored' }));
    sends[0]?.resolve();
    await settle();
    sync.reported(report(50n, { origin: 'stored', problem: 'bad-checksum', problemGeneration: 101n }));
    expect(sync.status()).toMatchObject({
      state: 'behind',
      message: 'Driver is not enforcing your latest rules: they arrived damaged (bad checksum).',
      enforcedGeneration: '50',
    });
  });

  it('says when the driver enforces the rules but could not save them', async () => {
    const { sync, sends } = setup();
    sync.linkUp(true, 0);
    sends[0]?.resolve();
    await settle();
    sync.reported(report(101n, { problem: 'not-saved', problemGeneration: 101n }));
    expect(sync.status().state).toBe('unsaved');
  });

  it('logs a failed send and tries again at the next change, not in a loop', async () => {
    const { sync, world, sends, lines } = setup();
    sync.linkUp(true, 0);
    sends[0]?.reject(new Error('the driver went away'));
    await settle();
    expect(lines).toEqual([
      'The rules could not be sent to the driver (the driver went away); they are sent again at the next change or connection.',
    ]);
    expect(sync.status()).toMatchObject({
      state: 'behind',
      message: 'Driver is not enforcing your latest rules: they could not be sent (the driver went away).',
    });
    sync.poll(5_000);
    sync.poll(10_000);
    expect(sends).toHaveLength(1);
    world.key = 'v2';
    sync.poll(20_000);
    sync.poll(20_000 + POLICY_COALESCE_MS);
    expect(sends).toHaveLength(2);
  });

  it('sends again at every new link, and a send of the lost link settles nothing of the new one', async () => {
    const { sync, sends } = setup();
    sync.linkUp(true, 0);
    sync.linkDown();
    expect(sync.status().state).toBe('unknown');
    sync.linkUp(true, 1_000); // not held up by the first link's send
    expect(sends.map((s) => s.policy.generation)).toEqual([101n, 102n]);
    sends[0]?.reject(new Error('link closed'));
    await settle();
    expect(sync.status().state).toBe('sending'); // the old failure is not this link's
    sends[1]?.resolve();
    await settle();
    sync.reported(report(102n));
    expect(sync.status().state).toBe('enforced');
  });

  it('keeps each generation for the next run, and still sends when the store refuses it', () => {
    const saved = setup();
    saved.sync.linkUp(true, 0);
    expect(saved.persisted).toEqual([101n]);
    const full = setup({ persistThrows: true });
    full.sync.linkUp(true, 0);
    expect(full.sends).toHaveLength(1);
    expect(full.lines).toEqual(['the policy generation could not be saved: disk full']);
  });

  it('a policy that cannot be compiled is logged and shown, and throws nothing', () => {
    const { sync, sends, lines } = setup({ compileThrows: true });
    expect(() => sync.linkUp(true, 0)).not.toThrow();
    expect(() => sync.poll(POLICY_COALESCE_MS)).not.toThrow();
    expect(sends).toHaveLength(0);
    expect(lines[0]).toContain('(compile broke)');
    expect(sync.status().state).toBe('behind');
  });
});
