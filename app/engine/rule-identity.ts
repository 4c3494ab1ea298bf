import type { CompiledDestination, CompiledRule } from './compiled-rule.ts';

/**
 * When two rules are the same rule, for an import that must not add a rule twice (README.md,
 * "Importing"): they match the same connections the same way for the same time. So the key is
 * made of what matching and precedence read, in its compiled (canonical) form:
 * - the app as compared (case-folded on Windows), the destination as matched (host names
 *   lower-cased without a trailing dot, addresses canonical, networks masked: `10.1.2.3/8` is
 *   `10.0.0.0/8`), the port kind and bounds (one port ranks above a range of one), the
 *   protocol, the direction, the action, whether the rule is enabled and its profile;
 * - the duration kind and, for 'minutes', the instant it ends (`expiresAt`): equal 30-minute
 *   rules of one file are one rule, a 30-minute rule imported again later runs to a later
 *   time and is a new rule.
 * Notes, id, times and hit counts are bookkeeping and do not count.
 */
export function ruleIdentity(compiled: CompiledRule): string {
  const { rule } = compiled;
  return JSON.stringify([
    ...matchParts(compiled),
    rule.action,
    rule.enabled,
    rule.duration.kind,
    rule.duration.kind === 'minutes' ? rule.expiresAt : null,
    rule.profile ?? null,
  ]);
}

function destinationKey(destination: CompiledDestination): string {
  switch (destination.kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      return destination.kind;
    case 'host':
      return `host ${destination.name}`;
    case 'domain':
      return `domain ${destination.suffix}`;
    case 'ip':
      return `ip ${destination.address}`;
    case 'cidr':
      // The byte count tells the family apart (an IPv4-mapped /96+ network is already IPv4).
      return `cidr ${destination.network.bytes.join('.')}/${String(destination.network.prefix)}`;
  }
}

/**
 * What a rule matches, without what it does: two rules with equal keys decide the same
 * connections, so with different actions (or one disabled) they conflict. An import preview
 * marks such a rule (app/runtime, "rules:import-preview").
 */
export function ruleMatchKey(compiled: CompiledRule): string {
  return JSON.stringify(matchParts(compiled));
}

/** What matching reads of a rule, in its compiled form: the first part of both keys. */
function matchParts(compiled: CompiledRule): readonly (string | number | null)[] {
  return [
    compiled.appKey,
    destinationKey(compiled.destination),
    compiled.rule.port.kind,
    compiled.portFrom,
    compiled.portTo,
    compiled.protocol,
    compiled.direction,
  ];
}
