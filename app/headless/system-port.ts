import { existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import type { SystemPort } from '../runtime/runtime.ts';

/** Reverse lookups give up after this long: a name is a nicety, never worth a stall. */
const LOOKUP_TIMEOUT_MS = 2000;

/** The Linux system port: /proc for process liveness, the system resolver for PTR names. */
export function linuxSystemPort(): SystemPort {
  const resolver = new Resolver({ timeout: LOOKUP_TIMEOUT_MS, tries: 1 });
  return {
    processAlive: (pid) => existsSync(`/proc/${String(pid)}`),
    reverseLookup: (ip) => resolver.reverse(ip).catch(() => []),
  };
}
