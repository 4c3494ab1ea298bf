// Runs under Node for Windows in Wine (held-process.ts beside this folder): the process a device
// stand-in's held connection belongs to. It reports its pid, what QueryDosDeviceW gives for its own
// drive, its image path in NT form (QueryFullProcessImageNameW, PROCESS_NAME_NATIVE) and its
// creation time (GetProcessTimes: what the Windows driver sends as the start time), then
// waits until it is ended: an app under test must find it alive.
import { renameSync, writeFileSync } from 'node:fs';
import { kernel32 } from '../../../src/ffi.ts';
import { queryDosDevice } from '../../../src/windows/dos-devices.ts';
import { openWindowsProcessInfo } from '../../../src/windows/process-info.ts';
import { fromUtf16z } from '../../../src/windows/utf16.ts';
import { toJson } from './json-safe.ts';

const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
const PROCESS_NAME_NATIVE = 1;
const NAME_CHARS = 32_768;

const [outputFile] = process.argv.slice(2);
if (outputFile === undefined) throw new Error('usage: held-process OUT');

/** This process's image path as Windows reports it in NT form, or why not. */
function nativeImagePath(): string {
  const k32 = kernel32();
  const handle = k32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, process.pid);
  if (handle.value === 0n) return `error ${String(handle.code)}`;
  try {
    const name = Buffer.alloc(NAME_CHARS * 2);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(NAME_CHARS, 0);
    const got = k32.QueryFullProcessImageNameW(handle.value, PROCESS_NAME_NATIVE, name, size);
    return got.value === 0 ? `error ${String(got.code)}` : fromUtf16z(name, size.readUInt32LE(0));
  } finally {
    k32.CloseHandle(handle.value);
  }
}

const drive = process.execPath.slice(0, 2);
// Written aside and renamed into place: the test polls for the file and must not read half of it.
writeFileSync(
  `${outputFile}.partial`,
  toJson({
    pid: process.pid,
    execPath: process.execPath,
    driveDevice: queryDosDevice(drive)?.[0] ?? null,
    nativeImage: nativeImagePath(),
    startTime: (openWindowsProcessInfo({ accounts: false }).describe(process.pid)?.startTime ?? 0n).toString(),
  }),
);
renameSync(`${outputFile}.partial`, outputFile);
// Alive until killed (the test ends it, and stopWine ends the prefix).
setInterval(() => undefined, 60_000);
