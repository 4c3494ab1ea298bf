import { describe, expect, it } from 'vitest';
import { MAX_KNOWN_NETWORKS, type Profile } from '../contract/profiles.ts';
import { defaultSnapshot, ProfileState } from './profiles.ts';
import { networkFacts } from './testing-network.ts';

const fresh = (): ProfileState => new ProfileState(defaultSnapshot('block'));
const keyOf = (n: number): string => `mac=02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;

describe('ProfileState', () => {
  it('starts with Home, Public and Work, Public active until a network says otherwise', () => {
    const state = fresh();
    expect(state.list().map((p) => p.id)).toEqual(['home', 'public', 'work']);
    expect(state.active().id).toBe('public');
  });

  it('puts an unknown network on the strictest profile and asks once', () => {
    const state = fresh();
    state.activate('home', false);
    expect(state.network(networkFacts(1), 10).switched).toBe(true);
    const status = state.status();
    expect(status.active.id).toBe('public');
    expect(status.reason).toBe('unknown-network');
    expect(status.question).toEqual({ key: keyOf(1), label: 'eth0 via 10.1.0.1' });
    // The answer applies at once and is remembered: no question the next time.
    expect(state.assign(keyOf(1), 'home')).toEqual({ ok: true, value: true });
    expect(state.status().question).toBeNull();
    state.network(networkFacts(2), 20);
    expect(state.active().id).toBe('public');
    expect(state.network(networkFacts(1), 30).switched).toBe(true);
    expect(state.status()).toMatchObject({ active: { id: 'home' }, reason: 'network', question: null });
  });

  it('applies the strictest while the network is identified, remembering nothing of it', () => {
    const state = fresh();
    state.network(networkFacts(1), 1);
    state.assign(keyOf(1), 'home');
    state.activate('work', false);
    // Home's router is replaced by one whose MAC is not known yet (the daemon resolves it).
    const pending = networkFacts(1, { epoch: 5, gatewayMac: null, gatewayMacPending: true });
    expect(state.network(pending, 2).switched).toBe(true);
    expect(state.status()).toMatchObject({
      active: { id: 'public' },
      reason: 'identifying',
      network: null,
      question: null,
    });
    expect(state.networks().map((n) => n.key)).toEqual([keyOf(1)]);
    // Identified: the MAC is Home's again, and the switch by hand ended with the change.
    expect(state.network(networkFacts(1, { epoch: 6 }), 3).switched).toBe(true);
    expect(state.status()).toMatchObject({ active: { id: 'home' }, reason: 'network' });
    // A pin holds through it.
    state.activate('work', true);
    state.network(pending, 4);
    expect(state.status()).toMatchObject({ active: { id: 'work' }, reason: 'pinned' });
  });

  it('takes the strictest by mode, then no-app action; Public wins a tie', () => {
    const state = fresh();
    expect(state.strictest().id).toBe('public');
    state.update('home', { noAppAction: 'drop' });
    expect(state.strictest().id).toBe('home');
    const made = state.create({ name: 'Lockdown', mode: 'block-all', noAppAction: 'block' }, 'p1');
    expect(made.ok).toBe(true);
    expect(state.strictest().id).toBe('p1');
    state.network(networkFacts(5), 1);
    expect(state.active().id).toBe('p1');
  });

  it('keeps a switch by hand until the network changes, a pinned one for good', () => {
    const state = fresh();
    state.network(networkFacts(1), 1);
    state.assign(keyOf(1), 'home');
    state.activate('work', false);
    expect(state.status()).toMatchObject({ active: { id: 'work' }, reason: 'manual', pinned: false });
    state.network(networkFacts(1, { epoch: 9 }), 2); // the same network reported again
    expect(state.active().id).toBe('work');
    state.network(networkFacts(2), 3);
    expect(state.active().id).toBe('public');
    state.activate('work', true);
    state.network(networkFacts(1), 4);
    expect(state.status()).toMatchObject({ active: { id: 'work' }, reason: 'pinned', pinned: true });
    expect(state.unpin()).toBe(true);
    expect(state.active().id).toBe('home');
  });

  it('keeps the last profile offline and at start before any facts', () => {
    const state = fresh();
    state.network(networkFacts(1), 1);
    state.assign(keyOf(1), 'work');
    state.network({ ...networkFacts(1), hasDefaultRoute: false, gatewayIp: null, gatewayMac: null }, 2);
    expect(state.status()).toMatchObject({ active: { id: 'work' }, reason: 'offline', network: null });
    const restarted = new ProfileState(state.snapshot());
    expect(restarted.active().id).toBe('work');
  });

  it('survives a restart: profiles, networks and their profiles, a pin', () => {
    const state = fresh();
    state.create({ name: 'Travel', mode: 'ask', noAppAction: 'drop' }, 'p1');
    state.network(networkFacts(1), 1);
    state.assign(keyOf(1), 'p1');
    state.activate('home', true);
    const again = new ProfileState(JSON.parse(JSON.stringify(state.snapshot())) as ReturnType<typeof state.snapshot>);
    expect(again.list().map((p) => p.name)).toEqual(['Home', 'Public', 'Work', 'Travel']);
    expect(again.networks()).toEqual([expect.objectContaining({ key: keyOf(1), profileId: 'p1' })]);
    expect(again.status()).toMatchObject({ active: { id: 'home' }, pinned: true });
    again.network(networkFacts(1), 5);
    expect(again.active().id).toBe('home');
    expect(again.unpin()).toBe(true);
    expect(again.active().id).toBe('p1');
  });

  it('deletes a user profile: its networks are asked about again, built-ins stay', () => {
    const state = fresh();
    state.create({ name: 'Travel', mode: 'ask', noAppAction: 'block' }, 'p1');
    state.network(networkFacts(1), 1);
    state.assign(keyOf(1), 'p1');
    expect(state.remove('home')).toEqual({ ok: false, error: 'built-in' });
    expect(state.remove('p1')).toEqual({ ok: true, value: true });
    expect(state.status()).toMatchObject({ active: { id: 'public' }, question: { key: keyOf(1) } });
    expect(state.assign(keyOf(1), 'p1')).toEqual({ ok: false, error: 'unknown-profile' });
  });

  it('forgets a network: it is asked about again', () => {
    const state = fresh();
    state.network(networkFacts(1), 1);
    state.assign(keyOf(1), 'home');
    expect(state.forget(keyOf(1))).toEqual({ forgotten: true, switched: true });
    expect(state.status().question).toEqual({ key: keyOf(1), label: 'eth0 via 10.1.0.1' });
    expect(state.forget('mac=none')).toEqual({ forgotten: false, switched: false });
  });

  it('remembers at most MAX_KNOWN_NETWORKS, forgetting the one seen longest ago', () => {
    const state = fresh();
    for (let n = 1; n <= MAX_KNOWN_NETWORKS + 1; n++) state.network(networkFacts(n), n);
    const keys = state.networks().map((network) => network.key);
    expect(keys).toHaveLength(MAX_KNOWN_NETWORKS);
    expect(keys).not.toContain(keyOf(1));
    expect(keys).toContain(keyOf(MAX_KNOWN_NETWORKS + 1));
  });

  it('forgets networks the user gave no profile before any the user answered for', () => {
    const state = fresh();
    state.network(networkFacts(1), 1);
    state.assign(keyOf(1), 'home');
    // A network that shows a new gateway MAC again and again: every one is a new network.
    for (let n = 2; n <= MAX_KNOWN_NETWORKS + 50; n++) state.network(networkFacts(n), n);
    const keys = state.networks().map((network) => network.key);
    expect(keys).toHaveLength(MAX_KNOWN_NETWORKS);
    expect(keys).toContain(keyOf(1));
    expect(keys).toContain(keyOf(MAX_KNOWN_NETWORKS + 50));
    expect(keys).not.toContain(keyOf(2));
    expect(state.network(networkFacts(1), 10_000).switched).toBe(true);
    expect(state.active().id).toBe('home');
  });

  it('reads a damaged save without losing the built-ins or pointing at a missing profile', () => {
    const home: Profile = { id: 'home', name: 'Maison', mode: 'allow-all', noAppAction: 'allow', builtIn: false };
    const state = new ProfileState({
      profiles: [home],
      networks: [
        {
          key: keyOf(1),
          label: 'x',
          profileId: 'gone',
          facts: networkFacts(1),
          firstSeenAt: 0,
          lastSeenAt: 0,
        },
      ],
      manual: { id: 'gone', pinned: true, networkKey: null },
      lastActive: 'gone',
    });
    expect(state.list().map((p) => [p.id, p.name, p.builtIn])).toEqual([
      ['home', 'Maison', true],
      ['public', 'Public', true],
      ['work', 'Work', true],
    ]);
    expect(state.networks()[0]?.profileId).toBeNull();
    expect(state.status()).toMatchObject({ active: { id: 'public' }, pinned: false });
  });
});
