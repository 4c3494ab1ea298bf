import { describe, expect, it } from 'vitest';
import { followsNetwork, orderProfiles, profileBadge, profileName, profileReasonText } from './profile-text.ts';
import { profile, profileStatus } from './test-rows.ts';

const home = profile('home', 'Home');
const work = profile('work', 'Work');
const pub = profile('public', 'Public');
const cafe = profile('p1', 'Café');
const attic = profile('p2', 'Attic');

describe('orderProfiles', () => {
  it('lists the built-ins first, Home, Public, Work, then the user’s by name', () => {
    expect(orderProfiles([cafe, work, attic, home, pub]).map((p) => p.name)).toEqual([
      'Home',
      'Public',
      'Work',
      'Attic',
      'Café',
    ]);
  });

  it('ranks by id, not by name: a renamed built-in keeps its place', () => {
    expect(orderProfiles([work, { ...pub, name: 'Airport' }, home]).map((p) => p.id)).toEqual([
      'home',
      'public',
      'work',
    ]);
  });

  it('does not count a user profile as built-in for taking a built-in’s id', () => {
    const fake = profile('home', 'Not built in', { builtIn: false });
    expect(orderProfiles([fake, work]).map((p) => p.name)).toEqual(['Work', 'Not built in']);
  });
});

describe('profile names', () => {
  it('names a rule’s profile, "Always" for none, and says when the id is unknown', () => {
    expect(profileName([home, work], 'work')).toBe('Work');
    expect(profileName([home, work], null)).toBe('Always');
    expect(profileName([home], 'gone')).toBe('Unknown profile (gone)');
  });
});

describe('the status bar’s words', () => {
  it('says pinned, unknown network or offline, and nothing on a network with its profile', () => {
    expect(profileBadge(profileStatus())).toBeNull();
    expect(profileBadge(profileStatus({ reason: 'manual' }))).toBeNull();
    expect(profileBadge(profileStatus({ reason: 'pinned', pinned: true }))).toBe('pinned');
    expect(profileBadge(profileStatus({ reason: 'unknown-network', active: pub }))).toBe('unknown network');
    expect(profileBadge(profileStatus({ reason: 'offline', network: null }))).toBe('offline');
  });

  it('says why the profile is active', () => {
    expect(profileReasonText(profileStatus())).toBe('Home: the profile you gave ‘Home Wi-Fi’.');
    expect(profileReasonText(profileStatus({ reason: 'manual', active: work }))).toBe(
      'Work: chosen by you until the network changes.',
    );
    expect(profileReasonText(profileStatus({ reason: 'unknown-network', active: pub }))).toMatch(
      /^Public: ‘Home Wi-Fi’ has no profile yet/,
    );
    // A pin is what holds the profile, whatever reason the engine gives beside it.
    expect(profileReasonText(profileStatus({ reason: 'network', pinned: true }))).toMatch(/^Home: pinned/);
  });

  it('offers Follow network only when a pin or a switch by hand holds', () => {
    expect(followsNetwork(profileStatus())).toBe(true);
    expect(followsNetwork(profileStatus({ reason: 'unknown-network' }))).toBe(true);
    expect(followsNetwork(profileStatus({ reason: 'manual' }))).toBe(false);
    expect(followsNetwork(profileStatus({ reason: 'pinned', pinned: true }))).toBe(false);
  });
});
