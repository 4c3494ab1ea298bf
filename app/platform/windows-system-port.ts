import type { WindowsProcessInfo } from '../../native/src/index.ts';
import type { SystemPort } from '../runtime/runtime.ts';
import { reverseLookupWithTimeout } from './reverse-lookup.ts';
import type { DosPathConverter } from './windows-paths.ts';

/**
 * The Windows system port: process facts through held process handles (native process-info.ts:
 * liveness by waiting on the handle, no process list polling), NT device paths shown as DOS
 * paths. Windows names a process's user (`DOMAIN\user`), not a uid: the engine has no field for
 * it yet, so uid stays null.
 */
export function windowsSystemPort(processes: WindowsProcessInfo, paths: DosPathConverter): SystemPort {
  return {
    processAlive: (pid) => processes.alive(pid),
    noteProcess: (pid, startTime) => processes.note(pid, startTime),
    reverseLookup: reverseLookupWithTimeout(),
    describeProcess: (pid) => {
      const facts = processes.describe(pid);
      // QueryFullProcessImageNameW (flags 0) gives the Win32 path already; toDos leaves it as is.
      return facts === undefined ? undefined : { path: paths.toDos(facts.path), uid: null, startTime: facts.startTime };
    },
    appPath: (driverPath) => paths.toDos(driverPath),
  };
}
