// struct sockaddr_un built as bytes, so ffi-rs passes it as a plain buffer (no struct support
// needed): `sa_family_t sun_family` (u16) then `char sun_path[108]`.

/** AF_UNIX, as in <sys/socket.h>. */
export const AF_UNIX = 1;

/** sizeof(struct sockaddr_un) on Linux. */
export const SOCKADDR_UN_SIZE = 110;

/** The longest path (bytes, without the NUL) that fits in sun_path. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Encodes `path` as a sockaddr_un. Throws RangeError for a path that does not fit (the kernel
 * would silently cut it) or that contains a NUL byte.
 */
export function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_SOCKET_PATH_BYTES) {
    throw new RangeError(`socket path must be 1 to ${MAX_SOCKET_PATH_BYTES} bytes, got ${bytes.length}: ${path}`);
  }
  if (bytes.includes(0)) throw new RangeError(`socket path contains a NUL byte: ${JSON.stringify(path)}`);
  const address = Buffer.alloc(SOCKADDR_UN_SIZE);
  // sa_family_t is in host byte order; every platform ZenithFence ships (x64, arm64) is little-endian.
  address.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(address, 2);
  return address;
}
