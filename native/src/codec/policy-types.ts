// The policy document (driver/protocol/README.md, "The policy document") as TypeScript values: the
// rules the driver enforces by itself. policy-encoder.ts writes it; the driver reads it (and, for
// tests and fake drivers, native/test-support/codec/policy-decoder.ts).

/** What a rule does: let through, refuse (the app gets an error), or drop silently. */
export type PolicyAction = 'allow' | 'block' | 'drop';

/** Which connections a rule covers: those this host opens, those to it, or both. */
export type PolicyDirection = 'outbound' | 'inbound' | 'any';

/** Where a rule's connections go (outbound) or come from (inbound). */
export type PolicyDestination =
  | { readonly kind: 'any' }
  | { readonly kind: 'lan' }
  | { readonly kind: 'localhost' }
  /** `ip`: the address bytes, 4 for IPv4 or 16 for IPv6 (the app keeps the text). */
  | { readonly kind: 'ip'; readonly ip: Uint8Array }
  /** `ip`: the network address (host bits zero); IPv4 text for an IPv4 network, prefix ≤ 32, else ≤ 128. */
  | { readonly kind: 'cidr'; readonly ip: Uint8Array; readonly prefix: number }
  /** A name from the DNS answers the driver saw: lowercase, no trailing dot. */
  | { readonly kind: 'host'; readonly name: string }
  /** Every name strictly below `suffix` (lowercase, no trailing dot, no '*.'): `a.example.com` for `example.com`. */
  | { readonly kind: 'domain'; readonly suffix: string };

/** One rule of a policy document. */
export interface PolicyRule {
  /** The app's number for the rule (u32), unique in the document; RuleDecided infos carry it. */
  readonly tag: number;
  readonly action: PolicyAction;
  /** A rule that lives only while the app runs: the driver asks the app, or skips it without one. */
  readonly appDecides: boolean;
  readonly direction: PolicyDirection;
  /** IANA protocol number; null: any protocol. */
  readonly protocol: number | null;
  /** Remote port range, inclusive (0..65535 is any port). */
  readonly portFrom: number;
  readonly portTo: number;
  /** Milliseconds since the Unix epoch (the precedence tie-break). */
  readonly updatedAt: number;
  /** Milliseconds since the Unix epoch; null: never. At or after it the rule does not exist. */
  readonly expiresAt: number | null;
  /** The executable path (at most 16384 UTF-8 bytes); null: any app. */
  readonly appPath: string | null;
  readonly destination: PolicyDestination;
}

/** What happens to connections no rule decides while no client is connected. */
export type NoAppAction = 'accept' | 'block' | 'drop';

/** A network of a blocklist: 4 or 16 address bytes with the host bits zero, and its prefix length. */
export interface BlockedNetwork {
  readonly ip: Uint8Array;
  /** 0..32 for an IPv4 network, 0..128 for an IPv6 one. */
  readonly prefix: number;
}

/**
 * The blocklists the driver applies by itself: while no app is connected, a connection no rule
 * decides is blocked for good (PermanentBlock) instead of getting the no-app action when its
 * address is in a network or a name the driver's DNS table gives it is a listed name or below
 * one. Duplicates are allowed.
 */
export interface PolicyBlocklist {
  /** Lowercase names without a trailing dot, 1..253 UTF-8 bytes; each lists itself and every name below it. At most 4 000 000. */
  readonly names: readonly string[];
  /** At most 1 000 000. */
  readonly networks: readonly BlockedNetwork[];
}

/**
 * A blocklist section checked and encoded once (prepareBlocklist), to put in any number of
 * documents: a section of a million names takes a few hundred milliseconds to check and write,
 * and the same lists go out with every change of the rules.
 */
export interface PreparedBlocklist {
  readonly kind: 'prepared-blocklist';
  /** The section's bytes, as a document holds them (counts, names, networks). */
  readonly section: Uint8Array;
  readonly nameCount: number;
  readonly networkCount: number;
}

/** A whole policy: it replaces the one the driver enforces. */
export interface PolicyDocument {
  /** 1..2^64-1; a larger one is newer. */
  readonly generation: bigint;
  /** App paths compare case-insensitively (Windows: the app sends them lowercased). */
  readonly caseInsensitivePaths: boolean;
  readonly noAppAction: NoAppAction;
  readonly rules: readonly PolicyRule[];
  /** The document's blocklist section; absent (or both lists empty): none. */
  readonly blocklist?: PolicyBlocklist;
}

/** What the encoder takes: a document whose blocklist section may come prepared. */
export interface PolicyDocumentToEncode extends Omit<PolicyDocument, 'blocklist'> {
  readonly blocklist?: PolicyBlocklist | PreparedBlocklist;
}
