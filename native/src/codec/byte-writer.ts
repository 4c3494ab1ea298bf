// Writes little-endian fields into a buffer of known size; shared by the encoders.

const encoder = new TextEncoder();

// A wrong length is a bug in an encoder, never a caller error.
function wrongLength(text: string, byteLength: number): Error {
  return new Error(`the UTF-8 of ${JSON.stringify(text)} is not ${byteLength} bytes`);
}

/** A cursor over a fresh buffer of exactly the size being encoded. */
export class ByteWriter {
  /** The buffer being written. */
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  /** Allocates a zeroed buffer of `length` bytes. */
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
  }

  /** Writes a u8. */
  u8(value: number): this {
    this.#view.setUint8(this.#pos, value);
    this.#pos += 1;
    return this;
  }

  /** Writes a little-endian u16. */
  u16(value: number): this {
    this.#view.setUint16(this.#pos, value, true);
    this.#pos += 2;
    return this;
  }

  /** Writes a little-endian u32. */
  u32(value: number): this {
    this.#view.setUint32(this.#pos, value, true);
    this.#pos += 4;
    return this;
  }

  /** Writes a little-endian u64. */
  u64(value: bigint): this {
    this.#view.setBigUint64(this.#pos, value, true);
    this.#pos += 8;
    return this;
  }

  /** Copies raw bytes. */
  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.#pos);
    this.#pos += bytes.length;
    return this;
  }

  /**
   * Writes `text` as UTF-8, straight into the buffer; `byteLength` is its UTF-8 size (utf8Length of
   * utf8-length.ts), which the caller needed anyway to size the buffer.
   */
  utf8(text: string, byteLength: number): this {
    const pos = this.#pos;
    if (byteLength === text.length) {
      // As many bytes as UTF-16 units: all ASCII, one byte each (the common case for paths).
      for (let i = 0; i < byteLength; i++) {
        const unit = text.charCodeAt(i);
        if (unit >= 0x80) throw wrongLength(text, byteLength);
        this.bytes[pos + i] = unit;
      }
    } else {
      const { read, written } = encoder.encodeInto(text, this.bytes.subarray(pos, pos + byteLength));
      if (read !== text.length || written !== byteLength) throw wrongLength(text, byteLength);
    }
    this.#pos += byteLength;
    return this;
  }

  /** Returns the buffer, checking that the size computed up front was filled exactly. */
  finish(): Uint8Array {
    // A mismatch is a bug in an encoder, never a caller error.
    if (this.#pos !== this.bytes.length) throw new Error(`encoder wrote ${this.#pos} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}
