import { describe, expect, it } from 'vitest';
import type { Command } from '../../native/src/index.ts';
import type { DriverEvent } from '../contract/driver-events.ts';
import type { DriverPolicy, DriverPolicyRule } from '../contract/driver-policy.ts';
import { DriverSession, type SessionLink } from './driver-session.ts';
import { ip } from './test-support/address-bytes.ts';
import { FakePolicyDriver } from './test-support/fake-policy-driver.ts';

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

function rule(tag: number, fields: Partial<DriverPolicyRule> = {}): DriverPolicyRule {
  return {
    tag,
    action: 'block',
    appDecides: false,
    direction: 'outbound',
    protocol: 6,
    portFrom: 443,
    portTo: 443,
    updatedAt: 1_000,
    expiresAt: null,
    appPath: '/usr/bin/curl',
    destination: { kind: 'ip', ip: '10.0.0.2' },
    ...fields,
  };
}

function policy(generation: bigint, rules: readonly DriverPolicyRule[]): DriverPolicy {
  return { generation, noAppAction: 'allow', caseInsensitivePaths: false, rules };
}

/** A session over `links` in turn, recording events, link grants and states. */
function sessionOver(...links: SessionLink[]) {
  const events: DriverEvent[] = [];
  const linked: boolean[] = [];
  const states: string[] = [];
  const last = links.at(-1);
  const queue = [...links];
  const session = new DriverSession({
    connect: () => Promise.resolve(queue.shift() ?? (last as SessionLink)),
    callbacks: {
      onEvent: (event) => events.push(event),
      onStatus: (state) => states.push(state),
      onLinked: (granted) => linked.push(granted),
    },
    sleep: () => Promise.resolve(),
  });
  session.start();
  return { session, events, linked, states };
}

describe('DriverSession: the policy', () => {
  it('says whether the Hello granted POLICY, before the link counts as connected', async () => {
    const withPolicy = sessionOver(new FakePolicyDriver());
    const without = sessionOver(new FakePolicyDriver({ policy: false }));
    await settle();
    expect(withPolicy.linked).toEqual([true]);
    expect(withPolicy.states).toEqual(['connected']);
    expect(without.linked).toEqual([false]);
    // What the driver enforces comes with the grant.
    expect(withPolicy.events).toEqual([expect.objectContaining({ kind: 'policy-state', generation: 0n })]);
    await withPolicy.session.stop();
    await without.session.stop();
  });

  it('writes a policy as PolicyParts in order, which the driver puts together into the same document', async () => {
    const driver = new FakePolicyDriver();
    const { session, events } = sessionOver(driver);
    await settle();
    // 2 000 rules with long paths: some 300 KiB, so many parts.
    const rules = Array.from({ length: 2000 }, (_, i) =>
      rule(i + 1, { appPath: `/opt/app-${String(i)}/${'x'.repeat(100)}`, portFrom: i, portTo: i }),
    );
    await session.sendPolicy(policy(77n, rules));
    const parts = driver.commands.filter((command) => command.kind === 'policyPart');
    expect(parts.length).toBeGreaterThan(10);
    expect(parts.every((part) => part.generation === 77n && part.data.length <= 8192)).toBe(true);
    // The same rules, but for the address, which the wire carries as bytes.
    const wireRules = rules.map((r) => ({ ...r, destination: { kind: 'ip', ip: ip('10.0.0.2') } }));
    expect(driver.documents).toEqual([
      { generation: 77n, caseInsensitivePaths: false, noAppAction: 'accept', rules: wireRules },
    ]);
    await settle();
    expect(events.at(-1)).toMatchObject({ kind: 'policy-state', generation: 77n, ruleCount: 2000, problem: null });
    await session.stop();
  });

  it('rejects without a link, and after a failed part drops the link and connects anew', async () => {
    const stuck = new FakePolicyDriver();
    const fresh = new FakePolicyDriver();
    const { session, states } = sessionOver(stuck, fresh);
    await expect(session.sendPolicy(policy(1n, []))).rejects.toThrow('no driver is connected');
    await settle();
    stuck.failNextPart = new Error('send failed: no room for 10000 ms: the driver reads no commands');
    await expect(session.sendPolicy(policy(2n, [rule(1)]))).rejects.toThrow('the driver reads no commands');
    await settle();
    expect(stuck.closed).toBe(true);
    expect(stuck.documents).toEqual([]);
    expect(states).toEqual(['connected', 'reconnecting', 'reconnecting', 'connected']);
    await session.sendPolicy(policy(3n, [rule(1)]));
    expect(fresh.documents.map((document) => document.generation)).toEqual([3n]);
    await session.stop();
  });

  it('a document the format cannot carry is refused before anything is written', async () => {
    const driver = new FakePolicyDriver();
    const { session } = sessionOver(driver);
    await settle();
    const twice = [rule(1), rule(1)];
    await expect(session.sendPolicy(policy(5n, twice))).rejects.toThrow(RangeError);
    expect(driver.commands.filter((command: Command) => command.kind === 'policyPart')).toEqual([]);
    expect(driver.closed).toBe(false);
    await session.stop();
  });
});
