import type { StateCreator } from 'zustand';
import type { KnownNetwork, Profile, ProfileStatus } from '../../../app/contract/profiles.ts';
import type { StatusView } from '../../../app/contract/views.ts';
import { orderProfiles } from '../lib/profile-text.ts';
import type { AppState } from './store.ts';

/**
 * The profiles (in the order the UI lists them) and the known networks. Which profile is active
 * is not kept here: it is part of the status (`status.profile`), which every `status:changed`
 * push replaces.
 */
export interface ProfilesSlice {
  readonly profiles: readonly Profile[];
  readonly networks: readonly KnownNetwork[];
  setProfiles(profiles: readonly Profile[]): void;
  /** Puts an added or changed profile in its place. */
  putProfile(profile: Profile): void;
  removeProfile(id: string): void;
  setNetworks(networks: readonly KnownNetwork[]): void;
  /** The profile part of the status, from a switch's reply (the push that follows says the rest). */
  setProfileStatus(profile: ProfileStatus): void;
}

/** `profiles` with `profile` in its place (or added), in order; the same array when nothing changed. */
export function putProfileIn(profiles: readonly Profile[], profile: Profile): readonly Profile[] {
  const current = profiles.find((p) => p.id === profile.id);
  if (current !== undefined && sameProfile(current, profile)) return profiles;
  return orderProfiles([...profiles.filter((p) => p.id !== profile.id), profile]);
}

function sameProfile(a: Profile, b: Profile): boolean {
  return a.name === b.name && a.mode === b.mode && a.noAppAction === b.noAppAction && a.builtIn === b.builtIn;
}

/** The status with another profile part; null stays null (nothing to show before the first status). */
export function withProfileStatus(status: StatusView | null, profile: ProfileStatus): StatusView | null {
  return status === null ? null : { ...status, profile };
}

export const createProfilesSlice: StateCreator<AppState, [], [], ProfilesSlice> = (set) => ({
  profiles: [],
  networks: [],
  setProfiles: (profiles) => set({ profiles: orderProfiles(profiles) }),
  putProfile: (profile) => set((state) => ({ profiles: putProfileIn(state.profiles, profile) })),
  removeProfile: (id) => set((state) => ({ profiles: state.profiles.filter((p) => p.id !== id) })),
  setNetworks: (networks) => set({ networks }),
  setProfileStatus: (profile) => set((state) => ({ status: withProfileStatus(state.status, profile) })),
});
