// NT device paths (what WFP reports as an application id) to DOS paths (what the app shows and
// what app.getFileIcon opens): `\Device\HarddiskVolume3\Windows\x.exe` → `C:\Windows\x.exe`,
// using the drive → device map QueryDosDevice gives (dos-devices.ts), injected as data.

/** Drive (`C:`) → NT device (`\Device\HarddiskVolume3`), as QueryDosDeviceW reports them. */
export type DosDeviceMap = ReadonlyMap<string, string>;

// Redirectors whose paths continue with `\server\share\...`: they become UNC paths.
const UNC_DEVICES = ['\\device\\mup\\', '\\device\\lanmanredirector\\'];

/**
 * The DOS path of `ntPath`, or undefined when no drive maps to its device. Prefixes compare
 * case-insensitively and only at a path separator (HarddiskVolume1 is not HarddiskVolume10).
 * `\??\C:\x` and `\\?\C:\x` lose their prefix; a path that already is a DOS path is returned as is.
 */
export function ntPathToDosPath(ntPath: string, devices: DosDeviceMap): string | undefined {
  if (/^[A-Za-z]:(\\|$)/.test(ntPath)) return ntPath;
  const win32Prefixed = /^(\\\?\?\\|\\\\\?\\)([A-Za-z]:(\\.*)?)$/.exec(ntPath);
  if (win32Prefixed?.[2] !== undefined) return win32Prefixed[2];
  const lower = ntPath.toLowerCase();
  for (const unc of UNC_DEVICES) {
    if (lower.startsWith(unc)) return `\\\\${ntPath.slice(unc.length)}`;
  }
  let best: { drive: string; length: number } | undefined;
  for (const [drive, device] of devices) {
    const prefix = device.toLowerCase().replace(/\\+$/, '');
    if (prefix === '') continue;
    const boundary = lower.length === prefix.length || lower[prefix.length] === '\\';
    if (lower.startsWith(prefix) && boundary && (best === undefined || prefix.length > best.length)) {
      best = { drive, length: prefix.length };
    }
  }
  if (best === undefined) return undefined;
  const rest = ntPath.slice(best.length);
  return `${best.drive.toUpperCase()}${rest === '' ? '\\' : rest}`;
}
