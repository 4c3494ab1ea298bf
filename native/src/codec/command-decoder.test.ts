import { describe, expect, it } from 'vitest';

import { CommandDecodeError, decodeCommand, splitCommandStream } from './command-decoder.ts';
import { encodeCommand } from './command-encoder.ts';
import { TS_COMMAND_FIXTURES, buildTsCommands } from './testdata-fixtures.ts';

function decodeError(bytes: Uint8Array): CommandDecodeError {
  try {
    decodeCommand(bytes);
  } catch (error) {
    if (error instanceof CommandDecodeError) return error;
    throw error;
  }
  throw new Error('decodeCommand did not throw');
}

describe('decodeCommand', () => {
  it('decodes every fixture command', () => {
    for (const command of TS_COMMAND_FIXTURES) expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  it('rejects an empty write', () => {
    expect(decodeError(new Uint8Array(0)).reason).toBe('empty');
  });

  it.each([9, 10, 127, 130, 255])('rejects unknown id %i', (id) => {
    const error = decodeError(Uint8Array.of(id));
    expect(error.reason).toBe('unknown-id');
    expect(error.message).toBe(`unknown command id ${id}`);
    expect(error.name).toBe('CommandDecodeError');
  });

  it('rejects every length but the exact size', () => {
    for (const command of TS_COMMAND_FIXTURES) {
      const bytes = encodeCommand(command);
      expect(decodeError(Uint8Array.of(...bytes, 0)).reason).toBe('wrong-length');
      if (bytes.length > 1) expect(decodeError(bytes.subarray(0, bytes.length - 1)).reason).toBe('wrong-length');
    }
    expect(decodeError(Uint8Array.of(1, 1)).message).toBe('command 1 has 10 bytes, got 2');
  });

  it('rejects verdicts outside 0..11 in Verdict and Update', () => {
    const verdict = encodeCommand({ kind: 'verdict', id: 1n, verdict: 11 });
    expect(decodeCommand(verdict)).toEqual({ kind: 'verdict', id: 1n, verdict: 11 });
    verdict[9] = 12;
    expect(decodeError(verdict).reason).toBe('bad-verdict');
    for (const command of TS_COMMAND_FIXTURES.filter((c) => c.kind === 'update')) {
      const bytes = encodeCommand(command);
      bytes[bytes.length - 1] = 0xff;
      expect(decodeError(bytes).reason).toBe('bad-verdict');
    }
  });

  it('reads at the byte offset of a view', () => {
    const backing = Uint8Array.of(0xee, ...encodeCommand({ kind: 'hello', extVersion: 2, features: 5 }), 0xee);
    expect(decodeCommand(backing.subarray(1, 8))).toEqual({ kind: 'hello', extVersion: 2, features: 5 });
  });
});

describe('splitCommandStream', () => {
  it('walks commands back to back by their sizes', () => {
    const stream = buildTsCommands();
    const parts = [...splitCommandStream(stream)];
    expect(parts.map((part) => decodeCommand(part))).toEqual(TS_COMMAND_FIXTURES);
    expect(parts.reduce((sum, part) => sum + part.length, 0)).toBe(stream.length);
  });

  it('yields nothing for an empty stream', () => {
    expect([...splitCommandStream(new Uint8Array(0))]).toEqual([]);
  });

  it('throws at an unknown id or a truncated last command', () => {
    expect(() => [...splitCommandStream(Uint8Array.of(0, 4, 77))]).toThrow(/unknown command id 77 at offset 2/);
    expect(() => [...splitCommandStream(Uint8Array.of(0, 1, 1))]).toThrow(
      /command 1 at offset 1 needs 10 bytes, 2 remain/,
    );
  });
});
