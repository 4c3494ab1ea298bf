import type { Direction, DriverVerdict, FlowTuple, ProcessInfo } from './driver-events.ts';
import type { RuleAction } from './rules.ts';

/**
 * The policy the driver enforces by itself (driver/protocol/README.md, "Policy"), independent of
 * the wire format: the engine compiles the rules into a DriverPolicy (app/engine/policy-compiler.ts)
 * and the driver client encodes it as a policy document. Addresses are canonical text, as in
 * driver-events.ts; generations are bigint (u64 on the wire).
 */

/** Where a policy rule's connections go; names lowercase without a trailing dot. */
export type DriverPolicyDestination =
  | { readonly kind: 'any' | 'lan' | 'localhost' }
  | { readonly kind: 'ip'; readonly ip: string }
  /** `ip` is the network address (host bits zero); IPv4 for an IPv4 network. */
  | { readonly kind: 'cidr'; readonly ip: string; readonly prefix: number }
  | { readonly kind: 'host'; readonly name: string }
  /** Matches every name strictly below `suffix` (the rule `*.example.com` has suffix `example.com`). */
  | { readonly kind: 'domain'; readonly suffix: string };

export interface DriverPolicyRule {
  /** Unique in the policy; RuleDecided infos name the rule by it. */
  readonly tag: number;
  readonly action: RuleAction;
  /** A rule that lives only while the app runs: the driver asks the app, or skips it without one. */
  readonly appDecides: boolean;
  readonly direction: Direction | 'any';
  /** null: any protocol. */
  readonly protocol: number | null;
  /** Remote port range, inclusive (0–65535 is any port). */
  readonly portFrom: number;
  readonly portTo: number;
  /** Milliseconds since the epoch: the precedence tie-break. */
  readonly updatedAt: number;
  /** Milliseconds since the epoch; null: never. */
  readonly expiresAt: number | null;
  /** The executable path as compared (lowercased when paths are case-insensitive); null: any app. */
  readonly appPath: string | null;
  readonly destination: DriverPolicyDestination;
}

/**
 * The user's enabled blocklists as the driver applies them while no app is connected (a listed
 * connection no rule decides is blocked for good): names (each with every name below it) and
 * networks (address bytes with host bits zero). Trimmed by the driver client to what a policy
 * document can carry.
 */
export interface DriverPolicyBlocklist {
  readonly names: readonly string[];
  readonly networks: readonly { readonly bytes: Uint8Array; readonly prefix: number }[];
}

/** How much of a policy's blocklist went to the driver: all of it, or the first names that fit. */
export interface PolicyBlocklistSent {
  readonly names: number;
  readonly networks: number;
}

export interface DriverPolicy {
  /** ≥ 1; a larger one is newer. */
  readonly generation: bigint;
  /** What happens to connections no rule decides while no app is connected. */
  readonly noAppAction: RuleAction;
  /** App paths compare case-insensitively (Windows). */
  readonly caseInsensitivePaths: boolean;
  readonly rules: readonly DriverPolicyRule[];
  /** Absent: no lists. */
  readonly blocklist?: DriverPolicyBlocklist;
}

/** Where the policy the driver enforces came from; 'unknown': a value a newer driver sends. */
export type PolicyOrigin = 'none' | 'stored' | 'client' | 'unknown';

/**
 * Why the last document the driver was sent failed, or was kept only in part ('not-saved': it is
 * enforced, but the driver could not store it); 'unknown': a value a newer driver sends.
 */
export type PolicyProblem = 'malformed' | 'bad-checksum' | 'too-large' | 'out-of-order' | 'not-saved' | 'unknown';

/** What the driver enforces now (a PolicyState info). */
export interface PolicyStateReport {
  readonly kind: 'policy-state';
  /** 0n: no policy (the daemon's --detached setting applies to everything). */
  readonly generation: bigint;
  readonly ruleCount: number;
  /** null when the driver sent a value that is no action (it never should). */
  readonly noAppAction: RuleAction | null;
  readonly origin: PolicyOrigin;
  /** null: none. */
  readonly problem: PolicyProblem | null;
  /** The generation `problem` is about; 0n when none. */
  readonly problemGeneration: bigint;
}

/** A new connection the driver decided by a policy rule, without holding it (a RuleDecided info). */
export interface RuleDecidedReport {
  readonly kind: 'rule-decided';
  readonly direction: Direction;
  readonly flow: FlowTuple;
  readonly ipVersion: 4 | 6;
  /** 0 when unknown. */
  readonly pid: number;
  /** The process details the driver sent before this info, if any. */
  readonly process: ProcessInfo | null;
  /** Always a permanent verdict. */
  readonly verdict: DriverVerdict;
  /** The generation of the policy that decided, and the tag of its rule. */
  readonly generation: bigint;
  readonly ruleTag: number;
}
