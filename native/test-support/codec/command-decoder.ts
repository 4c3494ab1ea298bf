// Decodes commands, as a driver (or a fake driver in tests) reads them: one write is one command.
import { addressAt } from '../../src/codec/addresses.ts';
import type { Command } from '../../src/codec/command-types.ts';
import {
  COMMAND_ID,
  commandSize,
  isVerdict,
  MAX_POLICY_PART_LENGTH,
  POLICY_PART_HEADER_LENGTH,
  type Verdict,
} from '../../src/codec/protocol-constants.ts';

/** Why bytes are not a command. */
export type CommandDecodeReason = 'empty' | 'unknown-id' | 'wrong-length' | 'bad-verdict' | 'bad-part-length';

/** Thrown by {@link decodeCommand} and {@link splitCommandStream}; `reason` says why. */
export class CommandDecodeError extends Error {
  override readonly name = 'CommandDecodeError';
  /** Why the bytes are not a command. */
  readonly reason: CommandDecodeReason;

  /** Creates an error for `reason` with a human-readable message. */
  constructor(reason: CommandDecodeReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * The size of the command that starts at `pos` of `bytes` (`where` names that place in messages):
 * fixed per id, or for PolicyPart its header plus its `data_len`, which needs the header's bytes.
 * Throws 'unknown-id', 'wrong-length' (a PolicyPart header cut short) or 'bad-part-length'.
 */
function commandLengthAt(bytes: Uint8Array, pos: number, where: string): number {
  const id = bytes[pos] ?? 0;
  if (id !== COMMAND_ID.policyPart) {
    const size = commandSize(id);
    if (size === undefined) throw new CommandDecodeError('unknown-id', `unknown command id ${id}${where}`);
    return size;
  }
  const header = POLICY_PART_HEADER_LENGTH;
  if (bytes.length - pos < header) {
    throw new CommandDecodeError(
      'wrong-length',
      `command ${id}${where} needs at least ${header} bytes, ${bytes.length - pos} remain`,
    );
  }
  // data_len is the header's last field (u16 LE).
  const dataLength = (bytes[pos + header - 2] ?? 0) | ((bytes[pos + header - 1] ?? 0) << 8);
  if (dataLength < 1 || dataLength > MAX_POLICY_PART_LENGTH) {
    throw new CommandDecodeError(
      'bad-part-length',
      `command ${id}${where} carries 1..${MAX_POLICY_PART_LENGTH} data bytes, its data_len says ${dataLength}`,
    );
  }
  return header + dataLength;
}

/**
 * Decodes the bytes of one write as one command. Throws a {@link CommandDecodeError} (and nothing
 * else) when they are empty, start with an unknown id, do not have that command's exact size (for
 * PolicyPart: 19 + its data_len), carry a PolicyPart data_len outside 1..8192, or carry a verdict
 * outside 0..11. A PolicyPart's data is a copy, never a view into `bytes`.
 */
export function decodeCommand(bytes: Uint8Array): Command {
  const id = bytes[0];
  if (id === undefined) throw new CommandDecodeError('empty', 'empty command');
  const size = commandLengthAt(bytes, 0, '');
  if (bytes.length !== size) {
    throw new CommandDecodeError('wrong-length', `command ${id} has ${size} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (id) {
    case COMMAND_ID.verdict:
      return { kind: 'verdict', id: view.getBigUint64(1, true), verdict: verdictAt(view, 9) };
    case COMMAND_ID.updateV4:
      return {
        kind: 'update',
        ipVersion: 4,
        protocol: view.getUint8(1),
        localIp: addressAt(bytes, 2, false),
        localPort: view.getUint16(6, true),
        remoteIp: addressAt(bytes, 8, false),
        remotePort: view.getUint16(12, true),
        verdict: verdictAt(view, 14),
      };
    case COMMAND_ID.updateV6:
      return {
        kind: 'update',
        ipVersion: 6,
        protocol: view.getUint8(1),
        localIp: addressAt(bytes, 2, true),
        localPort: view.getUint16(18, true),
        remoteIp: addressAt(bytes, 20, true),
        remotePort: view.getUint16(36, true),
        verdict: verdictAt(view, 38),
      };
    case COMMAND_ID.hello:
      return { kind: 'hello', extVersion: view.getUint16(1, true), features: view.getUint32(3, true) };
    case COMMAND_ID.shutdown:
      return { kind: 'shutdown' };
    case COMMAND_ID.clearCache:
      return { kind: 'clearCache' };
    case COMMAND_ID.getLogs:
      return { kind: 'getLogs' };
    case COMMAND_ID.getBandwidthStats:
      return { kind: 'getBandwidthStats' };
    case COMMAND_ID.printMemoryStats:
      return { kind: 'printMemoryStats' };
    case COMMAND_ID.cleanEndedConnections:
      return { kind: 'cleanEndedConnections' };
    case COMMAND_ID.networkSeen:
      return { kind: 'networkSeen', epoch: view.getUint32(1, true) };
    case COMMAND_ID.policyPart:
      return {
        kind: 'policyPart',
        generation: view.getBigUint64(1, true),
        totalLength: view.getUint32(9, true),
        offset: view.getUint32(13, true),
        // A copy, as for an info's payload: the caller may reuse the buffer of the write.
        data: new Uint8Array(bytes.subarray(POLICY_PART_HEADER_LENGTH)),
      };
    default:
      // commandLengthAt() knows only the ids above, so the last one is GetCounters.
      return { kind: 'getCounters' };
  }
}

function verdictAt(view: DataView, offset: number): Verdict {
  const value = view.getUint8(offset);
  if (!isVerdict(value)) throw new CommandDecodeError('bad-verdict', `verdict ${value} is outside 0..11`);
  return value;
}

/**
 * Walks commands written back to back (as in upstream's go_command_test.bin) by the size of each
 * (fixed per id; for PolicyPart 19 + its data_len), yielding each command's bytes as a view into
 * `bytes`. Throws a {@link CommandDecodeError} at an unknown id ('unknown-id'), a PolicyPart data_len
 * outside 1..8192 ('bad-part-length') or a truncated last command ('wrong-length').
 */
export function* splitCommandStream(bytes: Uint8Array): Generator<Uint8Array, void, undefined> {
  let pos = 0;
  while (pos < bytes.length) {
    const size = commandLengthAt(bytes, pos, ` at offset ${pos}`);
    if (pos + size > bytes.length) {
      throw new CommandDecodeError(
        'wrong-length',
        `command ${bytes[pos] ?? 0} at offset ${pos} needs ${size} bytes, ${bytes.length - pos} remain`,
      );
    }
    yield bytes.subarray(pos, pos + size);
    pos += size;
  }
}
