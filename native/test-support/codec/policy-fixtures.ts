// The cross-language policy documents. driver/protocol/testdata/ts_policy.bin is TS_POLICY_FIXTURE
// encoded (native/scripts/gen-testdata.ts), read by the Rust tests; rust_policy.bin is written by
// the Rust side and must decode to RUST_POLICY_FIXTURE (its values mirror
// driver/protocol/tests/support/fixtures.rs, rust_policy()). ts_policy_lists.bin and
// rust_policy_lists.bin are the same pair for documents with a blocklist section
// (rust_policy_lists() and ts_policy_lists() there). Changing either means changing the other
// language's tests and running `npm run protocol:regen`.
import { encodePolicyDocument } from '../../src/codec/policy-encoder.ts';
import type { PolicyBlocklist, PolicyDestination, PolicyDocument, PolicyRule } from '../../src/codec/policy-types.ts';
import { ipv4, ipv6 } from './address-bytes.ts';

/** Repository-relative path of the TypeScript-written policy document. */
export const TS_POLICY_PATH = 'driver/protocol/testdata/ts_policy.bin';

/** Repository-relative path of the Rust-written policy document. */
export const RUST_POLICY_PATH = 'driver/protocol/testdata/rust_policy.bin';

/** Repository-relative path of the TypeScript-written policy document with a blocklist section. */
export const TS_POLICY_LISTS_PATH = 'driver/protocol/testdata/ts_policy_lists.bin';

/** Repository-relative path of the Rust-written policy document with a blocklist section. */
export const RUST_POLICY_LISTS_PATH = 'driver/protocol/testdata/rust_policy_lists.bin';

const BASE: PolicyRule = {
  tag: 1,
  action: 'allow',
  appDecides: false,
  direction: 'outbound',
  protocol: 6,
  portFrom: 443,
  portTo: 443,
  updatedAt: 1_764_850_000_000,
  expiresAt: null,
  appPath: '/usr/bin/curl',
  destination: { kind: 'any' },
};

const rule = (tag: number, destination: PolicyDestination): PolicyRule => ({ ...BASE, tag, destination });

// Every destination kind (ip and cidr in both families), both rule flag values, any and specific
// app, any and specific protocol, an expiry, the largest tag, a non-ASCII path.
const RULES: readonly PolicyRule[] = [
  rule(1, { kind: 'any' }),
  rule(2, { kind: 'lan' }),
  rule(3, { kind: 'localhost' }),
  rule(4, { kind: 'ip', ip: ipv4(198, 51, 100, 7) }),
  rule(5, { kind: 'ip', ip: ipv6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 2) }),
  rule(6, { kind: 'cidr', ip: ipv4(10, 0, 0, 0), prefix: 8 }),
  rule(7, { kind: 'cidr', ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), prefix: 32 }),
  rule(8, { kind: 'host', name: 'api.example.com' }),
  rule(9, { kind: 'domain', suffix: 'example.org' }),
  {
    tag: 10,
    action: 'block',
    appDecides: true,
    direction: 'any',
    protocol: null,
    portFrom: 0,
    portTo: 65535,
    updatedAt: 1,
    expiresAt: 1_900_000_000_000,
    appPath: null,
    destination: { kind: 'any' },
  },
  {
    ...BASE,
    tag: 0xffffffff,
    action: 'drop',
    direction: 'inbound',
    protocol: 17,
    portFrom: 1000,
    portTo: 2000,
    appPath: '/opt/Ünïcode app/bin',
    destination: { kind: 'domain', suffix: 'xn--bcher-kva.example' },
  },
];

/** What rust_policy.bin must decode to. */
export const RUST_POLICY_FIXTURE: PolicyDocument = {
  generation: 1_764_850_000_123n,
  caseInsensitivePaths: true,
  noAppAction: 'drop',
  rules: RULES,
};

/**
 * What ts_policy.bin holds: the same rules in the opposite order, another generation and action,
 * and paths compared as written (rust_policy.bin has the other flag value, so the pair has both).
 */
export const TS_POLICY_FIXTURE: PolicyDocument = {
  generation: 99n,
  caseInsensitivePaths: false,
  noAppAction: 'block',
  rules: [...RULES].reverse(),
};

/** The bytes ts_policy.bin must hold. */
export function buildTsPolicy(): Uint8Array {
  return encodePolicyDocument(TS_POLICY_FIXTURE);
}

// Names of 1 and 253 bytes, non-ASCII and punycode names; networks of both families with the
// shortest and longest prefixes, and an IPv4-mapped one.
const BLOCKLIST: PolicyBlocklist = {
  names: ['ads.example.com', 'xn--bcher-kva.example', 'ü.example', 't', 'x'.repeat(253)],
  networks: [
    { ip: ipv4(198, 51, 100, 0), prefix: 24 },
    { ip: ipv4(0, 0, 0, 0), prefix: 0 },
    { ip: ipv4(198, 51, 100, 7), prefix: 32 },
    { ip: ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), prefix: 32 },
    { ip: ipv6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0200), prefix: 120 },
    { ip: ipv6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 2), prefix: 128 },
  ],
};

/** What rust_policy_lists.bin must decode to: the rules of RUST_POLICY_FIXTURE and the blocklist. */
export const RUST_POLICY_LISTS_FIXTURE: PolicyDocument = {
  ...RUST_POLICY_FIXTURE,
  generation: 1_764_850_000_124n,
  blocklist: BLOCKLIST,
};

/**
 * What ts_policy_lists.bin holds: no rules (the section right after the header), paths compared as
 * written, the no-app action accept, and the blocklist in the opposite order.
 */
export const TS_POLICY_LISTS_FIXTURE: PolicyDocument = {
  generation: 100n,
  caseInsensitivePaths: false,
  noAppAction: 'accept',
  rules: [],
  blocklist: { names: [...BLOCKLIST.names].reverse(), networks: [...BLOCKLIST.networks].reverse() },
};

/** The bytes ts_policy_lists.bin must hold. */
export function buildTsPolicyLists(): Uint8Array {
  return encodePolicyDocument(TS_POLICY_LISTS_FIXTURE);
}
