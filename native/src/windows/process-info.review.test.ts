// Adversarial review (issue 12): liveness of a pid whose process this user may not open.
import { describe, expect, it } from 'vitest';
import type { SysResult } from '../ffi.ts';
import type { ProcessCalls } from './process-calls.ts';
import { STILL_ACTIVE, WAIT_OBJECT_0, WAIT_TIMEOUT } from './process-calls.ts';
import { createWindowsProcessInfo } from './process-info.ts';
import { PROCESS_ERROR } from './process-values.ts';

interface Proc {
  creation: bigint;
  exited: boolean;
  protected: boolean;
}

function fake() {
  const table = new Map<number, Proc>();
  const handles = new Map<bigint, Proc>();
  let next = 8n;
  const of = (h: bigint): Proc => {
    const p = handles.get(h);
    if (p === undefined) throw new Error('closed');
    return p;
  };
  const calls: ProcessCalls = {
    openProcess: (pid): SysResult<bigint> => {
      const p = table.get(pid);
      if (p === undefined) return { value: 0n, code: PROCESS_ERROR.INVALID_PARAMETER };
      if (p.protected) return { value: 0n, code: PROCESS_ERROR.ACCESS_DENIED };
      next += 4n;
      handles.set(next, p);
      return { value: next, code: 0 };
    },
    imagePath: () => 'C:\\Tools\\app.exe',
    creationTime: (h) => of(h).creation,
    waitZero: (h) => (of(h).exited ? WAIT_OBJECT_0 : WAIT_TIMEOUT),
    exitCode: (h) => (of(h).exited ? 0 : STILL_ACTIVE),
    userSid: () => undefined,
    lookupAccount: () => undefined,
    closeHandle: (h) => void handles.delete(h),
  };
  return { table, calls };
}

describe('Windows process liveness (review)', () => {
  it('does not call a pid alive again once its process exited, when a process it cannot open reuses the pid', () => {
    const win = fake();
    const info = createWindowsProcessInfo(win.calls);
    const first: Proc = { creation: 1n, exited: false, protected: false };
    win.table.set(300, first);
    expect(info.describe(300)?.startTime).toBe(1n);
    expect(info.alive(300)).toBe(true);
    // It exits (the held handle says so), and a protected process takes the pid.
    first.exited = true;
    expect(info.alive(300)).toBe(false);
    win.table.set(300, { creation: 2n, exited: false, protected: true });
    // The creation time of the process the caller followed is remembered (knownStarts), but an
    // access-denied open cannot be compared with it: the followed process is reported alive again.
    expect(info.alive(300)).toBe(false);
  });
});
