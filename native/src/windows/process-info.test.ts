// The Windows process facts over a fake process table: which calls are made, which handles stay
// open, liveness by waiting on a held handle, pid reuse by creation time, the bound of the cache.
import { describe, expect, it } from 'vitest';
import type { SysResult } from '../ffi.ts';
import type { AccountParts, ProcessCalls } from './process-calls.ts';
import {
  PROCESS_QUERY_LIMITED_INFORMATION,
  STILL_ACTIVE,
  SYNCHRONIZE,
  WAIT_FAILED,
  WAIT_OBJECT_0,
  WAIT_TIMEOUT,
} from './process-calls.ts';
import { createWindowsProcessInfo } from './process-info.ts';
import { PROCESS_ERROR } from './process-values.ts';

interface FakeProcess {
  creation: bigint;
  path: string;
  sid: Buffer | undefined;
  exited: boolean;
  /** Opening with SYNCHRONIZE is refused (ERROR_ACCESS_DENIED). */
  noSynchronize?: boolean;
  /** Every open is refused (a protected process). */
  protected?: boolean;
}

const USER_SID = Buffer.from([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
const ORPHAN_SID = Buffer.from([1, 1, 0, 0, 0, 0, 0, 5, 99, 0, 0, 0]);

/** A process table and the calls over it; handles are numbered, and each records its process. */
function fakeWindows() {
  const processes = new Map<number, FakeProcess>();
  const handles = new Map<bigint, { process: FakeProcess; synchronize: boolean }>();
  const opens: Array<{ pid: number; access: number }> = [];
  let next = 100n;
  const handleOf = (handle: bigint) => {
    const found = handles.get(handle);
    if (found === undefined) throw new Error(`handle ${String(handle)} is not open`);
    return found;
  };
  const calls: ProcessCalls = {
    openProcess: (pid, access): SysResult<bigint> => {
      opens.push({ pid, access });
      const process = processes.get(pid);
      if (process === undefined) return { value: 0n, code: PROCESS_ERROR.INVALID_PARAMETER };
      const synchronize = (access & SYNCHRONIZE) !== 0;
      if (process.protected === true || (synchronize && process.noSynchronize === true)) {
        return { value: 0n, code: PROCESS_ERROR.ACCESS_DENIED };
      }
      next += 4n;
      handles.set(next, { process, synchronize });
      return { value: next, code: 0 };
    },
    imagePath: (handle) => handleOf(handle).process.path,
    creationTime: (handle) => handleOf(handle).process.creation,
    waitZero: (handle) => {
      const { process, synchronize } = handleOf(handle);
      if (!synchronize) return WAIT_FAILED;
      return process.exited ? WAIT_OBJECT_0 : WAIT_TIMEOUT;
    },
    exitCode: (handle) => (handleOf(handle).process.exited ? 0 : STILL_ACTIVE),
    userSid: (handle) => handleOf(handle).process.sid,
    lookupAccount: (sid): AccountParts | undefined =>
      sid.equals(USER_SID) ? { domain: 'NT AUTHORITY', name: 'SYSTEM' } : undefined,
    closeHandle: (handle) => {
      handleOf(handle);
      handles.delete(handle);
    },
  };
  return { processes, handles, opens, calls };
}

function started(creation: bigint, path = 'C:\\Tools\\curl.exe'): FakeProcess {
  return { creation, path, sid: USER_SID, exited: false };
}

describe('Windows process facts', () => {
  it('describes a process once: path, user, creation time, with one handle kept', () => {
    const win = fakeWindows();
    win.processes.set(4242, started(116_444_736_000_000_000n + 10_000n));
    const info = createWindowsProcessInfo(win.calls);
    expect(info.describe(4242)).toEqual({
      pid: 4242,
      path: 'C:\\Tools\\curl.exe',
      user: 'NT AUTHORITY\\SYSTEM',
      startTime: 116_444_736_000_000_000n + 10_000n,
      startedAtMs: 1,
    });
    expect(win.opens).toEqual([{ pid: 4242, access: PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE }]);
    // The second time comes from the held handle: no new open.
    expect(info.describe(4242)?.path).toBe('C:\\Tools\\curl.exe');
    expect(win.opens).toHaveLength(1);
    expect(info.heldHandles).toBe(1);
    expect(win.handles.size).toBe(1);
  });

  it('gives the SID string when no account has it, and null when the token cannot be read', () => {
    const win = fakeWindows();
    win.processes.set(7, { ...started(1n), sid: ORPHAN_SID });
    win.processes.set(8, { ...started(1n), sid: undefined });
    const info = createWindowsProcessInfo(win.calls);
    expect(info.describe(7)?.user).toBe('S-1-5-99');
    expect(info.describe(8)?.user).toBeNull();
  });

  it('knows nothing of a pid without a process, and holds no handle for it', () => {
    const win = fakeWindows();
    const info = createWindowsProcessInfo(win.calls);
    expect(info.describe(999)).toBeUndefined();
    expect(info.alive(999)).toBe(false);
    expect(win.handles.size).toBe(0);
  });

  it('tells liveness by waiting on the held handle, and closes it once the process exited', () => {
    const win = fakeWindows();
    const curl = started(5n);
    win.processes.set(10, curl);
    const info = createWindowsProcessInfo(win.calls);
    info.describe(10);
    expect(info.alive(10)).toBe(true);
    expect(win.opens).toHaveLength(1);
    curl.exited = true;
    expect(info.alive(10)).toBe(false);
    expect(win.handles.size).toBe(0);
    expect(info.heldHandles).toBe(0);
  });

  it('uses the exit code where SYNCHRONIZE is refused', () => {
    const win = fakeWindows();
    const service = { ...started(5n), noSynchronize: true };
    win.processes.set(11, service);
    const info = createWindowsProcessInfo(win.calls);
    expect(info.alive(11)).toBe(true);
    expect(win.opens.map((o) => o.access)).toEqual([
      PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE,
      PROCESS_QUERY_LIMITED_INFORMATION,
    ]);
    service.exited = true;
    expect(info.alive(11)).toBe(false);
    expect(win.handles.size).toBe(0);
  });

  it('counts a process it may not open as running, and describes it as unknown', () => {
    const win = fakeWindows();
    win.processes.set(4, { ...started(1n), protected: true });
    const info = createWindowsProcessInfo(win.calls);
    expect(info.alive(4)).toBe(true);
    expect(info.describe(4)).toBeUndefined();
    expect(win.handles.size).toBe(0);
  });

  it('sees pid reuse by the creation time once the handle was let go', () => {
    const win = fakeWindows();
    win.processes.set(20, started(100n));
    // One handle at most: describing 21 lets 20's handle go (Windows may then reuse the pid).
    const info = createWindowsProcessInfo(win.calls, { maxHandles: 1 });
    info.describe(20);
    win.processes.set(21, started(300n));
    info.describe(21);
    expect(info.heldHandles).toBe(1);
    // 20 exited and a new process got its pid.
    win.processes.set(20, started(200n, 'C:\\Other\\app.exe'));
    expect(info.alive(20)).toBe(false);
    // The new process is not adopted as the old one: its handle was closed again.
    expect(win.handles.size).toBe(1);
    // Asked to describe the pid now, it is the new process.
    expect(info.describe(20)?.path).toBe('C:\\Other\\app.exe');
  });

  it('keeps at most maxHandles handles, closing the least recently used', () => {
    const win = fakeWindows();
    for (let pid = 1; pid <= 5; pid += 1) win.processes.set(pid, started(BigInt(pid)));
    const info = createWindowsProcessInfo(win.calls, { maxHandles: 3 });
    for (const pid of [1, 2, 3]) info.describe(pid);
    info.alive(1); // 1 is now the most recently used
    info.describe(4);
    info.describe(5);
    expect(info.heldHandles).toBe(3);
    expect([...win.handles.values()].map((h) => h.process.creation).sort()).toEqual([1n, 4n, 5n]);
  });

  it('closes handles it is told to forget, and all of them on close', () => {
    const win = fakeWindows();
    for (let pid = 1; pid <= 3; pid += 1) win.processes.set(pid, started(BigInt(pid)));
    const info = createWindowsProcessInfo(win.calls);
    for (const pid of [1, 2, 3]) info.describe(pid);
    info.forget(2);
    info.forget(77);
    expect(win.handles.size).toBe(2);
    info.close();
    expect(win.handles.size).toBe(0);
    expect(info.heldHandles).toBe(0);
  });
});
