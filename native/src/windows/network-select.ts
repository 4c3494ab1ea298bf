// The choices behind the Windows network facts, over decoded rows: which default route is the
// machine's, the gateway's MAC, whether a VPN is up, and the text forms of the name and suffix.
// Pure, so every rule is tested on Linux; network-facts.ts feeds it what iphlpapi reports.
import type { AdapterSuffixes } from './network-adapters-decode.ts';
import type { AddressFamily } from './network-layout.ts';
import { IF_OPER_STATUS_UP, IF_TYPE, NEIGHBOR_STATE, TUNNEL_TYPE } from './network-layout.ts';
import type { InetAddress, InterfaceRow, NeighbourRow, RouteRow } from './network-mib-decode.ts';

/** The longest interface name and DNS suffix the app's NetworkFacts hold (app/contract/network.ts). */
export const MAX_INTERFACE_NAME = 64;
export const MAX_DNS_SUFFIX = 253;

/** Whether the route is a default route (prefix length 0) of `family`. */
export function isDefaultRoute(route: RouteRow, family: AddressFamily): boolean {
  return route.prefixLength === 0 && route.destination?.family === family;
}

/**
 * The default routes of `family` that Windows could use, best first. A route counts when its
 * interface is up; when the interface table could not be read (`interfaces` undefined) every
 * default route counts. Windows ranks routes by the route's metric plus its interface's
 * (MIB_IPINTERFACE_ROW.Metric; the sum is what `route print` shows): `interfaceMetrics` gives
 * those it could read, and an interface without one ranks by its route's metric alone (Wine has
 * no GetIpInterfaceTable). Ties go to the lower interface index, so the choice is stable.
 */
export function rankDefaultRoutes(
  routes: readonly RouteRow[],
  family: AddressFamily,
  interfaces: readonly InterfaceRow[] | undefined,
  interfaceMetrics: ReadonlyMap<number, number>,
): RouteRow[] {
  const up = interfaces === undefined ? undefined : new Set(interfaces.filter(isUp).map((row) => row.luid));
  const cost = (route: RouteRow): number => route.metric + (interfaceMetrics.get(route.interfaceIndex) ?? 0);
  return routes
    .filter((route) => isDefaultRoute(route, family) && (up === undefined || up.has(route.interfaceLuid)))
    .sort((a, b) => cost(a) - cost(b) || a.interfaceIndex - b.interfaceIndex);
}

/** The route's gateway; null for an on-link route (a next hop of all zeros) or an unknown family. */
export function gatewayOf(route: RouteRow): InetAddress | null {
  const hop = route.nextHop;
  if (hop === undefined || hop.bytes.every((byte) => byte === 0)) return null;
  return hop;
}

/**
 * Neighbour states whose link-layer address is the neighbour's: confirmed (reachable), not
 * re-confirmed yet (stale, delay, probe), or set by hand (permanent). Incomplete and unreachable
 * entries have none.
 */
const KNOWN_ADDRESS_STATES = new Set<number>([
  NEIGHBOR_STATE.PROBE,
  NEIGHBOR_STATE.DELAY,
  NEIGHBOR_STATE.STALE,
  NEIGHBOR_STATE.REACHABLE,
  NEIGHBOR_STATE.PERMANENT,
]);

/** A 6-byte MAC as lowercase `aa:bb:cc:dd:ee:ff`; null for any other length or all zeros. */
export function macText(bytes: Uint8Array): string | null {
  if (bytes.length !== 6 || bytes.every((byte) => byte === 0)) return null;
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}

function sameAddress(a: InetAddress | undefined, b: InetAddress): boolean {
  return a !== undefined && a.family === b.family && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/** The gateway's MAC from the neighbour table of its interface; null while it is not known. */
export function gatewayMac(
  neighbours: readonly NeighbourRow[],
  interfaceIndex: number,
  gateway: InetAddress,
): string | null {
  for (const entry of neighbours) {
    if (entry.interfaceIndex !== interfaceIndex || !sameAddress(entry.address, gateway)) continue;
    if (KNOWN_ADDRESS_STATES.has(entry.state)) return macText(entry.physicalAddress);
  }
  return null;
}

function isUp(row: InterfaceRow): boolean {
  return row.operStatus === IF_OPER_STATUS_UP;
}

/** The IPv6 transition tunnels Windows itself keeps (Teredo, 6to4, ISATAP, IP-HTTPS): not VPNs. */
const SYSTEM_TUNNELS = new Set<number>([
  TUNNEL_TYPE.SIX_TO_FOUR,
  TUNNEL_TYPE.ISATAP,
  TUNNEL_TYPE.TEREDO,
  TUNNEL_TYPE.IPHTTPS,
]);

/**
 * OpenVPN's TAP driver registers Ethernet adapters (IF_TYPE_ETHERNET_CSMACD): only the description
 * (`TAP-Windows Adapter V9`, the older `TAP-Win32 Adapter`) tells them from a network card, and
 * the driver reports media connected only while a VPN client holds the adapter open.
 */
const TAP_DESCRIPTION = /\bTAP-Win(?:dows|32)\b/i;

/**
 * Whether the interface is a VPN's kind: PPP (Windows' own VPN client: IKEv2, SSTP, L2TP, PPTP),
 * Wintun's IF_TYPE_PROP_VIRTUAL (WireGuard, recent OpenVPN, Tailscale), a tunnel that is not one
 * of the system's transition tunnels, or a TAP-Windows adapter.
 */
export function isVpnInterface(row: InterfaceRow): boolean {
  switch (row.type) {
    case IF_TYPE.PPP:
    case IF_TYPE.PROP_VIRTUAL:
      return true;
    case IF_TYPE.TUNNEL:
      return !SYSTEM_TUNNELS.has(row.tunnelType);
    case IF_TYPE.ETHERNET_CSMACD:
      return TAP_DESCRIPTION.test(row.description);
    default:
      return false;
  }
}

/**
 * Whether a VPN is up: an interface of a VPN's kind that is up and carries routes. The routes
 * matter: the interface table also lists the hidden WAN Miniport interfaces of Windows' VPN client
 * (PPP, IKEv2, SSTP...), which have no IP binding and so no route of their own while no VPN is
 * connected; a connected VPN always has at least the route to its own address.
 */
export function vpnUp(interfaces: readonly InterfaceRow[], routes: readonly RouteRow[]): boolean {
  const routed = new Set(routes.map((route) => route.interfaceLuid));
  return interfaces.some((row) => isUp(row) && isVpnInterface(row) && routed.has(row.luid));
}

/** The first `max` UTF-16 units of `text`, without cutting a surrogate pair in two. */
export function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** The suffix in the facts' form: lowercase, without the trailing dot; '' when it is no DNS name's length. */
export function normaliseDnsSuffix(text: string): string {
  const trimmed = text.trim().toLowerCase();
  const suffix = trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
  return suffix.length > MAX_DNS_SUFFIX ? '' : suffix;
}

/**
 * The route's adapter's first DNS suffix: its connection-specific suffix, else the first of its
 * own search list; '' when the adapter has neither (or is not listed).
 */
export function adapterDnsSuffix(adapters: readonly AdapterSuffixes[], luid: bigint): string {
  const adapter = adapters.find((entry) => entry.luid === luid);
  if (adapter === undefined) return '';
  return normaliseDnsSuffix(adapter.dnsSuffix !== '' ? adapter.dnsSuffix : adapter.firstListedSuffix);
}
