import type { DriverEvent, ProcessInfo } from '../contract/driver-events.ts';
import type { ProcessFacts, SystemPort } from './runtime.ts';

type Attributed = Extract<DriverEvent, { kind: 'connection' | 'rule-decided' }>;

/**
 * The process of a connection as the user should see it. The driver's details come first; what
 * it left out is asked of the system port: a pid without a Process info, or one whose path the
 * driver could not read (the Windows driver sends pid only where its layer gave no path), gets
 * the executable path, uid and start time of the running process. A path the driver reported
 * is turned into the form the user knows (Windows: `\Device\HarddiskVolume3\…` → `C:\…`).
 * Pid 0 means "unknown" and is never looked up.
 */
export function attributeProcess<E extends DriverEvent>(event: E, system: SystemPort): E {
  if (event.kind !== 'connection' && event.kind !== 'rule-decided') return event;
  const attributed = event as Attributed;
  const process = completed(attributed.pid, attributed.process, system);
  return process === attributed.process ? event : { ...event, process };
}

function completed(pid: number, given: ProcessInfo | null, system: SystemPort): ProcessInfo | null {
  if (given !== null && given.startTime !== 0n) system.noteProcess?.(pid, given.startTime);
  if (given !== null && given.path !== '') {
    const shown = system.appPath?.(given.path) ?? given.path;
    return shown === given.path ? given : { ...given, path: shown };
  }
  if (pid === 0 || system.describeProcess === undefined) return given;
  const facts: ProcessFacts | undefined = system.describeProcess(pid);
  if (facts === undefined) return given;
  // Both start times known and different: the pid now belongs to another program (the one the
  // driver saw has exited). Its path would name the wrong program and let that program's rules
  // decide; the connection stays without a path.
  if (given !== null && given.startTime !== 0n && facts.startTime !== 0n && given.startTime !== facts.startTime) {
    return given;
  }
  return {
    pid,
    // The driver's start time and uid are what it saw when the connection was made.
    startTime: given !== null && given.startTime !== 0n ? given.startTime : facts.startTime,
    uid: given?.uid ?? facts.uid,
    path: facts.path,
    commandLine: given?.commandLine ?? [],
  };
}
