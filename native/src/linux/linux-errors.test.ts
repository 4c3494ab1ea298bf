// errno → typed error mapping of the Linux transport, and the pieces its messages use.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonNotRunning, DriverGone, DriverOsError, PermissionDenied } from '../errors.ts';
import { ERRNO, errnoName } from './errno.ts';
import { connectError, ioError } from './linux-errors.ts';
import { MAX_SOCKET_PATH_BYTES, sockaddrUn } from './sockaddr-un.ts';
import { groupNameFromEtcGroup, socketGroup } from './socket-group.ts';

const PATH = '/run/zenithfence/driver.sock';
const noGroup = (): undefined => undefined;

describe('connectError', () => {
  it('maps ENOENT and ECONNREFUSED to DaemonNotRunning with the start command', () => {
    for (const errno of [ERRNO.ENOENT, ERRNO.ECONNREFUSED]) {
      const error = connectError(PATH, errno, noGroup);
      expect(error).toBeInstanceOf(DaemonNotRunning);
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('sudo systemctl start zenithfenced');
    }
  });

  it('maps EACCES to PermissionDenied naming the socket group to join', () => {
    const error = connectError(PATH, ERRNO.EACCES, () => ({ gid: 998, name: 'zenithfence' }));
    expect(error).toBeInstanceOf(PermissionDenied);
    expect((error as PermissionDenied).group).toBe('zenithfence');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `Permission denied on ${PATH}: add your user to group zenithfence (sudo usermod -aG zenithfence $USER) and log in again.`,
    );
  });

  it('explains a root-owned socket (daemon without --group) and an unreadable one', () => {
    expect(connectError(PATH, ERRNO.EACCES, () => ({ gid: 0, name: 'root' })).message).toMatch(
      /only root may connect, because zenithfenced runs without --group/,
    );
    expect(connectError(PATH, ERRNO.EACCES, () => ({ gid: 1234, name: undefined })).message).toContain(
      'add your user to group gid 1234',
    );
    expect(connectError(PATH, ERRNO.EPERM, noGroup).message).toMatch(/its group cannot be read/);
  });

  it('maps other errnos to a retryable DriverOsError naming the errno', () => {
    const error = connectError(PATH, ERRNO.EAGAIN, noGroup);
    expect(error).toBeInstanceOf(DriverOsError);
    expect(error.message).toContain(errnoName(ERRNO.EAGAIN));
  });
});

describe('ioError', () => {
  it('maps a reset or closed peer to DriverGone', () => {
    for (const errno of [ERRNO.ECONNRESET, ERRNO.EPIPE, ERRNO.ENOTCONN]) {
      expect(ioError('read', errno)).toBeInstanceOf(DriverGone);
    }
    expect(ioError('read', 5)).toBeInstanceOf(DriverOsError);
  });
});

describe('socket group lookup', () => {
  const ETC_GROUP = 'root:x:0:\nadm:x:4:syslog\n\nzenithfence:x:998:alice,bob\n';

  it('finds a group name by gid in /etc/group text', () => {
    expect(groupNameFromEtcGroup(ETC_GROUP, 998)).toBe('zenithfence');
    expect(groupNameFromEtcGroup(ETC_GROUP, 4)).toBe('adm');
    expect(groupNameFromEtcGroup(ETC_GROUP, 5)).toBeUndefined();
  });

  it("reads a file's gid and names it from the group file", () => {
    const dir = mkdtempSync(join(tmpdir(), 'zf-group-'));
    try {
      const file = join(dir, 'sock');
      writeFileSync(file, '');
      const groups = join(dir, 'group');
      writeFileSync(groups, `mine:x:${process.getgid?.() ?? 0}:\n`);
      expect(socketGroup(file, groups)).toEqual({ gid: process.getgid?.() ?? 0, name: 'mine' });
      expect(socketGroup(join(dir, 'missing'), groups)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('sockaddrUn', () => {
  it('encodes AF_UNIX and the NUL-terminated path in 110 bytes', () => {
    const address = sockaddrUn('/tmp/a.sock');
    expect(address).toHaveLength(110);
    expect(address.readUInt16LE(0)).toBe(1);
    expect(address.subarray(2, 14).toString('latin1')).toBe('/tmp/a.sock\0');
  });

  it('refuses paths that would be cut or contain NUL', () => {
    expect(() => sockaddrUn('/'.repeat(MAX_SOCKET_PATH_BYTES))).not.toThrow();
    expect(() => sockaddrUn('/'.repeat(MAX_SOCKET_PATH_BYTES + 1))).toThrow(RangeError);
    expect(() => sockaddrUn('')).toThrow(RangeError);
    expect(() => sockaddrUn('/tmp/a\0b')).toThrow(RangeError);
  });
});
