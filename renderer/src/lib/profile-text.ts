import { BUILT_IN_PROFILE_IDS, type Profile, type ProfileStatus } from '../../../app/contract/profiles.ts';
import { PROFILES } from '../strings/profile-strings.ts';

/** The order and the words of profiles wherever the UI lists or names them. Pure, unit-tested. */

/**
 * Built-ins first, in their fixed order (Home, Public, Work), then the user's by name: the same
 * order in the status bar menu, the network question, the Profiles view and every select.
 */
export function orderProfiles(profiles: readonly Profile[]): Profile[] {
  const rank = (profile: Profile): number => {
    const index = (BUILT_IN_PROFILE_IDS as readonly string[]).indexOf(profile.id);
    return profile.builtIn && index !== -1 ? index : BUILT_IN_PROFILE_IDS.length;
  };
  return [...profiles].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** A rule's or a network's profile by name: "Always" for none, and an id the list lacks said as such. */
export function profileName(profiles: readonly Profile[], id: string | null): string {
  if (id === null) return PROFILES.always;
  return profiles.find((p) => p.id === id)?.name ?? PROFILES.unknownProfile(id);
}

/** The word beside the profile's name in the status bar, when there is one to say. */
export function profileBadge(status: ProfileStatus): string | null {
  if (status.pinned) return PROFILES.badges.pinned;
  if (status.reason === 'unknown-network') return PROFILES.badges.unknownNetwork;
  if (status.reason === 'identifying') return PROFILES.badges.identifying;
  if (status.reason === 'offline') return PROFILES.badges.offline;
  return null;
}

/** Why this profile is active, in one sentence (the status bar's tooltip). */
export function profileReasonText(status: ProfileStatus): string {
  const name = status.active.name;
  const network = status.network?.label ?? status.question?.label ?? '';
  // A pin wins whatever the engine names as the reason: it is what keeps the profile.
  return status.pinned ? PROFILES.reasons.pinned(name, network) : PROFILES.reasons[status.reason](name, network);
}

/** Whether "Follow network" has anything to undo: a profile chosen by hand or pinned. */
export function followsNetwork(status: ProfileStatus): boolean {
  return !status.pinned && status.reason !== 'manual';
}
