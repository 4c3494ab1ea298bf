import { HandlerError, type Handlers } from '../../app/contract/dispatch.ts';
import type { RequestChannel } from '../../app/contract/ipc.ts';
import { type NetworkFacts, OFFLINE_FACTS } from '../../app/contract/network.ts';
import {
  type KnownNetwork,
  MAX_PROFILES,
  type Profile,
  type ProfileStatus,
  STRICTEST_BUILT_IN,
} from '../../app/contract/profiles.ts';
import type { Rule } from '../../app/contract/rules.ts';

/**
 * The stand-in engine's profiles and networks (support/fake-engine.ts serves them), kept in
 * memory with the contract's meaning (app/contract/profiles.ts):
 * - three built-ins, Home, Public and Work, never deleted; Public is the strictest, what a
 *   network without a profile gets until the user answers the question about it;
 * - the active profile is the current network's, unless the user switched by hand (until the
 *   network changes) or pinned one (until unpinned);
 * - a mode chosen (not a pause) is the active profile's from then on;
 * - deleting a profile deletes its rules, and its networks are asked about again.
 */
export interface ProfileScene {
  readonly profiles: Profile[];
  readonly networks: KnownNetwork[];
  /** The key of the network the machine is on; null offline. */
  current: string | null;
  /** A switch by hand (until the network changes) or a pin (until unpinned); null: the network decides. */
  choice: { readonly id: string; readonly pinned: boolean } | null;
  /** Numbers the ids of profiles the user adds. */
  nextId: number;
}

/** A network a spec makes the machine join: its label and what the OS says about it. */
export interface JoinedNetwork {
  readonly label: string;
  readonly facts: Partial<NetworkFacts>;
}

const builtIn = (id: string, name: string): Profile => ({ id, name, mode: 'ask', noAppAction: 'block', builtIn: true });

/** The facts of a network the machine is on: a default route, and what `facts` adds. */
function onlineFacts(facts: Partial<NetworkFacts>): NetworkFacts {
  return { ...OFFLINE_FACTS, hasDefaultRoute: true, interfaceName: 'wlan0', interfaceIndex: 3, ...facts };
}

/** The network's identity as the engine takes it: the gateway's MAC where known. */
function keyOf(facts: NetworkFacts): string {
  return facts.gatewayMac ?? `${facts.interfaceName} ${facts.gatewayIp ?? 'no gateway'}`;
}

/**
 * On Home Wi-Fi (given Home), with the office (Work) seen yesterday and a hotel (Public) last week.
 */
export function profileScene(now: number): ProfileScene {
  const network = (label: string, profileId: string, facts: Partial<NetworkFacts>, ago: number): KnownNetwork => {
    const full = onlineFacts(facts);
    return {
      key: keyOf(full),
      label,
      profileId,
      facts: full,
      firstSeenAt: now - 30 * 86_400_000,
      lastSeenAt: now - ago,
    };
  };
  const home = network(
    'Home Wi-Fi',
    'home',
    { gatewayIp: '192.168.1.1', gatewayMac: 'a4:2b:b0:11:22:33', dnsSuffix: 'lan', ssid: 'Home Wi-Fi', epoch: 1 },
    0,
  );
  return {
    profiles: [builtIn('home', 'Home'), builtIn('public', 'Public'), builtIn('work', 'Work')],
    networks: [
      home,
      network(
        'corp.example.com',
        'work',
        {
          interfaceName: 'eth0',
          gatewayIp: '10.20.0.1',
          gatewayMac: '00:1b:21:aa:bb:cc',
          dnsSuffix: 'corp.example.com',
        },
        86_400_000,
      ),
      network(
        'Hotel Guest',
        'public',
        { gatewayIp: '172.16.0.1', gatewayMac: '3c:5a:b4:00:00:01', ssid: 'Hotel Guest', vpnUp: true },
        7 * 86_400_000,
      ),
    ],
    current: home.key,
    choice: null,
    nextId: 1,
  };
}

function profileOf(scene: ProfileScene, id: string): Profile {
  const profile = scene.profiles.find((p) => p.id === id);
  if (profile === undefined) throw new HandlerError('not-found', `no profile ${id}`);
  return profile;
}

/** Which profile is active and why, and the network waiting for one. */
export function profileStatus(scene: ProfileScene): ProfileStatus {
  const network = scene.networks.find((n) => n.key === scene.current) ?? null;
  const strictest = profileOf(scene, STRICTEST_BUILT_IN);
  const question = network !== null && network.profileId === null ? { key: network.key, label: network.label } : null;
  const where = network === null ? null : { key: network.key, label: network.label, facts: network.facts };
  const status = (active: Profile, reason: ProfileStatus['reason']): ProfileStatus => ({
    active,
    reason,
    pinned: reason === 'pinned',
    network: where,
    question,
  });
  if (scene.choice !== null)
    return status(profileOf(scene, scene.choice.id), scene.choice.pinned ? 'pinned' : 'manual');
  if (network === null) return status(strictest, 'offline');
  if (network.profileId === null) return status(strictest, 'unknown-network');
  return status(profileOf(scene, network.profileId), 'network');
}

/** A mode chosen in the status bar or the tray: the active profile's from now on. */
export function setActiveMode(scene: ProfileScene, mode: Profile['mode']): void {
  const { id } = profileStatus(scene).active;
  const index = scene.profiles.findIndex((p) => p.id === id);
  const profile = scene.profiles[index];
  if (profile !== undefined) scene.profiles[index] = { ...profile, mode };
}

/** The machine joins `joined` (remembered, unasked, when new): a switch by hand ends, a pin holds. */
export function joinNetwork(scene: ProfileScene, joined: JoinedNetwork, now: number): void {
  const facts = onlineFacts(joined.facts);
  const key = keyOf(facts);
  const known = scene.networks.findIndex((n) => n.key === key);
  const before = scene.networks[known];
  if (before === undefined) {
    scene.networks.push({ key, label: joined.label, profileId: null, facts, firstSeenAt: now, lastSeenAt: now });
  } else {
    scene.networks[known] = { ...before, facts, lastSeenAt: now };
  }
  if (scene.current !== key && scene.choice?.pinned !== true) scene.choice = null;
  scene.current = key;
}

type ProfileChannel = Extract<RequestChannel, `profiles:${string}` | `networks:${string}`>;

/**
 * The profile and network channels over `scene`; `rules` are the engine's rules (a deleted
 * profile's go too). `changed` runs after each change of the status, for the engine's
 * `status:changed` push.
 */
export function profileHandlers(
  scene: ProfileScene,
  rules: Rule[],
  changed: () => void,
): Pick<Handlers, ProfileChannel> {
  const settled = (): ProfileStatus => {
    changed();
    return profileStatus(scene);
  };
  return {
    'profiles:list': () => scene.profiles,
    'profiles:status': () => profileStatus(scene),
    'profiles:create': (input) => {
      if (scene.profiles.length >= MAX_PROFILES) throw new HandlerError('conflict', 'too many profiles');
      const profile: Profile = { ...input, id: `user-${String(scene.nextId++)}`, builtIn: false };
      scene.profiles.push(profile);
      return profile;
    },
    'profiles:update': ({ id, patch }) => {
      const index = scene.profiles.findIndex((p) => p.id === id);
      const current = profileOf(scene, id);
      const profile: Profile = {
        ...current,
        name: patch.name ?? current.name,
        mode: patch.mode ?? current.mode,
        noAppAction: patch.noAppAction ?? current.noAppAction,
      };
      scene.profiles[index] = profile;
      // The active profile's mode is the engine's mode: the status changes with it.
      if (profileStatus(scene).active.id === id) changed();
      return profile;
    },
    'profiles:delete': ({ id }) => {
      if (profileOf(scene, id).builtIn) throw new HandlerError('bad-request', 'a built-in profile is never deleted');
      scene.profiles.splice(
        scene.profiles.findIndex((p) => p.id === id),
        1,
      );
      let rulesDeleted = 0;
      for (let i = rules.length - 1; i >= 0; i -= 1) {
        if (rules[i]?.profile === id) {
          rules.splice(i, 1);
          rulesDeleted += 1;
        }
      }
      scene.networks.forEach((network, i) => {
        if (network.profileId === id) scene.networks[i] = { ...network, profileId: null };
      });
      if (scene.choice?.id === id) scene.choice = null;
      // The active profile, or the current network's, may have been this one.
      changed();
      return { deleted: true, rulesDeleted };
    },
    'profiles:activate': ({ id, pin }) => {
      profileOf(scene, id);
      scene.choice = { id, pinned: pin };
      return settled();
    },
    'profiles:unpin': () => {
      scene.choice = null;
      return settled();
    },
    'networks:list': () => scene.networks,
    'networks:assign': ({ key, profileId }) => {
      profileOf(scene, profileId);
      const index = scene.networks.findIndex((n) => n.key === key);
      const network = scene.networks[index];
      if (network === undefined) throw new HandlerError('not-found', `no network ${key}`);
      scene.networks[index] = { ...network, profileId };
      // On the current network it applies at once, unless the user chose one by hand.
      return settled();
    },
    'networks:forget': ({ key }) => {
      const index = scene.networks.findIndex((n) => n.key === key);
      const network = scene.networks[index];
      if (network === undefined) return { forgotten: false };
      scene.networks.splice(index, 1);
      // Still on it: it is a network met for the first time again, and asked about.
      if (key === scene.current) {
        const now = Date.now();
        scene.networks.push({ ...network, profileId: null, firstSeenAt: now, lastSeenAt: now });
        changed();
      }
      return { forgotten: true };
    },
  };
}
