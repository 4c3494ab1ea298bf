// Random valid policy documents for the policy tests: every field often at an edge value, and every
// value in the form the decoder gives it back (canonical address text), so a round trip is equal.
import {
  DESTINATION_KINDS,
  MAX_APP_PATH_LENGTH,
  MAX_POLICY_NAME_LENGTH,
  MAX_POLICY_TIME,
  POLICY_ACTIONS,
  POLICY_DIRECTIONS,
} from '../../src/codec/policy-format.ts';
import type {
  BlockedNetwork,
  NoAppAction,
  PolicyBlocklist,
  PolicyDestination,
  PolicyDocument,
  PolicyRule,
} from '../../src/codec/policy-types.ts';
import type { Random } from './test-random.ts';

// Path characters of 1 to 4 UTF-8 bytes, capitals, a space, a BOM and a NUL: paths are any text.
const PATH_CHARS = ['/', 'a', 'Z', ' ', '.', 'é', '✓', '日', '😀', '\ufeff', '\0'];
// Name characters: no ASCII capital; non-ASCII is allowed (the format checks bytes, not IDNA).
const NAME_CHARS = ['a', 'z', '0', '-', '_', '.', 'é', 'ß'];

/** A random address of the family, with zero runs and mapped addresses for IPv6. */
export function randomAddressBytes(random: Random, v6: boolean): Uint8Array {
  if (!v6) return random.bytes(4);
  const bytes = random.bytes(16);
  for (let g = 0; g < 8; g++) if (random.chance(0.5)) bytes.fill(0, 2 * g, 2 * g + 2);
  if (random.chance(0.1)) bytes.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  return bytes;
}

// The UTF-8 size of each palette character, so building a long text encodes nothing.
const UTF8_SIZE = new Map([...PATH_CHARS, ...NAME_CHARS].map((char) => [char, new TextEncoder().encode(char).length]));

function textOf(random: Random, chars: readonly string[], maxBytes: number): string {
  const pieces: string[] = [];
  let bytes = 0;
  const target = random.chance(0.1) ? maxBytes : 1 + random.int(Math.min(maxBytes, 40));
  while (bytes < target) {
    const char = random.pick(chars);
    const size = UTF8_SIZE.get(char) ?? 1;
    // Where a character would pass the target, a one-byte one fills in, so edge lengths are hit.
    const fits = bytes + size <= target;
    pieces.push(fits ? char : (chars[0] ?? 'a'));
    bytes += fits ? size : 1;
  }
  return pieces.join('');
}

function randomName(random: Random): string {
  const name = textOf(random, NAME_CHARS, MAX_POLICY_NAME_LENGTH);
  // No trailing dot: swap it for a letter.
  return name.endsWith('.') ? `${name.slice(0, -1)}a` : name;
}

function randomDestination(random: Random): PolicyDestination {
  const kind = random.pick(DESTINATION_KINDS);
  const v6 = random.chance(0.5);
  switch (kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      return { kind };
    case 'ip':
      return { kind, ip: randomAddressBytes(random, v6) };
    case 'cidr':
      return { kind, ...randomNetwork(random, v6) };
    case 'host':
      return { kind, name: randomName(random) };
    case 'domain':
      return { kind, suffix: randomName(random) };
  }
}

/** A random network of the family with its host bits cleared, often of prefix 0 or the whole address. */
function randomNetwork(random: Random, v6: boolean): BlockedNetwork {
  const network = randomAddressBytes(random, v6);
  const prefix = random.chance(0.2) ? random.pick([0, network.length * 8]) : random.int(network.length * 8 + 1);
  for (let i = 0; i < network.length; i++) {
    const kept = Math.min(8, Math.max(0, prefix - 8 * i));
    network[i] = (network[i] ?? 0) & ~(0xff >> kept);
  }
  return { ip: network, prefix };
}

/** A random blocklist that lists something (names, networks or both, a few of each, maybe twice). */
export function randomBlocklist(random: Random): PolicyBlocklist {
  const names = Array.from({ length: random.int(4) }, () => randomName(random));
  const networks = Array.from({ length: random.int(4) }, () => randomNetwork(random, random.chance(0.5)));
  if (names.length === 0 && networks.length === 0) names.push(randomName(random));
  if (random.chance(0.1) && names[0] !== undefined) names.push(names[0]);
  return { names, networks };
}

function randomTime(random: Random, min: number): number {
  if (random.chance(0.2)) return random.pick([min, MAX_POLICY_TIME]);
  return min + Math.floor(random.next() * (MAX_POLICY_TIME - min));
}

/** A random valid rule with the given tag. */
export function randomPolicyRule(random: Random, tag: number): PolicyRule {
  const portFrom = random.uint(16);
  const portTo = random.chance(0.3) ? portFrom : portFrom + random.int(65536 - portFrom);
  return {
    tag,
    action: random.pick(POLICY_ACTIONS),
    appDecides: random.chance(0.3),
    direction: random.pick(POLICY_DIRECTIONS),
    protocol: random.chance(0.3) ? null : random.uint(8),
    portFrom,
    portTo,
    updatedAt: randomTime(random, 0),
    expiresAt: random.chance(0.5) ? null : randomTime(random, 1),
    appPath: random.chance(0.3) ? null : textOf(random, PATH_CHARS, MAX_APP_PATH_LENGTH),
    destination: randomDestination(random),
  };
}

/** `count` distinct random tags, often including 0 and the largest u32. */
export function randomTags(random: Random, count: number): number[] {
  const tags = new Set<number>();
  if (count > 0 && random.chance(0.3)) tags.add(0);
  if (count > 1 && random.chance(0.3)) tags.add(0xffffffff);
  while (tags.size < count) tags.add(random.uint(32));
  return [...tags];
}

/** A random valid document of `count` rules; a third of them with a blocklist section. */
export function randomPolicyDocument(random: Random, count: number): PolicyDocument {
  const doc: PolicyDocument = {
    generation: random.chance(0.1) ? 1n : random.u64() || 1n,
    caseInsensitivePaths: random.chance(0.5),
    noAppAction: random.pick<NoAppAction>(['accept', 'block', 'drop']),
    rules: randomTags(random, count).map((tag) => randomPolicyRule(random, tag)),
  };
  // Absent rather than empty: a decoded document without a section has no blocklist field.
  return random.chance(1 / 3) ? { ...doc, blocklist: randomBlocklist(random) } : doc;
}
