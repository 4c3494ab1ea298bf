import type { CompiledRule } from './compiled-rule.ts';
import { parentDomains } from './host-name.ts';
import { comparePrecedence } from './precedence.ts';
import { PrefixTrie } from './prefix-trie.ts';
import { type ConnectionFacts, matchesRule } from './rule-matcher.ts';

/**
 * Finds the winning rule for a connection without scanning every rule: rules are bucketed by
 * app (one bucket per path, one for any app), and inside a bucket by exact ip, exact host,
 * domain suffix and cidr network (a prefix trie per address family, so a lookup costs at most
 * the address's bit length, not the number of cidr rules); the rest (lan, localhost, any) is
 * one list. Every list is sorted by precedence, so the first match in a list is that list's
 * best; the best of those wins.
 *
 * Since a path rule always beats an any-app rule (precedence step 1), the any-app bucket is
 * consulted only when the app's own bucket has no match.
 */
export class RuleIndex {
  readonly #byApp = new Map<string, Bucket>();
  readonly #anyApp = new Bucket();

  /** Indexes the enabled rules of `rules`. */
  constructor(rules: Iterable<CompiledRule>) {
    for (const compiled of rules) {
      if (!compiled.rule.enabled) continue;
      let bucket = this.#anyApp;
      if (compiled.appKey !== null) {
        bucket = this.#byApp.get(compiled.appKey) ?? new Bucket();
        this.#byApp.set(compiled.appKey, bucket);
      }
      bucket.add(compiled);
    }
    this.#anyApp.sort();
    for (const bucket of this.#byApp.values()) bucket.sort();
  }

  /** The rule that decides the connection at `now`, or null when none matches. */
  bestMatch(facts: ConnectionFacts, now: number): CompiledRule | null {
    const own = facts.appKey === '' ? undefined : this.#byApp.get(facts.appKey);
    return own?.bestMatch(facts, now) ?? this.#anyApp.bestMatch(facts, now);
  }
}

function better(a: CompiledRule | null, b: CompiledRule | null): CompiledRule | null {
  if (a === null) return b;
  if (b === null) return a;
  return precedes(a, b) ? a : b;
}

function precedes(a: CompiledRule, b: CompiledRule): boolean {
  return comparePrecedence(a.rule, b.rule, a.rank, b.rank) <= 0;
}

/**
 * The better of `best` and the first match in `list` (sorted by precedence): the scan stops
 * as soon as the list's rules rank below `best`, since nothing after them can win.
 */
function improve(
  best: CompiledRule | null,
  list: readonly CompiledRule[] | undefined,
  facts: ConnectionFacts,
  now: number,
): CompiledRule | null {
  if (list === undefined) return best;
  for (const compiled of list) {
    if (best !== null && precedes(best, compiled)) return best;
    if (matchesRule(compiled, facts, now)) return better(best, compiled);
  }
  return best;
}

class Bucket {
  readonly ip = new Map<string, CompiledRule[]>();
  readonly host = new Map<string, CompiledRule[]>();
  readonly domain = new Map<string, CompiledRule[]>();
  readonly v4 = new PrefixTrie<CompiledRule>(4);
  readonly v6 = new PrefixTrie<CompiledRule>(16);
  readonly rest: CompiledRule[] = [];

  add(compiled: CompiledRule): void {
    const d = compiled.destination;
    if (d.kind === 'ip') push(this.ip, d.address, compiled);
    else if (d.kind === 'host') push(this.host, d.name, compiled);
    else if (d.kind === 'domain') push(this.domain, d.suffix, compiled);
    else if (d.kind === 'cidr') (d.network.bytes.length === 4 ? this.v4 : this.v6).add(d.network, compiled);
    else this.rest.push(compiled);
  }

  sort(): void {
    const byPrecedence = (a: CompiledRule, b: CompiledRule) => comparePrecedence(a.rule, b.rule, a.rank, b.rank);
    for (const map of [this.ip, this.host, this.domain]) for (const list of map.values()) list.sort(byPrecedence);
    for (const trie of [this.v4, this.v6]) for (const list of trie.lists()) list.sort(byPrecedence);
    this.rest.sort(byPrecedence);
  }

  bestMatch(facts: ConnectionFacts, now: number): CompiledRule | null {
    let best = improve(null, this.ip.get(facts.remoteIp), facts, now);
    for (const name of facts.hostNames) {
      best = improve(best, this.host.get(name), facts, now);
      if (this.domain.size === 0) continue;
      for (const parent of parentDomains(name)) best = improve(best, this.domain.get(parent), facts, now);
    }
    const address = facts.remoteBytes;
    if (address !== null) {
      // Longest prefix first: once one matches, the shorter ones rank below it and stop at once.
      const trie = address.length === 4 ? this.v4 : this.v6;
      for (const list of trie.containing(address)) best = improve(best, list, facts, now);
    }
    return improve(best, this.rest, facts, now);
  }
}

function push(map: Map<string, CompiledRule[]>, key: string, compiled: CompiledRule): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [compiled]);
  else list.push(compiled);
}
