import { domainPatternProblem, hostNameProblem } from '../contract/dns-name.ts';
import type { DriverPolicy, DriverPolicyDestination, DriverPolicyRule } from '../contract/driver-policy.ts';
import { formatIp } from '../contract/ip-address.ts';
import type { Rule, RuleAction, RuleDuration } from '../contract/rules.ts';
import type { CompiledDestination, CompiledRule } from './compiled-rule.ts';

/**
 * The rules in force → the policy the driver enforces by itself (driver/protocol/README.md,
 * "Policy"). Pure: the engine calls it with its compiled rules; the driver client encodes the
 * result. What goes in, and why:
 * - enabled rules that have not expired (a disabled rule matches nothing in the engine either);
 * - 'forever' and 'minutes' rules are the driver's own (minutes with their `expiresAt`, which the
 *   driver honours by itself);
 * - 'until-restart' and 'until-app-quits' rules live only while the app runs: they go in marked
 *   "the app decides", so that they still take part in precedence (a connection whose best rule
 *   is one of them is asked about, as the engine would decide it) and count for nothing once no
 *   app is connected (README, "Deciding");
 * - 'once' never becomes a rule (rule-book.ts refuses it); should one ever be in force it is left
 *   out, since it is no decision the driver could repeat;
 * - a host or domain rule whose name only the older check accepted (a label over 63 characters,
 *   app/contract/legacy-destination.ts) can match no DNS name: left out, as is a rule whose
 *   application path is longer than the document's 16 384 bytes (it matches no real program).
 * Tags number the rules in the order of their ids (the engine's string order), so the driver's
 * last tie-break (the smaller tag) is the engine's (the smaller id).
 */

/** The longest application path a policy rule carries, in UTF-8 bytes. */
const MAX_APP_PATH_BYTES = 16_384;

export interface PolicyOptions {
  readonly generation: bigint;
  readonly noAppAction: RuleAction;
  /** Windows: app paths compare case-insensitively; the rules' keys are lowercased already. */
  readonly caseInsensitivePaths: boolean;
  readonly now: number;
}

/** Why a rule in force is not in the policy (it still decides in the engine while the app runs). */
export type LeftOutReason = 'once' | 'legacy-name' | 'path-too-long';

export interface CompiledPolicy {
  readonly policy: DriverPolicy;
  /** The rule id of each tag: tag n is ruleIds[n - 1]. */
  readonly ruleIds: readonly string[];
  /** Enabled rules in force that the driver does not get, and why. */
  readonly leftOut: readonly { readonly id: string; readonly reason: LeftOutReason }[];
}

const APP_DECIDES = new Set<RuleDuration['kind']>(['until-restart', 'until-app-quits']);

/** The policy of `rules` (compiled with `options.caseInsensitivePaths`). */
export function compilePolicy(rules: Iterable<CompiledRule>, options: PolicyOptions): CompiledPolicy {
  const kept: CompiledRule[] = [];
  const leftOut: { id: string; reason: LeftOutReason }[] = [];
  for (const compiled of rules) {
    const rule = compiled.rule;
    if (!rule.enabled || (rule.expiresAt !== null && options.now >= rule.expiresAt)) continue;
    const reason = leftOutReason(compiled);
    if (reason === null) kept.push(compiled);
    else leftOut.push({ id: rule.id, reason });
  }
  // The engine's own id order (precedence.ts compares ids with < too).
  kept.sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0));
  return {
    policy: {
      generation: options.generation,
      noAppAction: options.noAppAction,
      caseInsensitivePaths: options.caseInsensitivePaths,
      rules: kept.map((compiled, index) => policyRule(compiled, index + 1)),
    },
    ruleIds: kept.map((compiled) => compiled.rule.id),
    leftOut,
  };
}

function leftOutReason(compiled: CompiledRule): LeftOutReason | null {
  const rule = compiled.rule;
  if (rule.duration.kind === 'once') return 'once';
  if (isLegacyName(rule.destination)) return 'legacy-name';
  if (compiled.appKey !== null && utf8Length(compiled.appKey) > MAX_APP_PATH_BYTES) return 'path-too-long';
  return null;
}

function isLegacyName(destination: Rule['destination']): boolean {
  if (destination.kind === 'host') return hostNameProblem(destination.name) !== null;
  if (destination.kind === 'domain') return domainPatternProblem(destination.pattern) !== null;
  return false;
}

function policyRule(compiled: CompiledRule, tag: number): DriverPolicyRule {
  const rule = compiled.rule;
  return {
    tag,
    action: rule.action,
    appDecides: APP_DECIDES.has(rule.duration.kind),
    direction: compiled.direction ?? 'any',
    protocol: compiled.protocol,
    portFrom: compiled.portFrom,
    portTo: compiled.portTo,
    updatedAt: rule.updatedAt,
    expiresAt: rule.expiresAt,
    appPath: compiled.appKey,
    destination: policyDestination(compiled.destination),
  };
}

/** Compiled destinations are normalized already: names lowercase without a trailing dot, networks masked. */
function policyDestination(destination: CompiledDestination): DriverPolicyDestination {
  switch (destination.kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      return { kind: destination.kind };
    case 'ip':
      return { kind: 'ip', ip: destination.address };
    case 'cidr':
      return { kind: 'cidr', ip: formatIp(destination.network.bytes), prefix: destination.network.prefix };
    case 'host':
      return { kind: 'host', name: destination.name };
    case 'domain':
      return { kind: 'domain', suffix: destination.suffix };
  }
}

/** The length of `text` in UTF-8 (lone surrogates count as the 3 bytes of U+FFFD). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
