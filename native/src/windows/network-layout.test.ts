// The offsets and constants of network-layout.ts against the Windows SDK declarations as mingw-w64
// ships them: each becomes a C11 _Static_assert, and the compiler (syntax check only, nothing is
// built or written) fails with the name of every one that disagrees.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  GAA_FLAG_SKIP_ANYCAST,
  GAA_FLAG_SKIP_DNS_SERVER,
  GAA_FLAG_SKIP_FRIENDLY_NAME,
  GAA_FLAG_SKIP_MULTICAST,
  GAA_FLAG_SKIP_UNICAST,
  GUID_SIZE,
  IF_OPER_STATUS_UP,
  IF_TYPE,
  IP_ADAPTER_ADDRESSES,
  IP_ADAPTER_DNS_SUFFIX,
  MIB_IF_ROW2,
  MIB_IPFORWARD_ROW2,
  MIB_IPINTERFACE_ROW,
  MIB_IPNET_ROW2,
  MIB_TABLE,
  NEIGHBOR_STATE,
  SOCKADDR_INET,
  TUNNEL_TYPE,
  WLAN_CONNECTION_ATTRIBUTES,
  WLAN_INTERFACE_INFO_LIST,
  WLAN_INTERFACE_STATE_CONNECTED,
  WLAN_INTF_OPCODE_CURRENT_CONNECTION,
} from './network-layout.ts';

const COMPILER = 'x86_64-w64-mingw32-gcc';
const haveCompiler = spawnSync(COMPILER, ['--version'], { stdio: 'ignore' }).status === 0;

/** [C expression, the value network-layout.ts has for it]. */
const CHECKS: ReadonlyArray<readonly [string, number]> = [
  ['AF_UNSPEC', AF_UNSPEC],
  ['AF_INET', AF_INET],
  ['AF_INET6', AF_INET6],
  ['sizeof(SOCKADDR_INET)', SOCKADDR_INET.SIZE],
  ['offsetof(SOCKADDR_INET, si_family)', SOCKADDR_INET.FAMILY],
  ['offsetof(SOCKADDR_INET, Ipv4.sin_addr)', SOCKADDR_INET.V4_ADDR],
  ['offsetof(SOCKADDR_INET, Ipv6.sin6_addr)', SOCKADDR_INET.V6_ADDR],
  ['offsetof(MIB_IPFORWARD_TABLE2, NumEntries)', MIB_TABLE.NUM_ENTRIES],
  ['offsetof(MIB_IPFORWARD_TABLE2, Table)', MIB_TABLE.ROWS],
  ['offsetof(MIB_IPNET_TABLE2, Table)', MIB_TABLE.ROWS],
  ['offsetof(MIB_IF_TABLE2, Table)', MIB_TABLE.ROWS],
  ['offsetof(MIB_IPINTERFACE_TABLE, Table)', MIB_TABLE.ROWS],
  ['sizeof(MIB_IPFORWARD_ROW2)', MIB_IPFORWARD_ROW2.SIZE],
  ['offsetof(MIB_IPFORWARD_ROW2, InterfaceLuid)', MIB_IPFORWARD_ROW2.INTERFACE_LUID],
  ['offsetof(MIB_IPFORWARD_ROW2, InterfaceIndex)', MIB_IPFORWARD_ROW2.INTERFACE_INDEX],
  ['offsetof(MIB_IPFORWARD_ROW2, DestinationPrefix.Prefix)', MIB_IPFORWARD_ROW2.DESTINATION_PREFIX],
  ['offsetof(MIB_IPFORWARD_ROW2, DestinationPrefix.PrefixLength)', MIB_IPFORWARD_ROW2.PREFIX_LENGTH],
  ['offsetof(MIB_IPFORWARD_ROW2, NextHop)', MIB_IPFORWARD_ROW2.NEXT_HOP],
  ['offsetof(MIB_IPFORWARD_ROW2, Metric)', MIB_IPFORWARD_ROW2.METRIC],
  ['sizeof(MIB_IPNET_ROW2)', MIB_IPNET_ROW2.SIZE],
  ['offsetof(MIB_IPNET_ROW2, Address)', MIB_IPNET_ROW2.ADDRESS],
  ['offsetof(MIB_IPNET_ROW2, InterfaceIndex)', MIB_IPNET_ROW2.INTERFACE_INDEX],
  ['offsetof(MIB_IPNET_ROW2, PhysicalAddress)', MIB_IPNET_ROW2.PHYSICAL_ADDRESS],
  ['sizeof(((MIB_IPNET_ROW2 *)0)->PhysicalAddress)', MIB_IPNET_ROW2.PHYSICAL_ADDRESS_MAX],
  ['offsetof(MIB_IPNET_ROW2, PhysicalAddressLength)', MIB_IPNET_ROW2.PHYSICAL_ADDRESS_LENGTH],
  ['offsetof(MIB_IPNET_ROW2, State)', MIB_IPNET_ROW2.STATE],
  ['NlnsUnreachable', NEIGHBOR_STATE.UNREACHABLE],
  ['NlnsIncomplete', NEIGHBOR_STATE.INCOMPLETE],
  ['NlnsProbe', NEIGHBOR_STATE.PROBE],
  ['NlnsDelay', NEIGHBOR_STATE.DELAY],
  ['NlnsStale', NEIGHBOR_STATE.STALE],
  ['NlnsReachable', NEIGHBOR_STATE.REACHABLE],
  ['NlnsPermanent', NEIGHBOR_STATE.PERMANENT],
  ['sizeof(MIB_IF_ROW2)', MIB_IF_ROW2.SIZE],
  ['offsetof(MIB_IF_ROW2, InterfaceLuid)', MIB_IF_ROW2.INTERFACE_LUID],
  ['offsetof(MIB_IF_ROW2, InterfaceIndex)', MIB_IF_ROW2.INTERFACE_INDEX],
  ['offsetof(MIB_IF_ROW2, InterfaceGuid)', MIB_IF_ROW2.INTERFACE_GUID],
  ['offsetof(MIB_IF_ROW2, Alias)', MIB_IF_ROW2.ALIAS],
  ['offsetof(MIB_IF_ROW2, Description)', MIB_IF_ROW2.DESCRIPTION],
  ['sizeof(((MIB_IF_ROW2 *)0)->Alias) / sizeof(WCHAR)', MIB_IF_ROW2.STRING_CHARS],
  ['offsetof(MIB_IF_ROW2, Type)', MIB_IF_ROW2.TYPE],
  ['offsetof(MIB_IF_ROW2, TunnelType)', MIB_IF_ROW2.TUNNEL_TYPE],
  ['offsetof(MIB_IF_ROW2, OperStatus)', MIB_IF_ROW2.OPER_STATUS],
  ['sizeof(GUID)', GUID_SIZE],
  ['IF_TYPE_ETHERNET_CSMACD', IF_TYPE.ETHERNET_CSMACD],
  ['IF_TYPE_PPP', IF_TYPE.PPP],
  ['IF_TYPE_SOFTWARE_LOOPBACK', IF_TYPE.SOFTWARE_LOOPBACK],
  ['IF_TYPE_PROP_VIRTUAL', IF_TYPE.PROP_VIRTUAL],
  ['IF_TYPE_IEEE80211', IF_TYPE.IEEE80211],
  ['IF_TYPE_TUNNEL', IF_TYPE.TUNNEL],
  ['TUNNEL_TYPE_6TO4', TUNNEL_TYPE.SIX_TO_FOUR],
  ['TUNNEL_TYPE_ISATAP', TUNNEL_TYPE.ISATAP],
  ['TUNNEL_TYPE_TEREDO', TUNNEL_TYPE.TEREDO],
  ['TUNNEL_TYPE_IPHTTPS', TUNNEL_TYPE.IPHTTPS],
  ['IfOperStatusUp', IF_OPER_STATUS_UP],
  ['sizeof(MIB_IPINTERFACE_ROW)', MIB_IPINTERFACE_ROW.SIZE],
  ['offsetof(MIB_IPINTERFACE_ROW, InterfaceIndex)', MIB_IPINTERFACE_ROW.INTERFACE_INDEX],
  ['offsetof(MIB_IPINTERFACE_ROW, Metric)', MIB_IPINTERFACE_ROW.METRIC],
  ['sizeof(IP_ADAPTER_ADDRESSES)', IP_ADAPTER_ADDRESSES.SIZE],
  ['offsetof(IP_ADAPTER_ADDRESSES, Length)', IP_ADAPTER_ADDRESSES.LENGTH],
  ['offsetof(IP_ADAPTER_ADDRESSES, Next)', IP_ADAPTER_ADDRESSES.NEXT],
  ['offsetof(IP_ADAPTER_ADDRESSES, DnsSuffix)', IP_ADAPTER_ADDRESSES.DNS_SUFFIX],
  ['offsetof(IP_ADAPTER_ADDRESSES, Luid)', IP_ADAPTER_ADDRESSES.LUID],
  ['offsetof(IP_ADAPTER_ADDRESSES, FirstDnsSuffix)', IP_ADAPTER_ADDRESSES.FIRST_DNS_SUFFIX],
  ['sizeof(IP_ADAPTER_DNS_SUFFIX)', IP_ADAPTER_DNS_SUFFIX.SIZE],
  ['offsetof(IP_ADAPTER_DNS_SUFFIX, Next)', IP_ADAPTER_DNS_SUFFIX.NEXT],
  ['offsetof(IP_ADAPTER_DNS_SUFFIX, String)', IP_ADAPTER_DNS_SUFFIX.STRING],
  ['sizeof(((IP_ADAPTER_DNS_SUFFIX *)0)->String) / sizeof(WCHAR)', IP_ADAPTER_DNS_SUFFIX.STRING_CHARS],
  ['GAA_FLAG_SKIP_UNICAST', GAA_FLAG_SKIP_UNICAST],
  ['GAA_FLAG_SKIP_ANYCAST', GAA_FLAG_SKIP_ANYCAST],
  ['GAA_FLAG_SKIP_MULTICAST', GAA_FLAG_SKIP_MULTICAST],
  ['GAA_FLAG_SKIP_DNS_SERVER', GAA_FLAG_SKIP_DNS_SERVER],
  ['GAA_FLAG_SKIP_FRIENDLY_NAME', GAA_FLAG_SKIP_FRIENDLY_NAME],
  ['offsetof(WLAN_INTERFACE_INFO_LIST, dwNumberOfItems)', WLAN_INTERFACE_INFO_LIST.NUMBER_OF_ITEMS],
  ['offsetof(WLAN_INTERFACE_INFO_LIST, InterfaceInfo)', WLAN_INTERFACE_INFO_LIST.ITEMS],
  ['sizeof(WLAN_INTERFACE_INFO)', WLAN_INTERFACE_INFO_LIST.ITEM_SIZE],
  ['offsetof(WLAN_INTERFACE_INFO, InterfaceGuid)', WLAN_INTERFACE_INFO_LIST.ITEM_GUID],
  ['offsetof(WLAN_INTERFACE_INFO, isState)', WLAN_INTERFACE_INFO_LIST.ITEM_STATE],
  ['wlan_interface_state_connected', WLAN_INTERFACE_STATE_CONNECTED],
  ['wlan_intf_opcode_current_connection', WLAN_INTF_OPCODE_CURRENT_CONNECTION],
  ['sizeof(WLAN_CONNECTION_ATTRIBUTES)', WLAN_CONNECTION_ATTRIBUTES.SIZE],
  [
    'offsetof(WLAN_CONNECTION_ATTRIBUTES, wlanAssociationAttributes.dot11Ssid.uSSIDLength)',
    WLAN_CONNECTION_ATTRIBUTES.SSID_LENGTH,
  ],
  ['offsetof(WLAN_CONNECTION_ATTRIBUTES, wlanAssociationAttributes.dot11Ssid.ucSSID)', WLAN_CONNECTION_ATTRIBUTES.SSID],
  ['DOT11_SSID_MAX_LENGTH', WLAN_CONNECTION_ATTRIBUTES.SSID_MAX],
];

const HEADERS = ['winsock2.h', 'ws2ipdef.h', 'iphlpapi.h', 'netioapi.h', 'wlanapi.h', 'stddef.h'];

/** The C translation unit: one assertion per check, its message naming the check. */
function assertionSource(checks: ReadonlyArray<readonly [string, number]>): string {
  const lines = HEADERS.map((header) => `#include <${header}>`);
  for (const [expression, value] of checks) {
    lines.push(
      `_Static_assert((${expression}) == ${String(value)}, ${JSON.stringify(`${expression} != ${String(value)}`)});`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** What the compiler says of `source` (status and messages). */
function compile(source: string): { readonly status: number | null; readonly messages: string } {
  const result = spawnSync(COMPILER, ['-fsyntax-only', '-std=gnu11', '-x', 'c', '-'], {
    input: source,
    encoding: 'utf8',
  });
  return { status: result.status, messages: `${result.stdout}${result.stderr}` };
}

// Parsing the Windows headers takes a few seconds, more on a loaded machine.
describe.skipIf(!haveCompiler)('network structure layouts (mingw-w64 headers)', { timeout: 60_000 }, () => {
  it('agree with every offset, size and constant the decoders use', () => {
    const { status, messages } = compile(assertionSource(CHECKS));
    expect(messages).toBe('');
    expect(status).toBe(0);
  });

  it('are checked for real: a wrong offset fails the compile, named', () => {
    const { status, messages } = compile(assertionSource([['offsetof(MIB_IPFORWARD_ROW2, Metric)', 80]]));
    expect(status).not.toBe(0);
    expect(messages).toContain('offsetof(MIB_IPFORWARD_ROW2, Metric) != 80');
  });
});
