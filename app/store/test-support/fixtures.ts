import type { DnsLogEntry } from '../../contract/dns-log.ts';
import type { RuleInput } from '../../contract/rules.ts';
import type { HistoryEntry } from '../history-entry.ts';

/** A valid rule input; override what the test is about. */
export function ruleInput(overrides: Partial<RuleInput> = {}): RuleInput {
  return {
    app: { kind: 'path', path: '/usr/bin/curl' },
    destination: { kind: 'host', name: 'example.com' },
    port: { kind: 'port', port: 443 },
    protocol: 6,
    direction: 'outbound',
    action: 'allow',
    duration: { kind: 'forever' },
    enabled: true,
    notes: '',
    ...overrides,
  };
}

/** A valid history row; override what the test is about. */
export function historyRow(id: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id,
    startedAt: 1_000,
    endedAt: null,
    pid: 4242,
    appPath: '/usr/bin/curl',
    uid: 1000,
    direction: 'outbound',
    protocol: 6,
    localIp: '192.168.1.10',
    localPort: 50_000,
    remoteIp: '93.184.216.34',
    remotePort: 443,
    host: 'example.com',
    verdict: 'allow',
    ruleId: null,
    bytesSent: 0,
    bytesReceived: 0,
    ...overrides,
  };
}

/** A valid DNS log answer (an A record of example.com for curl); override what the test is about. */
export function dnsAnswer(overrides: Partial<DnsLogEntry> = {}): DnsLogEntry {
  return {
    at: 1_000,
    pid: 4242,
    appPath: '/usr/bin/curl',
    uid: 1000,
    name: 'example.com',
    qtype: 1,
    rcode: 0,
    addresses: ['93.184.216.34'],
    ttlSeconds: 300,
    resolver: '127.0.0.53',
    ...overrides,
  };
}
