// UTF-16LE strings for the W functions, passed as Buffers: ffi-rs's WString converts to wchar_t,
// which is 32 bits outside Windows, so explicit bytes behave the same everywhere and can be tested.

/** `text` as NUL-terminated UTF-16LE. Throws RangeError if it contains a NUL (C would cut it). */
export function utf16z(text: string): Buffer {
  if (text.includes('\0')) throw new RangeError(`string for a W API contains a NUL: ${JSON.stringify(text)}`);
  const bytes = Buffer.alloc((text.length + 1) * 2);
  bytes.write(text, 0, 'utf16le');
  return bytes;
}

/** `strings` as a REG_MULTI_SZ list in UTF-16LE: each NUL-terminated, then one more NUL. */
export function utf16MultiSz(strings: readonly string[]): Buffer {
  return Buffer.concat([...strings.map((text) => utf16z(text)), Buffer.alloc(2)]);
}

/** The UTF-16LE string at the start of `bytes`, up to the first NUL or `maxChars` (if given). */
export function fromUtf16z(bytes: Uint8Array, maxChars = bytes.length >> 1): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(maxChars, view.length >> 1);
  for (let i = 0; i < end; i += 1) {
    if (view.readUInt16LE(i * 2) === 0) return view.toString('utf16le', 0, i * 2);
  }
  return view.toString('utf16le', 0, end * 2);
}

/** The strings of a REG_MULTI_SZ-style list (each NUL-terminated, the list ends with an empty one). */
export function fromMultiSz(bytes: Uint8Array, maxChars = bytes.length >> 1): string[] {
  const all = fromUtf16All(bytes, maxChars);
  const strings: string[] = [];
  for (const part of all.split('\0')) {
    if (part === '') break;
    strings.push(part);
  }
  return strings;
}

function fromUtf16All(bytes: Uint8Array, maxChars: number): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.toString('utf16le', 0, Math.min(maxChars, view.length >> 1) * 2);
}
