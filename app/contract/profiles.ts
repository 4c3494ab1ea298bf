import { z } from 'zod';
import { type NetworkFacts, networkFactsSchema } from './network.ts';
import { ACTIONS } from './rules.ts';

/**
 * Profiles: named overlays of rules and defaults, chosen by the network the machine is on
 * (app/engine/profiles.ts has the behaviour, app/engine/README.md "Profiles" the rules of it).
 * A profile's own rules apply on top of the always-on rules (rules whose `profile` is null)
 * while it is active; its mode and no-app action replace the global ones.
 */

/** The modes a profile can hold (a pause is a moment, not a profile's setting). */
export const PROFILE_MODES = ['ask', 'allow-all', 'block-all'] as const;
export type ProfileMode = (typeof PROFILE_MODES)[number];

export const profileIdSchema = z.string().min(1).max(64);

/** A profile's name as the user sees it: trimmed, 1–64 characters, no control characters. */
export const profileNameSchema = z
  .string()
  .trim()
  .min(1, 'a profile needs a name')
  .max(64)
  .refine(
    (name) => ![...name].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f'),
    'a profile name holds no control characters',
  );

export const profileSchema = z
  .object({
    id: profileIdSchema,
    name: profileNameSchema,
    mode: z.enum(PROFILE_MODES),
    /** What the driver does with connections no rule covers while ZenithFence is not running. */
    noAppAction: z.enum(ACTIONS),
    /** Home, Public and Work: editable, never deleted. */
    builtIn: z.boolean(),
  })
  .strict();
export type Profile = z.infer<typeof profileSchema>;

/** What a user writes when adding a profile or changing one. */
export const profileInputSchema = profileSchema.pick({ name: true, mode: true, noAppAction: true }).strict();
export type ProfileInput = z.infer<typeof profileInputSchema>;
export const profilePatchSchema = profileInputSchema.partial().strict();
export type ProfilePatch = z.infer<typeof profilePatchSchema>;

/** The built-in profiles' ids; the strictest of them, Public, is what an unknown network gets. */
export const BUILT_IN_PROFILE_IDS = ['home', 'public', 'work'] as const;
export const STRICTEST_BUILT_IN = 'public';

/** The most profiles a user keeps (each is a line in the tray menu). */
export const MAX_PROFILES = 32;
/** The most networks remembered; past it the one seen longest ago is forgotten. */
export const MAX_KNOWN_NETWORKS = 256;

/** A network the machine has been on, and the profile the user gave it (null: not yet asked). */
export const knownNetworkSchema = z
  .object({
    /** Stable identity (app/engine/network-key.ts): the gateway's MAC where known. */
    key: z.string().min(1).max(512),
    /** How the UI names it: SSID, DNS suffix, or interface and gateway. */
    label: z.string().min(1).max(300),
    profileId: profileIdSchema.nullable(),
    facts: networkFactsSchema,
    firstSeenAt: z.number().int().nonnegative(),
    lastSeenAt: z.number().int().nonnegative(),
  })
  .strict();
export type KnownNetwork = z.infer<typeof knownNetworkSchema>;

/** Why the active profile is the one it is. */
export const PROFILE_REASONS = ['network', 'unknown-network', 'identifying', 'manual', 'pinned', 'offline'] as const;
export type ProfileReason = (typeof PROFILE_REASONS)[number];

/** What the status bar, the tray and the Profiles view show. */
export interface ProfileStatus {
  readonly active: Profile;
  readonly reason: ProfileReason;
  /** Whether a network change leaves the profile as it is (the user pinned it). */
  readonly pinned: boolean;
  /** The network the machine is on; null offline or before the first facts. */
  readonly network: { readonly key: string; readonly label: string; readonly facts: NetworkFacts } | null;
  /**
   * A network the user has not given a profile yet: the UI asks once ("You joined X. Treat it
   * as: ..."); until then the strictest profile is active.
   */
  readonly question: { readonly key: string; readonly label: string } | null;
}

/** Requests of the profile channels (app/contract/ipc.ts). */
export const profileActivateSchema = z
  .object({
    id: profileIdSchema,
    /** Pinned: it stays active on every network until unpinned; else until the network changes. */
    pin: z.boolean().default(false),
  })
  .strict();
export const networkAssignSchema = z.object({ key: z.string().min(1).max(512), profileId: profileIdSchema }).strict();
