import { describe, expect, it } from 'vitest';
import { Engine } from './engine.ts';
import { defaultSnapshot, type ProfileSnapshot } from './profiles.ts';
import { makeRequest, makeRuleInput, MemoryRepository, RecordingVerdicts } from './testing.ts';
import { networkEvent, networkFacts } from './testing-network.ts';

const CURL = '/usr/bin/curl';
const HOME_NET = 'mac=02:00:00:00:00:01';
const CAFE_NET = 'mac=02:00:00:00:00:02';

function setup(snapshot: ProfileSnapshot = defaultSnapshot('block')) {
  const verdicts = new RecordingVerdicts();
  const saved: ProfileSnapshot[] = [];
  let n = 0;
  const engine = new Engine({
    verdicts,
    repository: new MemoryRepository(),
    newRuleId: () => `n${String(++n)}`,
    profiles: { snapshot, save: (s) => saved.push(s) },
  });
  return { engine, verdicts, saved };
}

/** Home is given network 1, Public network 2; Home allows curl, Public blocks it. */
function twoNetworks() {
  const fixture = setup();
  const { engine } = fixture;
  engine.handle(networkEvent(networkFacts(1)), 1);
  engine.assignNetwork(HOME_NET, 'home', 2);
  engine.handle(networkEvent(networkFacts(2)), 3);
  engine.assignNetwork(CAFE_NET, 'public', 4);
  const app = { kind: 'path', path: CURL } as const;
  const allow = engine.addRule(makeRuleInput({ app, action: 'allow', profile: 'home' }), 5);
  const block = engine.addRule(makeRuleInput({ app, action: 'block', profile: 'public' }), 5);
  if (!allow.ok || !block.ok) throw new Error('rules refused');
  return fixture;
}

describe('Engine: profiles', () => {
  it('decides each connection by the profile of the network it came after, in stream order', () => {
    const { engine, verdicts } = twoNetworks();
    engine.handle(makeRequest({ id: 1n, path: CURL }), 10); // on the café network
    engine.handle(networkEvent(networkFacts(1, { epoch: 7 })), 11);
    engine.handle(makeRequest({ id: 2n, path: CURL }), 12); // home
    engine.handle(networkEvent(networkFacts(2, { epoch: 8 })), 13);
    engine.handle(makeRequest({ id: 3n, path: CURL }), 14);
    expect(verdicts.for(1n)).toEqual(['permanent-block']);
    expect(verdicts.for(2n)).toEqual(['permanent-accept']);
    expect(verdicts.for(3n)).toEqual(['permanent-block']);
    expect(engine.takeNetworkSeen()).toBe(8);
    expect(engine.takeNetworkSeen()).toBeNull();
  });

  it('decides by the strictest profile while the new network is identified, not by the old one', () => {
    const { engine, verdicts } = twoNetworks();
    engine.handle(networkEvent(networkFacts(1, { epoch: 20 })), 10); // home: curl allowed
    engine.handle(networkEvent(networkFacts(1, { epoch: 21, gatewayMac: null, gatewayMacPending: true })), 11);
    engine.handle(makeRequest({ id: 9n, path: CURL }), 12);
    expect(verdicts.for(9n)).toEqual(['permanent-block']);
    expect(engine.takeNetworkSeen()).toBe(21);
    engine.handle(networkEvent(networkFacts(1, { epoch: 22 })), 13);
    engine.handle(makeRequest({ id: 10n, path: CURL }), 14);
    expect(verdicts.for(10n)).toEqual(['permanent-accept']);
  });

  it('puts only the always-on and the active profile’s rules in the driver policy', () => {
    const { engine } = twoNetworks();
    const always = engine.addRule(makeRuleInput({ destination: { kind: 'localhost' } }), 20);
    if (!always.ok) throw new Error(always.error);
    const onCafe = engine.compilePolicy(1n, 'block', 21);
    expect(onCafe.policy.rules.map((r) => r.action).sort()).toEqual(['allow', 'block']);
    expect(onCafe.ruleIds).toContain(always.rule.id);
    const versionBefore = engine.rulesVersion;
    engine.handle(networkEvent(networkFacts(1, { epoch: 9 })), 22);
    expect(engine.rulesVersion).toBeGreaterThan(versionBefore);
    const atHome = engine.compilePolicy(2n, 'block', 23);
    expect(atHome.policy.rules.map((r) => r.action)).toEqual(['allow', 'allow']);
    expect(engine.listRules()).toHaveLength(3);
  });

  it('decides the held connections again when the profile changes', () => {
    const { engine, verdicts } = twoNetworks();
    engine.handle(networkEvent(networkFacts(3)), 30); // unknown: Public, asks
    engine.handle(makeRequest({ id: 4n, path: '/usr/bin/wget' }), 31);
    expect(verdicts.for(4n)).toEqual([]);
    const wget = { kind: 'path', path: '/usr/bin/wget' } as const;
    engine.addRule(makeRuleInput({ app: wget, action: 'allow', profile: 'work' }), 32);
    expect(verdicts.for(4n)).toEqual([]);
    engine.assignNetwork('mac=02:00:00:00:00:03', 'work', 33);
    expect(verdicts.for(4n)).toEqual(['permanent-accept']);
  });

  it('gives each profile its own mode; choosing a mode sets the active profile’s', () => {
    const { engine, verdicts } = twoNetworks();
    engine.setMode({ mode: 'block-all' }, 40); // on the café network: Public
    expect(engine.listProfiles().find((p) => p.id === 'public')?.mode).toBe('block-all');
    engine.handle(makeRequest({ id: 5n, path: '/usr/bin/wget' }), 41);
    expect(verdicts.for(5n)).toEqual(['block']);
    engine.handle(networkEvent(networkFacts(1, { epoch: 10 })), 42);
    expect(engine.getMode(42).mode).toBe('ask');
    engine.handle(makeRequest({ id: 6n, path: '/usr/bin/wget' }), 43);
    expect(verdicts.for(6n)).toEqual([]);
    // A pause outlasts a switch and returns to the new profile's mode.
    engine.setMode({ mode: 'pause', minutes: 1 }, 44);
    engine.handle(networkEvent(networkFacts(2, { epoch: 11 })), 45);
    expect(engine.getMode(46)).toEqual({ mode: 'pause', resumesAt: 44 + 60_000, resumesTo: 'block-all' });
  });

  it('saves a new network at once, but a known network seen again only with the next minute', () => {
    const { engine, saved } = twoNetworks();
    const before = saved.length;
    // Flapping between two known networks given the same profile: no write per change.
    engine.assignNetwork(CAFE_NET, 'home', 30);
    const assigned = saved.length;
    expect(assigned).toBe(before + 1);
    for (let i = 0; i < 10; i++) engine.handle(networkEvent(networkFacts(1 + (i % 2), { epoch: 100 + i })), 31 + i);
    expect(saved.length).toBe(assigned);
    engine.tick(31 + 59_000);
    expect(saved.length).toBe(assigned);
    engine.tick(31 + 60_000);
    expect(saved.length).toBe(assigned + 1);
    expect(saved.at(-1)?.networks.find((n) => n.key === HOME_NET)?.lastSeenAt).toBe(39);
    // A network not seen before is written at once.
    engine.handle(networkEvent(networkFacts(7)), 70_000);
    expect(saved.length).toBe(assigned + 2);
  });

  it('switches by hand with one call, and saves every change', () => {
    const { engine, saved } = twoNetworks();
    const before = saved.length;
    expect(engine.activateProfile('home', false, 50)).toEqual({ ok: true });
    expect(engine.profileStatus()).toMatchObject({ active: { id: 'home' }, reason: 'manual' });
    expect(saved.length).toBe(before + 1);
    expect(saved.at(-1)?.manual).toEqual({ id: 'home', pinned: false, networkKey: CAFE_NET });
    expect(engine.activateProfile('nope', false, 51)).toEqual({ ok: false, error: 'unknown-profile' });
  });

  it('refuses a rule for a profile that does not exist, and a prompt answer can make a profile rule', () => {
    const { engine } = twoNetworks();
    expect(engine.addRule(makeRuleInput({ profile: 'nope' }), 60)).toEqual({ ok: false, error: 'unknown-profile' });
    engine.handle(networkEvent(networkFacts(4)), 61);
    engine.handle(makeRequest({ id: 7n, path: '/usr/bin/git' }), 62);
    const prompt = engine.listPrompts()[0]?.prompts[0];
    if (prompt === undefined) throw new Error('no prompt');
    const answered = engine.answerPrompt(
      prompt.id,
      { action: 'allow', duration: { kind: 'forever' }, scope: { kind: 'app' }, profile: 'public' },
      63,
    );
    expect(answered).toMatchObject({ ok: true, rule: { profile: 'public' }, released: 1 });
  });

  it('deletes a user profile with its rules', () => {
    const { engine } = twoNetworks();
    const made = engine.createProfile({ name: 'Travel', mode: 'ask', noAppAction: 'drop' }, 70);
    if (!made.ok) throw new Error(made.error);
    engine.addRule(makeRuleInput({ profile: made.profile.id }), 71);
    engine.addRule(makeRuleInput({ profile: made.profile.id, action: 'block' }), 71);
    expect(engine.deleteProfile(made.profile.id, 72)).toEqual({ ok: true, rulesDeleted: 2 });
    expect(engine.listRules().every((rule) => rule.profile !== made.profile.id)).toBe(true);
    expect(engine.deleteProfile('home', 73)).toEqual({ ok: false, error: 'built-in' });
  });

  it('starts in the saved profile with its mode, before any network facts', () => {
    const snapshot: ProfileSnapshot = {
      ...defaultSnapshot('block'),
      profiles: defaultSnapshot('block').profiles.map((p) => (p.id === 'work' ? { ...p, mode: 'allow-all' } : p)),
      lastActive: 'work',
    };
    const { engine, verdicts } = setup(snapshot);
    expect(engine.activeProfile().id).toBe('work');
    engine.handle(makeRequest({ id: 8n, path: CURL }), 1);
    expect(verdicts.for(8n)).toEqual(['accept']);
  });
});
