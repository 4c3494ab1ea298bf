import type { ProfileInput, ProfilePatch } from '../../../app/contract/profiles.ts';
import * as bridge from '../bridge.ts';
import { plural } from '../lib/format.ts';
import { COUNTED } from '../strings/common-strings.ts';
import { PROFILES } from '../strings/profile-strings.ts';
import { TOASTS } from '../strings/toast-strings.ts';
import { info, report } from './commands.ts';
import { useAppStore } from './store.ts';
import { reloadNetworks, reloadRules } from './sync.ts';

/**
 * Profile and network actions. A switch's reply is the new profile status, put in the store at
 * once; the engine's `status:changed` push that comes with it brings the rest (the mode the
 * profile sets).
 */

/** Switches to a profile: until the network changes, or for good with `pin`. */
export async function activateProfile(id: string, pin: boolean): Promise<void> {
  const result = await bridge.activateProfile(id, pin);
  if (report(result, TOASTS.switchProfile)) useAppStore.getState().setProfileStatus(result.value);
}

/** Lets the network choose the profile again (after a pin or a switch by hand). */
export async function followNetwork(): Promise<void> {
  const result = await bridge.unpinProfile();
  if (report(result, TOASTS.followNetwork)) useAppStore.getState().setProfileStatus(result.value);
}

/** Gives a network its profile (the answer to the network question, or a change in the view). */
export async function assignNetwork(key: string, profileId: string): Promise<boolean> {
  const result = await bridge.assignNetwork(key, profileId);
  if (!report(result, TOASTS.assignNetwork)) return false;
  useAppStore.getState().setProfileStatus(result.value);
  await reloadNetworks();
  return true;
}

export async function forgetNetwork(key: string): Promise<void> {
  const result = await bridge.forgetNetwork(key);
  if (report(result, TOASTS.forgetNetwork)) await reloadNetworks();
}

export async function createProfile(input: ProfileInput): Promise<boolean> {
  const result = await bridge.createProfile(input);
  if (!report(result, TOASTS.createProfile)) return false;
  useAppStore.getState().putProfile(result.value);
  return true;
}

/** Sends only what changed; the store shows the profile the engine answers with. */
export async function updateProfile(id: string, patch: ProfilePatch): Promise<boolean> {
  const result = await bridge.updateProfile(id, patch);
  if (!report(result, TOASTS.updateProfile)) return false;
  useAppStore.getState().putProfile(result.value);
  return true;
}

/** Deletes a profile the user added; its rules go with it and its networks are asked about again. */
export async function deleteProfile(id: string, name: string): Promise<void> {
  const result = await bridge.deleteProfile(id);
  if (!report(result, TOASTS.deleteProfile)) return;
  useAppStore.getState().removeProfile(id);
  info(PROFILES.deleted(name, plural(result.value.rulesDeleted, COUNTED.rule)));
  await Promise.all([reloadRules(), reloadNetworks()]);
}
