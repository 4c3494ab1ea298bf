// Cross-language fixtures, committed under driver/protocol/testdata/. Unlike upstream's vectors
// these belong to the repo, so a missing file fails the test instead of skipping it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { encodeInfos } from './info-encoder.ts';
import { InfoReader } from './info-reader.ts';
import { buildTsCommands, RUST_INFO_FIXTURES, RUST_INFOS_PATH, TS_COMMANDS_PATH } from './testdata-fixtures.ts';

const REPO_ROOT = new URL('../../../', import.meta.url);

function readFixture(path: string, howToMake: string): Uint8Array {
  const file = fileURLToPath(new URL(path, REPO_ROOT));
  if (!existsSync(file)) throw new Error(`${file} is missing: ${howToMake}`);
  return new Uint8Array(readFileSync(file));
}

describe('cross-language fixtures', () => {
  it('ts_commands.bin is what the TypeScript encoder writes for TS_COMMAND_FIXTURES', () => {
    const committed = readFixture(TS_COMMANDS_PATH, 'run npm run protocol:regen');
    const built = buildTsCommands();
    // Compare as hex so a failure shows where the bytes differ.
    expect(
      Buffer.from(committed).toString('hex'),
      'ts_commands.bin is stale: run npm run protocol:regen and commit the result',
    ).toBe(Buffer.from(built).toString('hex'));
  });

  it('rust_infos.bin (written by the Rust encoder) decodes to RUST_INFO_FIXTURES', () => {
    const bytes = readFixture(
      RUST_INFOS_PATH,
      'the Rust side writes it (cargo run -p zenithfence-protocol --example gen_testdata, or npm run protocol:regen)',
    );
    const reader = new InfoReader();
    expect(reader.push(bytes)).toEqual(RUST_INFO_FIXTURES);
    expect(reader.pending).toBe(0);
  });

  it('rust_infos.bin is byte for byte what the TypeScript info encoder writes', () => {
    const bytes = readFixture(RUST_INFOS_PATH, 'see the test above');
    // The twins agree on layout choices the decoder tolerates, e.g. NUL after every argument.
    expect(Buffer.from(encodeInfos(RUST_INFO_FIXTURES)).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  });

  it('rust_infos.bin decodes the same when split at every offset', () => {
    const bytes = readFixture(RUST_INFOS_PATH, 'see the test above');
    for (let split = 0; split <= bytes.length; split++) {
      const reader = new InfoReader();
      const items = [...reader.push(bytes.subarray(0, split)), ...reader.push(bytes.subarray(split))];
      expect(items, `split at ${split}`).toEqual(RUST_INFO_FIXTURES);
    }
  });
});
