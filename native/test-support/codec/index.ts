// The codec's test side, for tests, benchmarks and fake drivers (not shipped, not in the binding's
// public entry): the other direction of each wire format (infos encoded as a driver writes them,
// commands and policy documents decoded as a driver reads them) and the cross-language fixtures.
export type { CommandDecodeReason } from './command-decoder.ts';
export { CommandDecodeError, decodeCommand, splitCommandStream } from './command-decoder.ts';
export { encodeInfo, encodeInfos, frameInfo } from './info-encoder.ts';
export type { PolicyDecodeReason } from './policy-decoder.ts';
export { decodePolicyDocument, PolicyDecodeError } from './policy-decoder.ts';
