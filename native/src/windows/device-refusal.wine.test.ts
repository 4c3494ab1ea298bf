// A command the device refuses as malformed, through the real transport under Wine: the device
// stand-in (native/test-support/wine) fails a write of the wrong length for its id with
// STATUS_INVALID_PARAMETER, which WriteFile reports as ERROR_INVALID_PARAMETER (87).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standin, startStandin } from '../../test-support/wine/standin-service.ts';
import { runWindowsProgram } from '../../test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../test-support/wine/wine-suite.ts';
import { ALL_FEATURES, encodeCommand, VERDICT } from '../codec/index.ts';

const { setup, skipReason } = wineSuite();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe.skipIf(skipReason !== undefined)('a command the device refuses, under Wine', () => {
  let work = '';
  let standin: Standin | undefined;

  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'zf-wine-refusal-'));
    standin = startStandin(requireSetup(setup), work);
  });

  afterAll(() => {
    standin?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('is a named, non-retryable error (reconnecting does not cure a malformed command), and the handle stays usable', async () => {
    const device = standin ?? expect.fail('no stand-in');
    const verdict = encodeCommand({ kind: 'verdict', id: 9n, verdict: VERDICT.accept });
    const hello = encodeCommand({ kind: 'hello', extVersion: 1, features: ALL_FEATURES });
    const { result } = await runWindowsProgram<{ writes?: unknown[]; error?: string }>(
      requireSetup(setup),
      'refused-command.ts',
      {
        devicePath: device.devicePath,
        // A verdict one byte short, one byte long, then a well-formed Hello.
        writes: [hex(verdict.subarray(0, verdict.length - 1)), hex(Buffer.concat([verdict, Buffer.of(0)])), hex(hello)],
      },
      work,
    );
    expect(result.error).toBeUndefined();
    const refused = {
      name: 'DriverOsError',
      code: 'os-error',
      retryable: false,
      message: 'WriteFile failed with ERROR_INVALID_PARAMETER (87); please report this with the app log.',
    };
    expect(result.writes).toEqual([refused, refused, 'written']);
    // The device took only the well-formed command.
    expect(device.commands().map(hex)).toEqual([hex(hello)]);
  });
});
