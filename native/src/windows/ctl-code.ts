// CTL_CODE from <devioctl.h>, for the device's IOCTLs (driver/protocol/README.md, Windows device).

/** Transfer types (the Method field). */
export const METHOD_BUFFERED = 0;
/** Required access bits (the Access field). */
export const FILE_ANY_ACCESS = 0;
export const FILE_READ_DATA = 1;
export const FILE_WRITE_DATA = 2;

/** ZenithFence's device type (a vendor value, ≥ 0x8000). */
export const ZENITHFENCE_DEVICE_TYPE = 0x9c40;

/**
 * `CTL_CODE(deviceType, fn, method, access)`: `deviceType << 16 | access << 14 | fn << 2 | method`,
 * as an unsigned 32-bit number (JavaScript's `<<` would make a device type ≥ 0x8000 negative).
 */
export function ctlCode(deviceType: number, fn: number, method: number, access: number): number {
  return ((deviceType << 16) | (access << 14) | (fn << 2) | method) >>> 0;
}

/** The version IOCTL: fn 0x800, 4 bytes out (`[major, minor, revision, build]`). */
export const IOCTL_ZENITHFENCE_VERSION = ctlCode(
  ZENITHFENCE_DEVICE_TYPE,
  0x800,
  METHOD_BUFFERED,
  FILE_READ_DATA | FILE_WRITE_DATA,
);

/** The shutdown IOCTL: fn 0x801, the same as command 0. */
export const IOCTL_ZENITHFENCE_SHUTDOWN = ctlCode(
  ZENITHFENCE_DEVICE_TYPE,
  0x801,
  METHOD_BUFFERED,
  FILE_READ_DATA | FILE_WRITE_DATA,
);
