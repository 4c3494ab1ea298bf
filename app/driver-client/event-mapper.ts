import type { Command, DecodeResult, NetworkFactsInfo, Verdict } from '../../native/src/index.ts';
import { NETWORK_FLAG, VERDICT } from '../../native/src/index.ts';
import type { DriverEvent, DriverVerdict, FlowTuple, NetworkReport, ProcessInfo } from '../contract/driver-events.ts';
import { type NetworkFacts, networkFactsSchema } from '../contract/network.ts';
import { addressText } from './address-text.ts';
import { policyStateReport, ruleVerdictOf } from './policy-infos.ts';

/** Told of an info dropped because its event would break the contract (the session's onError). */
export type DroppedReport = (where: string, error: Error) => void;

/**
 * Turns one decoded protocol info into the engine's driver event, keeping nothing: a Process
 * info becomes a `process` event, and the engine's process directory is what remembers it for
 * the connections that name its pid (app/engine/app-identity.ts). Infos the engine does not need
 * (hello replies, counters, decode problems) map to nothing here; the driver client handles
 * them itself. A NetworkFacts whose report fails the contract's schema maps to nothing too, and
 * `dropped` is told why.
 */
export function driverEventOf(info: DecodeResult, dropped?: DroppedReport): DriverEvent | null {
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
    case 'networkFacts':
      return networkReport(info, dropped);
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

// The contract's limits, read from its schema so the two cannot drift apart.
const { interfaceName, dnsSuffix, ssid } = networkFactsSchema.shape;

// Non-fatal: an SSID is raw bytes, often but not always UTF-8; a damaged one still names the network.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * At most `max` UTF-16 units of `text` (the unit zod's max counts), never half a surrogate pair:
 * the wire allows 255 bytes where the contract keeps less.
 */
function clipped(text: string, max: number | null): string {
  if (max === null || text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** Lowercase `aa:bb:cc:dd:ee:ff`, as the contract writes a MAC address. */
function macText(mac: Uint8Array): string {
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** The report of a NetworkFacts info; null (and `dropped` told) when it fails the contract's schema. */
function networkReport(info: NetworkFactsInfo, dropped: DroppedReport | undefined): NetworkReport | null {
  // An all-zero address is a default route without a gateway (a point-to-point link).
  const noGateway = info.ipVersion === 0 || info.gatewayIp.every((byte) => byte === 0);
  const facts: NetworkFacts = {
    epoch: info.epoch,
    hasDefaultRoute: (info.flags & NETWORK_FLAG.defaultRoute) !== 0,
    interfaceName: clipped(info.interfaceName, interfaceName.maxLength),
    interfaceIndex: info.interfaceIndex,
    gatewayIp: noGateway ? null : addressText('networkFacts.gatewayIp', info.gatewayIp),
    gatewayMac: (info.flags & NETWORK_FLAG.gatewayMacKnown) !== 0 ? macText(info.gatewayMac) : null,
    // As the protocol says the driver writes it; again here, since profiles match suffixes as DNS compares names.
    dnsSuffix: clipped(info.dnsSuffix.toLowerCase().replace(/\.$/, ''), dnsSuffix.maxLength),
    ssid: clipped(utf8.decode(info.ssid), ssid.maxLength),
    vpnUp: (info.flags & NETWORK_FLAG.vpnUp) !== 0,
    ...((info.flags & NETWORK_FLAG.gatewayMacPending) !== 0 ? { gatewayMacPending: true } : {}),
  };
  const checked = networkFactsSchema.safeParse(facts);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    dropped?.('network facts', new Error(`NetworkFacts epoch ${String(info.epoch)} was dropped: ${problems}`));
    return null;
  }
  return { kind: 'network', facts: checked.data };
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
