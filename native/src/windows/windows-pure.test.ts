// The pure Windows pieces: IOCTL codes, UTF-16 strings for the W APIs, NT → DOS paths, errors.
import { describe, expect, it } from 'vitest';
import { IOCTL } from '../codec/index.ts';
import { DaemonNotRunning, DriverGone, DriverOsError, PermissionDenied } from '../errors.ts';
import {
  ctlCode,
  FILE_READ_DATA,
  FILE_WRITE_DATA,
  IOCTL_ZENITHFENCE_SHUTDOWN,
  IOCTL_ZENITHFENCE_VERSION,
  METHOD_BUFFERED,
} from './ctl-code.ts';
import { buildDosDeviceMap } from './dos-devices.ts';
import { ntPathToDosPath } from './nt-path.ts';
import { fromMultiSz, fromUtf16z, utf16MultiSz, utf16z } from './utf16.ts';
import { deviceIoError, deviceOpenError, WIN32_ERROR } from './win32-errors.ts';

describe('ctlCode', () => {
  it('computes the protocol IOCTLs as unsigned 32-bit numbers', () => {
    expect(IOCTL_ZENITHFENCE_VERSION).toBe(0x9c40e000);
    expect(IOCTL_ZENITHFENCE_SHUTDOWN).toBe(0x9c40e004);
    expect(IOCTL_ZENITHFENCE_VERSION).toBe(IOCTL.version);
    expect(IOCTL_ZENITHFENCE_SHUTDOWN).toBe(IOCTL.shutdown);
  });

  it('matches known Windows IOCTLs', () => {
    // IOCTL_DISK_GET_DRIVE_GEOMETRY = CTL_CODE(FILE_DEVICE_DISK 7, 0, METHOD_BUFFERED, FILE_ANY_ACCESS).
    expect(ctlCode(7, 0, METHOD_BUFFERED, 0)).toBe(0x70000);
    // FSCTL_GET_REPARSE_POINT = CTL_CODE(FILE_DEVICE_FILE_SYSTEM 9, 42, METHOD_BUFFERED, FILE_ANY_ACCESS).
    expect(ctlCode(9, 42, METHOD_BUFFERED, 0)).toBe(0x900a8);
    expect(ctlCode(0xffff, 0xfff, 3, FILE_READ_DATA | FILE_WRITE_DATA)).toBe(0xffffffff);
  });
});

describe('UTF-16 strings', () => {
  it('encodes NUL-terminated UTF-16LE, including characters outside the BMP', () => {
    expect([...utf16z('\\\\.\\Zf')]).toEqual([0x5c, 0, 0x5c, 0, 0x2e, 0, 0x5c, 0, 0x5a, 0, 0x66, 0, 0, 0]);
    const text = 'C:\\Prog\u00e4mme\\\u{1f525}.exe';
    expect(fromUtf16z(utf16z(text))).toBe(text);
    expect(() => utf16z('a\0b')).toThrow(RangeError);
  });

  it('decodes up to the first NUL or a character limit, and multi-strings', () => {
    const bytes = Buffer.concat([utf16z('one'), utf16z('two'), utf16z('')]);
    expect(fromUtf16z(bytes)).toBe('one');
    expect(fromUtf16z(utf16z('abcdef'), 3)).toBe('abc');
    expect(fromMultiSz(bytes)).toEqual(['one', 'two']);
    expect(fromMultiSz(bytes, 4)).toEqual(['one']);
  });

  it('writes a multi-string list (the service dependencies) that reads back', () => {
    const bfe = utf16MultiSz(['BFE']);
    expect([...bfe]).toEqual([0x42, 0, 0x46, 0, 0x45, 0, 0, 0, 0, 0]);
    expect(fromMultiSz(utf16MultiSz(['Tcpip', 'BFE']))).toEqual(['Tcpip', 'BFE']);
    expect(() => utf16MultiSz(['a\0b'])).toThrow(RangeError);
  });
});

describe('ntPathToDosPath', () => {
  const devices = new Map([
    ['C:', '\\Device\\HarddiskVolume3'],
    ['D:', '\\Device\\HarddiskVolume10'],
    ['E:', '\\Device\\HarddiskVolume1\\'],
    ['S:', '\\Device\\HarddiskVolume3\\Shared'],
  ]);

  it('maps a volume device to its drive letter', () => {
    expect(ntPathToDosPath('\\Device\\HarddiskVolume3\\Windows\\x.exe', devices)).toBe('C:\\Windows\\x.exe');
    expect(ntPathToDosPath('\\device\\harddiskvolume3\\windows\\system32\\svchost.exe', devices)).toBe(
      'C:\\windows\\system32\\svchost.exe',
    );
    expect(ntPathToDosPath('\\Device\\HarddiskVolume3', devices)).toBe('C:\\');
  });

  it('matches only at a separator and prefers the longest device', () => {
    expect(ntPathToDosPath('\\Device\\HarddiskVolume10\\a.exe', devices)).toBe('D:\\a.exe');
    expect(ntPathToDosPath('\\Device\\HarddiskVolume1\\a.exe', devices)).toBe('E:\\a.exe');
    expect(ntPathToDosPath('\\Device\\HarddiskVolume3\\Shared\\b.exe', devices)).toBe('S:\\b.exe');
    expect(ntPathToDosPath('\\Device\\HarddiskVolume7\\a.exe', devices)).toBeUndefined();
  });

  it('handles UNC redirectors, Win32 prefixes and paths that are DOS paths already', () => {
    expect(ntPathToDosPath('\\Device\\Mup\\server\\share\\app.exe', devices)).toBe('\\\\server\\share\\app.exe');
    expect(ntPathToDosPath('\\??\\C:\\Tools\\a.exe', devices)).toBe('C:\\Tools\\a.exe');
    expect(ntPathToDosPath('\\\\?\\C:\\Tools\\a.exe', devices)).toBe('C:\\Tools\\a.exe');
    expect(ntPathToDosPath('C:\\Tools\\a.exe', devices)).toBe('C:\\Tools\\a.exe');
  });

  it('builds the drive map from a per-drive QueryDosDevice lookup', () => {
    const answers: Record<string, string[]> = {
      'C:': ['\\Device\\HarddiskVolume3'],
      'Z:': ['\\Device\\Mup\\;Z:', 'old'],
    };
    const map = buildDosDeviceMap((drive) => answers[drive]);
    expect([...map]).toEqual([
      ['C:', '\\Device\\HarddiskVolume3'],
      ['Z:', '\\Device\\Mup\\;Z:'],
    ]);
  });
});

describe('Win32 error mapping', () => {
  it('maps a missing device to DaemonNotRunning and access denied to PermissionDenied (administrator)', () => {
    const missing = deviceOpenError('\\\\.\\ZenithFence', WIN32_ERROR.FILE_NOT_FOUND);
    expect(missing).toBeInstanceOf(DaemonNotRunning);
    expect(missing.message).toMatch(/not installed or not running.*sc start ZenithFence/);
    const denied = deviceOpenError('\\\\.\\ZenithFence', WIN32_ERROR.ACCESS_DENIED);
    expect(denied).toBeInstanceOf(PermissionDenied);
    expect(denied.message).toContain('run ZenithFence as administrator');
    expect(deviceOpenError('\\\\.\\ZenithFence', 87)).toBeInstanceOf(DriverOsError);
  });

  it('maps a device that went away to DriverGone', () => {
    expect(deviceIoError('ReadFile', WIN32_ERROR.DEVICE_NOT_CONNECTED)).toBeInstanceOf(DriverGone);
    expect(deviceIoError('ReadFile', WIN32_ERROR.OPERATION_ABORTED)).toBeInstanceOf(DriverGone);
    expect(deviceIoError('WriteFile', 87).message).toContain('ERROR_INVALID_PARAMETER (87)');
    // A refused (malformed) command is not cured by reconnecting; other failures are retried.
    expect(deviceIoError('WriteFile', WIN32_ERROR.INVALID_PARAMETER).retryable).toBe(false);
    expect(deviceIoError('WriteFile', 1117).retryable).toBe(true);
  });
});
