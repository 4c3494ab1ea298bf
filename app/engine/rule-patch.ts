import type { Rule, RuleInput, RulePatch } from '../contract/rules.ts';

/**
 * The rule a `rules:update` asks for: the patch's fields over the rule's own. A field the patch
 * leaves out (or sends as undefined, which structured clone can carry) keeps the rule's value,
 * so toggling `enabled` never widens a rule's port, protocol or destination. `false` and `''`
 * are values, not gaps. The bookkeeping fields (id, times, hits) are the engine's, not the patch's.
 */
export function patchedRuleInput(rule: Rule, patch: RulePatch): RuleInput {
  return {
    app: patch.app ?? rule.app,
    destination: patch.destination ?? rule.destination,
    port: patch.port ?? rule.port,
    protocol: patch.protocol ?? rule.protocol,
    direction: patch.direction ?? rule.direction,
    action: patch.action ?? rule.action,
    duration: patch.duration ?? rule.duration,
    enabled: patch.enabled ?? rule.enabled,
    notes: patch.notes ?? rule.notes,
    // null is a value here (always on): only an absent field keeps the rule's profile.
    profile: patch.profile === undefined ? rule.profile : patch.profile,
  };
}
