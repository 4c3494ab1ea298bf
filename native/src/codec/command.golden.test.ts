// Upstream's go_command_test.bin (Portmaster kext 2.1): 5000 commands back to back. Read from the
// shared vectors folder, never copied into this repo; skipped where it is absent.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeCommand, splitCommandStream } from '../../test-support/codec/command-decoder.ts';
import { encodeCommand } from './command-encoder.ts';
import type { Command } from './command-types.ts';

const VECTORS = new URL('../../../../shared/vectors/portmaster-kext-2.1/', import.meta.url);
const FILE = new URL('go_command_test.bin', VECTORS);
const missing = !existsSync(FILE);
if (missing) {
  console.warn(
    `Skipping the upstream command golden tests: ${fileURLToPath(FILE)} is absent (the vectors live outside the repo).`,
  );
}
const bytes = missing ? new Uint8Array(0) : new Uint8Array(readFileSync(FILE));

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

function expectUpstreamValues(command: Command): void {
  switch (command.kind) {
    case 'verdict':
      expect(command).toEqual({ kind: 'verdict', id: 1n, verdict: 2 });
      return;
    case 'update': {
      const v4 = command.ipVersion === 4;
      expect(command).toEqual({
        kind: 'update',
        ipVersion: command.ipVersion,
        protocol: 1,
        localIp: v4 ? range(1, 4) : range(1, 16),
        localPort: 2,
        remoteIp: v4 ? range(2, 5) : range(2, 17),
        remotePort: 3,
        verdict: 4,
      });
      return;
    }
    case 'hello':
    case 'getCounters':
    case 'policyPart':
      throw new Error(`extension command ${command.kind} in upstream's file`);
    default:
      // The one-byte commands carry no fields.
      expect(Object.keys(command)).toEqual(['kind']);
  }
}

describe('upstream go_command_test.bin', () => {
  it.skipIf(missing)('holds exactly 5000 commands with upstream values, and re-encodes byte for byte', () => {
    const parts = [...splitCommandStream(bytes)];
    expect(parts).toHaveLength(5000);
    const perKind = new Map<string, number>();
    let pos = 0;
    for (const part of parts) {
      const command = decodeCommand(part);
      expectUpstreamValues(command);
      const key = command.kind === 'update' ? `updateV${command.ipVersion}` : command.kind;
      perKind.set(key, (perKind.get(key) ?? 0) + 1);
      const encoded = encodeCommand(command);
      if (!encoded.every((byte, i) => byte === bytes[pos + i]) || encoded.length !== part.length) {
        expect({ pos, encoded }).toEqual({ pos, encoded: part });
      }
      pos += encoded.length;
    }
    expect(pos).toBe(bytes.length);
    // Every base command occurs except PrintMemoryStats (7), which upstream's generator never writes.
    expect([...perKind.keys()].sort()).toEqual([
      'cleanEndedConnections',
      'clearCache',
      'getBandwidthStats',
      'getLogs',
      'shutdown',
      'updateV4',
      'updateV6',
      'verdict',
    ]);
  });
});
