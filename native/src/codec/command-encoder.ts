// Encodes commands to the exact bytes of one write (driver/protocol/README.md, "Commands").
import { ByteWriter } from './byte-writer.ts';
import type { Command, PolicyPartCommand, UpdateCommand } from './command-types.ts';
import { COMMAND_ID, COMMAND_SIZE, MAX_POLICY_PART_LENGTH, POLICY_PART_HEADER_LENGTH } from './protocol-constants.ts';
import { checkAddress, checkIpVersion, checkU64, checkUint, checkVerdict } from './range-checks.ts';

/**
 * Encodes one command as the bytes of one write. Throws a RangeError naming the field when a value
 * does not fit it (an id outside u64, a verdict outside 0..11, a port outside 0..65535, an address
 * of the wrong family, a policy part of no bytes or more than 8192, an epoch outside u32); never
 * truncates.
 */
export function encodeCommand(command: Command): Uint8Array {
  switch (command.kind) {
    case 'shutdown':
      return idOnly(COMMAND_ID.shutdown);
    case 'verdict':
      return new ByteWriter(COMMAND_SIZE[COMMAND_ID.verdict])
        .u8(COMMAND_ID.verdict)
        .u64(checkU64('verdict.id', command.id))
        .u8(checkVerdict('verdict.verdict', command.verdict))
        .finish();
    case 'update':
      return encodeUpdate(command);
    case 'clearCache':
      return idOnly(COMMAND_ID.clearCache);
    case 'getLogs':
      return idOnly(COMMAND_ID.getLogs);
    case 'getBandwidthStats':
      return idOnly(COMMAND_ID.getBandwidthStats);
    case 'printMemoryStats':
      return idOnly(COMMAND_ID.printMemoryStats);
    case 'cleanEndedConnections':
      return idOnly(COMMAND_ID.cleanEndedConnections);
    case 'hello':
      return new ByteWriter(COMMAND_SIZE[COMMAND_ID.hello])
        .u8(COMMAND_ID.hello)
        .u16(checkUint('hello.extVersion', command.extVersion, 16))
        .u32(checkUint('hello.features', command.features, 32))
        .finish();
    case 'getCounters':
      return idOnly(COMMAND_ID.getCounters);
    case 'policyPart':
      return encodePolicyPart(command);
    case 'networkSeen':
      return new ByteWriter(COMMAND_SIZE[COMMAND_ID.networkSeen])
        .u8(COMMAND_ID.networkSeen)
        .u32(checkUint('networkSeen.epoch', command.epoch, 32))
        .finish();
    default:
      // Unreachable for typed callers; plain JavaScript can still pass anything.
      throw new RangeError(`unknown command kind ${JSON.stringify((command as { kind?: unknown }).kind)}`);
  }
}

function idOnly(id: number): Uint8Array {
  return Uint8Array.of(id);
}

function encodeUpdate(command: UpdateCommand): Uint8Array {
  const ipVersion = checkIpVersion('update.ipVersion', command.ipVersion);
  const id = ipVersion === 4 ? COMMAND_ID.updateV4 : COMMAND_ID.updateV6;
  return new ByteWriter(COMMAND_SIZE[id])
    .u8(id)
    .u8(checkUint('update.protocol', command.protocol, 8))
    .raw(checkAddress('update.localIp', command.localIp, ipVersion))
    .u16(checkUint('update.localPort', command.localPort, 16))
    .raw(checkAddress('update.remoteIp', command.remoteIp, ipVersion))
    .u16(checkUint('update.remotePort', command.remotePort, 16))
    .u8(checkVerdict('update.verdict', command.verdict))
    .finish();
}

// Only the wire's ranges are checked: whether parts fit together (offset, total length) is the
// driver's to judge, and tests of the driver send parts that do not.
function encodePolicyPart(command: PolicyPartCommand): Uint8Array {
  const { data } = command;
  if (!(data instanceof Uint8Array) || data.length < 1 || data.length > MAX_POLICY_PART_LENGTH) {
    const length = data instanceof Uint8Array ? `${data.length} bytes` : 'not a Uint8Array';
    throw new RangeError(`policyPart.data must be 1..${MAX_POLICY_PART_LENGTH} bytes, got ${length}`);
  }
  return new ByteWriter(POLICY_PART_HEADER_LENGTH + data.length)
    .u8(COMMAND_ID.policyPart)
    .u64(checkU64('policyPart.generation', command.generation))
    .u32(checkUint('policyPart.totalLength', command.totalLength, 32))
    .u32(checkUint('policyPart.offset', command.offset, 32))
    .u16(data.length)
    .raw(data)
    .finish();
}
