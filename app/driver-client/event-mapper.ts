import type { Command, DecodeResult, Verdict } from '../../native/src/index.ts';
import { VERDICT } from '../../native/src/index.ts';
import type { DriverEvent, DriverVerdict, FlowTuple, ProcessInfo } from '../contract/driver-events.ts';
import { addressText } from './address-text.ts';
import { policyStateReport, ruleVerdictOf } from './policy-infos.ts';

/**
 * Turns one decoded protocol info into the engine's driver event, keeping nothing: a Process
 * info becomes a `process` event, and the engine's process directory is what remembers it for
 * the connections that name its pid (app/engine/app-identity.ts). Infos the engine does not need
 * (hello replies, counters, decode problems) map to nothing here; the driver client handles
 * them itself.
 */
export function driverEventOf(info: DecodeResult): DriverEvent | null {
  switch (info.kind) {
    case 'process':
      return { kind: 'process', process: processOf(info) };
    case 'connection':
      return {
        kind: 'connection',
        requestId: info.id,
        direction: info.direction === 1 ? 'inbound' : 'outbound',
        flow: flowOf(info),
        ipVersion: info.ipVersion,
        pid: Number(info.processId),
        process: null,
      };
    case 'ruleDecided': {
      // Decided by a policy rule in the driver: a connection row, nothing to answer.
      const verdict = ruleVerdictOf(info.verdict);
      if (verdict === null) return null;
      return {
        kind: 'rule-decided',
        direction: info.direction === 1 ? 'inbound' : 'outbound',
        flow: flowOf(info),
        ipVersion: info.ipVersion,
        pid: Number(info.processId),
        process: null,
        verdict,
        generation: info.generation,
        ruleTag: info.ruleTag,
      };
    }
    case 'policyState':
      return policyStateReport(info);
    case 'connectionEnd':
      return {
        kind: 'connection-ended',
        direction: info.direction === 1 ? 'inbound' : 'outbound',
        flow: flowOf(info),
        pid: Number(info.processId),
      };
    case 'dnsName':
      return { kind: 'dns', name: info.name, address: addressText('dnsName.ip', info.ip), ttlSeconds: info.ttlSeconds };
    case 'dnsExchange':
      return {
        kind: 'dns-exchange',
        pid: Number(info.processId),
        // Lower case as the protocol says; again here, since names compare as DNS compares them.
        name: info.name.toLowerCase(),
        qtype: info.qtype,
        rcode: info.rcode,
        addresses: [
          ...info.v4Addresses.map((ip) => addressText('dnsExchange.v4Addresses', ip)),
          ...info.v6Addresses.map((ip) => addressText('dnsExchange.v6Addresses', ip)),
        ],
        ttlSeconds: info.ttlSeconds,
        query: {
          protocol: UDP,
          localIp: addressText('dnsExchange.localIp', info.localIp),
          localPort: info.localPort,
          remoteIp: addressText('dnsExchange.resolverIp', info.resolverIp),
          remotePort: info.resolverPort,
        },
      };
    case 'bandwidthStats':
      return {
        kind: 'bandwidth',
        samples: info.entries.map((entry) => ({
          flow: { ...flowOf(entry), protocol: info.protocol },
          transmitted: entry.transmitted,
          received: entry.received,
        })),
      };
    case 'log':
      return { kind: 'log', severity: info.severity, message: info.text };
    default:
      return null;
  }
}

/** Queries the driver reads are UDP (it reads no DNS over TCP). */
const UDP = 17;

function processOf(info: Extract<DecodeResult, { kind: 'process' }>): ProcessInfo {
  return {
    pid: Number(info.processId),
    startTime: info.startTime,
    uid: info.uid === 0xffffffff ? null : info.uid,
    path: info.path,
    commandLine: info.commandLine,
  };
}

interface Tupled {
  readonly protocol?: number;
  readonly localIp: Uint8Array;
  readonly localPort: number;
  readonly remoteIp: Uint8Array;
  readonly remotePort: number;
}

function flowOf(info: Tupled): FlowTuple {
  return {
    protocol: info.protocol ?? 0,
    localIp: addressText('localIp', info.localIp),
    localPort: info.localPort,
    remoteIp: addressText('remoteIp', info.remoteIp),
    remotePort: info.remotePort,
  };
}

const VERDICT_OF: Readonly<Record<DriverVerdict, Verdict>> = {
  accept: VERDICT.accept,
  'permanent-accept': VERDICT.permanentAccept,
  block: VERDICT.block,
  'permanent-block': VERDICT.permanentBlock,
  drop: VERDICT.drop,
  'permanent-drop': VERDICT.permanentDrop,
};

/** The Verdict command answering `requestId`. */
export function verdictCommand(requestId: bigint, verdict: DriverVerdict): Command {
  return { kind: 'verdict', id: requestId, verdict: VERDICT_OF[verdict] };
}
