// Decodes commands, as a driver (or a fake driver in tests) reads them: one write is one command.
import { formatIpv4At, formatIpv6At } from './addresses.ts';
import type { Command } from './command-types.ts';
import { COMMAND_ID, commandSize, isVerdict, type Verdict } from './protocol-constants.ts';

/** Why bytes are not a command. */
export type CommandDecodeReason = 'empty' | 'unknown-id' | 'wrong-length' | 'bad-verdict';

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
 * Decodes the bytes of one write as one command. Throws a {@link CommandDecodeError} (and nothing
 * else) when they are empty, start with an unknown id, do not have that command's exact size, or
 * carry a verdict outside 0..11.
 */
export function decodeCommand(bytes: Uint8Array): Command {
  const id = bytes[0];
  if (id === undefined) throw new CommandDecodeError('empty', 'empty command');
  const size = commandSize(id);
  if (size === undefined) throw new CommandDecodeError('unknown-id', `unknown command id ${id}`);
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
        localIp: formatIpv4At(view, 2),
        localPort: view.getUint16(6, true),
        remoteIp: formatIpv4At(view, 8),
        remotePort: view.getUint16(12, true),
        verdict: verdictAt(view, 14),
      };
    case COMMAND_ID.updateV6:
      return {
        kind: 'update',
        ipVersion: 6,
        protocol: view.getUint8(1),
        localIp: formatIpv6At(view, 2),
        localPort: view.getUint16(18, true),
        remoteIp: formatIpv6At(view, 20),
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
    default:
      // commandSize() knows only the ids above, so the last one is GetCounters.
      return { kind: 'getCounters' };
  }
}

function verdictAt(view: DataView, offset: number): Verdict {
  const value = view.getUint8(offset);
  if (!isVerdict(value)) throw new CommandDecodeError('bad-verdict', `verdict ${value} is outside 0..11`);
  return value;
}

/**
 * Walks commands written back to back (as in upstream's go_command_test.bin) by the fixed size of
 * each id, yielding each command's bytes as a view into `bytes`. Throws a {@link CommandDecodeError}
 * at an unknown id ('unknown-id') or a truncated last command ('wrong-length').
 */
export function* splitCommandStream(bytes: Uint8Array): Generator<Uint8Array, void, undefined> {
  let pos = 0;
  while (pos < bytes.length) {
    const id = bytes[pos] ?? 0;
    const size = commandSize(id);
    if (size === undefined) throw new CommandDecodeError('unknown-id', `unknown command id ${id} at offset ${pos}`);
    if (pos + size > bytes.length) {
      throw new CommandDecodeError(
        'wrong-length',
        `command ${id} at offset ${pos} needs ${size} bytes, ${bytes.length - pos} remain`,
      );
    }
    yield bytes.subarray(pos, pos + size);
    pos += size;
  }
}
