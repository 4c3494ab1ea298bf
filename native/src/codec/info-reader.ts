// Turns the driver's info byte stream, read in chunks of any size, back into infos. An info may be
// split anywhere (even inside its 5-byte header) and continue in the next chunk.
import { decodeInfoAt } from './info-decoder.ts';
import type { DecodeResult } from './info-types.ts';
import { INFO_HEADER_LENGTH } from './protocol-constants.ts';

/** The default limit on an info's body_len: far above any real info (a packet is ≤ 64 KiB). */
export const DEFAULT_MAX_BODY_LENGTH = 16 * 1024 * 1024;

/** Options of an {@link InfoReader}. */
export interface InfoReaderOptions {
  /** Bodies longer than this are reported as `oversized` and discarded unread. Default 16 MiB. */
  readonly maxBodyLength?: number;
}

/**
 * What one {@link InfoReader.push} yields, in stream order: decoded infos, and a problem (`kind:
 * 'problem'`) for each info skipped by its length. One array keeps problems in place among infos.
 */
export type ReaderOutput = DecodeResult[];

/**
 * Reassembles infos across reads. Whole infos inside a chunk are decoded in place (no copy); only
 * an incomplete info at the end of a chunk is buffered. Connection payloads are copies, so the
 * caller may reuse a chunk as soon as `push` returns. Never throws on any bytes.
 */
export class InfoReader {
  readonly #maxBodyLength: number;
  // An incomplete header: #headerFill of its 5 bytes have arrived.
  readonly #header = new Uint8Array(INFO_HEADER_LENGTH);
  readonly #headerView = new DataView(this.#header.buffer);
  #headerFill = 0;
  // An incomplete body, once its header is known: #bodyFill of #body.length bytes have arrived.
  #body: Uint8Array | null = null;
  #bodyFill = 0;
  #bodyType = 0;
  // Bytes of an oversized body still to discard: counted down, never buffered.
  #skip = 0;

  /** Creates a reader at the start of a stream. */
  constructor(options: InfoReaderOptions = {}) {
    this.#maxBodyLength = options.maxBodyLength ?? DEFAULT_MAX_BODY_LENGTH;
  }

  /** Bytes received of an info that is not complete yet (header bytes included). */
  get pending(): number {
    return this.#body === null ? this.#headerFill : INFO_HEADER_LENGTH + this.#bodyFill;
  }

  /** Bytes of an oversized info's body still to be discarded. */
  get skipping(): number {
    return this.#skip;
  }

  /** Feeds the next chunk of the stream; returns the infos and problems it completes, in order. */
  push(chunk: Uint8Array): ReaderOutput {
    const items: ReaderOutput = [];
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, end - pos);
        this.#skip -= n;
        pos += n;
      } else if (this.#headerFill === 0 && this.#body === null) {
        pos = this.#wholeInfos(chunk, view, pos, items);
        // What is left starts an info that is incomplete or oversized.
        if (pos < end) pos = this.#partial(chunk, view, pos, items);
      } else {
        pos = this.#partial(chunk, view, pos, items);
      }
    }
    return items;
  }

  // The hot path: decodes the infos that lie wholly inside the chunk, straight from the chunk.
  #wholeInfos(chunk: Uint8Array, view: DataView, pos: number, items: ReaderOutput): number {
    const end = chunk.length;
    const max = this.#maxBodyLength;
    while (end - pos >= INFO_HEADER_LENGTH) {
      const bodyLength = view.getUint32(pos + 1, true);
      if (bodyLength > end - pos - INFO_HEADER_LENGTH || bodyLength > max) break;
      items.push(decodeInfoAt(view.getUint8(pos), chunk, view, pos + INFO_HEADER_LENGTH, bodyLength));
      pos += INFO_HEADER_LENGTH + bodyLength;
    }
    return pos;
  }

  // The slow path: continues (or starts) an info that needs bytes beyond this chunk; consumes at
  // least one byte.
  #partial(chunk: Uint8Array, view: DataView, pos: number, items: ReaderOutput): number {
    const end = chunk.length;
    if (this.#body === null) {
      const n = Math.min(INFO_HEADER_LENGTH - this.#headerFill, end - pos);
      this.#header.set(chunk.subarray(pos, pos + n), this.#headerFill);
      this.#headerFill += n;
      pos += n;
      if (this.#headerFill < INFO_HEADER_LENGTH) return pos;
      this.#headerFill = 0;
      const type = this.#headerView.getUint8(0);
      const bodyLength = this.#headerView.getUint32(1, true);
      if (bodyLength > this.#maxBodyLength) {
        // Buffering it could exhaust memory, and the only way to the next header is past it.
        items.push({ kind: 'problem', problem: 'oversized', type, bodyLength });
        this.#skip = bodyLength;
        return pos;
      }
      if (bodyLength <= end - pos) {
        // Only the header was split: the body is whole in this chunk, so decode it in place.
        items.push(decodeInfoAt(type, chunk, view, pos, bodyLength));
        return pos + bodyLength;
      }
      this.#body = new Uint8Array(bodyLength);
      this.#bodyFill = 0;
      this.#bodyType = type;
    }
    const body = this.#body;
    const n = Math.min(body.length - this.#bodyFill, end - pos);
    body.set(chunk.subarray(pos, pos + n), this.#bodyFill);
    this.#bodyFill += n;
    pos += n;
    if (this.#bodyFill === body.length) {
      this.#body = null;
      items.push(decodeInfoAt(this.#bodyType, body, new DataView(body.buffer), 0, body.length));
    }
    return pos;
  }
}
