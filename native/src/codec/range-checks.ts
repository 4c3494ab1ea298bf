// Range checks for encoder inputs: a value that does not fit its wire field is a RangeError that
// names the field, never a silently truncated number.
import { ADDRESS_LENGTH, type IpVersion } from './addresses.ts';
import { isVerdict, MAX_VERDICT, type Verdict } from './protocol-constants.ts';

const U64_MAX = (1n << 64n) - 1n;

/** Returns `value` if it is an integer that fits in `bits` unsigned bits; throws a RangeError otherwise. */
export function checkUint(field: string, value: number, bits: 8 | 16 | 32): number {
  const max = 2 ** bits - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${field} must be an integer in 0..${max}, got ${String(value)}`);
  }
  return value;
}

/** Returns `value` if it is a bigint in 0..2^64-1; throws a RangeError otherwise. */
export function checkU64(field: string, value: bigint): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new RangeError(`${field} must be a bigint in 0..${U64_MAX}, got ${String(value)}`);
  }
  return value;
}

/** Returns `value` if it is a verdict (0..11); throws a RangeError otherwise. */
export function checkVerdict(field: string, value: number): Verdict {
  if (typeof value !== 'number' || !isVerdict(value)) {
    throw new RangeError(`${field} must be a verdict in 0..${MAX_VERDICT}, got ${String(value)}`);
  }
  return value;
}

/** Returns `value` if it is 4 or 6; throws a RangeError otherwise. */
export function checkIpVersion(field: string, value: IpVersion): IpVersion {
  if (value !== 4 && value !== 6) throw new RangeError(`${field} must be 4 or 6, got ${String(value)}`);
  return value;
}

/** Returns `bytes` if they are an address of the family `ipVersion` names (4 or 16 bytes); throws a RangeError otherwise. */
export function checkAddress(field: string, bytes: Uint8Array, ipVersion: IpVersion): Uint8Array {
  const length = ADDRESS_LENGTH[ipVersion];
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new RangeError(`${field} must be ${length} address bytes (IPv${ipVersion}), got ${got}`);
  }
  return bytes;
}
