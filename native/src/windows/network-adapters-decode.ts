// The DNS suffixes in a copy of what GetAdaptersAddresses wrote: a linked list of
// IP_ADAPTER_ADDRESSES whose pointers (Next, DnsSuffix, FirstDnsSuffix) point into the same block.
// The block is copied out of memory allocated at `base`, so a pointer becomes an offset into the
// copy; one that points outside it is ignored, never followed. Pure, and it never throws.
import { IP_ADAPTER_ADDRESSES, IP_ADAPTER_DNS_SUFFIX } from './network-layout.ts';
import { fromUtf16z } from './utf16.ts';

/** One adapter's suffixes as Windows gives them (not yet lowercased or trimmed). */
export interface AdapterSuffixes {
  readonly luid: bigint;
  /** The connection-specific suffix (DHCP option 15, or set by hand); '' when none. */
  readonly dnsSuffix: string;
  /** The first entry of the adapter's own search list (FirstDnsSuffix); '' when none. */
  readonly firstListedSuffix: string;
}

/** More adapters than any machine has: a cycle in a corrupt list stops here at the latest. */
const MAX_ADAPTERS = 4096;
/** A DNS name has at most 253 characters; a few more show the caller it was too long. */
const MAX_SUFFIX_CHARS = 256;

/** The offset in the copy of `need` bytes at `pointer`, or undefined (NULL, or outside the copy). */
function offsetOf(pointer: bigint, base: bigint, blockLength: number, need: number): number | undefined {
  if (pointer === 0n || pointer < base) return undefined;
  const offset = pointer - base;
  return offset + BigInt(need) <= BigInt(blockLength) ? Number(offset) : undefined;
}

/** The NUL-terminated UTF-16 string at `pointer` (at most `maxChars`); '' when it is not in the copy. */
function stringAt(block: Buffer, base: bigint, pointer: bigint, maxChars: number): string {
  const offset = offsetOf(pointer, base, block.length, 2);
  return offset === undefined ? '' : fromUtf16z(block.subarray(offset), maxChars);
}

/**
 * The suffixes of every adapter in `block`, a copy of the buffer GetAdaptersAddresses filled,
 * which was allocated at address `base`. An adapter whose structure is too short to hold a LUID
 * (a system older than Vista fills less) is left out: nothing could be matched with it.
 */
export function decodeAdapterSuffixes(block: Uint8Array, base: bigint): AdapterSuffixes[] {
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const adapters: AdapterSuffixes[] = [];
  const seen = new Set<number>();
  let offset: number | undefined = 0;
  while (offset !== undefined && !seen.has(offset) && seen.size < MAX_ADAPTERS) {
    seen.add(offset);
    if (offset + IP_ADAPTER_ADDRESSES.NEXT + 8 > bytes.length) break;
    // Length is what this system's structure holds; read no field past it nor past the copy.
    const length = Math.min(bytes.readUInt32LE(offset + IP_ADAPTER_ADDRESSES.LENGTH), bytes.length - offset);
    const has = (field: number, size: number): boolean => field + size <= length;
    const next = bytes.readBigUInt64LE(offset + IP_ADAPTER_ADDRESSES.NEXT);
    if (has(IP_ADAPTER_ADDRESSES.LUID, 8)) {
      const suffixPointer = has(IP_ADAPTER_ADDRESSES.DNS_SUFFIX, 8)
        ? bytes.readBigUInt64LE(offset + IP_ADAPTER_ADDRESSES.DNS_SUFFIX)
        : 0n;
      const listPointer = has(IP_ADAPTER_ADDRESSES.FIRST_DNS_SUFFIX, 8)
        ? bytes.readBigUInt64LE(offset + IP_ADAPTER_ADDRESSES.FIRST_DNS_SUFFIX)
        : 0n;
      const listed = offsetOf(listPointer, base, bytes.length, IP_ADAPTER_DNS_SUFFIX.SIZE);
      adapters.push({
        luid: bytes.readBigUInt64LE(offset + IP_ADAPTER_ADDRESSES.LUID),
        dnsSuffix: stringAt(bytes, base, suffixPointer, MAX_SUFFIX_CHARS),
        firstListedSuffix:
          listed === undefined
            ? ''
            : fromUtf16z(
                bytes.subarray(listed + IP_ADAPTER_DNS_SUFFIX.STRING, listed + IP_ADAPTER_DNS_SUFFIX.SIZE),
                IP_ADAPTER_DNS_SUFFIX.STRING_CHARS,
              ),
      });
    }
    offset = offsetOf(next, base, bytes.length, IP_ADAPTER_ADDRESSES.NEXT + 8);
  }
  return adapters;
}
