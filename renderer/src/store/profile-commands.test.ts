import { describe, expect, it } from 'vitest';
import type { RequestChannel } from '../../../app/contract/ipc.ts';
import type { StatusView } from '../../../app/contract/views.ts';
import { learningStatus, profile, profileStatus } from '../lib/test-rows.ts';
import { activateProfile, assignNetwork, deleteProfile, followNetwork } from './profile-commands.ts';
import { useAppStore } from './store.ts';
import { standInPreload } from './testing-preload.ts';

// The profile actions through the real bridge, over a stand-in for the Electron preload.

const home = profile('home', 'Home');
const work = profile('work', 'Work');
const cafe = profile('p1', 'Café');
const status = {
  driver: 'connected',
  pendingPrompts: 0,
  profile: profileStatus(),
  learning: learningStatus(),
} as unknown as StatusView;

function answer(channel: RequestChannel, payload: unknown): unknown {
  switch (channel) {
    case 'status:get':
      return status;
    case 'profiles:list':
      return [cafe, work, home];
    case 'profiles:activate': {
      const { id, pin } = payload as { id: string; pin: boolean };
      return profileStatus({ active: id === 'work' ? work : home, reason: pin ? 'pinned' : 'manual', pinned: pin });
    }
    case 'profiles:unpin':
      return profileStatus();
    case 'networks:assign':
      return profileStatus({ active: work });
    case 'networks:list':
      return [];
    case 'profiles:delete':
      return { deleted: true, rulesDeleted: 2 };
    default:
      return [];
  }
}

const { calls, push, channels, settled } = standInPreload(answer);

describe('profiles in the store', () => {
  it('are loaded at start, built-ins first', async () => {
    await settled();
    expect(useAppStore.getState().profiles.map((p) => p.id)).toEqual(['home', 'work', 'p1']);
  });

  it('a switch shows the profile status the engine answers with', async () => {
    await activateProfile('work', true);
    expect(calls.at(-1)).toEqual({ channel: 'profiles:activate', payload: { id: 'work', pin: true } });
    expect(useAppStore.getState().status?.profile).toMatchObject({ active: work, pinned: true, reason: 'pinned' });
    expect(useAppStore.getState().status?.pendingPrompts).toBe(0);
    await followNetwork();
    expect(useAppStore.getState().status?.profile).toMatchObject({ active: home, pinned: false, reason: 'network' });
  });

  it('an answer to the network question shows the new status and reads the networks again', async () => {
    calls.length = 0;
    expect(await assignNetwork('aa:bb', 'work')).toBe(true);
    expect(channels()).toEqual(['networks:assign', 'networks:list']);
    expect(useAppStore.getState().status?.profile.active).toEqual(work);
  });

  it('a status push carries a change made elsewhere into the list', () => {
    const renamed = { ...home, name: 'Flat' };
    push('status:changed', { ...status, profile: profileStatus({ active: renamed }) });
    expect(useAppStore.getState().profiles.find((p) => p.id === 'home')).toEqual(renamed);
  });

  it('deleting a profile reads its rules and networks again and says how many rules went', async () => {
    calls.length = 0;
    await deleteProfile('p1', 'Café');
    expect(useAppStore.getState().profiles.map((p) => p.id)).toEqual(['home', 'work']);
    expect(channels().sort()).toEqual(['networks:list', 'profiles:delete', 'rules:list']);
    expect(useAppStore.getState().toasts.at(-1)?.text).toBe('Deleted Café and its 2 rules.');
  });
});
