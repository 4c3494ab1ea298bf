// What the extension decoders share (dns-exchange-decoder.ts, network-facts-decoder.ts; the base
// infos keep theirs in info-decoder.ts): a skipped info, and UTF-8 read without failing.
import type { InfoProblem } from './info-types.ts';

/** An info skipped by its length, and why (the reader reports it and goes on). */
export function skipped(reason: InfoProblem['problem'], type: number, bodyLength: number): InfoProblem {
  return { kind: 'problem', problem: reason, type, bodyLength };
}

// Non-fatal: invalid UTF-8 becomes U+FFFD (a damaged name still says something). ignoreBOM keeps
// a leading U+FEFF as text, so the string matches the bytes (as in Rust).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The UTF-8 text of `bytes` from `start` to `end` ('' when empty). */
export function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? '' : utf8.decode(bytes.subarray(start, end));
}
