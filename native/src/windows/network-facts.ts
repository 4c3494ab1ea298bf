// The facts of the network Windows is on, read through iphlpapi and wlanapi: the default route,
// its interface and gateway, the gateway's MAC, the adapter's DNS suffix, the Wi-Fi SSID and
// whether a VPN is up. The app (app/platform) polls it and gives each change an epoch; on Linux
// the daemon reports the same facts (driver/protocol/README.md, "Network facts").
//
// Which calls, and why (measured under Wine 8.0, see network-facts.wine.test.ts):
// - The default route comes from GetIpForwardTable2, ranked as Windows ranks routes (route
//   metric plus interface metric, GetIpInterfaceTable). GetBestRoute2 would rank them for us,
//   but Wine only stubs it (ERROR_NOT_SUPPORTED), and the table also tells whether a default
//   route exists at all; Wine reports the host's IPv4 routes there (no IPv6 ones).
// - The gateway's MAC is read from GetIpNetTable2 of the gateway's family, never resolved:
//   ResolveIpNetEntry2 (like GetIpNetEntry2) aborts the process under Wine, and Windows resolves
//   the gateway by itself as soon as anything is sent; the next poll then finds it.
// - The SSID is asked of wlanapi only for a Wi-Fi interface (Wine's wlanapi lists none).
import type { NetworkCalls, Win32Read } from './network-calls.ts';
import { win32NetworkCalls } from './network-calls.ts';
import { AF_INET, AF_INET6, IF_TYPE } from './network-layout.ts';
import type { InterfaceRow, RouteRow } from './network-mib-decode.ts';
import {
  adapterDnsSuffix,
  gatewayMac,
  gatewayOf,
  isDefaultRoute,
  MAX_INTERFACE_NAME,
  rankDefaultRoutes,
  truncateUtf16,
  vpnUp,
} from './network-select.ts';
import { win32ErrorName } from './win32-errors.ts';

/**
 * What Windows says of the network, in the shape of the app's NetworkFacts (app/contract/network.ts)
 * without the epoch, which the poller gives; the gateway's address is its bytes (the app writes
 * addresses as text one way, app/contract/ip-address.ts).
 */
export interface WindowsNetworkReading {
  /** Without a default route the machine is offline: every other field is empty. */
  readonly hasDefaultRoute: boolean;
  /** The route's interface as the user names it (`Wi-Fi`), at most 64 UTF-16 units; '' offline. */
  readonly interfaceName: string;
  readonly interfaceIndex: number;
  /** 4 or 16 bytes; null offline or for a route without a gateway (on-link, point-to-point). */
  readonly gatewayIp: Uint8Array | null;
  /** Lowercase `aa:bb:cc:dd:ee:ff`; null while the neighbour table has no address for it. */
  readonly gatewayMac: string | null;
  /** The route's adapter's first DNS suffix, lowercase without the trailing dot; '' when none. */
  readonly dnsSuffix: string;
  /** The SSID when the route's interface is Wi-Fi and wlanapi names it; '' otherwise. */
  readonly ssid: string;
  /** An interface of a VPN's kind is up and carries routes (network-select.ts, vpnUp). */
  readonly vpnUp: boolean;
}

/** The reading of a machine without a default route. */
export const OFFLINE_READING: WindowsNetworkReading = {
  hasDefaultRoute: false,
  interfaceName: '',
  interfaceIndex: 0,
  gatewayIp: null,
  gatewayMac: null,
  dnsSuffix: '',
  ssid: '',
  vpnUp: false,
};

/** The routing table could not be read: nothing can be said of the network (not even "offline"). */
export class NetworkFactsError extends Error {
  override readonly name = 'NetworkFactsError';
  /** The call that failed, and its Win32 error code. */
  readonly call: string;
  readonly code: number;
  constructor(call: string, code: number) {
    super(`${call} failed: ${win32ErrorName(code)}`);
    this.call = call;
    this.code = code;
  }
}

/** The best default route: IPv4's if there is one, else IPv6's (as the Linux daemon chooses). */
function chooseDefaultRoute(
  calls: NetworkCalls,
  routes: readonly RouteRow[],
  interfaces: Win32Read<InterfaceRow[]>,
): RouteRow | undefined {
  for (const family of [AF_INET, AF_INET6] as const) {
    if (!routes.some((route) => isDefaultRoute(route, family))) continue;
    const metrics = calls.interfaceMetrics(family);
    const ranked = rankDefaultRoutes(
      routes,
      family,
      interfaces.ok ? interfaces.value : undefined,
      metrics.ok ? metrics.value : new Map(),
    );
    if (ranked[0] !== undefined) return ranked[0];
  }
  return undefined;
}

/**
 * The facts through `calls` (the real ones by default). Throws NetworkFactsError when the routing
 * table cannot be read; any other read that fails leaves its field empty (no MAC, no suffix, no
 * SSID, no VPN, the LUID's name for the alias) rather than losing the rest.
 */
export function readWindowsNetworkFacts(calls: NetworkCalls = win32NetworkCalls()): WindowsNetworkReading {
  const routes = calls.routes();
  if (!routes.ok) throw new NetworkFactsError('GetIpForwardTable2', routes.code);
  const interfaces = calls.interfaces();
  const route = chooseDefaultRoute(calls, routes.value, interfaces);
  if (route === undefined) return OFFLINE_READING;

  const row = interfaces.ok ? interfaces.value.find((entry) => entry.luid === route.interfaceLuid) : undefined;
  const alias = row?.alias ?? '';
  const name = alias !== '' ? alias : (calls.luidName(route.interfaceLuid) ?? '');
  const gateway = gatewayOf(route);
  const neighbours = gateway === null ? undefined : calls.neighbours(gateway.family);
  const suffixes = calls.adapterSuffixes();
  return {
    hasDefaultRoute: true,
    interfaceName: truncateUtf16(name, MAX_INTERFACE_NAME),
    interfaceIndex: route.interfaceIndex,
    gatewayIp: gateway === null ? null : gateway.bytes,
    gatewayMac:
      gateway !== null && neighbours?.ok === true ? gatewayMac(neighbours.value, route.interfaceIndex, gateway) : null,
    dnsSuffix: suffixes.ok ? adapterDnsSuffix(suffixes.value, route.interfaceLuid) : '',
    ssid: row?.type === IF_TYPE.IEEE80211 ? calls.ssid(row.guid) : '',
    vpnUp: interfaces.ok && vpnUp(interfaces.value, routes.value),
  };
}
