// The symbol tables of the network facts: iphlpapi (routes, neighbours, interfaces, adapters),
// wlanapi (the Wi-Fi connection) and three kernel32 memory calls, declared once and typed as the
// C functions they call. Windows only; opened on first use, so importing this module opens nothing.
//
// Besides ffi.ts, the one module that imports ffi-rs (eslint.config.js allows both): these tables
// follow ffi.ts's conventions and are kept apart so that neither grows past what one can review.
//
// How memory the APIs allocate is read without ffi-rs pointer types (whose misuse crashes the
// process, ffi.ts): the API writes the address into an 8-byte Buffer, and RtlMoveMemory copies
// from that address into a Node Buffer of a length the table's own header gives. Nothing else
// dereferences a pointer, and the decoders only ever see those copies.
//
// Measured with a probe program under Wine 8.0 while writing this: some iphlpapi functions are
// "unimplemented" stubs there that abort the whole process when called (ResolveIpNetEntry2,
// GetIpNetEntry2, GetIpInterfaceEntry, InitializeIpInterfaceEntry), so none of them is declared.
import { DataType, define, open } from 'ffi-rs';

/** iphlpapi.dll; every function returns a Win32 error code (NO_ERROR 0) unless said otherwise. */
export interface Iphlpapi {
  /** `table` is an 8-byte Buffer receiving a MIB_IPFORWARD_TABLE2* (free it with FreeMibTable). */
  GetIpForwardTable2(family: number, table: Buffer): number;
  /** `table` receives a MIB_IPNET_TABLE2*. */
  GetIpNetTable2(family: number, table: Buffer): number;
  /** `table` receives a MIB_IF_TABLE2*. */
  GetIfTable2(table: Buffer): number;
  /** `table` receives a MIB_IPINTERFACE_TABLE*. */
  GetIpInterfaceTable(family: number, table: Buffer): number;
  FreeMibTable(memory: bigint): void;
  /** `addresses` is memory of `size` bytes at that address (LocalAlloc); `size` a ULONG in/out Buffer. */
  GetAdaptersAddresses(family: number, flags: number, addresses: bigint, size: Buffer): number;
  /** `luid` is the NET_LUID's 8 bytes; `name` receives UTF-16 of at most `chars` units, NUL included. */
  ConvertInterfaceLuidToNameW(luid: Buffer, name: Buffer, chars: number): number;
}

/** wlanapi.dll. HANDLEs are bigints; every function returns a Win32 error code. */
export interface Wlanapi {
  /** `negotiated` is a 4-byte DWORD out-parameter, `handle` an 8-byte HANDLE one. */
  WlanOpenHandle(clientVersion: number, negotiated: Buffer, handle: Buffer): number;
  /** `list` receives a WLAN_INTERFACE_INFO_LIST* (free it with WlanFreeMemory). */
  WlanEnumInterfaces(handle: bigint, list: Buffer): number;
  /**
   * `guid` is the interface GUID's 16 bytes; `dataSize` a 4-byte DWORD and `data` an 8-byte
   * pointer out-parameter (free the data with WlanFreeMemory).
   */
  WlanQueryInterface(handle: bigint, guid: Buffer, opcode: number, dataSize: Buffer, data: Buffer): number;
  WlanFreeMemory(memory: bigint): void;
  WlanCloseHandle(handle: bigint): number;
}

/** kernel32's memory calls: copying out of native memory, and memory for GetAdaptersAddresses. */
export interface NetMemory {
  /** Copies `length` bytes at `source` into `destination` (which must hold them). */
  RtlMoveMemory(destination: Buffer, source: bigint, length: number): void;
  /** LocalAlloc(flags, bytes): the address, 0n on failure. */
  LocalAlloc(flags: number, bytes: number): bigint;
  LocalFree(memory: bigint): void;
}

// ffi-rs types a BigInt result as the `BigInt` wrapper interface; its valueOf() is the primitive.
function primitive(value: { valueOf(): bigint }): bigint {
  return value.valueOf();
}

let iphlpapiInstance: Iphlpapi | undefined;

/** The iphlpapi symbol table, opened on first use (Windows only). */
export function iphlpapi(): Iphlpapi {
  if (iphlpapiInstance !== undefined) return iphlpapiInstance;
  const library = 'zf-iphlpapi';
  open({ library, path: 'iphlpapi.dll' });
  const fns = define({
    // ADDRESS_FAMILY is a USHORT: passed in a full register on x64, the callee reads 16 bits.
    GetIpForwardTable2: { library, retType: DataType.U32, paramsType: [DataType.I32, DataType.U8Array] },
    GetIpNetTable2: { library, retType: DataType.U32, paramsType: [DataType.I32, DataType.U8Array] },
    GetIfTable2: { library, retType: DataType.U32, paramsType: [DataType.U8Array] },
    GetIpInterfaceTable: { library, retType: DataType.U32, paramsType: [DataType.I32, DataType.U8Array] },
    FreeMibTable: { library, retType: DataType.Void, paramsType: [DataType.BigInt] },
    GetAdaptersAddresses: {
      library,
      retType: DataType.U32,
      // Family, Flags, Reserved (NULL), AdapterAddresses, SizePointer.
      paramsType: [DataType.U32, DataType.U32, DataType.BigInt, DataType.BigInt, DataType.U8Array],
    },
    ConvertInterfaceLuidToNameW: {
      library,
      retType: DataType.U32,
      paramsType: [DataType.U8Array, DataType.U8Array, DataType.I64],
    },
  });
  iphlpapiInstance = {
    GetIpForwardTable2: (family, table) => fns.GetIpForwardTable2([family, table]),
    GetIpNetTable2: (family, table) => fns.GetIpNetTable2([family, table]),
    GetIfTable2: (table) => fns.GetIfTable2([table]),
    GetIpInterfaceTable: (family, table) => fns.GetIpInterfaceTable([family, table]),
    FreeMibTable: (memory) => {
      fns.FreeMibTable([memory]);
    },
    GetAdaptersAddresses: (family, flags, addresses, size) =>
      fns.GetAdaptersAddresses([family, flags, 0n, addresses, size]),
    ConvertInterfaceLuidToNameW: (luid, name, chars) => fns.ConvertInterfaceLuidToNameW([luid, name, chars]),
  };
  return iphlpapiInstance;
}

const wlanapiInstances = new Map<string, Wlanapi>();

/**
 * The wlanapi symbol table of the DLL at `path`, opened on first use. Throws when the DLL cannot
 * be loaded: Windows Server without the Wireless LAN Service has no wlanapi.dll.
 */
export function wlanapi(path = 'wlanapi.dll'): Wlanapi {
  const known = wlanapiInstances.get(path);
  if (known !== undefined) return known;
  const library = `zf-wlanapi:${path}`;
  open({ library, path });
  const fns = define({
    WlanOpenHandle: {
      library,
      retType: DataType.U32,
      // dwClientVersion, pReserved (NULL), pdwNegotiatedVersion, phClientHandle.
      paramsType: [DataType.U32, DataType.BigInt, DataType.U8Array, DataType.U8Array],
    },
    WlanEnumInterfaces: {
      library,
      retType: DataType.U32,
      paramsType: [DataType.BigInt, DataType.BigInt, DataType.U8Array],
    },
    WlanQueryInterface: {
      library,
      retType: DataType.U32,
      // hClientHandle, pInterfaceGuid, OpCode, pReserved (NULL), pdwDataSize, ppData,
      // pWlanOpcodeValueType (optional: NULL).
      paramsType: [
        DataType.BigInt,
        DataType.U8Array,
        DataType.U32,
        DataType.BigInt,
        DataType.U8Array,
        DataType.U8Array,
        DataType.BigInt,
      ],
    },
    WlanFreeMemory: { library, retType: DataType.Void, paramsType: [DataType.BigInt] },
    WlanCloseHandle: { library, retType: DataType.U32, paramsType: [DataType.BigInt, DataType.BigInt] },
  });
  const instance: Wlanapi = {
    WlanOpenHandle: (version, negotiated, handle) => fns.WlanOpenHandle([version, 0n, negotiated, handle]),
    WlanEnumInterfaces: (handle, list) => fns.WlanEnumInterfaces([handle, 0n, list]),
    WlanQueryInterface: (handle, guid, opcode, dataSize, data) =>
      fns.WlanQueryInterface([handle, guid, opcode, 0n, dataSize, data, 0n]),
    WlanFreeMemory: (memory) => {
      fns.WlanFreeMemory([memory]);
    },
    WlanCloseHandle: (handle) => fns.WlanCloseHandle([handle, 0n]),
  };
  wlanapiInstances.set(path, instance);
  return instance;
}

let memoryInstance: NetMemory | undefined;

/** kernel32's memory calls, opened on first use (Windows only). */
export function netMemory(): NetMemory {
  if (memoryInstance !== undefined) return memoryInstance;
  const library = 'zf-net-kernel32';
  open({ library, path: 'kernel32.dll' });
  const fns = define({
    // kernel32 exports RtlMoveMemory (forwarded to ntdll) on 64-bit Windows and in Wine.
    RtlMoveMemory: { library, retType: DataType.Void, paramsType: [DataType.U8Array, DataType.BigInt, DataType.I64] },
    LocalAlloc: { library, retType: DataType.BigInt, paramsType: [DataType.U32, DataType.I64] },
    LocalFree: { library, retType: DataType.BigInt, paramsType: [DataType.BigInt] },
  });
  memoryInstance = {
    RtlMoveMemory: (destination, source, length) => {
      fns.RtlMoveMemory([destination, source, length]);
    },
    LocalAlloc: (flags, bytes) => primitive(fns.LocalAlloc([flags, bytes])),
    LocalFree: (memory) => {
      fns.LocalFree([memory]);
    },
  };
  return memoryInstance;
}
