import { describe, expect, it } from 'vitest';
import { appPathProblem } from '../contract/app-path.ts';
import type { DriverPolicy, DriverPolicyRule } from '../contract/driver-policy.ts';
import { ntPathPolicy } from './windows.ts';
import { createDosPathConverter, MAP_CHECK_MS } from './windows-paths.ts';

const VOLUME3 = '\\Device\\HarddiskVolume3';

/** A block rule of the policy for `appPath` (null: any app). */
function rule(appPath: string | null, tag = 1): DriverPolicyRule {
  return {
    tag,
    action: 'block',
    appDecides: false,
    direction: 'any',
    protocol: null,
    portFrom: 0,
    portTo: 65535,
    updatedAt: 1,
    expiresAt: null,
    appPath,
    destination: { kind: 'any' },
  };
}

/** A map reader whose drives the test changes; counts the reads. */
function drives(initial: Record<string, string>) {
  let current = new Map(Object.entries(initial));
  let reads = 0;
  return {
    read: () => {
      reads += 1;
      return current;
    },
    set: (next: Record<string, string>) => (current = new Map(Object.entries(next))),
    reads: () => reads,
  };
}

describe('DOS paths on Windows', () => {
  it('shows NT device paths as DOS paths, reading the drive map once', () => {
    const map = drives({ 'C:': VOLUME3 });
    const paths = createDosPathConverter(map.read, () => 0);
    expect(paths.toDos(`${VOLUME3}\\Windows\\System32\\curl.exe`)).toBe('C:\\Windows\\System32\\curl.exe');
    expect(paths.toDos('C:\\Tools\\x.exe')).toBe('C:\\Tools\\x.exe');
    expect(map.reads()).toBe(1);
  });

  it('keys the policy to the drive map, read again every 2 s: a drive that comes or moves changes the key', () => {
    const map = drives({ 'C:': VOLUME3 });
    const clock = { now: 0 };
    const paths = createDosPathConverter(map.read, () => clock.now);
    const first = paths.mapKey();
    expect(first).toBe('C:=\\device\\harddiskvolume3');
    // A USB drive plugged in: unseen until the map is old enough to be read again.
    map.set({ 'C:': VOLUME3, 'E:': '\\Device\\HarddiskVolume9' });
    clock.now = MAP_CHECK_MS - 1;
    expect(paths.mapKey()).toBe(first);
    clock.now = MAP_CHECK_MS;
    const withUsb = paths.mapKey();
    expect(withUsb).not.toBe(first);
    // The rule's path now converts with the new map.
    expect(paths.toNt('E:\\tool.exe')).toBe('\\Device\\HarddiskVolume9\\tool.exe');
    // The same drive on another volume (unplugged and plugged in again) is another key.
    map.set({ 'C:': VOLUME3, 'E:': '\\Device\\HarddiskVolume10' });
    clock.now = 2 * MAP_CHECK_MS;
    expect(paths.mapKey()).not.toBe(withUsb);
    expect(paths.toNt('E:\\tool.exe')).toBe('\\Device\\HarddiskVolume10\\tool.exe');
  });

  it('reads the map again when a path does not convert (a drive added), at most every 5 s', () => {
    const map = drives({ 'C:': VOLUME3 });
    const clock = { now: 0 };
    const paths = createDosPathConverter(map.read, () => clock.now);
    const usb = '\\Device\\HarddiskVolume9\\tool.exe';
    expect(paths.toDos(`${VOLUME3}\\a.exe`)).toBe('C:\\a.exe');
    map.set({ 'C:': VOLUME3, 'E:': '\\Device\\HarddiskVolume9' });
    // Within 5 s of the last read: shown as reported, no new read.
    clock.now = 4_999;
    expect(paths.toDos(usb)).toBe(usb);
    expect(map.reads()).toBe(1);
    clock.now = 5_000;
    expect(paths.toDos(usb)).toBe('E:\\tool.exe');
    expect(map.reads()).toBe(2);
  });

  it('keeps the reported path when the map cannot be read', () => {
    const paths = createDosPathConverter(() => {
      throw new Error('QueryDosDeviceW failed');
    });
    expect(paths.toDos(`${VOLUME3}\\a.exe`)).toBe(`${VOLUME3}\\a.exe`);
  });

  it('turns DOS paths back into NT paths for the driver', () => {
    const paths = createDosPathConverter(drives({ 'C:': `${VOLUME3}\\` }).read, () => 0);
    expect(paths.toNt('c:\\windows\\system32\\curl.exe')).toBe(`${VOLUME3}\\windows\\system32\\curl.exe`);
    expect(paths.toNt('C:')).toBe(`${VOLUME3}\\`);
    expect(paths.toNt('\\\\server\\share\\app.exe')).toBe('\\Device\\Mup\\server\\share\\app.exe');
    expect(paths.toNt('Q:\\nowhere.exe')).toBe('Q:\\nowhere.exe');
    expect(paths.toNt('/usr/bin/curl')).toBe('/usr/bin/curl');
  });

  it('sends the policy with NT app paths, lowercased as the driver compares them', () => {
    const paths = createDosPathConverter(drives({ 'C:': VOLUME3 }).read, () => 0);
    const policy: DriverPolicy = {
      generation: 3n,
      noAppAction: 'block',
      caseInsensitivePaths: true,
      rules: [rule('c:\\windows\\system32\\curl.exe', 1), rule(null, 2)],
    };
    const sent = ntPathPolicy(policy, paths);
    expect(sent.rules.map((r) => r.appPath)).toEqual(['\\device\\harddiskvolume3\\windows\\system32\\curl.exe', null]);
    expect(sent.generation).toBe(3n);
  });
});

const CURL_NT = '\\device\\harddiskvolume3\\tools\\curl.exe';

/** The app path the driver gets for a rule written as `written`, with drives `map`. */
function sent(written: string, map: Record<string, string> = { 'C:': VOLUME3 }): string | null {
  // The rule must be one the rule editor accepts, or the case would be moot.
  expect(appPathProblem(written)).toBeNull();
  const paths = createDosPathConverter(
    () => new Map(Object.entries(map)),
    () => 0,
  );
  const policy: DriverPolicy = {
    generation: 1n,
    noAppAction: 'allow',
    caseInsensitivePaths: true,
    rules: [rule(written)],
  };
  return ntPathPolicy(policy, paths).rules[0]?.appPath ?? null;
}

// Every app path a rule may hold (app/contract/app-path.ts) must reach the driver in the NT form
// the ALE layers report, or the rule matches nothing there and a broader rule decides instead.
describe('rule paths the driver gets', () => {
  it('converts a \\\\?\\C:\\ path (the validator accepts it as a kernel form) to the volume path', () => {
    expect(sent('\\\\?\\C:\\Tools\\curl.exe')).toBe(CURL_NT);
  });

  it('converts a \\??\\C:\\ path to the volume path', () => {
    expect(sent('\\??\\C:\\Tools\\curl.exe')).toBe(CURL_NT);
  });

  it('converts a \\\\?\\UNC\\ path to the redirector path', () => {
    expect(sent('\\\\?\\UNC\\srv\\share\\app.exe')).toBe('\\device\\mup\\srv\\share\\app.exe');
  });

  it('converts a path on a SUBST drive (QueryDosDevice gives \\??\\C:\\dir) to the volume path', () => {
    expect(sent('S:\\curl.exe', { 'C:': VOLUME3, 'S:': '\\??\\C:\\Tools' })).toBe(CURL_NT);
  });
});
