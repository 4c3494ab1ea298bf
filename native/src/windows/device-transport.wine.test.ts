// The Windows transport for real: Node for Windows runs the binding under Wine (kernel32 through
// ffi-rs), against the device stand-in, a kernel driver Wine loads (native/test-support/wine).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipv4 } from '../../test-support/codec/address-bytes.ts';
import { encodeInfos } from '../../test-support/codec/info-encoder.ts';
import { RUST_INFOS_PATH, TS_COMMAND_FIXTURES } from '../../test-support/codec/testdata-fixtures.ts';
import { toJson } from '../../test-support/wine/programs/json-safe.ts';
import { type Standin, startStandin } from '../../test-support/wine/standin-service.ts';
import { runWindowsProgram } from '../../test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../test-support/wine/wine-suite.ts';
import type { Info } from '../codec/index.ts';
import { ALL_FEATURES, encodeCommand, FEATURE, InfoReader, VERDICT } from '../codec/index.ts';

const { setup, skipReason } = wineSuite();
const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
const HELD_ID = 7n;

/** Infos the device sends after Hello: the golden file, a held connection, a log line too big for one read. */
function scriptInfos(): Uint8Array {
  const held: Info = {
    kind: 'connection',
    ipVersion: 4,
    id: HELD_ID,
    processId: 4242n,
    direction: 0,
    protocol: 6,
    localIp: ipv4(10, 0, 0, 2),
    localPort: 50000,
    remoteIp: ipv4(192, 0, 2, 80),
    remotePort: 443,
    payloadLayer: 4,
    payload: new Uint8Array([0x16, 0x03, 0x01]),
  };
  // 70 000 bytes: more than the transport's 64 KiB read buffer, so the device splits it.
  const big: Info = { kind: 'log', severity: 3, text: 'x'.repeat(70_000) };
  const golden = readFileSync(path.join(REPO, RUST_INFOS_PATH));
  return Buffer.concat([golden, encodeInfos([big, held])]);
}

function decodeAll(bytes: Uint8Array): unknown[] {
  return new InfoReader().push(bytes).map((info) => JSON.parse(toJson(info)) as unknown);
}

describe.skipIf(skipReason !== undefined)('Windows device transport under Wine', () => {
  let work = '';
  const standins: Standin[] = [];
  let main: Standin;
  let oldMajor: Standin;

  beforeAll(() => {
    const wine = requireSetup(setup);
    work = mkdtempSync(path.join(tmpdir(), 'zf-wine-transport-'));
    main = startStandin(wine, work, { script: scriptInfos(), features: FEATURE.process | FEATURE.counters });
    oldMajor = startStandin(wine, work, { major: 3 });
    standins.push(main, oldMajor);
  });

  afterAll(() => {
    for (const standin of standins) standin.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('opens, reads, writes, answers and closes through kernel32 as the app does', async () => {
    const expected = decodeAll(scriptInfos());
    const commands = TS_COMMAND_FIXTURES.filter((command) => command.kind !== 'shutdown');
    const { result } = await runWindowsProgram<Record<string, unknown>>(
      requireSetup(setup),
      'transport-check.ts',
      {
        devicePath: main.devicePath,
        missingPath: '\\\\.\\ZenithFenceNotInstalled',
        // Wine 8 does not let a driver refuse an open (device-standin.c), so the access-denied
        // path is a real ERROR_ACCESS_DENIED from CreateFileW: a directory opened without
        // FILE_FLAG_BACKUP_SEMANTICS, as on Windows.
        deniedPath: 'C:\\windows',
        oldMajorPath: oldMajor.devicePath,
        features: ALL_FEATURES,
        expectInfos: expected.length + 1,
        answer: { id: HELD_ID.toString(), verdict: VERDICT.permanentAccept },
        commands: commands.map((command) => Buffer.from(encodeCommand(command)).toString('hex')),
      },
      work,
    );
    expect(result['error']).toBeUndefined();

    // A device that does not exist: the typed "not installed" error, retried by the app.
    expect(result['missing']).toMatchObject({ name: 'DaemonNotRunning', retryable: true });
    expect(String((result['missing'] as { message: string }).message)).toMatch(/not installed or not running/);
    // Access denied: run elevated, and no retry loop.
    expect(result['denied']).toMatchObject({ name: 'PermissionDenied', retryable: false });
    expect(String((result['denied'] as { message: string }).message)).toMatch(/run ZenithFence as administrator/);
    // The version IOCTL reports another major version before anything is read.
    expect(result['oldMajor']).toMatchObject({ name: 'VersionMismatch', retryable: false });

    expect(result['version']).toEqual([2, 1, 0, 0]);
    // The grant is what the device offers of what was asked.
    expect(result['hello']).toMatchObject({ kind: 'helloReply', features: FEATURE.process | FEATURE.counters });
    // Every info the device sent decodes on Windows as on Linux, the split log line included.
    const infos = result['infos'] as unknown[];
    expect(infos[0]).toMatchObject({ kind: 'helloReply' });
    expect(infos.slice(1)).toEqual(expected);

    // The device answered the Hello among the commands.
    const hellos = commands.filter((command) => command.kind === 'hello');
    expect(result['repliesToCommands']).toEqual(hellos.map(() => expect.objectContaining({ kind: 'helloReply' })));
    // Close ended the blocked ReadFile (CancelIoEx): the iterator finished, the end is 'closed'.
    expect(result['afterClose']).toEqual({ done: true });
    expect(result['end']).toEqual({ reason: 'closed' });
    // The device forgot the first client when both its handles closed.
    expect(result['reopenedFeatures']).toBe(FEATURE.process | FEATURE.counters);
    expect(result['shutdownEnd']).toEqual({ reason: 'shutdown' });

    // Byte for byte, in order: Hello, the verdict for the held connection, every other command,
    // then the second session's Hello and Shutdown.
    const hello = encodeCommand({ kind: 'hello', extVersion: 1, features: ALL_FEATURES });
    const arrived = main.commands().map((bytes) => Buffer.from(bytes).toString('hex'));
    const sent = [
      hello,
      encodeCommand({ kind: 'verdict', id: HELD_ID, verdict: VERDICT.permanentAccept }),
      ...commands.map((command) => encodeCommand(command)),
      hello,
      encodeCommand({ kind: 'shutdown' }),
    ].map((bytes) => Buffer.from(bytes).toString('hex'));
    expect(arrived).toEqual(sent);
  });
});
