// Application paths on Windows: the driver reports NT device paths (`\Device\HarddiskVolume3\…`),
// the user knows DOS paths (`C:\…`). The app shows and stores DOS paths; the policy it sends the
// driver needs NT paths again (driver/windows/README.md, "App identity").
import { type DosDeviceMap, ntPathToDosPath } from '../../native/src/index.ts';

/** The map is read again at most this often when a path does not convert (a drive letter added since). */
const REREAD_MS = 5000;
/**
 * How often {@link DosPathConverter.mapKey} reads the map again. The policy's NT paths are only as
 * right as the map they were made with: a drive plugged in or mounted on another volume since
 * would leave an app rule matching nothing in the driver, where a broader rule would then decide.
 */
export const MAP_CHECK_MS = 2000;

/** Converts NT paths with the drive → device map, read again when a path does not convert. */
export interface DosPathConverter {
  /** The DOS path of `ntPath`, or `ntPath` itself when no drive maps to its volume. */
  toDos(ntPath: string): string;
  /** The NT path of a DOS path (`C:\x` → `\Device\HarddiskVolume3\x`, `\\srv\share` → `\Device\Mup\srv\share`); others as they are. */
  toNt(dosPath: string): string;
  /**
   * The drive map as a string, read again when older than {@link MAP_CHECK_MS}: it changes when a
   * drive comes, goes or moves to another volume, and then the driver's policy must be made anew.
   */
  mapKey(): string;
}

/**
 * `readMap` is readDosDeviceMap in the app; a read that throws counts as an empty map (paths then
 * show as the driver reported them, and the next failure tries again after REREAD_MS).
 */
export function createDosPathConverter(readMap: () => DosDeviceMap, now: () => number = Date.now): DosPathConverter {
  let map: DosDeviceMap | undefined;
  let readAt = 0;
  const read = (): DosDeviceMap => {
    readAt = now();
    try {
      map = readMap();
    } catch {
      map = new Map();
    }
    return map;
  };
  const current = (): DosDeviceMap => map ?? read();
  return {
    mapKey() {
      const fresh = map === undefined || now() - readAt >= MAP_CHECK_MS ? read() : current();
      return [...fresh.entries()]
        .map(([drive, device]) => `${drive.toUpperCase()}=${device.toLowerCase()}`)
        .sort()
        .join(';');
    },
    toDos(ntPath) {
      const dos = ntPathToDosPath(ntPath, current());
      if (dos !== undefined) return dos;
      if (now() - readAt < REREAD_MS) return ntPath;
      return ntPathToDosPath(ntPath, read()) ?? ntPath;
    },
    toNt(dosPath) {
      return toNtPath(
        dosPath,
        (letter) => current().get(letter) ?? (now() - readAt < REREAD_MS ? undefined : read().get(letter)),
      );
    },
  };
}

/** A SUBST drive maps to another DOS path, which may be SUBST again: followed this deep at most. */
const MAX_SUBST_DEPTH = 8;

/**
 * The NT path of a path the user wrote: `C:\x` → `<C:'s volume>\x`; the kernel-namespace forms
 * `\\?\C:\x` and `\??\C:\x` as `C:\x`; `\\srv\share` and `\\?\UNC\srv\share` → `\Device\Mup\srv\share`;
 * a SUBST drive (its device is `\??\C:\dir`) through the drive it names. Others as they are.
 */
function toNtPath(written: string, device: (letter: string) => string | undefined, depth = 0): string {
  const unc = /^(?:\\\\\?\\|\\\?\?\\)UNC\\(.*)$/i.exec(written);
  if (unc?.[1] !== undefined) return `\\Device\\Mup\\${unc[1]}`;
  const win32 = /^(?:\\\\\?\\|\\\?\?\\)([A-Za-z]:(?:\\.*)?)$/.exec(written);
  const path = win32?.[1] ?? written;
  if (path.startsWith('\\\\') && !path.startsWith('\\\\?\\') && !path.startsWith('\\\\.\\')) {
    return `\\Device\\Mup\\${path.slice(2)}`;
  }
  const drive = /^([A-Za-z]:)(\\.*)?$/.exec(path);
  if (drive?.[1] === undefined) return path;
  const target = device(drive[1].toUpperCase());
  if (target === undefined) return path;
  const rest = drive[2] ?? '\\';
  const subst = /^\\\?\?\\([A-Za-z]:.*)$/.exec(target);
  if (subst?.[1] !== undefined) {
    if (depth >= MAX_SUBST_DEPTH) return path;
    return toNtPath(`${subst[1].replace(/\\+$/, '')}${rest}`, device, depth + 1);
  }
  return `${target.replace(/\\+$/, '')}${rest}`;
}
