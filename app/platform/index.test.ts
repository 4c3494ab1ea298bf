import { describe, expect, it } from 'vitest';
import { choosePlatform, UnsupportedPlatform } from './index.ts';

describe('choosePlatform', () => {
  it('picks Windows for win32: the device, case-blind paths, the local app data directory', () => {
    const windows = choosePlatform('win32', { env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' } });
    expect(windows.kind).toBe('windows');
    expect(windows.defaultDriverLocation).toBe('\\\\.\\ZenithFence');
    expect(windows.caseInsensitivePaths).toBe(true);
    expect(windows.defaultDataDir()).toBe('C:\\Users\\ada\\AppData\\Local\\ZenithFence');
    // Without LOCALAPPDATA: under the profile, where Windows keeps it by default.
    expect(choosePlatform('win32', { env: {}, homeDir: 'C:\\Users\\ada' }).defaultDataDir()).toBe(
      'C:\\Users\\ada\\AppData\\Local\\ZenithFence',
    );
  });

  it('picks Linux for linux: the daemon socket (or ZENITHFENCE_DRIVER_SOCKET), XDG data', () => {
    const linux = choosePlatform('linux', { env: {}, homeDir: '/home/ada' });
    expect(linux.kind).toBe('linux');
    expect(linux.defaultDriverLocation).toBe('/run/zenithfence/driver.sock');
    expect(linux.caseInsensitivePaths).toBe(false);
    expect(linux.defaultDataDir()).toBe('/home/ada/.local/share/zenithfence');
    const moved = choosePlatform('linux', {
      env: { ZENITHFENCE_DRIVER_SOCKET: '/tmp/zf.sock', XDG_DATA_HOME: '/data' },
      homeDir: '/home/ada',
    });
    expect(moved.defaultDriverLocation).toBe('/tmp/zf.sock');
    expect(moved.defaultDataDir()).toBe('/data/zenithfence');
    // A relative XDG_DATA_HOME is not one (the XDG rules).
    expect(choosePlatform('linux', { env: { XDG_DATA_HOME: 'data' }, homeDir: '/h' }).defaultDataDir()).toBe(
      '/h/.local/share/zenithfence',
    );
  });

  it('refuses a system it has no driver for, in one sentence', () => {
    expect(() => choosePlatform('darwin')).toThrow(UnsupportedPlatform);
    expect(() => choosePlatform('darwin')).toThrow(/runs on Windows and Linux, not on darwin/);
  });
});
