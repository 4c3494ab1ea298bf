import type { NetworkFacts } from '../contract/network.ts';
import {
  type KnownNetwork,
  MAX_KNOWN_NETWORKS,
  MAX_PROFILES,
  type Profile,
  type ProfileInput,
  type ProfilePatch,
  type ProfileReason,
  type ProfileStatus,
  STRICTEST_BUILT_IN,
} from '../contract/profiles.ts';
import type { RuleAction } from '../contract/rules.ts';
import { networkKey, networkLabel } from './network-key.ts';

/**
 * Which profile is active, and why (README.md, "Profiles"). Pure: the engine feeds it the
 * network facts in stream order and the user's requests; it answers with the profile to apply.
 *
 * The active profile is, in this order:
 * 1. the one the user switched to by hand: pinned, for good; not pinned, until the network
 *    changes;
 * 2. while the network is being identified (the driver resolves its gateway's MAC): the
 *    strictest, and nothing remembered (a gateway that withholds its ARP answer gets neither
 *    the old network's profile nor a network named by its address alone);
 * 3. offline or before the first facts: the one active last (what was saved);
 * 4. the profile the user gave the current network;
 * 5. the strictest profile, for a network not given one yet (the UI asks once).
 */

/** What is saved: everything the user decided, and the profile in force when saved. */
export interface ProfileSnapshot {
  readonly profiles: readonly Profile[];
  readonly networks: readonly KnownNetwork[];
  /** A switch by hand and the network it was made on (null: none known then). */
  readonly manual: { readonly id: string; readonly pinned: boolean; readonly networkKey: string | null } | null;
  /** The active profile when saved: what applies at start until the first facts arrive. */
  readonly lastActive: string;
}

const MODE_RANK = { 'allow-all': 0, ask: 1, 'block-all': 2 } as const;
const ACTION_RANK = { allow: 0, block: 1, drop: 2 } as const;

/** The built-in profiles of a new installation; `noAppAction` is the user's setting from before profiles. */
export function defaultProfiles(noAppAction: RuleAction): Profile[] {
  // Public is never laxer than block while the app is closed: it is the profile of strangers' networks.
  const publicAction = ACTION_RANK[noAppAction] >= ACTION_RANK.block ? noAppAction : 'block';
  return [
    { id: 'home', name: 'Home', mode: 'ask', noAppAction, builtIn: true },
    { id: 'public', name: 'Public', mode: 'ask', noAppAction: publicAction, builtIn: true },
    { id: 'work', name: 'Work', mode: 'ask', noAppAction, builtIn: true },
  ];
}

export function defaultSnapshot(noAppAction: RuleAction): ProfileSnapshot {
  return { profiles: defaultProfiles(noAppAction), networks: [], manual: null, lastActive: STRICTEST_BUILT_IN };
}

export type ProfileError = 'unknown-profile' | 'built-in' | 'too-many-profiles' | 'unknown-network';
export type ProfileResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProfileError };

export class ProfileState {
  readonly #profiles = new Map<string, Profile>();
  readonly #networks = new Map<string, KnownNetwork>();
  #manual: ProfileSnapshot['manual'];
  #lastActive: string;
  /** The network the machine is on; null offline or before the first facts. */
  #current: { key: string; label: string; facts: NetworkFacts } | null = null;
  #sawFacts = false;
  /** The last facts said the gateway's MAC is being resolved (the network is not identified yet). */
  #identifying = false;
  #active: string;

  constructor(snapshot: ProfileSnapshot) {
    // Built-ins first, whatever the snapshot's order, and never missing (a damaged save).
    for (const profile of defaultProfiles('block')) {
      const saved = snapshot.profiles.find((p) => p.id === profile.id);
      this.#profiles.set(profile.id, saved === undefined ? profile : { ...saved, builtIn: true });
    }
    for (const profile of snapshot.profiles) {
      if (!this.#profiles.has(profile.id) && this.#profiles.size < MAX_PROFILES)
        this.#profiles.set(profile.id, { ...profile, builtIn: false });
    }
    for (const network of snapshot.networks) {
      const profileId = network.profileId !== null && this.#profiles.has(network.profileId) ? network.profileId : null;
      this.#networks.set(network.key, { ...network, profileId });
    }
    this.#manual = snapshot.manual !== null && this.#profiles.has(snapshot.manual.id) ? snapshot.manual : null;
    this.#lastActive = this.#profiles.has(snapshot.lastActive) ? snapshot.lastActive : STRICTEST_BUILT_IN;
    this.#active = this.#resolve().id;
  }

  active(): Profile {
    return this.#profile(this.#active);
  }

  list(): Profile[] {
    return [...this.#profiles.values()];
  }

  networks(): KnownNetwork[] {
    return [...this.#networks.values()].sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  status(): ProfileStatus {
    const { reason } = this.#resolve();
    const current = this.#current;
    const known = current === null ? undefined : this.#networks.get(current.key);
    return {
      active: this.active(),
      reason,
      pinned: this.#manual?.pinned ?? false,
      network: current,
      question:
        current !== null && known !== undefined && known.profileId === null
          ? { key: current.key, label: current.label }
          : null,
    };
  }

  /**
   * The network facts changed (or were first reported): `switched` when the active profile
   * changed, `remember` when what is saved changed beyond a network's last-seen time (a new
   * network, other facts, a switch by hand that ended): a flood of route changes between known
   * networks then costs no write each (the caller saves the times now and then).
   */
  network(facts: NetworkFacts, now: number): { switched: boolean; remember: boolean } {
    // What the snapshot holds besides the networks: the switch by hand, and the active profile.
    const manual = this.#manual;
    const remember = this.#observe(facts, now);
    const switched = this.#settle();
    return { switched, remember: remember || switched || manual !== this.#manual };
  }

  /** Takes the facts in; true when a remembered network is new or its facts changed (epoch aside). */
  #observe(facts: NetworkFacts, now: number): boolean {
    this.#sawFacts = true;
    const key = networkKey(facts);
    const previous = this.#current?.key ?? null;
    let changed = false;
    this.#identifying = facts.hasDefaultRoute && facts.gatewayMacPending === true;
    if (this.#identifying) {
      // Some network, not known which: a switch by hand not pinned ends as for any other change.
      this.#current = null;
      if (this.#manual !== null && !this.#manual.pinned) this.#manual = null;
    } else if (key === null) {
      this.#current = null;
    } else {
      const label = networkLabel(facts);
      this.#current = { key, label, facts };
      const known = this.#networks.get(key);
      changed = known === undefined || known.label !== label || !sameFacts(known.facts, facts);
      this.#networks.set(key, {
        key,
        label,
        profileId: known?.profileId ?? null,
        facts,
        firstSeenAt: known?.firstSeenAt ?? now,
        lastSeenAt: now,
      });
      this.#forgetOldest(key);
      // A switch by hand that is not pinned lasts until the machine is on another network.
      if (this.#manual !== null && !this.#manual.pinned && key !== previous && key !== this.#manual.networkKey)
        this.#manual = null;
    }
    return changed;
  }

  /** Switches by hand: pinned for good, else until the network changes. */
  activate(id: string, pin: boolean): ProfileResult<boolean> {
    if (!this.#profiles.has(id)) return { ok: false, error: 'unknown-profile' };
    this.#manual = { id, pinned: pin, networkKey: this.#current?.key ?? null };
    return { ok: true, value: this.#settle() };
  }

  /** Follows the network again. */
  unpin(): boolean {
    this.#manual = null;
    return this.#settle();
  }

  /** Gives a network its profile (the answer to "You joined X"). */
  assign(key: string, profileId: string): ProfileResult<boolean> {
    const network = this.#networks.get(key);
    if (network === undefined) return { ok: false, error: 'unknown-network' };
    if (!this.#profiles.has(profileId)) return { ok: false, error: 'unknown-profile' };
    this.#networks.set(key, { ...network, profileId });
    return { ok: true, value: this.#settle() };
  }

  /** Forgets a network: joining it again asks again. */
  forget(key: string): { forgotten: boolean; switched: boolean } {
    const network = this.#networks.get(key);
    if (network === undefined) return { forgotten: false, switched: false };
    this.#networks.delete(key);
    // The network the machine is on stays known, without a profile: the UI asks again.
    if (this.#current?.key === key) this.#networks.set(key, { ...network, profileId: null });
    return { forgotten: true, switched: this.#settle() };
  }

  create(input: ProfileInput, id: string): ProfileResult<Profile> {
    if (this.#profiles.size >= MAX_PROFILES) return { ok: false, error: 'too-many-profiles' };
    const profile: Profile = { id, ...input, builtIn: false };
    this.#profiles.set(id, profile);
    return { ok: true, value: profile };
  }

  /** Changes a profile; `changedActive`: it is the active one (its mode or no-app action may now apply). */
  update(id: string, patch: ProfilePatch): ProfileResult<{ profile: Profile; changedActive: boolean }> {
    const current = this.#profiles.get(id);
    if (current === undefined) return { ok: false, error: 'unknown-profile' };
    const profile: Profile = {
      ...current,
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.mode === undefined ? {} : { mode: patch.mode }),
      ...(patch.noAppAction === undefined ? {} : { noAppAction: patch.noAppAction }),
    };
    this.#profiles.set(id, profile);
    return { ok: true, value: { profile, changedActive: id === this.#active } };
  }

  /** Deletes a user's profile; its networks are asked about again. True in `value` when the active one changed. */
  remove(id: string): ProfileResult<boolean> {
    const profile = this.#profiles.get(id);
    if (profile === undefined) return { ok: false, error: 'unknown-profile' };
    if (profile.builtIn) return { ok: false, error: 'built-in' };
    this.#profiles.delete(id);
    for (const network of this.#networks.values())
      if (network.profileId === id) this.#networks.set(network.key, { ...network, profileId: null });
    if (this.#manual?.id === id) this.#manual = null;
    if (this.#lastActive === id) this.#lastActive = STRICTEST_BUILT_IN;
    return { ok: true, value: this.#settle() };
  }

  snapshot(): ProfileSnapshot {
    return {
      profiles: this.list(),
      networks: this.networks(),
      manual: this.#manual,
      lastActive: this.#active,
    };
  }

  /** The strictest profile: block-all over ask over allow-all, then the harsher no-app action; Public wins ties. */
  strictest(): Profile {
    let best: Profile | null = null;
    for (const profile of this.#profiles.values()) {
      if (best === null || strictness(profile) > strictness(best)) best = profile;
      else if (strictness(profile) === strictness(best) && profile.id === STRICTEST_BUILT_IN) best = profile;
    }
    return best ?? this.#profile(STRICTEST_BUILT_IN);
  }

  #settle(): boolean {
    const next = this.#resolve().id;
    const changed = next !== this.#active;
    this.#active = next;
    this.#lastActive = next;
    return changed;
  }

  #resolve(): { id: string; reason: ProfileReason } {
    if (this.#manual !== null) return { id: this.#manual.id, reason: this.#manual.pinned ? 'pinned' : 'manual' };
    if (this.#identifying) return { id: this.strictest().id, reason: 'identifying' };
    const current = this.#current;
    if (current === null) return { id: this.#lastActive, reason: this.#sawFacts ? 'offline' : 'network' };
    const assigned = this.#networks.get(current.key)?.profileId ?? null;
    if (assigned !== null) return { id: assigned, reason: 'network' };
    return { id: this.strictest().id, reason: 'unknown-network' };
  }

  #profile(id: string): Profile {
    // Every id kept here names a profile (removal clears them); Public can never be deleted.
    return this.#profiles.get(id) ?? (this.#profiles.get(STRICTEST_BUILT_IN) as Profile);
  }

  /**
   * Keeps at most MAX_KNOWN_NETWORKS, forgetting the one seen longest ago (never `keep`) among
   * those the user gave no profile, and only when there are none of those among the rest: a
   * hostile network that shows a new gateway MAC every so often must not push the user's
   * answers out (Home then asked about again, with Public in force meanwhile).
   */
  #forgetOldest(keep: string): void {
    while (this.#networks.size > MAX_KNOWN_NETWORKS) {
      let oldest: KnownNetwork | null = null;
      for (const network of this.#networks.values()) {
        if (network.key === keep) continue;
        const unassignedFirst =
          oldest === null ||
          (network.profileId === null && oldest.profileId !== null) ||
          ((network.profileId === null) === (oldest.profileId === null) && network.lastSeenAt < oldest.lastSeenAt);
        if (unassignedFirst) oldest = network;
      }
      if (oldest === null) return;
      this.#networks.delete(oldest.key);
    }
  }
}

function strictness(profile: Profile): number {
  return MODE_RANK[profile.mode] * 3 + ACTION_RANK[profile.noAppAction];
}

/** The same facts but for the epoch (which grows at every report, also of a network seen before). */
function sameFacts(a: NetworkFacts, b: NetworkFacts): boolean {
  return JSON.stringify({ ...a, epoch: 0 }) === JSON.stringify({ ...b, epoch: 0 });
}
