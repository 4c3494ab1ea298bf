import { z } from 'zod';
import type { PolicyStateReport, RuleDecidedReport } from './driver-policy.ts';
import type { NetworkFacts } from './network.ts';

/**
 * What the engine learns from a driver, independent of the wire format: the driver client
 * (app/driver-client) turns decoded protocol infos into these, and the engine consumes only
 * these, so it stays pure and testable with a fake driver. Addresses are canonical strings
 * (IPv4 dotted quad, IPv6 RFC 5952); u64 ids are bigint.
 */

export const DIRECTIONS = ['outbound', 'inbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** IANA protocol numbers the UI names; others are shown by number. */
export const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;

/** The five-tuple of a connection as seen from this host. */
export interface FlowTuple {
  readonly protocol: number;
  readonly localIp: string;
  readonly localPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
}

/** What the driver knows of a process (Linux: path, uid, command line; Windows: pid only). */
export interface ProcessInfo {
  readonly pid: number;
  /** Opaque; differs between two processes that shared a pid. */
  readonly startTime: bigint;
  /** null when unknown. */
  readonly uid: number | null;
  /** Executable path; '' when unknown. */
  readonly path: string;
  readonly commandLine: readonly string[];
}

/**
 * What the driver said of a process, before the first connection naming its pid. A report of
 * pid 0 describes only the connection right after it (as on the wire). The engine's process
 * directory is the one place that remembers these (app/engine/app-identity.ts).
 */
export interface ProcessReport {
  readonly kind: 'process';
  readonly process: ProcessInfo;
}

/** A held packet waiting for a verdict. Answer `requestId` exactly once. */
export interface ConnectionRequest {
  readonly kind: 'connection';
  readonly requestId: bigint;
  readonly direction: Direction;
  readonly flow: FlowTuple;
  readonly ipVersion: 4 | 6;
  /** 0 when unknown. */
  readonly pid: number;
  /**
   * Details of its process when whoever passes the request on has them (the runtime, from the
   * system port); null when the engine is to use what its process directory learned of `pid`.
   */
  readonly process: ProcessInfo | null;
}

export interface ConnectionEnded {
  readonly kind: 'connection-ended';
  readonly direction: Direction;
  readonly flow: FlowTuple;
  readonly pid: number;
}

export interface DnsAnswer {
  readonly kind: 'dns';
  readonly name: string;
  readonly address: string;
  readonly ttlSeconds: number;
}

/**
 * One DNS answer the driver believed, for the DNS log (DnsExchange, Linux only): `query` is the
 * query's UDP flow as this host sent it (local end → the resolver), which names the asking app
 * when the driver could not find its process (`pid` 0).
 */
export interface DnsExchangeReport {
  readonly kind: 'dns-exchange';
  /** 0 when unknown. */
  readonly pid: number;
  readonly name: string;
  readonly qtype: number;
  readonly rcode: number;
  /** Canonical address text, IPv4 first. */
  readonly addresses: readonly string[];
  readonly ttlSeconds: number;
  readonly query: FlowTuple;
}

export interface BandwidthSample {
  readonly flow: FlowTuple;
  readonly transmitted: bigint;
  readonly received: bigint;
}

export interface BandwidthReport {
  readonly kind: 'bandwidth';
  readonly samples: readonly BandwidthSample[];
}

export interface DriverLog {
  readonly kind: 'log';
  readonly severity: number;
  readonly message: string;
}

/**
 * The network the machine is on now (NetworkFacts; on Windows the platform's own watcher): every
 * connection after it in the stream was seen on that network.
 */
export interface NetworkReport {
  readonly kind: 'network';
  readonly facts: NetworkFacts;
}

export type DriverEvent =
  | ProcessReport
  | ConnectionRequest
  | ConnectionEnded
  | DnsAnswer
  | DnsExchangeReport
  | BandwidthReport
  | DriverLog
  | PolicyStateReport
  | RuleDecidedReport
  | NetworkReport;

/** Decisions the engine sends back (the driver client encodes them as protocol verdicts). */
export const DRIVER_VERDICTS = [
  'accept',
  'permanent-accept',
  'block',
  'permanent-block',
  'drop',
  'permanent-drop',
] as const;
export type DriverVerdict = (typeof DRIVER_VERDICTS)[number];
export const driverVerdictSchema = z.enum(DRIVER_VERDICTS);
