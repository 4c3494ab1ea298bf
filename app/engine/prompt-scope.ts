import type { Direction } from '../contract/driver-events.ts';
import type { RuleInput } from '../contract/rules.ts';
import { isBelowDomain, normalizeHost, parentDomains } from './host-name.ts';

export type { PromptAnswer, PromptScope } from '../contract/views.ts';
import type { PromptAnswer } from '../contract/views.ts';

/** What a prompt is about: the facts the rule is made from. */
export interface PromptSubject {
  /** '' when unknown: the rule is then for any app, so the 'app' scope is refused. */
  readonly appPath: string;
  readonly direction: Direction;
  readonly protocol: number;
  readonly remoteIp: string;
  /** The host name from DNS, or null when only the address is known. */
  readonly host: string | null;
  readonly remotePort: number;
}

export type ScopeError = 'scope-needs-app' | 'scope-needs-host' | 'domain-not-above-host';

export type ScopeResult =
  { readonly ok: true; readonly input: RuleInput | null } | { readonly ok: false; readonly error: ScopeError };

/** The rule an answer creates (null for 'once'), or why the scope cannot apply to this prompt. */
export function ruleInputForAnswer(subject: PromptSubject, answer: PromptAnswer): ScopeResult {
  const scope = answer.scope;
  if (scope.kind === 'app' && subject.appPath === '') return { ok: false, error: 'scope-needs-app' };
  let destination: RuleInput['destination'] =
    subject.host === null ? { kind: 'ip', address: subject.remoteIp } : { kind: 'host', name: subject.host };
  if (scope.kind === 'app') destination = { kind: 'any' };
  if (scope.kind === 'domain') {
    if (subject.host === null) return { ok: false, error: 'scope-needs-host' };
    const suffix = normalizeHost(scope.suffix);
    if (!isBelowDomain(subject.host, suffix)) return { ok: false, error: 'domain-not-above-host' };
    destination = { kind: 'domain', pattern: `*.${suffix}` };
  }
  if (answer.duration.kind === 'once') return { ok: true, input: null };
  const exact = scope.kind === 'exact';
  return {
    ok: true,
    input: {
      app: subject.appPath === '' ? { kind: 'any' } : { kind: 'path', path: subject.appPath },
      destination,
      port: exact ? { kind: 'port', port: subject.remotePort } : { kind: 'any' },
      protocol: exact ? subject.protocol : 'any',
      direction: subject.direction,
      action: answer.action,
      duration: answer.duration,
      enabled: true,
      notes: '',
    },
  };
}

/**
 * The domain suffixes a prompt can offer for `host`, longest first, without the top-level
 * label: `a.b.example.com` offers `b.example.com` and `example.com`.
 */
export function domainChoices(host: string | null): string[] {
  if (host === null) return [];
  return parentDomains(host).filter((suffix) => suffix.includes('.'));
}
