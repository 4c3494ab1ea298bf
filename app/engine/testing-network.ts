import type { NetworkReport } from '../contract/driver-events.ts';
import type { NetworkFacts } from '../contract/network.ts';

/**
 * Network facts for the profile tests (not used in production): a network behind gateway
 * 10.<n>.0.1 whose MAC ends in <n>, on eth0.
 */
export function networkFacts(n: number, fields: Partial<NetworkFacts> = {}): NetworkFacts {
  const hex = n.toString(16).padStart(2, '0');
  return {
    epoch: n,
    hasDefaultRoute: true,
    interfaceName: 'eth0',
    interfaceIndex: 2,
    gatewayIp: `10.${String(n)}.0.1`,
    gatewayMac: `02:00:00:00:00:${hex}`,
    dnsSuffix: '',
    ssid: '',
    vpnUp: false,
    ...fields,
  };
}

export function networkEvent(facts: NetworkFacts): NetworkReport {
  return { kind: 'network', facts };
}
