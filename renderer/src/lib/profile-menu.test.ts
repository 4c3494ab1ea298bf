import { describe, expect, it } from 'vitest';
import { profileChoices } from './profile-menu.ts';
import { profile, profileStatus } from './test-rows.ts';

const profiles = [profile('home', 'Home'), profile('public', 'Public'), profile('work', 'Work')];

describe('profileChoices', () => {
  it('lists the profiles with the active one checked, then Pin it', () => {
    expect(profileChoices(profileStatus(), profiles)).toEqual([
      { kind: 'switch', label: 'Home', id: 'home', checked: true, pin: false },
      { kind: 'switch', label: 'Public', id: 'public', checked: false, pin: false },
      { kind: 'switch', label: 'Work', id: 'work', checked: false, pin: false },
      { kind: 'pin', label: 'Pin Home', id: 'home' },
    ]);
  });

  it('after a switch by hand, offers to pin it or to follow the network again', () => {
    const choices = profileChoices(profileStatus({ active: profile('work', 'Work'), reason: 'manual' }), profiles);
    expect(choices.slice(3)).toEqual([
      { kind: 'pin', label: 'Pin Work', id: 'work' },
      { kind: 'follow', label: 'Follow network' },
    ]);
  });

  it('while pinned, a new choice stays pinned and only Follow network unpins', () => {
    const choices = profileChoices(profileStatus({ reason: 'pinned', pinned: true }), profiles);
    expect(choices.filter((c) => c.kind === 'switch').every((c) => c.pin)).toBe(true);
    expect(choices.filter((c) => c.kind !== 'switch')).toEqual([{ kind: 'follow', label: 'Follow network' }]);
  });

  it('offers the active profile alone before the list has loaded', () => {
    expect(profileChoices(profileStatus(), []).filter((c) => c.kind === 'switch')).toEqual([
      { kind: 'switch', label: 'Home', id: 'home', checked: true, pin: false },
    ]);
  });
});
