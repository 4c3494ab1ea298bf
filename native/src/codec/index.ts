// The protocol codec's public API: pure byte logic, no Node APIs (driver/protocol/README.md).
// Only what the binding and the app use at run time; what only tests and fake drivers need (the
// info encoder, the command and policy decoders, the fixtures) is native/test-support/codec.
export type { IpVersion } from './addresses.ts';
export { ADDRESS_LENGTH } from './addresses.ts';
export { encodeCommand } from './command-encoder.ts';
export type * from './command-types.ts';
export { crc32 } from './crc32.ts';
export { decodeInfoBody, INFO_BODY_SIZE } from './info-decoder.ts';
export type { InfoReaderOptions, ReaderOutput } from './info-reader.ts';
export { DEFAULT_MAX_BODY_LENGTH, InfoReader } from './info-reader.ts';
export type * from './info-types.ts';
export { blocklistSectionSize, prepareBlocklist } from './policy-blocklist.ts';
export { encodePolicyDocument, policyPartCommands } from './policy-encoder.ts';
export {
  BLOCKLIST_COUNTS_LENGTH,
  MAX_APP_PATH_LENGTH,
  MAX_BLOCKED_NAMES,
  MAX_BLOCKED_NETWORKS,
  MAX_POLICY_LENGTH,
  MAX_POLICY_NAME_LENGTH,
  MAX_POLICY_RULES,
  POLICY_FORMAT,
} from './policy-format.ts';
export type * from './policy-types.ts';
export type { CommandId, FixedSizeCommandId, InfoType, Verdict } from './protocol-constants.ts';
export {
  ALL_FEATURES,
  COMMAND_ID,
  COMMAND_SIZE,
  commandSize,
  COUNTER_INDEX,
  COUNTER_NAMES,
  DIRECTION,
  DRIVER_KIND,
  EXT_VERSION,
  FEATURE,
  INFO_HEADER_LENGTH,
  INFO_TYPE,
  IOCTL,
  IP_PROTOCOL,
  isVerdict,
  LOG_SEVERITY,
  MAX_POLICY_PART_LENGTH,
  MAX_VERDICT,
  NETWORK_FLAG,
  PAYLOAD_LAYER,
  POLICY_ORIGINS,
  POLICY_PART_HEADER_LENGTH,
  POLICY_PROBLEMS,
  PROTOCOL_VERSION,
  VERDICT,
  VERDICT_NAMES,
} from './protocol-constants.ts';
