import type { Destination } from '../contract/destination.ts';
import { ruleHostName } from '../contract/dns-name.ts';
import type { RuleInput } from '../contract/rules.ts';
import { isBelowDomain, normalizeHost, parentDomains } from './host-name.ts';

export type { PromptAnswer, PromptScope } from '../contract/views.ts';
import type { PromptAnswer } from '../contract/views.ts';

/** What a prompt is about: its app and destination, the facts the rule is made from. */
export interface PromptSubject extends Destination {
  /** '' when unknown: only 'once' answers are taken (see ruleInputForAnswer). */
  readonly appPath: string;
}

export type ScopeError = 'scope-needs-app' | 'lasting-needs-app' | 'scope-needs-host' | 'domain-not-above-host';

/** One sentence per refusal, for whoever shows the error to the user. */
export const SCOPE_ERROR_TEXT: Readonly<Record<ScopeError, string>> = {
  'scope-needs-app': 'The app is unknown, so "any destination of this app" would cover every app.',
  'lasting-needs-app':
    'The app is unknown, so a lasting answer would make a rule for every app: answer this connection once.',
  'scope-needs-host': 'No host name is known for this address, so there is no domain to cover.',
  'domain-not-above-host': 'The domain must lie above the host name of the connection.',
};

/** Whether `error` (of an answer) is a scope refusal, with a sentence in SCOPE_ERROR_TEXT. */
export function isScopeError(error: string): error is ScopeError {
  return Object.hasOwn(SCOPE_ERROR_TEXT, error);
}

export type ScopeResult =
  { readonly ok: true; readonly input: RuleInput | null } | { readonly ok: false; readonly error: ScopeError };

/**
 * The rule an answer creates (null for 'once'), or why the scope cannot apply to this prompt.
 *
 * An unknown app (the driver could not tell which program it is: path '') takes 'once' answers
 * only. A rule needs an app to be for, and without one it would be for every app: one click
 * would allow (or block) that destination for every program. No other scope is safe: a uid
 * is not part of a rule, and a pid is reused. Refused, not downgraded to 'once', so that the
 * user who asked for a lasting rule learns that none was made.
 */
export function ruleInputForAnswer(subject: PromptSubject, answer: PromptAnswer): ScopeResult {
  const scope = answer.scope;
  if (scope.kind === 'app' && subject.appPath === '') return { ok: false, error: 'scope-needs-app' };
  if (answer.duration.kind !== 'once' && subject.appPath === '') return { ok: false, error: 'lasting-needs-app' };
  const host = ruleHostName(subject.host);
  let destination: RuleInput['destination'] =
    host === null ? { kind: 'ip', address: subject.remoteIp } : { kind: 'host', name: host };
  if (scope.kind === 'app') destination = { kind: 'any' };
  if (scope.kind === 'domain') {
    if (host === null) return { ok: false, error: 'scope-needs-host' };
    const suffix = normalizeHost(scope.suffix);
    if (!isBelowDomain(host, suffix)) return { ok: false, error: 'domain-not-above-host' };
    destination = { kind: 'domain', pattern: `*.${suffix}` };
  }
  if (answer.duration.kind === 'once') return { ok: true, input: null };
  const exact = scope.kind === 'exact';
  return {
    ok: true,
    input: {
      app: { kind: 'path', path: subject.appPath },
      destination,
      port: exact ? { kind: 'port', port: subject.remotePort } : { kind: 'any' },
      protocol: exact ? subject.protocol : 'any',
      direction: subject.direction,
      action: answer.action,
      duration: answer.duration,
      enabled: true,
      notes: '',
      profile: answer.profile ?? null,
    },
  };
}

/**
 * The domain suffixes a prompt can offer for `host`, longest first, without the top-level
 * label: `a.b.example.com` offers `b.example.com` and `example.com`.
 */
export function domainChoices(host: string | null): string[] {
  const name = ruleHostName(host);
  if (name === null) return [];
  return parentDomains(name).filter((suffix) => suffix.includes('.'));
}
