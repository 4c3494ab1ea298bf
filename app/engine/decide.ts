import type { DriverVerdict } from '../contract/driver-events.ts';
import type { Rule, RuleAction } from '../contract/rules.ts';
import type { CompiledRule } from './compiled-rule.ts';
import type { Mode } from './modes.ts';
import type { ConnectionFacts } from './rule-matcher.ts';

/**
 * The decision for one new connection. Why two kinds of verdict (README.md, "Verdicts"):
 * a rule match answers with a PERMANENT verdict, so the driver decides the rest of the flow by
 * itself; a default (a mode, a hold timeout) answers with a plain one, so a rule or answer
 * that comes later still applies when the driver asks about the flow again.
 */
export type Decision =
  | { readonly kind: 'rule'; readonly rule: Rule; readonly verdict: DriverVerdict }
  | { readonly kind: 'list'; readonly list: number; readonly verdict: DriverVerdict }
  | { readonly kind: 'mode'; readonly mode: Mode; readonly verdict: DriverVerdict }
  | { readonly kind: 'ask' };

/**
 * The blocklists in force (app/blocklists): the number of the list that blocks a connection (by
 * one of its DNS names or its address), or -1. Counting the hit is the lookup's business.
 */
export interface BlocklistLookup {
  match(facts: ConnectionFacts): number;
}

/** What decide() needs of the rule set. */
export interface RuleLookup {
  bestMatch(facts: ConnectionFacts, now: number): CompiledRule | null;
  recordHit(ruleId: string, now: number): void;
}

const PERMANENT = { allow: 'permanent-accept', block: 'permanent-block', drop: 'permanent-drop' } as const;
const PLAIN = { allow: 'accept', block: 'block', drop: 'drop' } as const;

/** The verdict for a rule (or a user's answer): the driver keeps it for the flow. */
export function permanentVerdict(action: RuleAction): DriverVerdict {
  return PERMANENT[action];
}

/** The verdict for a default: the driver asks again if the flow sends another new packet. */
export function plainVerdict(action: RuleAction): DriverVerdict {
  return PLAIN[action];
}

/** What an unmatched connection gets in `mode`, or null when it must be asked about. */
export function modeAction(mode: Mode): RuleAction | null {
  if (mode === 'allow-all' || mode === 'pause') return 'allow';
  return mode === 'block-all' ? 'block' : null;
}

/**
 * Decides a new connection: the winning rule (and a hit recorded for it), else a blocklist that
 * lists it (a block), else the mode's default, else 'ask' (the caller holds it and prompts).
 * Precedence (app/blocklists/README.md): a user rule wins over a list, since allowing one thing
 * a list blocks is what people write rules for; a list wins over the mode and over asking; a
 * pause (the firewall off for a while) lets everything through, listed or not.
 */
export function decide(
  facts: ConnectionFacts,
  rules: RuleLookup,
  mode: Mode,
  now: number,
  lists?: BlocklistLookup,
): Decision {
  const match = rules.bestMatch(facts, now);
  if (match !== null) {
    rules.recordHit(match.rule.id, now);
    return { kind: 'rule', rule: match.rule, verdict: permanentVerdict(match.rule.action) };
  }
  if (lists !== undefined && mode !== 'pause') {
    const list = lists.match(facts);
    if (list >= 0) return { kind: 'list', list, verdict: permanentVerdict('block') };
  }
  const action = modeAction(mode);
  return action === null ? { kind: 'ask' } : { kind: 'mode', mode, verdict: plainVerdict(action) };
}
