// Runs under Node for Windows in Wine (nt-path.wine.test.ts): reads the drive -> NT device map with
// QueryDosDeviceW (readDosDeviceMap), converts NT paths back to DOS paths (ntPathToDosPath) and
// checks the files exist there. The NT paths are built from the map for a file this program creates
// on C: and for one the test made on Z:, and one comes from Windows itself: this process's image
// path in its native form (QueryFullProcessImageNameW with PROCESS_NAME_NATIVE).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { kernel32 } from '../../../src/ffi.ts';
import { ntPathToDosPath, readDosDeviceMap } from '../../../src/index.ts';
import { fromUtf16z } from '../../../src/windows/utf16.ts';
import { toJson } from './json-safe.ts';

interface Input {
  /** A file to create on C:, as `C:\...`. */
  readonly cFile: string;
  /** A file the test created on the Linux side, as `Z:\...`. */
  readonly zFile: string;
}

const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const PROCESS_NAME_NATIVE = 1;

const [inputFile, outputFile] = process.argv.slice(2);
if (inputFile === undefined || outputFile === undefined) throw new Error('usage: nt-path-check IN OUT');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as Input;
const result: Record<string, unknown> = {};

/** Where `dosPath` (`X:\rest`) is under the device the map gives for X:, and back. */
function roundTrip(map: ReadonlyMap<string, string>, dosPath: string): Record<string, unknown> {
  const device = map.get(dosPath.slice(0, 2).toUpperCase());
  const nt = device === undefined ? undefined : `${device}${dosPath.slice(2)}`;
  const back = nt === undefined ? undefined : ntPathToDosPath(nt, map);
  return { device, nt, back: back ?? null, exists: back !== undefined && existsSync(back) };
}

/** This process's image path as Windows reports it in NT form. */
function nativeImagePath(): string | undefined {
  const k32 = kernel32();
  const process = k32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, globalThis.process.pid);
  if (process.value === 0n) return undefined;
  try {
    const name = Buffer.alloc(32_768 * 2);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(32_768, 0);
    const got = k32.QueryFullProcessImageNameW(process.value, PROCESS_NAME_NATIVE, name, size);
    return got.value === 0 ? `error ${String(got.code)}` : fromUtf16z(name, size.readUInt32LE(0));
  } finally {
    k32.CloseHandle(process.value);
  }
}

try {
  const map = readDosDeviceMap();
  result['map'] = Object.fromEntries(map);
  writeFileSync(input.cFile, 'zenithfence nt-path check\n');
  try {
    result['c'] = roundTrip(map, input.cFile);
    // The device part compares without case, as Windows does.
    const c = result['c'] as { nt?: string };
    result['cUpper'] = c.nt === undefined ? null : (ntPathToDosPath(c.nt.toUpperCase(), map) ?? null);
  } finally {
    rmSync(input.cFile, { force: true });
  }
  result['z'] = roundTrip(map, input.zFile);
  result['zContent'] = readFileSync((result['z'] as { back: string }).back, 'utf8');
  const native = nativeImagePath();
  result['native'] = native ?? null;
  const nativeBack = native === undefined ? undefined : ntPathToDosPath(native, map);
  result['nativeBack'] = nativeBack ?? null;
  result['execPath'] = process.execPath;
} catch (error) {
  result['error'] = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}
writeFileSync(outputFile, toJson(result));
