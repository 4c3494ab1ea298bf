import { describe, expect, it } from 'vitest';
import type { StatusView } from '../../../app/contract/views.ts';
import { profile, profileStatus } from '../lib/test-rows.ts';
import { putProfileIn, withProfileStatus } from './profiles-slice.ts';

const home = profile('home', 'Home');
const work = profile('work', 'Work');

describe('putProfileIn', () => {
  it('puts a changed profile in its place and an added one in order', () => {
    const list = [home, work];
    expect(putProfileIn(list, { ...work, mode: 'block-all' })).toEqual([home, { ...work, mode: 'block-all' }]);
    expect(putProfileIn(list, profile('p1', 'Café')).map((p) => p.id)).toEqual(['home', 'work', 'p1']);
    expect(putProfileIn(list, profile('public', 'Public')).map((p) => p.id)).toEqual(['home', 'public', 'work']);
  });

  it('keeps the same list when nothing changed (a status push repeats the active profile)', () => {
    const list = [home, work];
    expect(putProfileIn(list, { ...home })).toBe(list);
  });
});

describe('withProfileStatus', () => {
  it('replaces the profile part of the status, and leaves no status as none', () => {
    const status = { pendingPrompts: 2, profile: profileStatus() } as unknown as StatusView;
    const pinned = profileStatus({ reason: 'pinned', pinned: true });
    expect(withProfileStatus(status, pinned)).toEqual({ pendingPrompts: 2, profile: pinned });
    expect(withProfileStatus(null, pinned)).toBeNull();
  });
});
