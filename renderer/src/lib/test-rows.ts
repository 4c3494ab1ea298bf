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
