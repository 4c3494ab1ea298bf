// What the policy document decoder (policy-decoder.ts) and its blocklist section's decoder
// (policy-blocklist-decoder.ts) share: the error they throw, and reading text and names.
import { MAX_POLICY_NAME_LENGTH } from '../../src/codec/policy-format.ts';

/** Why bytes are not a policy document: the PolicyState problems a driver reports for them. */
export type PolicyDecodeReason = 'malformed' | 'checksum' | 'too-large';

/** Thrown by the policy decoder; `reason` says why, the message says where. */
export class PolicyDecodeError extends Error {
  override readonly name = 'PolicyDecodeError';
  readonly reason: PolicyDecodeReason;

  /** Creates an error for `reason` with a human-readable message. */
  constructor(reason: PolicyDecodeReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A 'malformed' error for the field at byte `at`. */
export function malformed(at: number, what: string): PolicyDecodeError {
  return new PolicyDecodeError('malformed', `policy malformed at byte ${at}: ${what}`);
}

// Paths and names must be UTF-8 (unlike info text, which is shown, these are compared);
// ignoreBOM keeps a leading U+FEFF as text, as the Rust decoder does.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The UTF-8 text of bytes[start..end); invalid UTF-8 is malformed. */
export function text(bytes: Uint8Array, start: number, end: number): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw malformed(start, 'text is not UTF-8');
  }
}

/**
 * A rule's or a blocklist's name at bytes[at..at + length): 1..253 bytes of UTF-8 without an ASCII
 * capital or a trailing dot (a wrong length is reported at `lengthAt`).
 */
export function name(bytes: Uint8Array, lengthAt: number, at: number, length: number): string {
  if (length < 1 || length > MAX_POLICY_NAME_LENGTH) {
    throw malformed(lengthAt, `a name is 1..${MAX_POLICY_NAME_LENGTH} bytes, not ${length}`);
  }
  for (let i = at; i < at + length; i++) {
    const byte = bytes[i] ?? 0;
    if (byte >= 0x41 && byte <= 0x5a) throw malformed(i, 'a name is lowercase');
  }
  if (bytes[at + length - 1] === 0x2e) throw malformed(at + length - 1, 'a name has no trailing dot');
  return text(bytes, at, at + length);
}

/**
 * A name that stands for itself and every name below it (a rule's domain, a blocklisted name): a
 * `name` without a leading '*.', which the encoder refuses and the driver would compare as a label.
 */
export function suffixName(bytes: Uint8Array, lengthAt: number, at: number, length: number): string {
  const checked = name(bytes, lengthAt, at, length);
  if (checked.startsWith('*.')) throw malformed(at, "a domain covers the names below it: no leading '*.'");
  return checked;
}
