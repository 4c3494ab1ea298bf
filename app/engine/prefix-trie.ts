import { maskBytes, type Network } from './address-match.ts';

/**
 * Values filed under networks of one address family (4 or 16 bytes), found by address: a
 * path-compressed binary trie (a node only where networks branch or a value sits), so a lookup
 * walks at most the address's bit length, usually far fewer nodes, whatever the number of
 * networks, and memory stays proportional to the number of networks.
 */
interface TrieNode<T> {
  /** The node's network, masked to `prefix` bits. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** Values filed under exactly this network; null for a pure branch point. */
  values: T[] | null;
  zero: TrieNode<T> | null;
  one: TrieNode<T> | null;
}

export class PrefixTrie<T> {
  readonly #root: TrieNode<T>;
  readonly #bits: number;

  constructor(width: 4 | 16) {
    this.#bits = width * 8;
    this.#root = node(new Uint8Array(width), 0, null);
  }

  /** Files `value` under `network` (its bytes masked to its prefix, as parseCidr returns it). */
  add(network: Network, value: T): void {
    if (network.bytes.length * 8 !== this.#bits) throw new RangeError('network of the wrong address family');
    let at = this.#root;
    for (;;) {
      if (at.prefix === network.prefix) {
        (at.values ??= []).push(value);
        return;
      }
      const bit = bitAt(network.bytes, at.prefix);
      const child = bit === 0 ? at.zero : at.one;
      if (child === null) {
        setChild(at, bit, node(network.bytes, network.prefix, [value]));
        return;
      }
      const common = commonBits(child.bytes, network.bytes, Math.min(child.prefix, network.prefix), at.prefix);
      if (common === child.prefix) {
        at = child; // the child's network contains the new one: go down
        continue;
      }
      // The two networks part at bit `common`: a node there holds both (the new network
      // itself when it is that short, else a branch point).
      const leaf = node(network.bytes, network.prefix, [value]);
      const mid = common === network.prefix ? leaf : node(maskBytes(network.bytes, common), common, null);
      setChild(mid, bitAt(child.bytes, common), child);
      if (mid !== leaf) setChild(mid, bitAt(network.bytes, common), leaf);
      setChild(at, bit, mid);
      return;
    }
  }

  /** The value lists of every network containing `address` (same family), longest prefix first. */
  containing(address: Uint8Array): T[][] {
    const found: T[][] = [];
    if (address.length * 8 !== this.#bits) return found;
    let at: TrieNode<T> | null = this.#root;
    while (at !== null) {
      if (at.values !== null) found.push(at.values);
      if (at.prefix >= this.#bits) break;
      const child: TrieNode<T> | null = bitAt(address, at.prefix) === 0 ? at.zero : at.one;
      // The bits above `at.prefix` matched on the way down: compare from there.
      at = child !== null && commonBits(child.bytes, address, child.prefix, at.prefix) === child.prefix ? child : null;
    }
    return found.reverse();
  }

  /** Every value list (to sort them once after filling). */
  *lists(): Generator<T[]> {
    const stack: TrieNode<T>[] = [this.#root];
    for (let at = stack.pop(); at !== undefined; at = stack.pop()) {
      if (at.values !== null) yield at.values;
      if (at.zero !== null) stack.push(at.zero);
      if (at.one !== null) stack.push(at.one);
    }
  }
}

function node<T>(bytes: Uint8Array, prefix: number, values: T[] | null): TrieNode<T> {
  return { bytes, prefix, values, zero: null, one: null };
}

function setChild<T>(parent: TrieNode<T>, bit: number, child: TrieNode<T>): void {
  if (bit === 0) parent.zero = child;
  else parent.one = child;
}

/** Bit `i` of `bytes`, counting from the most significant bit of the first byte. */
function bitAt(bytes: Uint8Array, i: number): number {
  return ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;
}

/** How many leading bits `a` and `b` share, up to `limit`, given that the first `known` are equal. */
function commonBits(a: Uint8Array, b: Uint8Array, limit: number, known = 0): number {
  let i = known & ~7; // whole bytes from here on
  while (i + 8 <= limit && a[i >> 3] === b[i >> 3]) i += 8;
  if (i >= limit) return limit;
  // The byte at i differs (or runs past the limit): its equal leading bits, from the XOR.
  const differing = ((a[i >> 3] ?? 0) ^ (b[i >> 3] ?? 0)) & 0xff;
  return Math.min(limit, i + (differing === 0 ? 8 : Math.clz32(differing) - 24));
}
