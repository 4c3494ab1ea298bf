// Adversarial review (issue 12): the Windows system port as the runtime uses it.
import { describe, expect, it } from 'vitest';
import { type AccountParts, createWindowsProcessInfo, type ProcessCalls } from '../../native/src/index.ts';
import type { ConnectionRequest } from '../contract/driver-events.ts';
import { attributeProcess } from '../runtime/process-attribution.ts';
import { choosePlatform } from './index.ts';

const ACCESS_DENIED = 5;
const INVALID_PARAMETER = 87;
const WAIT_OBJECT_0 = 0;
const WAIT_TIMEOUT = 0x102;
const STILL_ACTIVE = 259;
const DOMAIN_SID = Buffer.from([1, 1, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0]);

interface Proc {
  creation: bigint;
  path: string;
  exited: boolean;
}

/** A process table behind the Win32 calls; counts LookupAccountSidW calls. */
function fakeWindows() {
  const table = new Map<number, Proc>();
  const handles = new Map<bigint, Proc>();
  let next = 100n;
  let lookups = 0;
  const of = (handle: bigint): Proc => {
    const found = handles.get(handle);
    if (found === undefined) throw new Error('closed handle');
    return found;
  };
  const calls: ProcessCalls = {
    openProcess: (pid): ReturnType<ProcessCalls['openProcess']> => {
      const proc = table.get(pid);
      if (proc === undefined) return { value: 0n, code: INVALID_PARAMETER };
      next += 4n;
      handles.set(next, proc);
      return { value: next, code: 0 };
    },
    imagePath: (h) => of(h).path,
    creationTime: (h) => of(h).creation,
    waitZero: (h) => (of(h).exited ? WAIT_OBJECT_0 : WAIT_TIMEOUT),
    exitCode: (h) => (of(h).exited ? 0 : STILL_ACTIVE),
    userSid: () => DOMAIN_SID,
    lookupAccount: (): AccountParts | undefined => {
      // On a domain member whose controller cannot be reached this call blocks for seconds.
      lookups += 1;
      return { domain: 'CORP', name: 'me' };
    },
    closeHandle: (h) => void handles.delete(h),
  };
  return { table, calls, lookups: () => lookups, accessDenied: ACCESS_DENIED };
}

function connection(pid: number, path: string, startTime: bigint): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: 1n,
    direction: 'outbound',
    ipVersion: 4,
    flow: { protocol: 6, localIp: '10.0.0.1', localPort: 40001, remoteIp: '93.184.216.34', remotePort: 443 },
    pid,
    process: { pid, startTime, uid: null, path, commandLine: [] },
  };
}

function windowsSystem(fake: ReturnType<typeof fakeWindows>) {
  const platform = choosePlatform('win32', {
    env: {},
    processInfo: (options) => createWindowsProcessInfo(fake.calls, options),
    readDosDevices: () => new Map([['C:', '\\Device\\HarddiskVolume3']]),
  });
  return platform.systemPort();
}

describe('the Windows system port in the runtime (review)', () => {
  it('says a process the driver described has exited once another process reuses its pid', () => {
    const fake = fakeWindows();
    const system = windowsSystem(fake);
    fake.table.set(100, { creation: 1n, path: 'C:\\Tools\\app.exe', exited: false });
    // The runtime attributes the connection (the driver gave the path: nothing is opened) and
    // files pid 100 under the app (#noteProcess) for its 'until the app quits' rules.
    attributeProcess(connection(100, '\\Device\\HarddiskVolume3\\Tools\\app.exe', 1n), system);
    // The app exits before the next exit check; Windows gives pid 100 to another program.
    fake.table.set(100, { creation: 2n, path: 'C:\\Windows\\notepad.exe', exited: false });
    expect(system.processAlive(100)).toBe(false);
  });

  it('does not look the account up (LookupAccountSidW may block the event loop) when the user is not used', () => {
    const fake = fakeWindows();
    const system = windowsSystem(fake);
    fake.table.set(200, { creation: 1n, path: 'C:\\Tools\\app.exe', exited: false });
    const facts = system.describeProcess?.(200);
    expect(facts?.uid).toBeNull();
    expect(fake.lookups()).toBe(0);
  });
});
