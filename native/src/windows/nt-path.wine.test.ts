// NT -> DOS paths for real: Node for Windows under Wine reads the drive map with QueryDosDeviceW
// and converts NT paths of real files (on C: and on Z:, Wine's view of /) back to DOS paths.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWindowsProgram, windowsPath } from '../../test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../test-support/wine/wine-suite.ts';

const { setup, skipReason } = wineSuite();

interface RoundTrip {
  readonly device?: string;
  readonly nt?: string;
  readonly back: string | null;
  readonly exists: boolean;
}

interface Observed {
  readonly error?: string;
  readonly map: Record<string, string>;
  readonly c: RoundTrip;
  readonly cUpper: string | null;
  readonly z: RoundTrip;
  readonly zContent: string;
  readonly native: string | null;
  readonly nativeBack: string | null;
  readonly execPath: string;
}

describe.skipIf(skipReason !== undefined)('NT paths to DOS paths under Wine', () => {
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'zf-wine-ntpath-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('maps C: and Z: to their devices and converts real NT paths back to DOS paths that exist', async () => {
    const zLinux = path.join(work, 'on-z.txt');
    writeFileSync(zLinux, 'made on Linux\n');
    const cFile = `C:\\zenithfence-tests\\ntpath-${String(process.pid)}.txt`;
    const zFile = windowsPath(zLinux);
    const { result } = await runWindowsProgram<Observed>(
      requireSetup(setup),
      'nt-path-check.ts',
      { cFile, zFile },
      work,
    );
    expect(result.error).toBeUndefined();
    // Wine 8 has two drives in a fresh prefix: C: (drive_c) and Z: (the Linux root), each a
    // volume device as on Windows.
    expect(Object.keys(result.map).sort()).toEqual(['C:', 'Z:']);
    expect(result.map['C:']).toMatch(/^\\Device\\HarddiskVolume\d+$/);
    expect(result.map['Z:']).toMatch(/^\\Device\\HarddiskVolume\d+$/);
    expect(result.map['C:']).not.toBe(result.map['Z:']);

    expect(result.c).toEqual({
      device: result.map['C:'],
      nt: `${String(result.map['C:'])}\\zenithfence-tests\\ntpath-${String(process.pid)}.txt`,
      back: cFile,
      exists: true,
    });
    // The device compares without case; the rest of the path is kept as given.
    expect(result.cUpper).toBe(cFile.toUpperCase());
    expect(result.z).toMatchObject({ device: result.map['Z:'], back: zFile, exists: true });
    expect(result.zContent).toBe('made on Linux\n');

    // An NT path Windows itself produced: this process's image in native form.
    expect(result.native).toMatch(/^\\Device\\HarddiskVolume\d+\\.*node\.exe$/i);
    expect(result.nativeBack?.toLowerCase()).toBe(result.execPath.toLowerCase());
  });
});
