import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import type { ProcessFacts, SystemPort } from '../runtime/runtime.ts';
import { statStartTime, statusUid } from './linux-proc.ts';
import { reverseLookupWithTimeout } from './reverse-lookup.ts';

/** Reads a /proc file, or undefined when the process is gone or closed to this user. */
function readProc(read: () => string): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * The facts of a running process from /proc (`root` is /proc, or a test's copy): the executable
 * (readable only for this user's processes unless the app runs as root: then '' here), the real
 * uid and the start time. Undefined when the pid has no process.
 */
export function procProcessFacts(pid: number, root = '/proc'): ProcessFacts | undefined {
  const dir = `${root}/${String(pid)}`;
  const stat = readProc(() => readFileSync(`${dir}/stat`, 'utf8'));
  if (stat === undefined) return undefined;
  const status = readProc(() => readFileSync(`${dir}/status`, 'utf8'));
  return {
    path: readProc(() => readlinkSync(`${dir}/exe`)) ?? '',
    uid: status === undefined ? null : (statusUid(status) ?? null),
    startTime: statStartTime(stat) ?? 0n,
  };
}

/** The Linux system port: /proc for processes, the system resolver for PTR names; paths as the daemon reports them. */
export function linuxSystemPort(): SystemPort {
  return {
    processAlive: (pid) => existsSync(`/proc/${String(pid)}`),
    reverseLookup: reverseLookupWithTimeout(),
    describeProcess: (pid) => procProcessFacts(pid),
  };
}
