import type { LearningStatus, Proposal, ProposalGroup } from '../../../app/contract/learning.ts';
import type { Profile, ProfileStatus } from '../../../app/contract/profiles.ts';
import type { ConnectionRow, PromptView } from '../../../app/contract/views.ts';

/** Builders for the unit tests. */
export function row(id: number, patch: Partial<ConnectionRow> = {}): ConnectionRow {
  return {
    id,
    protocol: 6,
    localIp: '10.0.0.1',
    localPort: 40000 + id,
    remoteIp: '10.0.0.2',
    remotePort: 443,
    direction: 'outbound',
    pid: 100 + id,
    uid: null,
    appPath: '/usr/bin/curl',
    app: '/usr/bin/curl',
    host: null,
    verdict: 'accept',
    ruleId: null,
    byPolicy: false,
    bytesSent: 0,
    bytesReceived: 0,
    startedAt: 1000 + id,
    endedAt: null,
    endUnseen: false,
    ...patch,
  };
}

export function prompt(id: string, patch: Partial<PromptView> = {}): PromptView {
  return {
    id,
    app: '/usr/bin/curl',
    appPath: '/usr/bin/curl',
    pids: [4242],
    uid: 1000,
    direction: 'outbound',
    protocol: 6,
    remoteIp: '93.184.216.34',
    host: 'example.org',
    remotePort: 443,
    count: 1,
    held: 1,
    firstSeenAt: 1000,
    lastSeenAt: 1000,
    holdDeadline: 31_000,
    expiresAt: 600_000,
    domainChoices: ['example.org'],
    ...patch,
  };
}

/** A profile: a built-in for the ids home, public and work, else one the user added. */
export function profile(id: string, name: string, patch: Partial<Profile> = {}): Profile {
  return { id, name, mode: 'ask', noAppAction: 'block', builtIn: ['home', 'public', 'work'].includes(id), ...patch };
}

/** Home, given to the network the machine is on. */
export function profileStatus(patch: Partial<ProfileStatus> = {}): ProfileStatus {
  return {
    active: profile('home', 'Home'),
    reason: 'network',
    pinned: false,
    network: {
      key: 'aa:bb:cc:dd:ee:ff',
      label: 'Home Wi-Fi',
      facts: {
        epoch: 1,
        hasDefaultRoute: true,
        interfaceName: 'wlan0',
        interfaceIndex: 3,
        gatewayIp: '192.168.1.1',
        gatewayMac: 'aa:bb:cc:dd:ee:ff',
        dnsSuffix: 'lan',
        ssid: 'Home Wi-Fi',
        vpnUp: false,
      },
    },
    question: null,
    ...patch,
  };
}

/** Learning off, nothing waiting. */
export function learningStatus(patch: Partial<LearningStatus> = {}): LearningStatus {
  return { until: null, apps: [], alwaysAsk: [], proposals: 0, overflow: 0, ...patch };
}

/** A proposal of curl to `host`:443 over TCP, as learning makes it (allow, forever). */
export function proposal(id: string, host: string, patch: Partial<Proposal> = {}): Proposal {
  return {
    id,
    rule: {
      app: { kind: 'path', path: '/usr/bin/curl' },
      destination: { kind: 'host', name: host },
      port: { kind: 'port', port: 443 },
      protocol: 6,
      direction: 'outbound',
      action: 'allow',
      duration: { kind: 'forever' },
      enabled: true,
      notes: 'learned',
      profile: null,
    },
    connections: 1,
    firstAt: 1000,
    lastAt: 1000,
    ...patch,
  };
}

/** An app's proposals. */
export function proposalGroup(appPath: string, proposals: readonly Proposal[]): ProposalGroup {
  return { appPath, app: appPath.split('/').pop() ?? appPath, proposals };
}
