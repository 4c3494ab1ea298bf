import type { DriverEvent, DriverVerdict, FlowTuple, ProcessInfo } from '../contract/driver-events.ts';
import { VERDICT, type Verdict } from '../../native/src/codec/protocol-constants.ts';
import type { Command } from '../../native/src/codec/command-types.ts';
import type { DecodeResult } from '../../native/src/codec/info-types.ts';
import { policyStateReport, ruleVerdictOf } from './policy-infos.ts';

/** Processes remembered for connection infos that name them, at most this many. */
const MAX_PROCESSES = 4096;

/**
 * Turns decoded protocol infos into the engine's driver events. A Process info describes the
 * connection infos that follow with its pid (pid 0: only the very next one), so the mapper keeps
 * the latest details per pid. Infos the engine does not need (hello replies, counters, decode
 * problems) map to nothing here; the driver client handles them itself.
 */
export class EventMapper {
  private readonly processes = new Map<number, ProcessInfo>();
  private unknownProcess: ProcessInfo | null = null;

  map(info: DecodeResult): DriverEvent | null {
    switch (info.kind) {
      case 'process':
        this.remember({
          pid: Number(info.processId),
          startTime: info.startTime,
          uid: info.uid === 0xffffffff ? null : info.uid,
          path: info.path,
          commandLine: info.commandLine,
        });
        return null;
      case 'connection': {
        const pid = Number(info.processId);
        const process = pid === 0 ? this.takeUnknown() : (this.processes.get(pid) ?? null);
        return {
          kind: 'connection',
          requestId: info.id,
          direction: info.direction === 1 ? 'inbound' : 'outbound',
          flow: flowOf(info),
          ipVersion: info.ipVersion,
          pid,
          process,
        };
      }
      case 'ruleDecided': {
        // Decided by a policy rule in the driver: a connection row, nothing to answer.
        const verdict = ruleVerdictOf(info.verdict);
        const pid = Number(info.processId);
        const process = pid === 0 ? this.takeUnknown() : (this.processes.get(pid) ?? null);
        if (verdict === null) return null;
        return {
          kind: 'rule-decided',
          direction: info.direction === 1 ? 'inbound' : 'outbound',
          flow: flowOf(info),
          ipVersion: info.ipVersion,
          pid,
          process,
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
        return { kind: 'dns', name: info.name, address: info.ip, ttlSeconds: info.ttlSeconds };
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

  private remember(process: ProcessInfo): void {
    if (process.pid === 0) {
      this.unknownProcess = process;
      return;
    }
    // Map keeps insertion order: re-inserting moves a pid to the newest end.
    this.processes.delete(process.pid);
    this.processes.set(process.pid, process);
    if (this.processes.size > MAX_PROCESSES) {
      const oldest = this.processes.keys().next();
      if (oldest.done !== true) this.processes.delete(oldest.value);
    }
  }

  private takeUnknown(): ProcessInfo | null {
    const process = this.unknownProcess;
    this.unknownProcess = null;
    return process;
  }
}

interface Tupled {
  readonly protocol?: number;
  readonly localIp: string;
  readonly localPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
}

function flowOf(info: Tupled): FlowTuple {
  return {
    protocol: info.protocol ?? 0,
    localIp: info.localIp,
    localPort: info.localPort,
    remoteIp: info.remoteIp,
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
