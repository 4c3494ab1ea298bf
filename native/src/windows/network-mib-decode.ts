// Decoders of the MIB tables iphlpapi allocates (routes, neighbours, interfaces, interface metrics)
// from copies of their bytes: pure, so they are tested on Linux. Every decoder checks lengths
// first and never throws: a short or truncated table yields the rows that are whole.
import type { AddressFamily } from './network-layout.ts';
import {
  AF_INET,
  AF_INET6,
  MIB_IF_ROW2,
  MIB_IPFORWARD_ROW2,
  MIB_IPINTERFACE_ROW,
  MIB_IPNET_ROW2,
  MIB_TABLE,
  SOCKADDR_INET,
} from './network-layout.ts';
import { fromUtf16z } from './utf16.ts';

/** An IP address as SOCKADDR_INET holds it: 4 bytes for IPv4, 16 for IPv6 (network order). */
export interface InetAddress {
  readonly family: AddressFamily;
  readonly bytes: Uint8Array;
}

/** One MIB_IPFORWARD_ROW2, the fields the facts use. */
export interface RouteRow {
  readonly interfaceLuid: bigint;
  readonly interfaceIndex: number;
  /** The destination prefix's address; undefined when its family is neither IPv4 nor IPv6. */
  readonly destination: InetAddress | undefined;
  readonly prefixLength: number;
  /** Undefined when the family is unknown; all zeros for an on-link route. */
  readonly nextHop: InetAddress | undefined;
  /** The route's own metric (Windows adds the interface's metric to it). */
  readonly metric: number;
}

/** One MIB_IPNET_ROW2: a neighbour (ARP or NDP) entry. */
export interface NeighbourRow {
  readonly address: InetAddress | undefined;
  readonly interfaceIndex: number;
  /** The link-layer address, PhysicalAddressLength bytes of it (at most 32). */
  readonly physicalAddress: Uint8Array;
  /** NL_NEIGHBOR_STATE. */
  readonly state: number;
}

/** One MIB_IF_ROW2, the fields the facts use. */
export interface InterfaceRow {
  readonly luid: bigint;
  readonly index: number;
  /** The interface GUID's 16 bytes as Windows stores them (what wlanapi names interfaces by). */
  readonly guid: Uint8Array;
  /** The name the user sees and can change (`Wi-Fi`, `Ethernet 2`). */
  readonly alias: string;
  /** The adapter's description (`Intel(R) Wi-Fi 6 AX201 160MHz`, `TAP-Windows Adapter V9`). */
  readonly description: string;
  /** IFTYPE. */
  readonly type: number;
  /** TUNNEL_TYPE. */
  readonly tunnelType: number;
  /** IF_OPER_STATUS. */
  readonly operStatus: number;
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The whole rows of a MIB table copy: `NumEntries` says how many there are, the bytes say how many
 * are there; the fewer of the two. A block shorter than its header has none.
 */
export function tableRows(block: Uint8Array, rowSize: number): Buffer[] {
  const bytes = view(block);
  if (bytes.length < MIB_TABLE.ROWS) return [];
  const count = bytes.readUInt32LE(MIB_TABLE.NUM_ENTRIES);
  const whole = Math.floor((bytes.length - MIB_TABLE.ROWS) / rowSize);
  const rows: Buffer[] = [];
  for (let i = 0; i < Math.min(count, whole); i += 1) {
    const start = MIB_TABLE.ROWS + i * rowSize;
    rows.push(bytes.subarray(start, start + rowSize));
  }
  return rows;
}

/** The SOCKADDR_INET at `offset`; undefined when it does not fit or its family is neither IP. */
export function decodeSockaddrInet(bytes: Uint8Array, offset: number): InetAddress | undefined {
  const data = view(bytes);
  if (offset < 0 || offset + SOCKADDR_INET.SIZE > data.length) return undefined;
  const family = data.readUInt16LE(offset + SOCKADDR_INET.FAMILY);
  if (family === AF_INET) {
    const start = offset + SOCKADDR_INET.V4_ADDR;
    return { family: AF_INET, bytes: Uint8Array.from(data.subarray(start, start + 4)) };
  }
  if (family === AF_INET6) {
    const start = offset + SOCKADDR_INET.V6_ADDR;
    return { family: AF_INET6, bytes: Uint8Array.from(data.subarray(start, start + 16)) };
  }
  return undefined;
}

/** The rows of a MIB_IPFORWARD_TABLE2 copy. */
export function decodeRouteTable(block: Uint8Array): RouteRow[] {
  return tableRows(block, MIB_IPFORWARD_ROW2.SIZE).map((row) => ({
    interfaceLuid: row.readBigUInt64LE(MIB_IPFORWARD_ROW2.INTERFACE_LUID),
    interfaceIndex: row.readUInt32LE(MIB_IPFORWARD_ROW2.INTERFACE_INDEX),
    destination: decodeSockaddrInet(row, MIB_IPFORWARD_ROW2.DESTINATION_PREFIX),
    prefixLength: row.readUInt8(MIB_IPFORWARD_ROW2.PREFIX_LENGTH),
    nextHop: decodeSockaddrInet(row, MIB_IPFORWARD_ROW2.NEXT_HOP),
    metric: row.readUInt32LE(MIB_IPFORWARD_ROW2.METRIC),
  }));
}

/** The rows of a MIB_IPNET_TABLE2 copy. */
export function decodeNeighbourTable(block: Uint8Array): NeighbourRow[] {
  return tableRows(block, MIB_IPNET_ROW2.SIZE).map((row) => {
    const length = Math.min(
      row.readUInt32LE(MIB_IPNET_ROW2.PHYSICAL_ADDRESS_LENGTH),
      MIB_IPNET_ROW2.PHYSICAL_ADDRESS_MAX,
    );
    const start = MIB_IPNET_ROW2.PHYSICAL_ADDRESS;
    return {
      address: decodeSockaddrInet(row, MIB_IPNET_ROW2.ADDRESS),
      interfaceIndex: row.readUInt32LE(MIB_IPNET_ROW2.INTERFACE_INDEX),
      physicalAddress: Uint8Array.from(row.subarray(start, start + length)),
      state: row.readUInt32LE(MIB_IPNET_ROW2.STATE),
    };
  });
}

/** The rows of a MIB_IF_TABLE2 copy. */
export function decodeInterfaceTable(block: Uint8Array): InterfaceRow[] {
  const stringBytes = MIB_IF_ROW2.STRING_CHARS * 2;
  return tableRows(block, MIB_IF_ROW2.SIZE).map((row) => ({
    luid: row.readBigUInt64LE(MIB_IF_ROW2.INTERFACE_LUID),
    index: row.readUInt32LE(MIB_IF_ROW2.INTERFACE_INDEX),
    guid: Uint8Array.from(row.subarray(MIB_IF_ROW2.INTERFACE_GUID, MIB_IF_ROW2.INTERFACE_GUID + 16)),
    alias: fromUtf16z(row.subarray(MIB_IF_ROW2.ALIAS, MIB_IF_ROW2.ALIAS + stringBytes)),
    description: fromUtf16z(row.subarray(MIB_IF_ROW2.DESCRIPTION, MIB_IF_ROW2.DESCRIPTION + stringBytes)),
    type: row.readUInt32LE(MIB_IF_ROW2.TYPE),
    tunnelType: row.readUInt32LE(MIB_IF_ROW2.TUNNEL_TYPE),
    operStatus: row.readUInt32LE(MIB_IF_ROW2.OPER_STATUS),
  }));
}

/** Interface index → interface metric, from a MIB_IPINTERFACE_TABLE copy of one family. */
export function decodeInterfaceMetrics(block: Uint8Array): Map<number, number> {
  const metrics = new Map<number, number>();
  for (const row of tableRows(block, MIB_IPINTERFACE_ROW.SIZE)) {
    metrics.set(row.readUInt32LE(MIB_IPINTERFACE_ROW.INTERFACE_INDEX), row.readUInt32LE(MIB_IPINTERFACE_ROW.METRIC));
  }
  return metrics;
}
