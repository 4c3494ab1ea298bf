// The drive → NT device map for nt-path.ts, read with QueryDosDeviceW for A: … Z:.
import { kernel32 } from '../ffi.ts';
import type { DosDeviceMap } from './nt-path.ts';
import { fromMultiSz, utf16z } from './utf16.ts';

/** Looks up one drive's device targets (the first is current); undefined when the drive is unused. */
export type DosDeviceQuery = (drive: string) => readonly string[] | undefined;

/** Builds the map from a per-drive query (pure: tests inject the query). */
export function buildDosDeviceMap(query: DosDeviceQuery): DosDeviceMap {
  const map = new Map<string, string>();
  for (let code = 'A'.charCodeAt(0); code <= 'Z'.charCodeAt(0); code += 1) {
    const drive = `${String.fromCharCode(code)}:`;
    const target = query(drive)?.[0];
    if (target !== undefined) map.set(drive, target);
  }
  return map;
}

// MAX_PATH-sized targets are the norm; a SUBST of a long path can exceed it, hence 32 KiB.
const TARGET_CHARS = 16 * 1024;

/** QueryDosDeviceW for one drive (Windows only). */
export function queryDosDevice(drive: string): string[] | undefined {
  const target = Buffer.alloc(TARGET_CHARS * 2);
  const got = kernel32().QueryDosDeviceW(utf16z(drive), target, TARGET_CHARS);
  if (got.value === 0) return undefined;
  return fromMultiSz(target, got.value);
}

/** The current drive → device map of this machine (Windows only). Re-read when drives change. */
export function readDosDeviceMap(): DosDeviceMap {
  return buildDosDeviceMap(queryDosDevice);
}
