// The MIB table decoders over tables built byte by byte at the offsets of network-layout.ts (which
// network-layout.test.ts checks against the SDK headers).
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  AF_INET6,
  MIB_IF_ROW2,
  MIB_IPFORWARD_ROW2,
  MIB_IPINTERFACE_ROW,
  MIB_IPNET_ROW2,
  SOCKADDR_INET,
} from './network-layout.ts';
import {
  decodeInterfaceMetrics,
  decodeInterfaceTable,
  decodeNeighbourTable,
  decodeRouteTable,
  decodeSockaddrInet,
  tableRows,
} from './network-mib-decode.ts';

/** A MIB table: NumEntries (given, or the rows' count), 4 bytes of padding, the rows. */
function table(rows: readonly Buffer[], numEntries = rows.length): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(numEntries, 0);
  return Buffer.concat([header, ...rows]);
}

function writeSockaddr(row: Buffer, offset: number, family: number, address: readonly number[]): void {
  row.writeUInt16LE(family, offset + SOCKADDR_INET.FAMILY);
  const at = offset + (family === AF_INET6 ? SOCKADDR_INET.V6_ADDR : SOCKADDR_INET.V4_ADDR);
  Buffer.from(address).copy(row, at);
}

interface RouteSpec {
  readonly luid: bigint;
  readonly index: number;
  readonly family: number;
  readonly destination: readonly number[];
  readonly prefixLength: number;
  readonly nextHop: readonly number[];
  readonly metric: number;
}

function routeRow(spec: RouteSpec): Buffer {
  const row = Buffer.alloc(MIB_IPFORWARD_ROW2.SIZE, 0xee);
  row.writeBigUInt64LE(spec.luid, MIB_IPFORWARD_ROW2.INTERFACE_LUID);
  row.writeUInt32LE(spec.index, MIB_IPFORWARD_ROW2.INTERFACE_INDEX);
  row.fill(0, MIB_IPFORWARD_ROW2.DESTINATION_PREFIX, MIB_IPFORWARD_ROW2.NEXT_HOP + SOCKADDR_INET.SIZE);
  writeSockaddr(row, MIB_IPFORWARD_ROW2.DESTINATION_PREFIX, spec.family, spec.destination);
  row.writeUInt8(spec.prefixLength, MIB_IPFORWARD_ROW2.PREFIX_LENGTH);
  writeSockaddr(row, MIB_IPFORWARD_ROW2.NEXT_HOP, spec.family, spec.nextHop);
  row.writeUInt32LE(spec.metric, MIB_IPFORWARD_ROW2.METRIC);
  return row;
}

const V6_GATEWAY = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V4_DEFAULT: RouteSpec = {
  luid: 0x0006_0000_0400_0000n,
  index: 4,
  family: AF_INET,
  destination: [0, 0, 0, 0],
  prefixLength: 0,
  nextHop: [192, 0, 2, 1],
  metric: 25,
};
const V6_DEFAULT: RouteSpec = {
  luid: 0x0047_0000_0700_0000n,
  index: 7,
  family: AF_INET6,
  destination: new Array<number>(16).fill(0),
  prefixLength: 0,
  nextHop: V6_GATEWAY,
  metric: 256,
};

describe('SOCKADDR_INET', () => {
  it('reads an IPv4 and an IPv6 address by their family', () => {
    const bytes = Buffer.alloc(SOCKADDR_INET.SIZE * 2);
    writeSockaddr(bytes, 0, AF_INET, [198, 51, 100, 7]);
    writeSockaddr(bytes, SOCKADDR_INET.SIZE, AF_INET6, V6_GATEWAY);
    expect(decodeSockaddrInet(bytes, 0)).toEqual({ family: AF_INET, bytes: Uint8Array.of(198, 51, 100, 7) });
    expect(decodeSockaddrInet(bytes, SOCKADDR_INET.SIZE)).toEqual({
      family: AF_INET6,
      bytes: Uint8Array.from(V6_GATEWAY),
    });
  });

  it('gives nothing for another family, a short buffer or an offset outside it', () => {
    const bytes = Buffer.alloc(SOCKADDR_INET.SIZE);
    bytes.writeUInt16LE(10, 0); // Linux's AF_INET6, not Windows'
    expect(decodeSockaddrInet(bytes, 0)).toBeUndefined();
    writeSockaddr(bytes, 0, AF_INET, [10, 0, 0, 1]);
    expect(decodeSockaddrInet(bytes.subarray(0, SOCKADDR_INET.SIZE - 1), 0)).toBeUndefined();
    expect(decodeSockaddrInet(bytes, 1)).toBeUndefined();
    expect(decodeSockaddrInet(bytes, -1)).toBeUndefined();
  });
});

describe('MIB tables', () => {
  it('take the rows NumEntries counts, and only rows that are whole', () => {
    const rows = [Buffer.alloc(10, 1), Buffer.alloc(10, 2), Buffer.alloc(10, 3)];
    expect(tableRows(table(rows), 10).map((row) => row[0])).toEqual([1, 2, 3]);
    expect(tableRows(table(rows, 2), 10).map((row) => row[0])).toEqual([1, 2]);
    // NumEntries above what was copied, and a copy cut inside the third row.
    expect(tableRows(table(rows, 1000), 10)).toHaveLength(3);
    expect(tableRows(table(rows).subarray(0, 8 + 25), 10)).toHaveLength(2);
    expect(tableRows(Buffer.alloc(7), 10)).toEqual([]);
    expect(tableRows(Buffer.alloc(0), 10)).toEqual([]);
  });

  it('decodes routes: interface, destination prefix, next hop and metric', () => {
    const onLink: RouteSpec = { ...V4_DEFAULT, destination: [192, 0, 2, 0], prefixLength: 24, nextHop: [0, 0, 0, 0] };
    expect(decodeRouteTable(table([routeRow(V4_DEFAULT), routeRow(onLink), routeRow(V6_DEFAULT)]))).toEqual([
      {
        interfaceLuid: V4_DEFAULT.luid,
        interfaceIndex: 4,
        destination: { family: AF_INET, bytes: Uint8Array.of(0, 0, 0, 0) },
        prefixLength: 0,
        nextHop: { family: AF_INET, bytes: Uint8Array.of(192, 0, 2, 1) },
        metric: 25,
      },
      {
        interfaceLuid: V4_DEFAULT.luid,
        interfaceIndex: 4,
        destination: { family: AF_INET, bytes: Uint8Array.of(192, 0, 2, 0) },
        prefixLength: 24,
        nextHop: { family: AF_INET, bytes: Uint8Array.of(0, 0, 0, 0) },
        metric: 25,
      },
      {
        interfaceLuid: V6_DEFAULT.luid,
        interfaceIndex: 7,
        destination: { family: AF_INET6, bytes: new Uint8Array(16) },
        prefixLength: 0,
        nextHop: { family: AF_INET6, bytes: Uint8Array.from(V6_GATEWAY) },
        metric: 256,
      },
    ]);
  });

  it('decodes neighbours with the link-layer address their length says, at most 32 bytes', () => {
    const gateway = Buffer.alloc(MIB_IPNET_ROW2.SIZE);
    writeSockaddr(gateway, MIB_IPNET_ROW2.ADDRESS, AF_INET, [192, 0, 2, 1]);
    gateway.writeUInt32LE(4, MIB_IPNET_ROW2.INTERFACE_INDEX);
    Buffer.from([0x02, 0xfc, 0, 0, 0, 5, 0xaa, 0xbb]).copy(gateway, MIB_IPNET_ROW2.PHYSICAL_ADDRESS);
    gateway.writeUInt32LE(6, MIB_IPNET_ROW2.PHYSICAL_ADDRESS_LENGTH);
    gateway.writeUInt32LE(5, MIB_IPNET_ROW2.STATE);
    const bogus = Buffer.alloc(MIB_IPNET_ROW2.SIZE);
    bogus.writeUInt32LE(4096, MIB_IPNET_ROW2.PHYSICAL_ADDRESS_LENGTH);
    const [first, second] = decodeNeighbourTable(table([gateway, bogus]));
    expect(first).toEqual({
      address: { family: AF_INET, bytes: Uint8Array.of(192, 0, 2, 1) },
      interfaceIndex: 4,
      physicalAddress: Uint8Array.of(0x02, 0xfc, 0, 0, 0, 5),
      state: 5,
    });
    expect(second?.address).toBeUndefined();
    expect(second?.physicalAddress).toHaveLength(MIB_IPNET_ROW2.PHYSICAL_ADDRESS_MAX);
  });

  it('decodes interfaces: LUID, index, GUID, alias, description, type, tunnel type, status', () => {
    const row = Buffer.alloc(MIB_IF_ROW2.SIZE, 0x11);
    row.writeBigUInt64LE(0x0047_0000_0700_0000n, MIB_IF_ROW2.INTERFACE_LUID);
    row.writeUInt32LE(7, MIB_IF_ROW2.INTERFACE_INDEX);
    const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    guid.copy(row, MIB_IF_ROW2.INTERFACE_GUID);
    row.write('Wi-Fi\0', MIB_IF_ROW2.ALIAS, 'utf16le');
    // A description that fills its 257 characters has no NUL: it ends where the field does.
    row.write('x'.repeat(MIB_IF_ROW2.STRING_CHARS), MIB_IF_ROW2.DESCRIPTION, 'utf16le');
    row.writeUInt32LE(71, MIB_IF_ROW2.TYPE);
    row.writeUInt32LE(0, MIB_IF_ROW2.TUNNEL_TYPE);
    row.writeUInt32LE(1, MIB_IF_ROW2.OPER_STATUS);
    expect(decodeInterfaceTable(table([row]))).toEqual([
      {
        luid: 0x0047_0000_0700_0000n,
        index: 7,
        guid: Uint8Array.from(guid),
        alias: 'Wi-Fi',
        description: 'x'.repeat(MIB_IF_ROW2.STRING_CHARS),
        type: 71,
        tunnelType: 0,
        operStatus: 1,
      },
    ]);
    expect(decodeInterfaceTable(table([row]).subarray(0, MIB_IF_ROW2.SIZE))).toEqual([]);
  });

  it('maps interface indexes to interface metrics', () => {
    const row = (index: number, metric: number): Buffer => {
      const bytes = Buffer.alloc(MIB_IPINTERFACE_ROW.SIZE);
      bytes.writeUInt32LE(index, MIB_IPINTERFACE_ROW.INTERFACE_INDEX);
      bytes.writeUInt32LE(metric, MIB_IPINTERFACE_ROW.METRIC);
      return bytes;
    };
    expect(decodeInterfaceMetrics(table([row(4, 25), row(7, 35)]))).toEqual(
      new Map([
        [4, 25],
        [7, 35],
      ]),
    );
    expect(decodeInterfaceMetrics(Buffer.alloc(3))).toEqual(new Map());
  });
});
