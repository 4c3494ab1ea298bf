// Writes little-endian fields into a buffer of known size; shared by the encoders.

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

  /** Returns the buffer, checking that the size computed up front was filled exactly. */
  finish(): Uint8Array {
    // A mismatch is a bug in an encoder, never a caller error.
    if (this.#pos !== this.bytes.length) throw new Error(`encoder wrote ${this.#pos} of ${this.bytes.length} bytes`);
    return this.bytes;
  }
}
