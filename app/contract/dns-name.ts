/**
 * Host names and domain patterns as rules accept them, by DNS's limits (RFC 1035 §2.3.4): labels
 * of 1–63 characters, at most 253 characters in all (one trailing dot not counted). A name
 * beyond them can never be learned from a DNS answer, so a rule for it would match nothing.
 *
 * Label characters: letters, digits, '_' (service labels like `_tcp`) and inner '-'.
 */

const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/i;
const MAX_LABEL = 63;
/** The longest name DNS can carry, in text, without the trailing dot. */
export const MAX_NAME = 253;

/** Why `name` is not a host name, in one sentence for the user; null when it is one. */
export function hostNameProblem(name: string): string | null {
  const reason = nameReason(name);
  return reason === null ? null : `not a host name: ${reason}`;
}

/**
 * The name a rule for a connection can name: its host name, or null when it has none or has one
 * that is no host name (a DNS answer can name anything, escaped: `\226\128\174…`). Then the
 * rule goes by address: made by that name, the store refused it. The engine makes rules by it,
 * and the prompt names what the rule will name.
 */
export function ruleHostName(host: string | null): string | null {
  return host !== null && hostNameProblem(host) === null ? host : null;
}

function nameReason(name: string): string | null {
  const body = name.endsWith('.') ? name.slice(0, -1) : name;
  if (body.length > MAX_NAME) return `at most ${MAX_NAME} characters in all`;
  for (const label of body.split('.')) {
    if (label === '') return 'no empty labels (no leading dot, no "..")';
    if (label.length > MAX_LABEL) return `each label (the text between dots) has at most ${MAX_LABEL} characters`;
    if (!LABEL.test(label)) return 'labels of letters, digits, "_" and inner "-", joined by dots';
  }
  return null;
}

/**
 * Why `pattern` is not a domain pattern; null when it is one. The one wildcard form: `*.` and a
 * host name, matching every name below it (`*.example.com`). At most 253 characters in all,
 * since every name it matches is at least that long.
 */
export function domainPatternProblem(pattern: string): string | null {
  const usage = 'not a domain pattern: "*." and a host name, like *.example.com';
  if (!pattern.startsWith('*.')) return usage;
  const body = pattern.endsWith('.') ? pattern.slice(0, -1) : pattern;
  if (body.length > MAX_NAME) return `not a domain pattern: at most ${MAX_NAME} characters in all`;
  const reason = nameReason(pattern.slice(2));
  return reason === null ? null : `${usage}; ${reason}`;
}
