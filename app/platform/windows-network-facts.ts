// The Windows binding's network reading as the app's NetworkFacts: the gateway's address written
// as the contract writes addresses, the epoch added, and the whole checked against the contract
// before anything in the app sees it.
import { formatIp } from '../contract/ip-address.ts';
import { type NetworkFacts, networkFactsSchema } from '../contract/network.ts';

/**
 * What the binding's readWindowsNetworkFacts (native/src/windows/network-facts.ts) returns, as
 * the platform takes it: the same shape, declared here because the platform reaches the binding
 * only through its public entry (native/src/index.ts), which the caller's wiring passes in.
 */
export interface WindowsNetworkReading {
  readonly hasDefaultRoute: boolean;
  readonly interfaceName: string;
  readonly interfaceIndex: number;
  /** The gateway's address bytes: 4 (IPv4) or 16 (IPv6); null without a gateway. */
  readonly gatewayIp: Uint8Array | null;
  readonly gatewayMac: string | null;
  readonly dnsSuffix: string;
  readonly ssid: string;
  readonly vpnUp: boolean;
}

/** The fields that make a network change: all but the epoch, which counts the changes. */
const NETWORK_FIELDS = Object.keys(networkFactsSchema.shape).filter(
  (key): key is Exclude<keyof NetworkFacts, 'epoch'> => key !== 'epoch',
);

/**
 * The reading as NetworkFacts of `epoch`. Throws when the binding gave what the contract refuses
 * (a ZodError, or a RangeError for an address that is neither 4 nor 16 bytes): the caller keeps
 * the facts it had rather than pass on ones it cannot trust.
 */
export function networkFactsOf(reading: WindowsNetworkReading, epoch: number): NetworkFacts {
  const gateway = reading.gatewayIp;
  if (gateway !== null && gateway.length !== 4 && gateway.length !== 16) {
    throw new RangeError(`a gateway address of ${String(gateway.length)} bytes`);
  }
  return networkFactsSchema.parse({
    epoch,
    hasDefaultRoute: reading.hasDefaultRoute,
    interfaceName: reading.interfaceName,
    interfaceIndex: reading.interfaceIndex,
    gatewayIp: gateway === null ? null : formatIp(gateway),
    gatewayMac: reading.gatewayMac,
    dnsSuffix: reading.dnsSuffix,
    ssid: reading.ssid,
    vpnUp: reading.vpnUp,
  });
}

/** Whether two facts describe the same network: every field but the epoch is equal. */
export function sameNetwork(a: NetworkFacts, b: NetworkFacts): boolean {
  return NETWORK_FIELDS.every((key) => a[key] === b[key]);
}
