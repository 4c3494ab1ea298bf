// The Windows reading as the app's NetworkFacts: address text, epoch, the contract's check, and
// what counts as a change.
import { describe, expect, it } from 'vitest';
import { networkFactsSchema, OFFLINE_FACTS } from '../contract/network.ts';
import { networkFactsOf, sameNetwork, type WindowsNetworkReading } from './windows-network-facts.ts';

const HOME: WindowsNetworkReading = {
  hasDefaultRoute: true,
  interfaceName: 'Wi-Fi',
  interfaceIndex: 12,
  gatewayIp: Uint8Array.of(192, 168, 1, 1),
  gatewayMac: '02:fc:00:00:00:05',
  dnsSuffix: 'home.arpa',
  ssid: 'Home',
  vpnUp: false,
};

const OFFLINE: WindowsNetworkReading = {
  hasDefaultRoute: false,
  interfaceName: '',
  interfaceIndex: 0,
  gatewayIp: null,
  gatewayMac: null,
  dnsSuffix: '',
  ssid: '',
  vpnUp: false,
};

describe('networkFactsOf', () => {
  it('writes the gateway as address text and adds the epoch, facts the contract accepts', () => {
    const facts = networkFactsOf(HOME, 3);
    expect(facts).toEqual({ ...HOME, gatewayIp: '192.168.1.1', epoch: 3 });
    expect(networkFactsSchema.safeParse(facts).success).toBe(true);
    const v6 = networkFactsOf(
      { ...HOME, gatewayIp: Uint8Array.of(0xfe, 0x80, ...new Array<number>(13).fill(0), 1) },
      1,
    );
    expect(v6.gatewayIp).toBe('fe80::1');
  });

  it('gives the offline facts for a machine without a default route', () => {
    expect(networkFactsOf(OFFLINE, 1)).toEqual({ ...OFFLINE_FACTS, epoch: 1 });
  });

  it('refuses what the contract refuses, and an address of another length', () => {
    expect(() => networkFactsOf({ ...HOME, gatewayMac: '02:FC:00:00:00:05' }, 1)).toThrow();
    expect(() => networkFactsOf({ ...HOME, interfaceName: 'x'.repeat(65) }, 1)).toThrow();
    expect(() => networkFactsOf({ ...HOME, interfaceIndex: -1 }, 1)).toThrow();
    expect(() => networkFactsOf({ ...HOME, gatewayIp: Uint8Array.of(10, 0, 0) }, 1)).toThrow(RangeError);
  });
});

describe('sameNetwork', () => {
  it('ignores the epoch and sees a change in any other field', () => {
    const facts = networkFactsOf(HOME, 1);
    expect(sameNetwork(facts, { ...facts, epoch: 9 })).toBe(true);
    const changes: Array<Partial<typeof facts>> = [
      { hasDefaultRoute: false },
      { interfaceName: 'Ethernet' },
      { interfaceIndex: 13 },
      { gatewayIp: '192.168.1.254' },
      { gatewayMac: null },
      { dnsSuffix: '' },
      { ssid: 'Cafe' },
      { vpnUp: true },
    ];
    for (const change of changes) expect(sameNetwork(facts, { ...facts, ...change })).toBe(false);
  });
});
