// Installs the device stand-in (device-standin.c) as a kernel driver service of the Wine prefix,
// with Wine's own sc.exe and reg.exe, so a test gets a device `\\.\<name>` of its own.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyIntoPrefix, ntPath, run, wineEnvironment, type WineSetup } from './wine-env.ts';

/** The stand-in's registry settings (see the comment at the top of device-standin.c). */
export interface StandinSettings {
  /** Infos queued after the client's first Hello. */
  readonly script?: Uint8Array;
  /** Extension features it grants (ANDed with the Hello's). */
  readonly features?: number;
  /** The major version the version IOCTL reports (default 2). */
  readonly major?: number;
}

/** A running stand-in device. */
export interface Standin {
  readonly name: string;
  /** `\\.\<name>`, as the transport opens it. */
  readonly devicePath: string;
  /** Every command the device accepted, in order, as written. */
  commands(): Uint8Array[];
  /** Stops the service and deletes it and its files. */
  remove(): void;
}

let counter = 0;

/** Creates and starts a stand-in service; its files live in `workDir`. */
export function startStandin(setup: WineSetup, workDir: string, settings: StandinSettings = {}): Standin {
  counter += 1;
  const name = `zfstandin${String(process.pid)}x${String(counter)}`;
  const dir = path.join(workDir, name);
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'commands.bin');
  const env = wineEnvironment(setup);
  // Each service gets its own copy of the .sys: Wine maps one image once, and the stand-in keeps
  // its device in globals.
  const binary = copyIntoPrefix(setup, setup.standinSys, `${name}.sys`);
  run('wine', ['sc', 'create', name, 'type=', 'kernel', 'start=', 'demand', 'binPath=', binary], env);
  const key = `HKLM\\System\\CurrentControlSet\\Services\\${name}`;
  const set = (value: string, type: 'REG_SZ' | 'REG_DWORD', data: string): void => {
    run('wine', ['reg', 'add', key, '/v', value, '/t', type, '/d', data, '/f'], env);
  };
  set('Log', 'REG_SZ', ntPath(log));
  if (settings.script !== undefined) {
    const script = path.join(dir, 'script.bin');
    writeFileSync(script, settings.script);
    set('Script', 'REG_SZ', ntPath(script));
  }
  set('Features', 'REG_DWORD', String(settings.features ?? 0));
  set('Major', 'REG_DWORD', String(settings.major ?? 2));
  run('wine', ['sc', 'start', name], env);
  return {
    name,
    devicePath: `\\\\.\\${name}`,
    commands: () => readCommandLog(log),
    remove() {
      spawnQuiet(['sc', 'stop', name], env);
      spawnQuiet(['sc', 'delete', name], env);
      rmSync(path.join(setup.prefix, 'drive_c', 'zenithfence-tests', `${name}.sys`), { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function spawnQuiet(args: readonly string[], env: NodeJS.ProcessEnv): void {
  try {
    run('wine', args, env);
  } catch {
    // Cleanup: a service already stopped or gone is what we want.
  }
}

/** Parses the stand-in's command log: u32 little-endian length, then the command. */
export function readCommandLog(file: string): Uint8Array[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return [];
  }
  const commands: Uint8Array[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    if (at + 4 + length > bytes.length) throw new Error(`command log ${file}: truncated at ${String(at)}`);
    commands.push(new Uint8Array(bytes.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return commands;
}

/** A service's registry values as Wine's reg.exe prints them (the SCM keeps its config there). */
export interface ServiceKey {
  readonly type?: number | undefined;
  readonly start?: number | undefined;
  readonly errorControl?: number | undefined;
  readonly imagePath?: string | undefined;
  readonly displayName?: string | undefined;
  /** DependOnService, split at its NULs. */
  readonly dependOnService?: readonly string[] | undefined;
}

/** Reads `HKLM\System\CurrentControlSet\Services\<name>`; undefined when the key does not exist. */
export function readServiceKey(setup: WineSetup, name: string): ServiceKey | undefined {
  let text: string;
  try {
    text = run('wine', ['reg', 'query', `HKLM\\System\\CurrentControlSet\\Services\\${name}`], wineEnvironment(setup));
  } catch {
    return undefined;
  }
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s+(\S+)\s+REG_\w+\s+(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1].toLowerCase(), match[2]);
  }
  const dword = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));
  const depends = values.get('dependonservice');
  return {
    type: dword(values.get('type')),
    start: dword(values.get('start')),
    errorControl: dword(values.get('errorcontrol')),
    imagePath: values.get('imagepath'),
    displayName: values.get('displayname'),
    dependOnService: depends?.split('\\0').filter((part) => part !== ''),
  };
}

/** Stops and deletes a service of the prefix if it exists (cleanup: errors are ignored). */
export function deleteServiceQuietly(setup: WineSetup, name: string): void {
  const env = wineEnvironment(setup);
  spawnQuiet(['sc', 'stop', name], env);
  spawnQuiet(['sc', 'delete', name], env);
}
