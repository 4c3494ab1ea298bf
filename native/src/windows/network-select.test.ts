// The rules of the Windows network facts over decoded rows: the default route, the gateway's MAC,
// VPN detection, and the name and suffix forms.
import { describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6, IF_TYPE, NEIGHBOR_STATE, TUNNEL_TYPE } from './network-layout.ts';
import type { InetAddress, InterfaceRow, NeighbourRow, RouteRow } from './network-mib-decode.ts';
import {
  adapterDnsSuffix,
  gatewayMac,
  gatewayOf,
  isDefaultRoute,
  isVpnInterface,
  macText,
  normaliseDnsSuffix,
  rankDefaultRoutes,
  truncateUtf16,
  vpnUp,
} from './network-select.ts';

const v4 = (...bytes: number[]): InetAddress => ({ family: AF_INET, bytes: Uint8Array.from(bytes) });
const v6 = (...bytes: number[]): InetAddress => {
  const full = new Uint8Array(16);
  full.set(bytes);
  return { family: AF_INET6, bytes: full };
};

function route(index: number, overrides: Partial<RouteRow> = {}): RouteRow {
  return {
    interfaceLuid: BigInt(index) << 24n,
    interfaceIndex: index,
    destination: v4(0, 0, 0, 0),
    prefixLength: 0,
    nextHop: v4(192, 0, 2, index),
    metric: 0,
    ...overrides,
  };
}

function iface(index: number, overrides: Partial<InterfaceRow> = {}): InterfaceRow {
  return {
    luid: BigInt(index) << 24n,
    index,
    guid: new Uint8Array(16).fill(index),
    alias: `if${String(index)}`,
    description: `adapter ${String(index)}`,
    type: IF_TYPE.ETHERNET_CSMACD,
    tunnelType: 0,
    operStatus: 1,
    ...overrides,
  };
}

const indexes = (routes: readonly RouteRow[]): number[] => routes.map((entry) => entry.interfaceIndex);

describe('the default route', () => {
  it('is a route of prefix length 0 of the family', () => {
    expect(isDefaultRoute(route(1), AF_INET)).toBe(true);
    expect(isDefaultRoute(route(1), AF_INET6)).toBe(false);
    expect(isDefaultRoute(route(1, { destination: v6() }), AF_INET6)).toBe(true);
    expect(isDefaultRoute(route(1, { prefixLength: 1 }), AF_INET)).toBe(false);
    expect(isDefaultRoute(route(1, { destination: undefined }), AF_INET)).toBe(false);
  });

  it('ranks by route metric plus interface metric, then by interface index', () => {
    const routes = [route(3, { metric: 0 }), route(1, { metric: 0 }), route(2, { metric: 5 })];
    // Route metrics alone (no interface metrics, as under Wine): 1 and 3 tie, the lower index first.
    expect(indexes(rankDefaultRoutes(routes, AF_INET, undefined, new Map()))).toEqual([1, 3, 2]);
    // Wi-Fi (35) against Ethernet (25): the interface metric decides, as `route print` sums them.
    const metrics = new Map([
      [1, 35],
      [2, 25],
      [3, 50],
    ]);
    expect(indexes(rankDefaultRoutes(routes, AF_INET, undefined, metrics))).toEqual([2, 1, 3]);
  });

  it('leaves out routes of interfaces that are down or not listed, and routes that are not default', () => {
    const routes = [route(1), route(2), route(3), route(4, { prefixLength: 24 }), route(5, { destination: v6() })];
    const interfaces = [iface(1, { operStatus: 2 }), iface(2), iface(4), iface(5)];
    expect(indexes(rankDefaultRoutes(routes, AF_INET, interfaces, new Map()))).toEqual([2]);
    expect(indexes(rankDefaultRoutes(routes, AF_INET6, interfaces, new Map()))).toEqual([5]);
    expect(rankDefaultRoutes(routes, AF_INET, [], new Map())).toEqual([]);
  });

  it('has a gateway unless its next hop is all zeros (on-link) or of no known family', () => {
    expect(gatewayOf(route(1))).toEqual(v4(192, 0, 2, 1));
    expect(gatewayOf(route(1, { nextHop: v4(0, 0, 0, 0) }))).toBeNull();
    expect(gatewayOf(route(1, { nextHop: v6() }))).toBeNull();
    expect(gatewayOf(route(1, { nextHop: v6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) }))).toEqual(
      v6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    );
    expect(gatewayOf(route(1, { nextHop: undefined }))).toBeNull();
  });
});

describe('the gateway’s MAC', () => {
  const mac = Uint8Array.of(0x02, 0xfc, 0x00, 0x0a, 0xbc, 0x05);
  const entry = (overrides: Partial<NeighbourRow>): NeighbourRow => ({
    address: v4(192, 0, 2, 1),
    interfaceIndex: 4,
    physicalAddress: mac,
    state: NEIGHBOR_STATE.REACHABLE,
    ...overrides,
  });

  it('is lowercase colon-separated hex, only for 6 bytes that are not all zero', () => {
    expect(macText(mac)).toBe('02:fc:00:0a:bc:05');
    expect(macText(new Uint8Array(6))).toBeNull();
    expect(macText(new Uint8Array(8).fill(1))).toBeNull();
    expect(macText(new Uint8Array(0))).toBeNull();
  });

  it('comes from the entry of the gateway’s address on the route’s interface', () => {
    const table = [
      entry({ interfaceIndex: 7, physicalAddress: Uint8Array.of(1, 1, 1, 1, 1, 1) }),
      entry({ address: v4(192, 0, 2, 9), physicalAddress: Uint8Array.of(2, 2, 2, 2, 2, 2) }),
      entry({ address: v6(192, 0, 2, 1), physicalAddress: Uint8Array.of(3, 3, 3, 3, 3, 3) }),
      entry({}),
    ];
    expect(gatewayMac(table, 4, v4(192, 0, 2, 1))).toBe('02:fc:00:0a:bc:05');
    expect(gatewayMac(table, 5, v4(192, 0, 2, 1))).toBeNull();
    expect(gatewayMac([], 4, v4(192, 0, 2, 1))).toBeNull();
  });

  it('is known in the states with a link-layer address, not while incomplete or unreachable', () => {
    const known = [
      NEIGHBOR_STATE.PROBE,
      NEIGHBOR_STATE.DELAY,
      NEIGHBOR_STATE.STALE,
      NEIGHBOR_STATE.REACHABLE,
      NEIGHBOR_STATE.PERMANENT,
    ];
    for (const state of known) expect(gatewayMac([entry({ state })], 4, v4(192, 0, 2, 1))).toBe('02:fc:00:0a:bc:05');
    for (const state of [NEIGHBOR_STATE.UNREACHABLE, NEIGHBOR_STATE.INCOMPLETE, 7]) {
      expect(gatewayMac([entry({ state })], 4, v4(192, 0, 2, 1))).toBeNull();
    }
  });
});

describe('VPN detection', () => {
  it('knows PPP, Wintun, non-system tunnels and TAP-Windows adapters as VPN interfaces', () => {
    expect(isVpnInterface(iface(1, { type: IF_TYPE.PPP }))).toBe(true);
    expect(isVpnInterface(iface(1, { type: IF_TYPE.PROP_VIRTUAL, description: 'WireGuard Tunnel' }))).toBe(true);
    expect(isVpnInterface(iface(1, { type: IF_TYPE.TUNNEL, tunnelType: 2 }))).toBe(true);
    expect(isVpnInterface(iface(1, { description: 'TAP-Windows Adapter V9' }))).toBe(true);
    expect(isVpnInterface(iface(1, { description: 'TAP-Win32 Adapter OAS' }))).toBe(true);
  });

  it('does not take Ethernet, Wi-Fi, loopback or the system’s IPv6 transition tunnels for one', () => {
    expect(isVpnInterface(iface(1, { description: 'Intel(R) Ethernet Connection I219-V' }))).toBe(false);
    expect(isVpnInterface(iface(1, { type: IF_TYPE.IEEE80211, description: 'TAP-Windows Adapter V9' }))).toBe(false);
    expect(isVpnInterface(iface(1, { type: IF_TYPE.SOFTWARE_LOOPBACK }))).toBe(false);
    for (const tunnelType of Object.values(TUNNEL_TYPE)) {
      expect(isVpnInterface(iface(1, { type: IF_TYPE.TUNNEL, tunnelType }))).toBe(false);
    }
  });

  it('is up when such an interface is up and has a route', () => {
    const vpn = iface(9, { type: IF_TYPE.PROP_VIRTUAL });
    const routes = [route(1), route(9, { destination: v4(10, 8, 0, 2), prefixLength: 32 })];
    expect(vpnUp([iface(1), vpn], routes)).toBe(true);
    expect(vpnUp([iface(1), { ...vpn, operStatus: 2 }], routes)).toBe(false);
    // A WAN Miniport interface: of a VPN's kind and up, but without an IP binding, so no route.
    expect(vpnUp([iface(1), iface(12, { type: IF_TYPE.PPP, alias: 'WAN Miniport (SSTP)' })], routes)).toBe(false);
    expect(vpnUp([iface(1)], routes)).toBe(false);
  });
});

describe('text forms', () => {
  it('cuts an interface name to its length without splitting a surrogate pair', () => {
    expect(truncateUtf16('Ethernet', 64)).toBe('Ethernet');
    expect(truncateUtf16('x'.repeat(70), 64)).toBe('x'.repeat(64));
    const emoji = '\u{1f4f6}';
    const name = `${'x'.repeat(63)}${emoji}`;
    expect(truncateUtf16(name, 64)).toBe('x'.repeat(63));
    expect(truncateUtf16(`${'x'.repeat(62)}${emoji}`, 64)).toBe(`${'x'.repeat(62)}${emoji}`);
  });

  it('gives the DNS suffix lowercase without the trailing dot, or none when it is too long', () => {
    expect(normaliseDnsSuffix('Corp.Example.COM.')).toBe('corp.example.com');
    expect(normaliseDnsSuffix('lan')).toBe('lan');
    expect(normaliseDnsSuffix('')).toBe('');
    expect(normaliseDnsSuffix(`${'a'.repeat(253)}.`)).toBe('a'.repeat(253));
    expect(normaliseDnsSuffix('a'.repeat(254))).toBe('');
  });

  it('takes the adapter’s connection-specific suffix, else the first of its list', () => {
    const adapters = [
      { luid: 1n, dnsSuffix: 'Office.Example.', firstListedSuffix: 'other.example' },
      { luid: 2n, dnsSuffix: '', firstListedSuffix: 'Home.Arpa' },
      { luid: 3n, dnsSuffix: '', firstListedSuffix: '' },
    ];
    expect(adapterDnsSuffix(adapters, 1n)).toBe('office.example');
    expect(adapterDnsSuffix(adapters, 2n)).toBe('home.arpa');
    expect(adapterDnsSuffix(adapters, 3n)).toBe('');
    expect(adapterDnsSuffix(adapters, 4n)).toBe('');
  });
});
