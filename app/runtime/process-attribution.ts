import type { DriverEvent, ProcessInfo } from '../contract/driver-events.ts';
import type { ProcessFacts, SystemPort } from './runtime.ts';

type Attributed = Extract<DriverEvent, { kind: 'connection' | 'rule-decided' }>;

/** What the driver reported of a pid, as the engine's process directory keeps it. */
export type ReportedProcess = (pid: number) => ProcessInfo | undefined;

/**
 * The process of a connection as the user should see it. The driver's details come first; what
 * it left out is asked of the system port: a pid without a Process info, or one whose path the
 * driver could not read (the Windows driver sends pid only where its layer gave no path), gets
 * the executable path, uid and start time of the running process. A path the driver reported
 * is turned into the form the user knows (Windows: `\Device\HarddiskVolume3\…` → `C:\…`).
 * Pid 0 means "unknown" and is never looked up.
 *
 * The driver's details come as `process` events (translated here as they pass) and the engine's
 * process directory keeps them, so a connection without details of its own is completed from
 * `reported` (that directory); one that carries details is completed from those.
 */
export function attributeProcess<E extends DriverEvent>(
  event: E,
  system: SystemPort,
  reported: ReportedProcess = () => undefined,
): E {
  if (event.kind === 'process') {
    const process = shown(event.process, system);
    return process === event.process ? event : { ...event, process };
  }
  if (event.kind !== 'connection' && event.kind !== 'rule-decided') return event;
  const attributed = event as Attributed;
  if (attributed.process !== null) {
    const process = completed(attributed.pid, shown(attributed.process, system), system);
    return process === attributed.process ? event : { ...event, process };
  }
  const given = attributed.pid === 0 ? null : (reported(attributed.pid) ?? null);
  // A reported path was translated when its process event passed: the engine uses it as it is.
  if (given !== null && given.path !== '') return event;
  // Otherwise the request carries what it was attributed to, also the driver's report alone
  // (the directory may hold details the system gave for an earlier connection of the pid).
  const process = completed(attributed.pid, given, system);
  return process === null ? event : { ...event, process };
}

/** The driver's details as the user knows them (noting its start time for the system port). */
function shown(given: ProcessInfo, system: SystemPort): ProcessInfo {
  if (given.startTime !== 0n) system.noteProcess?.(given.pid, given.startTime);
  if (given.path === '') return given;
  const path = system.appPath?.(given.path) ?? given.path;
  return path === given.path ? given : { ...given, path };
}

function completed(pid: number, given: ProcessInfo | null, system: SystemPort): ProcessInfo | null {
  if (given !== null && given.path !== '') return given;
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
