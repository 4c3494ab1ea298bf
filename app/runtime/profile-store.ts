import { z } from 'zod';
import { knownNetworkSchema, MAX_KNOWN_NETWORKS, MAX_PROFILES, profileSchema } from '../contract/profiles.ts';
import type { RuleAction } from '../contract/rules.ts';
import { defaultSnapshot, type ProfileSnapshot } from '../engine/profiles.ts';
import type { JsonValue, Store } from '../store/index.ts';

const KEY = 'profiles';

/**
 * The profiles, the networks given them and a switch by hand, as one settings value (they are
 * few: at most MAX_PROFILES and MAX_KNOWN_NETWORKS, a few tens of KiB). Written whole after every
 * change, so a write refused on a full disk is made good by the next one.
 */
const snapshotSchema = z
  .object({
    profiles: z.array(profileSchema).max(MAX_PROFILES),
    networks: z.array(knownNetworkSchema).max(MAX_KNOWN_NETWORKS),
    manual: z
      .object({ id: z.string().min(1).max(64), pinned: z.boolean(), networkKey: z.string().max(512).nullable() })
      .strict()
      .nullable(),
    lastActive: z.string().min(1).max(64),
  })
  .strict();

/**
 * The saved profiles; a new installation (or a value that no longer reads: a damaged save) gets
 * the built-ins, made with the no-app action the user chose before profiles existed.
 */
export function loadProfiles(store: Store, noAppAction: RuleAction): ProfileSnapshot {
  const fresh = defaultSnapshot(noAppAction);
  return store.settings.get(KEY, snapshotSchema, { ...fresh, profiles: [...fresh.profiles], networks: [] });
}

export function saveProfiles(store: Store, snapshot: ProfileSnapshot): void {
  // Checked by the schema, so plain JSON; its type only lacks JsonValue's word for an optional
  // field that is absent (`gatewayMacPending`, which no saved network holds: see network-key.ts).
  store.settings.set(KEY, snapshotSchema.parse(snapshot) as JsonValue);
}
