import { afterEach, describe, expect, it } from 'vitest';
import { dispatch as dispatchAny, type Handlers } from '../contract/dispatch.ts';
import type { RequestChannel, ResponseOf } from '../contract/ipc.ts';
import { networkEvent, networkFacts } from '../engine/testing-network.ts';
import { openStore, type Store } from '../store/index.ts';
import { POLICY_COALESCE_MS } from './policy-sync.ts';
import {
  connection,
  CURL,
  type Harness,
  type HarnessOptions,
  startRuntime,
  tempDbPath,
} from './test-support/harness.ts';

// Profiles through the runtime: a real store, the recording driver port of the harness. The
// daemon's side (NetworkFacts, NetworkSeen) is tested in driver/linux/tests/network.rs, and both
// together with real traffic in e2e/ui-profiles-net.spec.ts.

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

/** dispatch(), its answer typed by the channel's response. */
async function dispatch<C extends RequestChannel>(
  handlers: Handlers,
  channel: C,
  payload: unknown,
): Promise<{ ok: true; value: ResponseOf<C> } | { ok: false; error: { code: string; message: string } }> {
  return (await dispatchAny(handlers, channel, payload)) as
    { ok: true; value: ResponseOf<C> } | { ok: false; error: { code: string; message: string } };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const HOME_NET = 'mac=02:00:00:00:00:01';

async function linked(h: Harness): Promise<void> {
  h.runtime.driverLinked(true, h.clock.now);
  h.runtime.driverStatus('connected', 'driver 2.1.0.0', h.clock.now);
  await settle();
}

describe('Runtime: profiles', () => {
  it('on a network change sends the new profile’s policy, then NetworkSeen, inside the coalescing time', async () => {
    const h = start();
    await linked(h);
    h.runtime.handleEvent(networkEvent(networkFacts(1)), h.clock.now);
    await settle();
    await dispatch(h.handlers, 'networks:assign', { key: HOME_NET, profileId: 'home' });
    await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      action: 'allow',
      profile: 'home',
    });
    h.clock.now += POLICY_COALESCE_MS;
    h.runtime.flush(h.clock.now);
    await settle();
    const homeRules = h.policies.at(-1)?.rules.length;
    expect(homeRules).toBe(1);
    h.writes.length = 0;
    h.clock.now += 1; // well inside the coalescing time of the last send
    h.runtime.handleEvent(networkEvent(networkFacts(2)), h.clock.now);
    await settle();
    expect(h.writes).toEqual([expect.stringMatching(/^policy /), 'seen 2']);
    expect(h.policies.at(-1)?.rules).toHaveLength(0);
    expect(h.runtime.status(h.clock.now).profile).toMatchObject({
      active: { id: 'public' },
      reason: 'unknown-network',
      question: { key: 'mac=02:00:00:00:00:02' },
    });
    // A connection after it is decided by Public (asked), not by Home's allow rule.
    h.runtime.handleEvent(connection(1n, 40001), h.clock.now);
    expect(h.verdicts).toEqual([]);
    expect(h.pushes).toContain('status:changed');
  });

  it('keeps profiles, networks and profile rules across a restart', async () => {
    const dbPath = tempDbPath();
    const first = startRuntime({ store: openStore(dbPath) });
    first.runtime.handleEvent(networkEvent(networkFacts(1)), first.clock.now);
    const travel = await dispatch(first.handlers, 'profiles:create', {
      name: 'Travel',
      mode: 'block-all',
      noAppAction: 'drop',
    });
    if (!travel.ok) throw new Error(travel.error.message);
    await dispatch(first.handlers, 'networks:assign', { key: HOME_NET, profileId: travel.value.id });
    await dispatch(first.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      action: 'allow',
      profile: travel.value.id,
    });
    first.runtime.shutdown(first.clock.now);
    first.store.close();

    const again = start({ store: openStore(dbPath) });
    expect(again.runtime.status(again.clock.now).profile.active.name).toBe('Travel');
    const listed = await dispatch(again.handlers, 'networks:list', undefined);
    expect(listed.ok && listed.value.map((n) => [n.key, n.profileId])).toEqual([[HOME_NET, travel.value.id]]);
    // Its rule decides (allow), its mode the rest (block-all).
    again.runtime.handleEvent(connection(1n, 40001), again.clock.now);
    again.runtime.handleEvent({ ...connection(2n, 40002), process: null, pid: 0 }, again.clock.now);
    expect(again.verdicts).toEqual([
      [1n, 'permanent-accept'],
      [2n, 'block'],
    ]);
  });

  it('shows and edits the active profile’s no-app action as the setting, and sends it to the driver', async () => {
    const h = start();
    await linked(h);
    await dispatch(h.handlers, 'profiles:activate', { id: 'home', pin: false });
    const set = await dispatch(h.handlers, 'settings:set', { noAppAction: 'allow' });
    expect(set.ok && set.value.noAppAction).toBe('allow');
    h.clock.now += POLICY_COALESCE_MS;
    h.runtime.flush(h.clock.now);
    await settle();
    expect(h.policies.at(-1)?.noAppAction).toBe('allow');
    await dispatch(h.handlers, 'profiles:activate', { id: 'public', pin: true });
    const shown = await dispatch(h.handlers, 'settings:get', undefined);
    expect(shown.ok && shown.value.noAppAction).toBe('block');
    h.clock.now += POLICY_COALESCE_MS;
    h.runtime.flush(h.clock.now);
    await settle();
    expect(h.policies.at(-1)?.noAppAction).toBe('block');
  });

  it('refuses hostile or impossible profile requests with clear errors', async () => {
    const h = start();
    const deleteBuiltIn = await dispatch(h.handlers, 'profiles:delete', { id: 'home' });
    expect(deleteBuiltIn).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const unknown = await dispatch(h.handlers, 'profiles:activate', { id: 'nope', pin: false });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const control = await dispatch(h.handlers, 'profiles:create', {
      name: 'a\u0000b',
      mode: 'ask',
      noAppAction: 'block',
    });
    expect(control).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const extra = await dispatch(h.handlers, 'profiles:create', {
      name: 'x',
      mode: 'ask',
      noAppAction: 'block',
      builtIn: true,
    } as never);
    expect(extra).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const ruleOfNothing = await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'any' },
      destination: { kind: 'any' },
      action: 'allow',
      profile: 'nope',
    });
    expect(ruleOfNothing).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    for (let i = 0; i < 29; i++)
      await dispatch(h.handlers, 'profiles:create', { name: `p${String(i)}`, mode: 'ask', noAppAction: 'block' });
    const tooMany = await dispatch(h.handlers, 'profiles:create', {
      name: 'one more',
      mode: 'ask',
      noAppAction: 'block',
    });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });
});
