// The Win32 reads behind the network facts, each returning decoded rows or the Win32 error, and
// each freeing what the API allocated (FreeMibTable, WlanFreeMemory, WlanCloseHandle, LocalFree)
// whatever happens. Windows only; type-checked everywhere. network-facts.ts holds the logic.
import type { AdapterSuffixes } from './network-adapters-decode.ts';
import { decodeAdapterSuffixes } from './network-adapters-decode.ts';
import type { Iphlpapi, NetMemory } from './network-ffi.ts';
import { iphlpapi, netMemory, wlanapi } from './network-ffi.ts';
import type { AddressFamily } from './network-layout.ts';
import {
  AF_UNSPEC,
  GAA_FLAG_SKIP_ANYCAST,
  GAA_FLAG_SKIP_DNS_SERVER,
  GAA_FLAG_SKIP_FRIENDLY_NAME,
  GAA_FLAG_SKIP_MULTICAST,
  GAA_FLAG_SKIP_UNICAST,
  GUID_SIZE,
  MIB_IF_ROW2,
  MIB_IPFORWARD_ROW2,
  MIB_IPINTERFACE_ROW,
  MIB_IPNET_ROW2,
  MIB_TABLE,
  WLAN_CLIENT_VERSION,
  WLAN_CONNECTION_ATTRIBUTES,
  WLAN_INTERFACE_INFO_LIST,
  WLAN_INTERFACE_STATE_CONNECTED,
  WLAN_INTF_OPCODE_CURRENT_CONNECTION,
} from './network-layout.ts';
import type { InterfaceRow, NeighbourRow, RouteRow } from './network-mib-decode.ts';
import {
  decodeInterfaceMetrics,
  decodeInterfaceTable,
  decodeNeighbourTable,
  decodeRouteTable,
} from './network-mib-decode.ts';
import { decodeConnectionSsid, decodeWlanInterfaces } from './network-wlan-decode.ts';
import { fromUtf16z } from './utf16.ts';

/** A read's rows, or the Win32 error code of the call that failed. */
export type Win32Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: number };

/** The reads, one concern each. None throws for a failed call: it reports the code. */
export interface NetworkCalls {
  /** GetIpForwardTable2(AF_UNSPEC): the routes of both families. */
  routes(): Win32Read<RouteRow[]>;
  /** GetIpNetTable2 of one family (Wine fails AF_UNSPEC: it has no IPv6 neighbours). */
  neighbours(family: AddressFamily): Win32Read<NeighbourRow[]>;
  /** GetIfTable2. */
  interfaces(): Win32Read<InterfaceRow[]>;
  /** GetIpInterfaceTable of one family: interface index → interface metric (Wine: not supported). */
  interfaceMetrics(family: AddressFamily): Win32Read<Map<number, number>>;
  /** GetAdaptersAddresses: each adapter's DNS suffixes. */
  adapterSuffixes(): Win32Read<AdapterSuffixes[]>;
  /** ConvertInterfaceLuidToNameW (`ethernet_32768`); undefined when it fails. */
  luidName(luid: bigint): string | undefined;
  /** The SSID of the connected Wi-Fi interface with this GUID; '' when none, or wlanapi fails or is missing. */
  ssid(interfaceGuid: Uint8Array): string;
}

/** Options of {@link win32NetworkCalls}. */
export interface Win32NetworkCallsOptions {
  /** The WLAN API's DLL (default wlanapi.dll); the Wine test names a missing one. */
  readonly wlanapiPath?: string;
}

const NO_ERROR = 0;
const ERROR_NOT_ENOUGH_MEMORY = 8;
const ERROR_BUFFER_OVERFLOW = 111;
const ERROR_NO_DATA = 232;
/** LocalAlloc's LMEM_FIXED: the handle is the memory's address. */
const LMEM_FIXED = 0;
/**
 * The most bytes copied out of one allocated table: 16 MiB is about 160,000 routes; rows past it
 * are left out (the decoders take the whole rows that are there) rather than copying without end.
 */
const MAX_TABLE_BYTES = 16 * 1024 * 1024;
/** GetAdaptersAddresses: first try 16 KiB (Microsoft's advice is 15 KB), at most three tries. */
const ADAPTERS_FIRST_BYTES = 16 * 1024;
const ADAPTERS_MAX_BYTES = 4 * 1024 * 1024;
const ADAPTERS_TRIES = 3;
/** NDIS_IF_MAX_STRING_SIZE + 1 (ifdef.h): the longest interface name with its NUL. */
const LUID_NAME_CHARS = 257;
const GAA_FLAGS =
  GAA_FLAG_SKIP_UNICAST |
  GAA_FLAG_SKIP_ANYCAST |
  GAA_FLAG_SKIP_MULTICAST |
  GAA_FLAG_SKIP_DNS_SERVER |
  GAA_FLAG_SKIP_FRIENDLY_NAME;

const failed = (code: number): { readonly ok: false; readonly code: number } => ({ ok: false, code });

function dword(value = 0): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

/**
 * A copy of a counted table at `address` (a ULONG count @0, rows of `rowSize` from @8, as the MIB
 * tables and WLAN_INTERFACE_INFO_LIST are): the header first, then as many whole rows as it
 * counts, at most MAX_TABLE_BYTES.
 */
function copyCountedTable(memory: NetMemory, address: bigint, rowSize: number): Buffer {
  const header = Buffer.alloc(MIB_TABLE.ROWS);
  memory.RtlMoveMemory(header, address, header.length);
  const count = header.readUInt32LE(MIB_TABLE.NUM_ENTRIES);
  const rows = Math.min(count, Math.floor((MAX_TABLE_BYTES - MIB_TABLE.ROWS) / rowSize));
  const table = Buffer.alloc(MIB_TABLE.ROWS + rows * rowSize);
  memory.RtlMoveMemory(table, address, table.length);
  return table;
}

/**
 * Calls a Get*Table2-style function (it allocates the table and writes its address to `out`),
 * copies and decodes the table, and frees it with FreeMibTable. On failure nothing is freed:
 * Windows allocates nothing then, and Wine's GetIpNetTable2(AF_UNSPEC) fails after writing an
 * address that is not documented to be ours.
 */
function readMibTable<T>(
  api: Iphlpapi,
  memory: NetMemory,
  call: (out: Buffer) => number,
  rowSize: number,
  decode: (table: Buffer) => T,
): Win32Read<T> {
  const out = Buffer.alloc(8);
  const code = call(out) >>> 0;
  if (code !== NO_ERROR) return failed(code);
  const address = out.readBigUInt64LE(0);
  if (address === 0n) return { ok: true, value: decode(Buffer.alloc(0)) };
  try {
    return { ok: true, value: decode(copyCountedTable(memory, address, rowSize)) };
  } finally {
    api.FreeMibTable(address);
  }
}

function readAdapterSuffixes(api: Iphlpapi, memory: NetMemory): Win32Read<AdapterSuffixes[]> {
  let size = ADAPTERS_FIRST_BYTES;
  for (let attempt = 0; attempt < ADAPTERS_TRIES; attempt += 1) {
    // Memory of our own (not a Node Buffer) so the list's pointers can be turned into offsets:
    // its address is known, and it stays put until LocalFree.
    const address = memory.LocalAlloc(LMEM_FIXED, size);
    if (address === 0n) return failed(ERROR_NOT_ENOUGH_MEMORY);
    try {
      const sizeInOut = dword(size);
      const code = api.GetAdaptersAddresses(AF_UNSPEC, GAA_FLAGS, address, sizeInOut) >>> 0;
      if (code === ERROR_NO_DATA) return { ok: true, value: [] };
      if (code === NO_ERROR) {
        const copy = Buffer.alloc(size);
        memory.RtlMoveMemory(copy, address, copy.length);
        return { ok: true, value: decodeAdapterSuffixes(copy, address) };
      }
      if (code !== ERROR_BUFFER_OVERFLOW) return failed(code);
      // The size it asks for, which can grow again before the next call (an adapter appears).
      size = Math.min(Math.max(sizeInOut.readUInt32LE(0), size * 2), ADAPTERS_MAX_BYTES);
    } finally {
      memory.LocalFree(address);
    }
  }
  return failed(ERROR_BUFFER_OVERFLOW);
}

function readLuidName(api: Iphlpapi, luid: bigint): string | undefined {
  const luidBytes = Buffer.alloc(8);
  luidBytes.writeBigUInt64LE(luid);
  const name = Buffer.alloc(LUID_NAME_CHARS * 2);
  if (api.ConvertInterfaceLuidToNameW(luidBytes, name, LUID_NAME_CHARS) >>> 0 !== NO_ERROR) return undefined;
  return fromUtf16z(name);
}

function sameGuid(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === GUID_SIZE && b.length === GUID_SIZE && a.every((byte, i) => byte === b[i]);
}

/** The SSID through wlanapi (see NetworkCalls.ssid); throws only when the DLL cannot be loaded. */
function readSsid(path: string, memory: NetMemory, interfaceGuid: Uint8Array): string {
  const api = wlanapi(path);
  const handleOut = Buffer.alloc(8);
  if (api.WlanOpenHandle(WLAN_CLIENT_VERSION, dword(), handleOut) >>> 0 !== NO_ERROR) return '';
  const handle = handleOut.readBigUInt64LE(0);
  try {
    const listOut = Buffer.alloc(8);
    if (api.WlanEnumInterfaces(handle, listOut) >>> 0 !== NO_ERROR) return '';
    const listAddress = listOut.readBigUInt64LE(0);
    if (listAddress === 0n) return '';
    let list: Buffer;
    try {
      list = copyCountedTable(memory, listAddress, WLAN_INTERFACE_INFO_LIST.ITEM_SIZE);
    } finally {
      api.WlanFreeMemory(listAddress);
    }
    // Only a connected interface has a current connection to ask about.
    const connected = decodeWlanInterfaces(list).some(
      (entry) => sameGuid(entry.guid, interfaceGuid) && entry.state === WLAN_INTERFACE_STATE_CONNECTED,
    );
    if (!connected) return '';
    const dataSize = dword();
    const dataOut = Buffer.alloc(8);
    const code = api.WlanQueryInterface(
      handle,
      Buffer.from(interfaceGuid),
      WLAN_INTF_OPCODE_CURRENT_CONNECTION,
      dataSize,
      dataOut,
    );
    if (code >>> 0 !== NO_ERROR) return '';
    const dataAddress = dataOut.readBigUInt64LE(0);
    if (dataAddress === 0n) return '';
    try {
      // What it says it wrote, never more than the structure (the SSID lies inside it).
      const data = Buffer.alloc(Math.min(dataSize.readUInt32LE(0), WLAN_CONNECTION_ATTRIBUTES.SIZE));
      memory.RtlMoveMemory(data, dataAddress, data.length);
      return decodeConnectionSsid(data);
    } finally {
      api.WlanFreeMemory(dataAddress);
    }
  } finally {
    api.WlanCloseHandle(handle);
  }
}

/** The real reads (Windows only). The DLLs are opened on the first call that needs them. */
export function win32NetworkCalls(options: Win32NetworkCallsOptions = {}): NetworkCalls {
  const wlanapiPath = options.wlanapiPath ?? 'wlanapi.dll';
  return {
    routes: () =>
      readMibTable(
        iphlpapi(),
        netMemory(),
        (out) => iphlpapi().GetIpForwardTable2(AF_UNSPEC, out),
        MIB_IPFORWARD_ROW2.SIZE,
        decodeRouteTable,
      ),
    neighbours: (family) =>
      readMibTable(
        iphlpapi(),
        netMemory(),
        (out) => iphlpapi().GetIpNetTable2(family, out),
        MIB_IPNET_ROW2.SIZE,
        decodeNeighbourTable,
      ),
    interfaces: () =>
      readMibTable(
        iphlpapi(),
        netMemory(),
        (out) => iphlpapi().GetIfTable2(out),
        MIB_IF_ROW2.SIZE,
        decodeInterfaceTable,
      ),
    interfaceMetrics: (family) =>
      readMibTable(
        iphlpapi(),
        netMemory(),
        (out) => iphlpapi().GetIpInterfaceTable(family, out),
        MIB_IPINTERFACE_ROW.SIZE,
        decodeInterfaceMetrics,
      ),
    adapterSuffixes: () => readAdapterSuffixes(iphlpapi(), netMemory()),
    luidName: (luid) => readLuidName(iphlpapi(), luid),
    ssid: (interfaceGuid) => {
      try {
        return readSsid(wlanapiPath, netMemory(), interfaceGuid);
      } catch {
        // No wlanapi.dll (Windows Server without the Wireless LAN Service), or a call the binding
        // could not make: the SSID is unknown, which the facts say with ''.
        return '';
      }
    },
  };
}
