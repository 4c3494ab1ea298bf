// Runs under Node for Windows in Wine (device-transport.wine.test.ts): the real binding
// (openDriver → kernel32 CreateFileW/ReadFile/WriteFile/DeviceIoControl/CancelIoEx through
// ffi-rs) against the device stand-in. Writes what it observed to the output file as JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import type { DecodeResult } from '../../../src/index.ts';
import { DriverError, isVerdict, openDriver } from '../../../src/index.ts';
import { decodeCommand } from '../../codec/command-decoder.ts';
import { toJson } from './json-safe.ts';

interface Input {
  /** The stand-in with a script (ends with a ConnectionV4 the program answers). */
  readonly devicePath: string;
  readonly missingPath: string;
  /** A path CreateFileW refuses with ERROR_ACCESS_DENIED (see the test for why not the stand-in). */
  readonly deniedPath: string;
  readonly oldMajorPath: string;
  /** Hello's features. */
  readonly features: number;
  /** How many infos (HelloReply included) the script makes the device send. */
  readonly expectInfos: number;
  /** The held connection to answer, and with which verdict. */
  readonly answer: { readonly id: string; readonly verdict: number };
  /** Commands to send after the answer, hex-encoded (decoded here, re-encoded by the handle). */
  readonly commands: readonly string[];
}

/** A failed open, as the app sees it. */
interface OpenFailure {
  readonly name: string;
  readonly code: string;
  readonly retryable: boolean;
  readonly message: string;
}

const [inputFile, outputFile] = process.argv.slice(2);
if (inputFile === undefined || outputFile === undefined) throw new Error('usage: transport-check IN OUT');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as Input;
const result: Record<string, unknown> = {};

async function openFailure(devicePath: string): Promise<OpenFailure | 'opened'> {
  try {
    const handle = await openDriver({ kind: 'windows', devicePath });
    await handle.close();
    return 'opened';
  } catch (error) {
    if (!(error instanceof DriverError)) throw error;
    return { name: error.name, code: error.code, retryable: error.retryable, message: error.message };
  }
}

async function session(): Promise<void> {
  const handle = await openDriver({ kind: 'windows', devicePath: input.devicePath });
  result['version'] = await handle.version();
  const infos = handle.infos();
  result['hello'] = await handle.hello(input.features);
  const seen: DecodeResult[] = [];
  // The HelloReply is in the stream too; the script's infos follow it.
  while (seen.length < input.expectInfos) {
    const next = await infos.next();
    if (next.done === true) break;
    seen.push(next.value);
  }
  result['infos'] = seen;
  const verdict = input.answer.verdict;
  if (!isVerdict(verdict)) throw new Error(`not a verdict: ${String(verdict)}`);
  await handle.send({ kind: 'verdict', id: BigInt(input.answer.id), verdict });
  const commands = input.commands.map((hex) => decodeCommand(Buffer.from(hex, 'hex')));
  for (const command of commands) await handle.send(command);
  // The device answers each Hello among them with a HelloReply: read those first.
  const replies: DecodeResult[] = [];
  const hellos = commands.filter((command) => command.kind === 'hello').length;
  while (replies.length < hellos) {
    const next = await infos.next();
    if (next.done === true) break;
    replies.push(next.value);
  }
  result['repliesToCommands'] = replies;
  // Nothing more is queued: the read loop is blocked in ReadFile, and close must cancel it.
  const pending = infos.next();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await handle.close();
  result['afterClose'] = await pending;
  result['end'] = await handle.ended;
  // The device forgot the client when its last handle closed: a new session starts afresh.
  const again = await openDriver({ kind: 'windows', devicePath: input.devicePath });
  const reply = await again.hello(input.features);
  result['reopenedFeatures'] = reply.features;
  // Shutdown (command 0) makes the device end the stream: the handle reports it as such.
  await again.send({ kind: 'shutdown' });
  result['shutdownEnd'] = await again.ended;
  await again.close();
}

try {
  result['missing'] = await openFailure(input.missingPath);
  result['denied'] = await openFailure(input.deniedPath);
  result['oldMajor'] = await openFailure(input.oldMajorPath);
  await session();
} catch (error) {
  result['error'] = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}
writeFileSync(outputFile, toJson(result));
