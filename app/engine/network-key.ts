import type { NetworkFacts } from '../contract/network.ts';

/**
 * A network's identity and name, from the facts of its default route (README.md, "Profiles").
 *
 * The key is what stays the same each time the machine joins that network and differs between
 * networks: the gateway's link-layer address where it is known (a home router keeps its MAC
 * whatever address plan it serves, while two cafés may both use 192.168.1.1), with the SSID when
 * the OS reports one (one access point can serve several SSIDs). Without a MAC it falls back to
 * the interface and the gateway's address, and for a link without a gateway (a tunnel) to the
 * interface. Whether a VPN is up is part of it: the same café with the VPN on is a network the
 * user may well treat as Home.
 */
export function networkKey(facts: NetworkFacts): string | null {
  // Not identified yet: no key at all, rather than one of the gateway's address alone.
  if (!facts.hasDefaultRoute || facts.gatewayMacPending === true) return null;
  const parts: string[] = [];
  if (facts.gatewayMac !== null) parts.push(`mac=${facts.gatewayMac}`);
  else if (facts.gatewayIp !== null) parts.push(`if=${facts.interfaceName}`, `gw=${facts.gatewayIp}`);
  else parts.push(`if=${facts.interfaceName}`);
  if (facts.ssid !== '') parts.push(`ssid=${facts.ssid}`);
  if (facts.vpnUp) parts.push('vpn');
  return parts.join(' ');
}

/** How the UI names a network: its SSID, else its DNS suffix, else interface and gateway. */
export function networkLabel(facts: NetworkFacts): string {
  const vpn = facts.vpnUp ? ' (VPN on)' : '';
  if (facts.ssid !== '') return `${facts.ssid}${vpn}`;
  if (facts.dnsSuffix !== '') return `${facts.dnsSuffix}${vpn}`;
  const name = facts.interfaceName === '' ? 'network' : facts.interfaceName;
  return facts.gatewayIp === null ? `${name}${vpn}` : `${name} via ${facts.gatewayIp}${vpn}`;
}
