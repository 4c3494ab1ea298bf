import type { ConnectionRequest, Direction, DriverVerdict, ProcessInfo } from '../contract/driver-events.ts';
import { parseIp } from '../contract/ip-address.ts';
import type { Rule, RuleInput } from '../contract/rules.ts';
import type { RuleRepository, VerdictPort } from './ports.ts';
import type { ConnectionFacts } from './rule-matcher.ts';

/**
 * Builders and fake ports shared by the engine's tests and benchmark (not used in production).
 */

/** A rule with defaults (any app, any destination, outbound, allow, forever) and `fields` over them. */
export function makeRule(fields: Partial<Rule> & { id: string }): Rule {
  return {
    app: { kind: 'any' },
    destination: { kind: 'any' },
    port: { kind: 'any' },
    protocol: 'any',
    direction: 'outbound',
    action: 'allow',
    duration: { kind: 'forever' },
    enabled: true,
    notes: '',
    createdAt: 0,
    updatedAt: 0,
    expiresAt: null,
    hitCount: 0,
    lastHitAt: null,
    ...fields,
  };
}

/** What a user gives for a rule: makeRule's defaults without its bookkeeping, `fields` over them. */
export function makeRuleInput(fields: Partial<RuleInput> = {}): RuleInput {
  const { app, destination, port, protocol, direction, action, duration, enabled, notes } = makeRule({ id: 'x' });
  return { app, destination, port, protocol, direction, action, duration, enabled, notes, ...fields };
}

/** Facts of an outbound TCP connection to `remoteIp`:443 with `fields` over them. */
export function makeFacts(fields: Partial<ConnectionFacts> & { remoteIp?: string } = {}): ConnectionFacts {
  const remoteIp = fields.remoteIp ?? '93.184.216.34';
  return {
    appKey: '/usr/bin/curl',
    direction: 'outbound',
    protocol: 6,
    remotePort: 443,
    hostNames: [],
    ...fields,
    remoteIp,
    remoteBytes: fields.remoteBytes ?? parseIp(remoteIp),
  };
}

export interface RequestSpec {
  readonly id: bigint;
  readonly path?: string;
  readonly pid?: number;
  readonly uid?: number | null;
  readonly remoteIp?: string;
  readonly remotePort?: number;
  readonly localPort?: number;
  readonly protocol?: number;
  readonly direction?: Direction;
}

/** A ConnectionRequest carrying its process details. */
export function makeRequest(spec: RequestSpec): ConnectionRequest {
  const pid = spec.pid ?? 100;
  const remoteIp = spec.remoteIp ?? '93.184.216.34';
  const process: ProcessInfo | null =
    spec.path === undefined
      ? null
      : { pid, startTime: 1n, uid: spec.uid ?? 1000, path: spec.path, commandLine: [spec.path] };
  return {
    kind: 'connection',
    requestId: spec.id,
    direction: spec.direction ?? 'outbound',
    flow: {
      protocol: spec.protocol ?? 6,
      localIp: remoteIp.includes(':') ? '2001:db8::2' : '192.168.1.2',
      localPort: spec.localPort ?? 40000 + Number(spec.id % 20000n),
      remoteIp,
      remotePort: spec.remotePort ?? 443,
    },
    ipVersion: remoteIp.includes(':') ? 6 : 4,
    pid,
    process,
  };
}

/** A VerdictPort that records every verdict. */
export class RecordingVerdicts implements VerdictPort {
  readonly sent: Array<{ requestId: bigint; verdict: DriverVerdict }> = [];

  send(requestId: bigint, verdict: DriverVerdict): void {
    this.sent.push({ requestId, verdict });
  }

  /** The verdicts sent for one request (a correct engine sends exactly one). */
  for(requestId: bigint): DriverVerdict[] {
    return this.sent.filter((s) => s.requestId === requestId).map((s) => s.verdict);
  }
}

/** A RuleRepository in memory. */
export class MemoryRepository implements RuleRepository {
  readonly rules = new Map<string, Rule>();

  save(rule: Rule): void {
    this.rules.set(rule.id, rule);
  }

  remove(id: string): void {
    this.rules.delete(id);
  }
}
