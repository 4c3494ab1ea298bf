/**
 * Host-name helpers. Names compare case-insensitively and ignore one trailing dot, so
 * `Example.COM.` and `example.com` are the same host.
 *
 * A domain wildcard `*.example.com` matches `a.example.com` and `a.b.example.com` but NOT
 * `example.com` itself (as in OpenSnitch and browsers' certificate wildcards): whoever wants
 * both writes a host rule beside it.
 */

/** Lowercase, without a trailing dot. */
export function normalizeHost(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The normalized suffix of a `*.suffix` pattern, or null when it is not one. */
export function domainSuffix(pattern: string): string | null {
  if (!pattern.startsWith('*.')) return null;
  const suffix = normalizeHost(pattern.slice(2));
  return suffix === '' || suffix.includes('*') ? null : suffix;
}

/** True when normalized `name` lies strictly below normalized `suffix`. */
export function isBelowDomain(name: string, suffix: string): boolean {
  return name.length > suffix.length + 1 && name.endsWith(suffix) && name[name.length - suffix.length - 1] === '.';
}

/**
 * Every suffix strictly below which `name` lies, longest first: `a.b.c` gives `b.c`, `c`.
 * These are the keys a domain-rule index is probed with.
 */
export function parentDomains(name: string): string[] {
  const out: string[] = [];
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) out.push(name.slice(dot + 1));
  return out;
}

/** How many labels a normalized name has (`b.example.com` has 3). */
export function labelCount(name: string): number {
  let n = 1;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 46) n++;
  return n;
}
