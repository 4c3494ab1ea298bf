import { Resolver } from 'node:dns/promises';

/** Reverse lookups give up after this long: a name is a nicety, never worth a stall. */
const LOOKUP_TIMEOUT_MS = 2000;

/** PTR names of an address through the system's resolver; no names when it fails. */
export function reverseLookupWithTimeout(): (ip: string) => Promise<readonly string[]> {
  const resolver = new Resolver({ timeout: LOOKUP_TIMEOUT_MS, tries: 1 });
  return (ip) => resolver.reverse(ip).catch(() => []);
}
