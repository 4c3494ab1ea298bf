import type { Profile, ProfileStatus } from '../../../app/contract/profiles.ts';
import { PROFILES } from '../strings/profile-strings.ts';
import { followsNetwork } from './profile-text.ts';

/** What the status bar's profile menu offers, as data (components/ProfileMenu.tsx draws it). */
export type ProfileChoice =
  | {
      readonly kind: 'switch';
      readonly label: string;
      readonly id: string;
      readonly checked: boolean;
      /** Sent with the switch: whether the new profile is pinned. */
      readonly pin: boolean;
    }
  | { readonly kind: 'pin'; readonly label: string; readonly id: string }
  | { readonly kind: 'follow'; readonly label: string };

/**
 * The profiles (`profiles` in the order shown; the active one alone before they have loaded),
 * then "Pin <active>" unless pinned, then "Follow network" when a pin or a switch by hand holds.
 * Choosing a profile switches to it until the network changes; while a pin holds, the new one is
 * pinned too: the pin is the user's "stop following the network", not a property of one profile.
 */
export function profileChoices(status: ProfileStatus, profiles: readonly Profile[]): ProfileChoice[] {
  const shown = profiles.length === 0 ? [status.active] : profiles;
  const choices: ProfileChoice[] = shown.map((profile) => ({
    kind: 'switch',
    label: profile.name,
    id: profile.id,
    checked: profile.id === status.active.id,
    pin: status.pinned,
  }));
  if (!status.pinned) choices.push({ kind: 'pin', label: PROFILES.pin(status.active.name), id: status.active.id });
  if (!followsNetwork(status)) choices.push({ kind: 'follow', label: PROFILES.followNetwork });
  return choices;
}
