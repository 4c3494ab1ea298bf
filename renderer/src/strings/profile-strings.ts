import type { ProfileMode, ProfileReason } from '../../../app/contract/profiles.ts';
import type { PluralText } from '../lib/locale-format.ts';

/** Why a profile is active, by the engine's reason; `network` is the network's label. */
const REASONS: Readonly<Record<ProfileReason, (name: string, network: string) => string>> = {
  network: (name, network) => `${name}: the profile you gave ‘${network}’.`,
  'unknown-network': (name, network) => `${name}: ‘${network}’ has no profile yet, so the strictest applies.`,
  identifying: (name) =>
    `${name}: the network is being identified (its router has not answered yet), so the strictest applies.`,
  manual: (name) => `${name}: chosen by you until the network changes.`,
  pinned: (name) => `${name}: pinned, it stays on every network until you choose Follow network.`,
  offline: (name) => `${name}: no network.`,
};

/**
 * The words of network profiles: the status bar's profile menu, the network question, the
 * Profiles view and its networks table (English; counts and times come formatted). The no-app
 * action's words come from the contract (no-app-action.ts), as in the Settings view.
 */
export const PROFILES = {
  title: 'Profiles',
  subtitle:
    'A profile is a set of rules and defaults for a kind of network. Each network you join gets one; its rules apply on top of the rules that are always on.',

  /** The status bar. */
  menu: 'Network profile',
  /** Before the bold profile name: "Profile: Home". */
  prefix: 'Profile:',
  badges: {
    pinned: 'pinned',
    unknownNetwork: 'unknown network',
    identifying: 'identifying network',
    offline: 'offline',
  },
  /** The menu's pin item: "Pin Home" keeps Home on every network. */
  pin: (name: string) => `Pin ${name}`,
  followNetwork: 'Follow network',
  /** Why the active profile is the one it is (the status bar's tooltip). */
  reasons: REASONS,

  /** The network question (components/NetworkQuestion.tsx). */
  question: {
    label: 'New network',
    /** "You joined ‘Café Wi-Fi’. Treat it as:" */
    joined: (network: string) => `You joined ‘${network}’. Treat it as:`,
    untilAnswered: (strictest: string) => `Until you answer, the strictest profile (${strictest}) applies.`,
    whileChosen: (chosen: string) =>
      `${chosen} stays active as you chose it; your answer applies when you follow the network again.`,
  },

  modes: {
    ask: 'Ask',
    'allow-all': 'Allow all',
    'block-all': 'Block all',
  } satisfies Readonly<Record<ProfileMode, string>>,
  builtIn: 'Built-in',
  active: 'Active',
  columns: {
    name: 'Name',
    mode: 'Mode',
    noAppAction: 'While ZenithFence is closed',
    rules: 'Rules',
    networks: 'Networks',
    actions: 'Actions',
  },
  /** The accessible names of a profile row's controls ("Mode of Work"). */
  modeOf: (name: string) => `Mode of ${name}`,
  noAppActionOf: (name: string) => `While ZenithFence is closed, ${name}`,
  nameOf: (name: string) => `Name of ${name}`,
  rename: (name: string) => `Rename ${name}`,
  remove: (name: string) => `Delete ${name}`,
  save: 'Save',
  cancel: 'Cancel',
  /** The confirmation asked before a profile goes; `rules` is already "N rule(s)". */
  confirmDelete: {
    question: (name: string, rules: string) =>
      `Delete ${name} and its ${rules}? The networks that have it will be asked about again.`,
    confirm: 'Delete profile and its rules',
    cancel: 'Cancel',
  },
  deleted: (name: string, rules: string) => `Deleted ${name} and its ${rules}.`,

  /** Adding a profile. */
  newName: 'New profile name',
  newNamePlaceholder: 'Café, Hotel, Mobile hotspot…',
  add: 'Add profile',
  errors: {
    empty: 'A profile needs a name.',
    tooLong: 'A profile name is at most 64 characters.',
    control: 'A profile name holds no control characters.',
    taken: (name: string) => `There is a profile named ${name} already.`,
    tooMany: (max: string) => `You can keep at most ${max} profiles.`,
  },

  /** The known networks. */
  networks: {
    title: 'Known networks',
    hint: 'The networks this computer has been on. A network is told apart by its gateway’s hardware address where known.',
    empty: 'No network yet.',
    columns: {
      network: 'Network',
      interface: 'Interface',
      gateway: 'Gateway',
      mac: 'Gateway MAC',
      dnsSuffix: 'DNS suffix',
      ssid: 'Wi-Fi',
      vpn: 'VPN',
      lastSeen: 'Last seen',
      profile: 'Profile',
      actions: 'Actions',
    },
    current: 'Current',
    vpnUp: 'On',
    vpnDown: 'Off',
    notSet: 'Not set (asked)',
    profileOf: (network: string) => `Profile for ${network}`,
    forget: (network: string) => `Forget ${network}`,
    forgetLabel: 'Forget',
  },

  /** A rule's profile ("Always" when it has none), and one the engine no longer knows. */
  always: 'Always',
  unknownProfile: (id: string) => `Unknown profile (${id})`,
  networkCount: { one: (n) => `${n} network`, other: (n) => `${n} networks` } satisfies PluralText,
} as const;
