import { describe, expect, it } from 'vitest';
import { OFFLINE_FACTS } from '../contract/network.ts';
import { networkKey, networkLabel } from './network-key.ts';
import { networkFacts } from './testing-network.ts';

describe('networkKey', () => {
  it('is the gateway MAC when known, whatever address plan the network serves', () => {
    const a = networkFacts(1, { gatewayIp: '192.168.1.1' });
    const b = networkFacts(1, { gatewayIp: '10.0.0.1', interfaceName: 'wlan0' });
    expect(networkKey(a)).toBe('mac=02:00:00:00:00:01');
    expect(networkKey(b)).toBe(networkKey(a));
  });

  it('tells two networks with the same gateway address apart by their MACs', () => {
    const a = networkFacts(1, { gatewayIp: '192.168.1.1' });
    const b = networkFacts(2, { gatewayIp: '192.168.1.1' });
    expect(networkKey(a)).not.toBe(networkKey(b));
  });

  it('falls back to interface and gateway, then the interface alone', () => {
    expect(networkKey(networkFacts(3, { gatewayMac: null }))).toBe('if=eth0 gw=10.3.0.1');
    expect(networkKey(networkFacts(3, { gatewayMac: null, gatewayIp: null, interfaceName: 'wg0' }))).toBe('if=wg0');
  });

  it('counts the SSID and a VPN as part of the network', () => {
    const base = networkFacts(4);
    expect(networkKey({ ...base, ssid: 'CafeWifi' })).toBe('mac=02:00:00:00:00:04 ssid=CafeWifi');
    expect(networkKey({ ...base, vpnUp: true })).toBe('mac=02:00:00:00:00:04 vpn');
  });

  it("is null offline, and while the gateway's MAC is being resolved", () => {
    expect(networkKey(OFFLINE_FACTS)).toBeNull();
    expect(networkKey(networkFacts(1, { gatewayMac: null, gatewayMacPending: true }))).toBeNull();
  });
});

describe('networkLabel', () => {
  it('names a network by SSID, else DNS suffix, else interface and gateway', () => {
    expect(networkLabel(networkFacts(1, { ssid: 'CafeWifi', dnsSuffix: 'corp.example' }))).toBe('CafeWifi');
    expect(networkLabel(networkFacts(1, { dnsSuffix: 'corp.example' }))).toBe('corp.example');
    expect(networkLabel(networkFacts(1))).toBe('eth0 via 10.1.0.1');
    expect(networkLabel(networkFacts(1, { vpnUp: true, gatewayIp: null, interfaceName: 'tun0' }))).toBe(
      'tun0 (VPN on)',
    );
  });
});
