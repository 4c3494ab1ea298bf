// The x64 layouts of the structures the network facts read (iphlpapi, wlanapi), as byte offsets.
// Each offset was taken from the Windows SDK declarations (netioapi.h, ws2ipdef.h, iptypes.h,
// ifdef.h, wlanapi.h, windot11.h) and is checked against the mingw-w64 headers by
// network-layout.test.ts, which compiles `offsetof` assertions built from these constants.
// Only 64-bit Windows is supported (see ffi.ts), so pointers are 8 bytes and NET_LUID (a
// ULONG64) makes every table that holds one 8-aligned.

/** ADDRESS_FAMILY values (ws2def.h). AF_INET6 is 23 on Windows, not Linux's 10. */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 23;
export type AddressFamily = typeof AF_INET | typeof AF_INET6;

/**
 * SOCKADDR_INET (ws2ipdef.h), 28 bytes: a union of SOCKADDR_IN and SOCKADDR_IN6 whose first
 * field, `si_family` (USHORT), says which. IPv4: sin_port @2, sin_addr @4 (4 bytes). IPv6:
 * sin6_port @2, sin6_flowinfo @4, sin6_addr @8 (16 bytes), sin6_scope_id @24.
 */
export const SOCKADDR_INET = {
  SIZE: 28,
  FAMILY: 0,
  V4_ADDR: 4,
  V6_ADDR: 8,
} as const;

/**
 * The MIB_*_TABLE2 tables that iphlpapi allocates: `ULONG NumEntries` @0, then the rows from @8
 * (the rows hold a NET_LUID, so the array is 8-aligned). MIB_IPINTERFACE_TABLE has the same shape.
 */
export const MIB_TABLE = {
  NUM_ENTRIES: 0,
  ROWS: 8,
} as const;

/**
 * MIB_IPFORWARD_ROW2 (netioapi.h), 104 bytes: InterfaceLuid @0 (NET_LUID), InterfaceIndex @8,
 * DestinationPrefix @12 (IP_ADDRESS_PREFIX: a SOCKADDR_INET, then UINT8 PrefixLength @+28, padded
 * to 32), NextHop @44 (SOCKADDR_INET), SitePrefixLength @72, ValidLifetime @76, PreferredLifetime
 * @80, Metric @84, Protocol @88, four BOOLEANs @92, Age @96, Origin @100.
 */
export const MIB_IPFORWARD_ROW2 = {
  SIZE: 104,
  INTERFACE_LUID: 0,
  INTERFACE_INDEX: 8,
  DESTINATION_PREFIX: 12,
  PREFIX_LENGTH: 40,
  NEXT_HOP: 44,
  METRIC: 84,
} as const;

/**
 * MIB_IPNET_ROW2 (netioapi.h), 88 bytes: Address @0 (SOCKADDR_INET), InterfaceIndex @28,
 * InterfaceLuid @32, PhysicalAddress @40 (UCHAR[32]), PhysicalAddressLength @72 (ULONG), State @76
 * (NL_NEIGHBOR_STATE), a flags byte @80, ReachabilityTime @84.
 */
export const MIB_IPNET_ROW2 = {
  SIZE: 88,
  ADDRESS: 0,
  INTERFACE_INDEX: 28,
  PHYSICAL_ADDRESS: 40,
  PHYSICAL_ADDRESS_MAX: 32,
  PHYSICAL_ADDRESS_LENGTH: 72,
  STATE: 76,
} as const;

/** NL_NEIGHBOR_STATE (nldef.h): the order of RFC 4861's neighbour cache states. */
export const NEIGHBOR_STATE = {
  UNREACHABLE: 0,
  INCOMPLETE: 1,
  PROBE: 2,
  DELAY: 3,
  STALE: 4,
  REACHABLE: 5,
  PERMANENT: 6,
} as const;

/**
 * MIB_IF_ROW2 (netioapi.h), 1352 bytes: InterfaceLuid @0, InterfaceIndex @8, InterfaceGuid @12
 * (16 bytes), Alias @28 and Description @542 (WCHAR[257] each), PhysicalAddressLength @1056,
 * PhysicalAddress @1060, PermanentPhysicalAddress @1092, Mtu @1124, Type @1128 (IFTYPE), TunnelType
 * @1132, MediaType @1136, PhysicalMediumType @1140, AccessType @1144, DirectionType @1148, the
 * InterfaceAndOperStatusFlags byte @1152, OperStatus @1156, AdminStatus @1160, MediaConnectState
 * @1164, NetworkGuid @1168, ConnectionType @1184, then the ULONG64 counters from @1192.
 */
export const MIB_IF_ROW2 = {
  SIZE: 1352,
  INTERFACE_LUID: 0,
  INTERFACE_INDEX: 8,
  INTERFACE_GUID: 12,
  ALIAS: 28,
  DESCRIPTION: 542,
  /** IF_MAX_STRING_SIZE + 1 WCHARs for Alias and Description. */
  STRING_CHARS: 257,
  TYPE: 1128,
  TUNNEL_TYPE: 1132,
  OPER_STATUS: 1156,
} as const;

/** IFTYPE values (ipifcons.h) the facts act on. */
export const IF_TYPE = {
  ETHERNET_CSMACD: 6,
  PPP: 23,
  SOFTWARE_LOOPBACK: 24,
  /** What Wintun (WireGuard, OpenVPN's Wintun driver) registers its adapters as. */
  PROP_VIRTUAL: 53,
  IEEE80211: 71,
  TUNNEL: 131,
} as const;

/** TUNNEL_TYPE values (ifdef.h) of the IPv6 transition tunnels Windows keeps up on its own. */
export const TUNNEL_TYPE = {
  SIX_TO_FOUR: 11,
  ISATAP: 13,
  TEREDO: 14,
  IPHTTPS: 15,
} as const;

/** IF_OPER_STATUS IfOperStatusUp (ifdef.h). */
export const IF_OPER_STATUS_UP = 1;

/**
 * MIB_IPINTERFACE_ROW (netioapi.h), 168 bytes: Family @0, InterfaceLuid @8, InterfaceIndex @16,
 * ..., Metric @148 (the interface metric Windows adds to every route's own), ..., Connected @156.
 */
export const MIB_IPINTERFACE_ROW = {
  SIZE: 168,
  INTERFACE_INDEX: 16,
  METRIC: 148,
} as const;

/**
 * IP_ADAPTER_ADDRESSES (iptypes.h, the _LH version), 448 bytes: Length @0 (ULONG, the size of
 * the structure the system filled: older systems fill less), IfIndex @4, Next @8 (pointer),
 * AdapterName @16, FirstUnicastAddress @24, FirstAnycastAddress @32, FirstMulticastAddress @40,
 * FirstDnsServerAddress @48, DnsSuffix @56, Description @64, FriendlyName @72 (PWCHAR each), ...,
 * Luid @224 (NET_LUID), ..., FirstDnsSuffix @440 (pointer to IP_ADAPTER_DNS_SUFFIX).
 */
export const IP_ADAPTER_ADDRESSES = {
  SIZE: 448,
  LENGTH: 0,
  NEXT: 8,
  DNS_SUFFIX: 56,
  LUID: 224,
  FIRST_DNS_SUFFIX: 440,
} as const;

/** IP_ADAPTER_DNS_SUFFIX (iptypes.h): Next @0 (pointer), String @8 (WCHAR[256]). */
export const IP_ADAPTER_DNS_SUFFIX = {
  SIZE: 520,
  NEXT: 0,
  STRING: 8,
  STRING_CHARS: 256,
} as const;

/** GetAdaptersAddresses flags (iptypes.h): skip every address list; the suffixes are all we read. */
export const GAA_FLAG_SKIP_UNICAST = 0x1;
export const GAA_FLAG_SKIP_ANYCAST = 0x2;
export const GAA_FLAG_SKIP_MULTICAST = 0x4;
export const GAA_FLAG_SKIP_DNS_SERVER = 0x8;
export const GAA_FLAG_SKIP_FRIENDLY_NAME = 0x20;

/**
 * WLAN_INTERFACE_INFO_LIST (wlanapi.h): dwNumberOfItems @0, dwIndex @4, InterfaceInfo @8, an array
 * of WLAN_INTERFACE_INFO (532 bytes: InterfaceGuid @0, strInterfaceDescription @16 (WCHAR[256]),
 * isState @528).
 */
export const WLAN_INTERFACE_INFO_LIST = {
  NUMBER_OF_ITEMS: 0,
  ITEMS: 8,
  ITEM_SIZE: 532,
  ITEM_GUID: 0,
  ITEM_STATE: 528,
} as const;

/** WLAN_INTERFACE_STATE wlan_interface_state_connected (wlanapi.h). */
export const WLAN_INTERFACE_STATE_CONNECTED = 1;

/** WLAN_INTF_OPCODE wlan_intf_opcode_current_connection (wlanapi.h). */
export const WLAN_INTF_OPCODE_CURRENT_CONNECTION = 7;

/**
 * WLAN_CONNECTION_ATTRIBUTES (wlanapi.h), 604 bytes: isState @0, wlanConnectionMode @4,
 * strProfileName @8 (WCHAR[256]), wlanAssociationAttributes @520, whose first field is the
 * DOT11_SSID (windot11.h): uSSIDLength @520 (ULONG), ucSSID @524 (UCHAR[32]).
 */
export const WLAN_CONNECTION_ATTRIBUTES = {
  SIZE: 604,
  SSID_LENGTH: 520,
  SSID: 524,
  SSID_MAX: 32,
} as const;

/**
 * The WLAN API version WlanOpenHandle asks for: 2, Windows Vista and later (WlanOpenHandle's
 * documentation; mingw-w64 has no WLAN_API_VERSION_2_0 to check it against).
 */
export const WLAN_CLIENT_VERSION = 2;

/** A GUID's size: InterfaceGuid fields are copied as 16 raw bytes. */
export const GUID_SIZE = 16;
