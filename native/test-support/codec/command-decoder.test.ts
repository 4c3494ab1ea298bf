import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../src/codec/command-encoder.ts';
import { CommandDecodeError, decodeCommand, splitCommandStream } from './command-decoder.ts';
import { buildTsCommands, TS_COMMAND_FIXTURES } from './testdata-fixtures.ts';

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

  it.each([9, 10, 127, 132, 255])('rejects unknown id %i', (id) => {
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

  it('decodes a PolicyPart by its data_len, and copies its data', () => {
    const bytes = Uint8Array.of(130, 2, 1, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 37, 0, 0, 0, 3, 0, 7, 8, 9);
    const command = decodeCommand(bytes);
    expect(command).toEqual({
      kind: 'policyPart',
      generation: 0x0102n,
      totalLength: 40,
      offset: 37,
      data: Uint8Array.of(7, 8, 9),
    });
    bytes[19] = 0;
    expect(command).toMatchObject({ data: Uint8Array.of(7, 8, 9) });
    if (command.kind === 'policyPart') expect(Object.getPrototypeOf(command.data)).toBe(Uint8Array.prototype);
  });

  it('rejects a PolicyPart whose length is not 19 + data_len, or whose data_len is 0 or over 8192', () => {
    const part = encodeCommand({
      kind: 'policyPart',
      generation: 1n,
      totalLength: 3,
      offset: 0,
      data: Uint8Array.of(1, 2, 3),
    });
    expect(decodeError(part.subarray(0, 21)).message).toBe('command 130 has 22 bytes, got 21');
    expect(decodeError(Uint8Array.of(...part, 0)).reason).toBe('wrong-length');
    // The header itself cut short: data_len cannot be read.
    for (const length of [1, 10, 18]) {
      const error = decodeError(part.subarray(0, length));
      expect(error.reason).toBe('wrong-length');
      expect(error.message).toBe(`command 130 needs at least 19 bytes, ${length} remain`);
    }
    const empty = part.slice(0, 19);
    empty[17] = 0;
    expect(decodeError(empty).reason).toBe('bad-part-length');
    expect(decodeError(empty).message).toBe('command 130 carries 1..8192 data bytes, its data_len says 0');
    const big = new Uint8Array(19 + 8193).fill(130);
    big.set([0x01, 0x20], 17);
    expect(decodeError(big).reason).toBe('bad-part-length');
    expect(decodeError(big).message).toMatch(/its data_len says 8193$/);
    // data_len 8192 is the largest part.
    const largest = encodeCommand({
      kind: 'policyPart',
      generation: 1n,
      totalLength: 8192,
      offset: 0,
      data: new Uint8Array(8192),
    });
    expect(largest).toHaveLength(19 + 8192);
    expect(decodeCommand(largest)).toMatchObject({ kind: 'policyPart', totalLength: 8192 });
    // A data_len that says less than the write holds is a wrong length, not extra data.
    const lying = Uint8Array.of(...part);
    lying[17] = 2;
    expect(decodeError(lying).message).toBe('command 130 has 21 bytes, got 22');
  });

  it('decodes a NetworkSeen: id 131, then epoch u32 LE', () => {
    expect(decodeCommand(Uint8Array.of(131, 4, 3, 2, 1))).toEqual({ kind: 'networkSeen', epoch: 0x01020304 });
    expect(decodeError(Uint8Array.of(131, 4, 3, 2)).message).toBe('command 131 has 5 bytes, got 4');
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

  it('walks PolicyParts by their data_len', () => {
    const part = (data: Uint8Array): Uint8Array =>
      encodeCommand({ kind: 'policyPart', generation: 9n, totalLength: 8193, offset: 0, data });
    const stream = Uint8Array.of(0x81, ...part(new Uint8Array(8192).fill(5)), ...part(Uint8Array.of(6)), 0);
    expect([...splitCommandStream(stream)].map((bytes) => bytes.length)).toEqual([1, 8211, 20, 1]);
  });

  it('throws at a PolicyPart cut short, or one whose data_len is out of range', () => {
    const part = encodeCommand({
      kind: 'policyPart',
      generation: 9n,
      totalLength: 2,
      offset: 0,
      data: Uint8Array.of(1, 2),
    });
    expect(() => [...splitCommandStream(Uint8Array.of(0, ...part.subarray(0, 20)))]).toThrow(
      /command 130 at offset 1 needs 21 bytes, 20 remain/,
    );
    expect(() => [...splitCommandStream(Uint8Array.of(0, ...part.subarray(0, 18)))]).toThrow(
      /command 130 at offset 1 needs at least 19 bytes, 18 remain/,
    );
    const empty = part.slice();
    empty[17] = 0;
    expect(() => [...splitCommandStream(Uint8Array.of(4, ...empty))]).toThrow(
      /command 130 at offset 1 carries 1\.\.8192 data bytes, its data_len says 0/,
    );
  });

  it('throws at an unknown id or a truncated last command', () => {
    expect(() => [...splitCommandStream(Uint8Array.of(0, 4, 77))]).toThrow(/unknown command id 77 at offset 2/);
    expect(() => [...splitCommandStream(Uint8Array.of(0, 1, 1))]).toThrow(
      /command 1 at offset 1 needs 10 bytes, 2 remain/,
    );
  });
});
