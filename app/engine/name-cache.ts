import { canonicalIp } from '../contract/ip-address.ts';
import { normalizeHost } from './host-name.ts';
import { evictOldest } from './lru.ts';

/**
 * Host names per IP address, from two sources kept apart on purpose:
 * - DNS answers the driver saw: these are what host and domain rules match;
 * - reverse lookups (PTR), asked only when DNS gave no name: display only, because the owner
 *   of an address chooses its PTR name freely ("github.com" is one record away for anybody).
 *
 * Entries are kept at least for their TTL (and at least `minRetentionMs`, since connections
 * outlive short CDN TTLs), at most `maxAddresses` addresses, least recently used evicted.
 * Reverse lookups are requested through a port and answered later (reverseAnswered).
 */
export interface NameCacheOptions {
  readonly maxAddresses: number;
  readonly maxNamesPerAddress: number;
  readonly minRetentionMs: number;
  /** How long a reverse answer (or the lack of one) is trusted. */
  readonly reverseTtlMs: number;
  /** A reverse lookup unanswered this long may be asked again. */
  readonly reverseRetryMs: number;
}

export const DEFAULT_NAME_OPTIONS: NameCacheOptions = {
  maxAddresses: 50_000,
  maxNamesPerAddress: 16,
  minRetentionMs: 5 * 60_000,
  reverseTtlMs: 60 * 60_000,
  reverseRetryMs: 30_000,
};

interface Entry {
  /** DNS names, most recently learned first. */
  names: string[];
  expiries: number[];
  /** The earliest expiry among `names`: until then `names` needs no filtering. */
  earliest: number;
  reverse: readonly string[] | null;
  reverseUntil: number;
  reverseAskedAt: number | null;
}

const NONE: readonly string[] = [];

export class NameCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: NameCacheOptions;

  constructor(options: Partial<NameCacheOptions> = {}) {
    this.#options = { ...DEFAULT_NAME_OPTIONS, ...options };
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Learns `name` for `address` from a DNS answer; returns both normalized (null if invalid). */
  addDns(name: string, address: string, ttlSeconds: number, now: number): { ip: string; host: string } | null {
    const ip = canonicalIp(address);
    const host = normalizeHost(name);
    if (ip === null || host === '') return null;
    const entry = this.#entry(ip, now);
    const keep = Math.max(Math.min(ttlSeconds, 7 * 86_400) * 1000, this.#options.minRetentionMs);
    // New arrays, never in-place edits: callers may still hold the previous names array.
    const others = entry.names.map((n, i) => [n, entry.expiries[i] ?? 0] as const).filter(([n]) => n !== host);
    const kept = [[host, now + keep] as const, ...others].slice(0, this.#options.maxNamesPerAddress);
    entry.names = kept.map(([n]) => n);
    entry.expiries = kept.map(([, e]) => e);
    entry.earliest = Math.min(...entry.expiries);
    return { ip, host };
  }

  /** The DNS names of `ip` (canonical), most recent first. Rules match these. */
  namesFor(ip: string, now: number): readonly string[] {
    const entry = this.#entries.get(ip);
    if (entry === undefined) return NONE;
    this.#entries.delete(ip); // least recently used order: move to the end
    this.#entries.set(ip, entry);
    if (now >= entry.earliest) this.#expire(entry, now);
    return entry.names;
  }

  /** The name to show for `ip`: a DNS name, else a reverse-lookup name, else null. */
  displayName(ip: string, now: number): string | null {
    const dns = this.namesFor(ip, now)[0];
    if (dns !== undefined) return dns;
    const entry = this.#entries.get(ip);
    return entry !== undefined && now < entry.reverseUntil ? (entry.reverse?.[0] ?? null) : null;
  }

  /** True when a reverse lookup of `ip` should be asked now; marks it as asked. */
  wantsReverse(ip: string, now: number): boolean {
    const entry = this.#entry(ip, now);
    if (entry.names.length > 0 || now < entry.reverseUntil) return false;
    if (entry.reverseAskedAt !== null && now - entry.reverseAskedAt < this.#options.reverseRetryMs) return false;
    entry.reverseAskedAt = now;
    return true;
  }

  /** Stores a reverse lookup's names (empty when it found none: that is remembered too). */
  reverseAnswered(ip: string, names: readonly string[], now: number): string | null {
    const entry = this.#entry(ip, now);
    entry.reverse = names.map(normalizeHost).filter((n) => n !== '');
    entry.reverseUntil = now + this.#options.reverseTtlMs;
    entry.reverseAskedAt = null;
    return entry.reverse[0] ?? null;
  }

  /** Drops expired data from up to `budget` of the least recently used addresses. */
  prune(now: number, budget = 1000): void {
    let seen = 0;
    for (const [ip, entry] of this.#entries) {
      if (seen++ >= budget) break;
      if (now >= entry.earliest) this.#expire(entry, now);
      if (entry.names.length === 0 && now >= entry.reverseUntil && entry.reverseAskedAt === null) {
        this.#entries.delete(ip);
      }
    }
  }

  #entry(ip: string, now: number): Entry {
    let entry = this.#entries.get(ip);
    if (entry === undefined) {
      entry = { names: [], expiries: [], earliest: Infinity, reverse: null, reverseUntil: now, reverseAskedAt: null };
      if (this.#entries.size >= this.#options.maxAddresses) evictOldest(this.#entries, this.#options.maxAddresses);
    } else {
      this.#entries.delete(ip);
    }
    this.#entries.set(ip, entry);
    return entry;
  }

  #expire(entry: Entry, now: number): void {
    const keep = entry.expiries.map((e, i) => [e, i] as const).filter(([e]) => now < e);
    entry.names = keep.map(([, i]) => entry.names[i] ?? '');
    entry.expiries = keep.map(([e]) => e);
    entry.earliest = entry.expiries.length === 0 ? Infinity : Math.min(...entry.expiries);
  }
}
