// The GetAdaptersAddresses decoder over blocks laid out as Windows lays them out: the adapters
// first, the strings they point to after them, every pointer an address inside the block.
import { describe, expect, it } from 'vitest';
import { decodeAdapterSuffixes } from './network-adapters-decode.ts';
import { IP_ADAPTER_ADDRESSES, IP_ADAPTER_DNS_SUFFIX } from './network-layout.ts';

const BASE = 0x0000_0201_4000_0000n;
const FIRST = 0;
const SECOND = IP_ADAPTER_ADDRESSES.SIZE;
const STRINGS = 2 * IP_ADAPTER_ADDRESSES.SIZE;

interface AdapterSpec {
  readonly at: number;
  readonly length?: number;
  readonly luid: bigint;
  /** Offsets in the block (become BASE + offset), or absolute pointers as bigints; null is NULL. */
  readonly next: number | bigint | null;
  readonly dnsSuffix: number | bigint | null;
  readonly firstDnsSuffix: number | bigint | null;
}

function pointer(target: number | bigint | null): bigint {
  if (target === null) return 0n;
  return typeof target === 'bigint' ? target : BASE + BigInt(target);
}

function writeAdapter(block: Buffer, spec: AdapterSpec): void {
  block.writeUInt32LE(spec.length ?? IP_ADAPTER_ADDRESSES.SIZE, spec.at + IP_ADAPTER_ADDRESSES.LENGTH);
  block.writeBigUInt64LE(pointer(spec.next), spec.at + IP_ADAPTER_ADDRESSES.NEXT);
  block.writeBigUInt64LE(pointer(spec.dnsSuffix), spec.at + IP_ADAPTER_ADDRESSES.DNS_SUFFIX);
  block.writeBigUInt64LE(spec.luid, spec.at + IP_ADAPTER_ADDRESSES.LUID);
  block.writeBigUInt64LE(pointer(spec.firstDnsSuffix), spec.at + IP_ADAPTER_ADDRESSES.FIRST_DNS_SUFFIX);
}

/** A block with room for two adapters, a suffix string at STRINGS and a suffix list entry after it. */
function block(): Buffer {
  const bytes = Buffer.alloc(STRINGS + 64 + IP_ADAPTER_DNS_SUFFIX.SIZE);
  bytes.write('Corp.Example.COM.\0', STRINGS, 'utf16le');
  const entry = STRINGS + 64;
  bytes.writeBigUInt64LE(0n, entry + IP_ADAPTER_DNS_SUFFIX.NEXT);
  bytes.write('search.example\0', entry + IP_ADAPTER_DNS_SUFFIX.STRING, 'utf16le');
  return bytes;
}

describe('GetAdaptersAddresses suffixes', () => {
  it('follows the list and reads each adapter’s suffix and first listed suffix through their pointers', () => {
    const bytes = block();
    writeAdapter(bytes, { at: FIRST, luid: 0x18000001000000n, next: SECOND, dnsSuffix: null, firstDnsSuffix: null });
    writeAdapter(bytes, {
      at: SECOND,
      luid: 0x6000004000000n,
      next: null,
      dnsSuffix: STRINGS,
      firstDnsSuffix: STRINGS + 64,
    });
    expect(decodeAdapterSuffixes(bytes, BASE)).toEqual([
      { luid: 0x18000001000000n, dnsSuffix: '', firstListedSuffix: '' },
      { luid: 0x6000004000000n, dnsSuffix: 'Corp.Example.COM.', firstListedSuffix: 'search.example' },
    ]);
  });

  it('follows no pointer outside the block and stops at a cycle', () => {
    const bytes = block();
    writeAdapter(bytes, {
      at: FIRST,
      luid: 1n,
      next: SECOND,
      // Below the block, and a list entry that would end past it.
      dnsSuffix: BASE - 2n,
      firstDnsSuffix: bytes.length - IP_ADAPTER_DNS_SUFFIX.SIZE + 2,
    });
    writeAdapter(bytes, { at: SECOND, luid: 2n, next: FIRST, dnsSuffix: BASE + 0x1_0000_0000n, firstDnsSuffix: null });
    expect(decodeAdapterSuffixes(bytes, BASE)).toEqual([
      { luid: 1n, dnsSuffix: '', firstListedSuffix: '' },
      { luid: 2n, dnsSuffix: '', firstListedSuffix: '' },
    ]);
  });

  it('leaves out an adapter too short to hold a LUID, and reads no field past its Length', () => {
    const bytes = block();
    // A structure that ends before the LUID (an older system's): nothing to match it with.
    writeAdapter(bytes, { at: FIRST, length: 144, luid: 1n, next: SECOND, dnsSuffix: STRINGS, firstDnsSuffix: null });
    // One that ends before FirstDnsSuffix: what lies there is not the adapter's, and is not read.
    writeAdapter(bytes, {
      at: SECOND,
      length: 376,
      luid: 2n,
      next: null,
      dnsSuffix: STRINGS,
      firstDnsSuffix: STRINGS + 64,
    });
    expect(decodeAdapterSuffixes(bytes, BASE)).toEqual([
      { luid: 2n, dnsSuffix: 'Corp.Example.COM.', firstListedSuffix: '' },
    ]);
  });

  it('gives what is whole of a short block, and nothing for one without a first adapter', () => {
    const bytes = block();
    writeAdapter(bytes, { at: FIRST, luid: 1n, next: SECOND, dnsSuffix: null, firstDnsSuffix: null });
    writeAdapter(bytes, { at: SECOND, luid: 2n, next: null, dnsSuffix: null, firstDnsSuffix: null });
    // Cut inside the second adapter, before its LUID: its Length is larger than what is there.
    expect(decodeAdapterSuffixes(bytes.subarray(0, SECOND + 100), BASE)).toEqual([
      { luid: 1n, dnsSuffix: '', firstListedSuffix: '' },
    ]);
    expect(decodeAdapterSuffixes(bytes.subarray(0, 15), BASE)).toEqual([]);
    expect(decodeAdapterSuffixes(Buffer.alloc(0), BASE)).toEqual([]);
  });
});
