// The pure parts of the Windows process facts: FILETIMEs, SIDs, account names, OpenProcess errors.
import { describe, expect, it } from 'vitest';
import {
  accountName,
  filetimeToUnixMs,
  openFailure,
  PROCESS_ERROR,
  readFiletime,
  sidFromTokenUser,
  sidLength,
  sidToString,
  TOKEN_USER_SID_OFFSET,
} from './process-values.ts';

/** A SID's bytes: revision 1, the 48-bit authority big-endian, sub-authorities little-endian. */
function sid(authority: number, ...subAuthorities: number[]): Buffer {
  const bytes = Buffer.alloc(8 + 4 * subAuthorities.length);
  bytes[0] = 1;
  bytes[1] = subAuthorities.length;
  bytes.writeUIntBE(authority, 2, 6);
  subAuthorities.forEach((value, i) => bytes.writeUInt32LE(value, 8 + 4 * i));
  return bytes;
}

describe('FILETIME', () => {
  it('converts 100 ns ticks since 1601 to Unix milliseconds', () => {
    expect(filetimeToUnixMs(116_444_736_000_000_000n)).toBe(0);
    // 2024-01-01T00:00:00.123Z: 1704067200123 ms after the epoch.
    expect(filetimeToUnixMs(116_444_736_000_000_000n + 1_704_067_200_123n * 10_000n + 9_999n)).toBe(
      Date.UTC(2024, 0, 1, 0, 0, 0, 123),
    );
    // Before 1970 it rounds down, like after.
    expect(filetimeToUnixMs(116_444_736_000_000_000n - 1n)).toBe(-1);
  });

  it('reads the little-endian FILETIME of an out-parameter', () => {
    const out = Buffer.from([0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0x9d, 0x01]);
    expect(readFiletime(out)).toBe(0x019d_b1de_d53e_8000n);
    expect(filetimeToUnixMs(readFiletime(out))).toBe(0);
    expect(() => readFiletime(Buffer.alloc(4))).toThrow(RangeError);
  });
});

describe('SIDs', () => {
  it('formats SIDs as Windows writes them', () => {
    expect(sidToString(sid(5, 18))).toBe('S-1-5-18');
    expect(sidToString(sid(5, 21, 1004336348, 1177238915, 682003330, 1001))).toBe(
      'S-1-5-21-1004336348-1177238915-682003330-1001',
    );
    expect(sidToString(sid(1, 0))).toBe('S-1-1-0');
    expect(sidToString(sid(2 ** 40, 7))).toBe('S-1-0x010000000000-7');
  });

  it('refuses what is not a whole SID', () => {
    expect(sidLength(sid(5, 18))).toBe(12);
    expect(sidLength(sid(5, 18).subarray(0, 11))).toBeUndefined();
    const revision2 = sid(5, 18);
    revision2[0] = 2;
    expect(sidToString(revision2)).toBeUndefined();
    const tooMany = Buffer.alloc(8 + 4 * 16);
    tooMany[0] = 1;
    tooMany[1] = 16;
    expect(sidLength(tooMany)).toBeUndefined();
  });

  it('copies the SID out of a TOKEN_USER, within the bytes written', () => {
    const user = sid(5, 21, 1, 2, 3, 1001);
    const info = Buffer.alloc(TOKEN_USER_SID_OFFSET + user.length + 20, 0xee);
    user.copy(info, TOKEN_USER_SID_OFFSET);
    const copy = sidFromTokenUser(info, TOKEN_USER_SID_OFFSET + user.length);
    expect(copy).toEqual(user);
    // A copy, not a view: LookupAccountSidW gets memory of its own.
    expect(copy?.buffer).not.toBe(info.buffer);
    expect(sidFromTokenUser(info, TOKEN_USER_SID_OFFSET + user.length - 1)).toBeUndefined();
    expect(sidFromTokenUser(info, TOKEN_USER_SID_OFFSET)).toBeUndefined();
  });
});

describe('accounts and errors', () => {
  it('names accounts DOMAIN\\user, and well-known ones by name alone', () => {
    expect(accountName('NT AUTHORITY', 'SYSTEM')).toBe('NT AUTHORITY\\SYSTEM');
    expect(accountName('', 'Everyone')).toBe('Everyone');
  });

  it('tells a pid without a process from a protected one', () => {
    expect(openFailure(PROCESS_ERROR.INVALID_PARAMETER)).toBe('gone');
    expect(openFailure(PROCESS_ERROR.ACCESS_DENIED)).toBe('protected');
    expect(openFailure(31)).toBe('unknown');
  });
});
