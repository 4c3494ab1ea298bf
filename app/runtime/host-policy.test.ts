import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { Rule } from '../contract/rules.ts';
import { FakePolicyDriver } from '../driver-client/test-support/fake-policy-driver.ts';
import { createHost, type Host } from './host.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { CURL, tempDbPath } from './test-support/harness.ts';

// The whole app side of the driver's policy, as a host runs it (real timers, store, session):
// rules go to the driver as PolicyParts (decoded and checked by the codec, as a driver would),
// the driver's PolicyState shows in the status, and a connection it decided by a rule (its
// RuleDecided info, encoded as the driver writes it) is listed, counted and closed. The same
// against the real zenithfenced is e2e/policy.spec.ts, which runs once the daemon has the policy.

/** Polls `condition` every 5 ms; throws naming `what` after 5 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function hostOn(dataDir: string, driver: FakePolicyDriver): Host {
  const host = createHost({
    dataDir,
    connect: () => Promise.resolve(driver),
    push: () => undefined,
    log: new RateLimitedLog(() => undefined),
  });
  host.start();
  return host;
}

async function curlRule(host: Host, port: number, action: 'allow' | 'block'): Promise<Rule> {
  const created = await dispatch(host.handlers, 'rules:create', {
    app: { kind: 'path', path: CURL },
    destination: { kind: 'ip', address: '10.0.0.2' },
    port: { kind: 'port', port },
    protocol: 6,
    action,
  });
  if (!created.ok) throw new Error(created.error.message);
  return created.value as Rule;
}

describe('createHost with a driver that enforces the policy', () => {
  it('sends the rules, shows what the driver enforces, and lists what it decided by a rule', async () => {
    const dataDir = path.dirname(tempDbPath());
    const driver = new FakePolicyDriver();
    const host = hostOn(dataDir, driver);
    const policy = () => host.runtime.status(Date.now()).policy;
    try {
      // At connect: the rules as they are (none yet), then the driver's word that it enforces them.
      await until(() => driver.documents.length === 1, 'the policy sent at connect');
      await until(() => policy().state === 'enforced', 'the driver to confirm it');
      const block = await curlRule(host, 443, 'block');
      const allow = await curlRule(host, 8443, 'allow');
      await until(() => driver.enforced?.rules.length === 2, 'a policy with both rules');
      await until(() => policy().ruleCount === 2 && policy().state === 'enforced', 'the status to say so');
      expect(policy().enforcedGeneration).toBe(driver.enforced?.generation.toString());
      const enforced = driver.enforced;
      if (enforced === null) throw new Error('no policy in force');
      const ruleOf = (port: number) => enforced.rules.find((rule) => rule.portFrom === port);
      expect(ruleOf(443)).toMatchObject({
        action: 'block',
        appPath: CURL,
        destination: { kind: 'ip', ip: Uint8Array.of(10, 0, 0, 2) },
      });

      // The driver decides a connection of curl by the block rule, and later it ends.
      const connection = { localPort: 40_001, remoteIp: '10.0.0.2', remotePort: 443 };
      const rule443 = ruleOf(443);
      if (rule443 === undefined) throw new Error('no rule for port 443');
      driver.decide(rule443, connection);
      const row = () => host.runtime.engine.listConnections().find((r) => r.localPort === 40_001);
      await until(() => row() !== undefined, 'the connection in the table');
      expect(row()).toMatchObject({ ruleId: block.id, byPolicy: true, verdict: 'permanent-block', app: CURL });
      expect(host.runtime.engine.listPrompts()).toEqual([]);
      driver.end(connection);
      await until(() => row()?.endedAt !== null, 'the connection to end');
      // Counted as a hit of its rule, written with the next tick.
      await until(() => host.runtime.store.rules.get(block.id)?.hitCount === 1, 'the hit in the store');
      expect(host.runtime.store.rules.get(allow.id)?.hitCount).toBe(0);
    } finally {
      await host.stop();
    }
  });

  it('after a restart, sends a newer generation than the one the driver stored', async () => {
    const dataDir = path.dirname(tempDbPath());
    const first = new FakePolicyDriver();
    const host = hostOn(dataDir, first);
    await until(() => first.documents.length === 1, 'the first policy');
    await curlRule(host, 443, 'block');
    await until(() => first.enforced?.rules.length === 1, 'the policy with the rule');
    await host.stop();
    const stored = first.enforced;
    // The driver kept the policy; the app starts again and sends its rules anew.
    const second = new FakePolicyDriver({ stored });
    const again = hostOn(dataDir, second);
    try {
      await until(() => second.documents.length === 1, 'the policy sent at the new connect');
      expect(second.documents[0]?.generation).toBeGreaterThan(stored?.generation ?? 0n);
      expect(second.documents[0]?.rules).toEqual(stored?.rules);
    } finally {
      await again.stop();
    }
  });

  it('sends nothing to a driver without policy support, and the status says so', async () => {
    const driver = new FakePolicyDriver({ policy: false });
    const host = hostOn(path.dirname(tempDbPath()), driver);
    try {
      await until(() => host.runtime.status(Date.now()).driver === 'connected', 'the link');
      await curlRule(host, 443, 'block');
      // Some flushes later, still nothing: the link took no POLICY.
      const ticks = host.runtime.status(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(driver.commands.filter((command) => command.kind === 'policyPart')).toEqual([]);
      expect(ticks.policy.state).toBe('unsupported');
    } finally {
      await host.stop();
    }
  });
});
