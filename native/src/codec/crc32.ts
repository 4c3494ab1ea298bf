// CRC-32 as IEEE 802.3, zlib and PNG define it (reflected polynomial 0xEDB88320, initial value and
// final xor 0xFFFFFFFF): the checksum at the end of a policy document.

const POLYNOMIAL = 0xedb88320;

// One entry per byte value: the CRC of that byte alone, so each input byte costs one lookup.
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** The CRC-32 of `bytes`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    // Both indexes are below 256 and 'length' bounds i, so neither lookup can miss.
    crc = (TABLE[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
