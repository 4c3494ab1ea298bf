import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { PolicyStateReport, RuleDecidedReport } from '../contract/driver-policy.ts';
import type { PromptGroup } from '../contract/views.ts';
import type { Store } from '../store/index.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { POLICY_COALESCE_MS } from './policy-sync.ts';
import { connection, CURL, type Harness, type HarnessOptions, startRuntime } from './test-support/harness.ts';

// The runtime keeps the driver's policy in step with the rules (policy-sync.ts) and lists what
// the driver decided by itself. The driver here is the harness's recording port; the driver
// client's encoding is tested against the codec in app/driver-client.

let stores: Store[] = [];
afterEach(() => {
  for (const store of stores) store.close();
  stores = [];
});

function start(options: HarnessOptions = {}): Harness {
  const h = startRuntime(options);
  stores.push(h.store);
  return h;
}

/** Moves the clock by `ms` and flushes (the host flushes every 100 ms). */
function after(h: Harness, ms: number): void {
  h.clock.now += ms;
  h.runtime.flush(h.clock.now);
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function linked(h: Harness): void {
  h.runtime.driverLinked(true, h.clock.now);
  h.runtime.driverStatus('connected', 'driver 2.1.0.0', h.clock.now);
  after(h, POLICY_COALESCE_MS);
}

function state(generation: bigint, ruleCount: number): PolicyStateReport {
  return {
    kind: 'policy-state',
    generation,
    ruleCount,
    noAppAction: 'block',
    origin: 'client',
    problem: null,
    problemGeneration: 0n,
  };
}

async function curlRule(h: Harness, port: number, action: 'allow' | 'block'): Promise<string> {
  const created = await dispatch(h.handlers, 'rules:create', {
    app: { kind: 'path', path: CURL },
    destination: { kind: 'ip', address: '93.184.216.34' },
    port: { kind: 'port', port },
    protocol: 6,
    action,
  });
  if (!created.ok) throw new Error(created.error.message);
  return (created.value as { id: string }).id;
}

describe('Runtime: the driver policy', () => {
  it('sends the enabled blocklists with the rules, and again when they change', async () => {
    const h = start();
    linked(h);
    await settle();
    expect(h.policies.at(-1)?.blocklist).toBeUndefined();
    const file = path.join(testTempDir('zf-policy-list-'), 'list.txt');
    writeFileSync(file, '0.0.0.0 ads.example.com\n198.51.100.0/24\n');
    const added = await dispatch(h.handlers, 'blocklists:add', { name: 'Ads', path: file });
    if (!added.ok) throw new Error(added.error.message);
    after(h, POLICY_COALESCE_MS);
    h.runtime.tick(h.clock.now);
    expect(h.policies.at(-1)?.blocklist?.names).toEqual(['ads.example.com']);
    expect(h.policies.at(-1)?.blocklist?.networks).toEqual([{ bytes: Uint8Array.of(198, 51, 100, 0), prefix: 24 }]);
    await settle();
    const sent = h.policies.length;
    await dispatch(h.handlers, 'blocklists:set-enabled', { id: (added.value as { id: string }).id, enabled: false });
    after(h, POLICY_COALESCE_MS);
    h.runtime.tick(h.clock.now);
    expect(h.policies.length).toBeGreaterThan(sent);
    expect(h.policies.at(-1)?.blocklist).toBeUndefined();
  });

  it("says in each list's view how many of its names the driver holds: all, or the first that fit", async () => {
    // A driver link that took only the first 3 names of the lists (a full document).
    const h = start({ sendPolicy: () => Promise.resolve({ names: 3, networks: 1 }) });
    linked(h);
    await settle();
    const dir = testTempDir('zf-policy-held-');
    writeFileSync(path.join(dir, 'a.txt'), 'a1.example\na2.example\n');
    writeFileSync(path.join(dir, 'b.txt'), 'b1.example\nb2.example\nb3.example\n192.0.2.0/24\n');
    for (const name of ['a', 'b']) {
      const added = await dispatch(h.handlers, 'blocklists:add', { name, path: path.join(dir, `${name}.txt`) });
      if (!added.ok) throw new Error(added.error.message);
    }
    const listed = async () => {
      const answer = await dispatch(h.handlers, 'blocklists:list', undefined);
      if (!answer.ok) throw new Error(answer.error.message);
      return answer.value as Array<{ name: string; names: number; driverNames: number | null }>;
    };
    // Not sent yet since the lists changed: not known.
    expect((await listed()).map((view) => view.driverNames)).toEqual([null, null]);
    after(h, POLICY_COALESCE_MS);
    h.runtime.tick(h.clock.now);
    await settle();
    // In list order: all 2 names of a, the first 1 of b's 3.
    expect((await listed()).map((view) => [view.name, view.names, view.driverNames])).toEqual([
      ['a', 2, 2],
      ['b', 3, 1],
    ]);
  });

  it('sends the rules when a link grants POLICY, a change at once, and changes close after it together', async () => {
    const h = start();
    linked(h);
    expect(h.policies).toHaveLength(1);
    expect(h.policies[0]).toMatchObject({ noAppAction: 'block', rules: [] });
    await settle();
    // A rule made by the user goes out at once.
    await curlRule(h, 443, 'allow');
    expect(h.policies).toHaveLength(2);
    expect(h.policies[1]?.rules.map((rule) => rule.portFrom)).toEqual([443]);
    await settle();
    // Two more within the coalescing time of that send: one policy with both, once it is over.
    after(h, 50);
    await curlRule(h, 8443, 'block');
    await curlRule(h, 9443, 'block');
    after(h, 100);
    expect(h.policies).toHaveLength(2);
    after(h, POLICY_COALESCE_MS);
    expect(h.policies).toHaveLength(3);
    expect(h.policies[2]?.rules.map((rule) => [rule.portFrom, rule.action])).toEqual(
      expect.arrayContaining([
        [443, 'allow'],
        [8443, 'block'],
        [9443, 'block'],
      ]),
    );
    expect(h.policies[2]?.generation).toBeGreaterThan(h.policies[1]?.generation ?? 0n);
  });

  it('sends after a prompt answer that makes a rule, a delete, and a change of the no-app action', async () => {
    const h = start();
    linked(h);
    await settle();
    h.runtime.handleEvent(connection(1n, 40001), h.clock.now);
    const groups = (await dispatch(h.handlers, 'prompts:list', undefined)) as { ok: true; value: PromptGroup[] };
    const promptId = groups.value[0]?.prompts[0]?.id;
    await dispatch(h.handlers, 'prompts:answer', {
      promptId,
      action: 'allow',
      duration: { kind: 'until-restart' },
      scope: { kind: 'exact' },
    });
    after(h, POLICY_COALESCE_MS);
    await settle();
    after(h, POLICY_COALESCE_MS);
    // An answer 'until restart' goes in marked: the app decides it.
    expect(h.policies.at(-1)?.rules).toEqual([expect.objectContaining({ appDecides: true, action: 'allow' })]);
    const sent = h.policies.length;
    await dispatch(h.handlers, 'settings:set', { noAppAction: 'drop' });
    after(h, POLICY_COALESCE_MS);
    await settle();
    after(h, POLICY_COALESCE_MS);
    expect(h.policies.length).toBe(sent + 1);
    expect(h.policies.at(-1)?.noAppAction).toBe('drop');
    const id = h.runtime.engine.listRules()[0]?.id;
    await dispatch(h.handlers, 'rules:delete', { id });
    after(h, POLICY_COALESCE_MS);
    await settle();
    after(h, POLICY_COALESCE_MS);
    expect(h.policies.at(-1)?.rules).toEqual([]);
  });

  it('sends nothing to a driver without POLICY, and the status says so', () => {
    const h = start();
    h.runtime.driverLinked(false, h.clock.now);
    h.runtime.driverStatus('connected', 'driver 2.1.0.0', h.clock.now);
    after(h, 10_000);
    expect(h.policies).toEqual([]);
    expect(h.runtime.status(h.clock.now).policy).toMatchObject({
      state: 'unsupported',
      message: 'The driver has no policy support: your rules apply only while ZenithFence runs.',
    });
  });

  it('shows the generation the driver enforces against the one last sent', async () => {
    const h = start();
    linked(h);
    await settle();
    const generation = h.policies[0]?.generation ?? 0n;
    expect(h.runtime.status(h.clock.now).policy.state).toBe('sending');
    h.pushes.length = 0;
    h.runtime.handleEvent(state(generation, 0), h.clock.now);
    expect(h.pushes).toContain('status:changed');
    expect(h.runtime.status(h.clock.now).policy).toEqual({
      state: 'enforced',
      message: 'Driver enforces your rules (0 rules).',
      enforcedGeneration: generation.toString(),
      ruleCount: 0,
    });
    // The link goes: nothing is known of what the next one enforces.
    h.runtime.driverStatus('reconnecting', 'end of stream', h.clock.now);
    expect(h.runtime.status(h.clock.now).policy.state).toBe('unknown');
  });

  it('logs a send that failed and keeps deciding', async () => {
    const h = start({ sendPolicy: () => Promise.reject(new Error('no room for 10000 ms')) });
    await curlRule(h, 443, 'allow');
    linked(h);
    await settle();
    expect(h.lines).toContain(
      'The rules could not be sent to the driver (no room for 10000 ms); they are sent again at the next change or connection.',
    );
    h.runtime.handleEvent(connection(1n, 40001), h.clock.now);
    expect(h.verdicts).toEqual([[1n, 'permanent-accept']]);
  });

  it('a generation is larger than the last one, also after a restart of the app', async () => {
    const h = start({ now: 5_000 });
    linked(h);
    await settle();
    const first = h.policies[0]?.generation ?? 0n;
    h.runtime.shutdown(h.clock.now);
    // The clock went back, and the app started again on the same store.
    const again = startRuntime({ store: h.store, now: 1_000 });
    linked(again);
    expect(again.policies[0]?.generation).toBe(first + 1n);
  });

  it('lists a connection the driver decided by a rule, writes it to the history and counts the hit', async () => {
    const h = start();
    const ruleId = await curlRule(h, 443, 'block');
    linked(h);
    await settle();
    const policy = h.policies[0];
    if (policy === undefined) throw new Error('no policy sent');
    const tag = policy.rules[0]?.tag ?? 0;
    const { direction, flow, ipVersion, pid, process } = connection(1n, 40001);
    const report: RuleDecidedReport = {
      kind: 'rule-decided',
      direction,
      flow,
      ipVersion,
      pid,
      process,
      verdict: 'permanent-block',
      generation: policy.generation,
      ruleTag: tag,
    };
    h.runtime.handleEvent(report, h.clock.now);
    expect(h.verdicts).toEqual([]); // nothing was held, nothing is answered
    h.runtime.handleEvent({ kind: 'connection-ended', direction, flow, pid }, h.clock.now + 1);
    h.clock.now += 1_000;
    h.runtime.tick(h.clock.now);
    const [entry] = h.store.history.query({ since: 0, until: h.clock.now + 1, limit: 10 });
    expect(entry).toMatchObject({ appPath: CURL, verdict: 'block', ruleId, remotePort: 443 });
    expect(entry?.endedAt).not.toBeNull();
    expect(h.store.rules.get(ruleId)?.hitCount).toBe(1);
    expect(h.runtime.engine.listConnections()).toEqual([
      expect.objectContaining({ ruleId, byPolicy: true, verdict: 'permanent-block' }),
    ]);
  });
});
