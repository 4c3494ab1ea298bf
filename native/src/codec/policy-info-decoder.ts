// Decodes the policy extension's info bodies (types 133–135, driver/protocol/README.md "Policy").
// Like info-decoder.ts: the length is checked once, up front, and no input makes this throw.
import { addressAt } from './addresses.ts';
import type { DecodeResult, InfoProblem, PolicyOrigin, PolicyProblem } from './info-types.ts';
import { isVerdict, POLICY_ORIGINS, POLICY_PROBLEMS } from './protocol-constants.ts';

/** Body sizes of the policy infos. */
export const POLICY_INFO_BODY_SIZE = {
  /** At least this; longer bodies (fields appended by a newer ext_version) are accepted. */
  policyState: 23,
  ruleDecidedV4: 35,
  ruleDecidedV6: 59,
} as const;

function skipped(reason: InfoProblem['problem'], type: number, bodyLength: number): InfoProblem {
  return { kind: 'problem', problem: reason, type, bodyLength };
}

// Unknown codes stay decodable as 'unknown' (see PolicyOrigin and PolicyProblem in info-types.ts).
function originOf(code: number): PolicyOrigin {
  return POLICY_ORIGINS[code] ?? 'unknown';
}

function problemOf(code: number): PolicyProblem {
  return POLICY_PROBLEMS[code] ?? 'unknown';
}

/** Decodes a PolicyState body (type 133) at `s` (length `length`) of `view`. */
export function decodePolicyState(type: number, view: DataView, s: number, length: number): DecodeResult {
  if (length < POLICY_INFO_BODY_SIZE.policyState) return skipped('size-mismatch', type, length);
  const noAppAction = view.getUint8(s + 12);
  if (!isVerdict(noAppAction)) return skipped('bad-value', type, length);
  return {
    kind: 'policyState',
    generation: view.getBigUint64(s, true),
    ruleCount: view.getUint32(s + 8, true),
    noAppAction,
    origin: originOf(view.getUint8(s + 13)),
    problem: problemOf(view.getUint8(s + 14)),
    problemGeneration: view.getBigUint64(s + 15, true),
  };
}

/** Decodes a RuleDecidedV4/V6 body (types 134, 135): a ConnectionEnd body, then verdict, generation, tag. */
export function decodeRuleDecided(
  type: number,
  bytes: Uint8Array,
  view: DataView,
  s: number,
  length: number,
  v6: boolean,
): DecodeResult {
  if (length !== (v6 ? POLICY_INFO_BODY_SIZE.ruleDecidedV6 : POLICY_INFO_BODY_SIZE.ruleDecidedV4)) {
    return skipped('size-mismatch', type, length);
  }
  const ipLength = v6 ? 16 : 4;
  const ports = s + 10 + 2 * ipLength;
  const verdict = view.getUint8(ports + 4);
  if (!isVerdict(verdict)) return skipped('bad-value', type, length);
  return {
    kind: 'ruleDecided',
    ipVersion: v6 ? 6 : 4,
    processId: view.getBigUint64(s, true),
    direction: view.getUint8(s + 8),
    protocol: view.getUint8(s + 9),
    localIp: addressAt(bytes, s + 10, v6),
    localPort: view.getUint16(ports, true),
    remoteIp: addressAt(bytes, s + 10 + ipLength, v6),
    remotePort: view.getUint16(ports + 2, true),
    verdict,
    generation: view.getBigUint64(ports + 5, true),
    ruleTag: view.getUint32(ports + 13, true),
  };
}
