// The UTF-8 size of a string without encoding it, so an encoder can size its buffer first and then
// write the text straight into it (ByteWriter.utf8) instead of allocating a copy per string.

/** The number of UTF-8 bytes `text` takes, or -1 if it holds a lone surrogate (UTF-8 cannot carry it). */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit < 0xd800 || unit > 0xdfff) length += 3;
    else {
      // A high surrogate followed by a low one is one code point of 4 bytes; anything else is lone.
      const next = text.charCodeAt(i + 1);
      if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      length += 4;
      i += 1;
    }
  }
  return length;
}
