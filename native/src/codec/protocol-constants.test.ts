import { describe, expect, it } from 'vitest';
import {
  ALL_FEATURES,
  COMMAND_ID,
  COMMAND_SIZE,
  commandSize,
  COUNTER_INDEX,
  COUNTER_NAMES,
  FEATURE,
  INFO_TYPE,
  IOCTL,
  isVerdict,
  NETWORK_FLAG,
  POLICY_ORIGINS,
  POLICY_PROBLEMS,
  VERDICT,
  VERDICT_NAMES,
} from './protocol-constants.ts';

// CTL_CODE(DeviceType, Function, Method, Access) from the Windows DDK.
function ctlCode(deviceType: number, fn: number, method: number, access: number): number {
  return ((deviceType << 16) | (access << 14) | (fn << 2) | method) >>> 0;
}

describe('protocol constants', () => {
  it('IOCTL codes are CTL_CODE(0x9C40, 0x800/0x801, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)', () => {
    expect(IOCTL.version).toBe(ctlCode(0x9c40, 0x800, 0, 3));
    expect(IOCTL.shutdown).toBe(ctlCode(0x9c40, 0x801, 0, 3));
    expect(IOCTL.version).toBe(0x9c40e000);
    expect(IOCTL.shutdown).toBe(0x9c40e004);
  });

  it('names every verdict in value order', () => {
    expect(Object.values(VERDICT)).toEqual(VERDICT_NAMES.map((_, i) => i));
    Object.keys(VERDICT).forEach((key, i) => expect(VERDICT_NAMES[i]?.toLowerCase()).toBe(key.toLowerCase()));
    expect(isVerdict(11)).toBe(true);
    expect(isVerdict(12)).toBe(false);
    expect(isVerdict(-1)).toBe(false);
    expect(isVerdict(1.5)).toBe(false);
  });

  it('has a size for every fixed-size command id and none for PolicyPart or other bytes', () => {
    const ids = new Set<number>(Object.values(COMMAND_ID));
    ids.delete(COMMAND_ID.policyPart);
    expect(commandSize(130)).toBeUndefined();
    expect(
      Object.keys(COMMAND_SIZE)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([...ids].sort((a, b) => a - b));
    for (let byte = 0; byte < 256; byte++) {
      expect(commandSize(byte)).toBe(ids.has(byte) ? COMMAND_SIZE[byte as keyof typeof COMMAND_SIZE] : undefined);
    }
  });

  it('lists the counters in index order and the features as bits', () => {
    COUNTER_NAMES.forEach((name, i) => expect(COUNTER_INDEX[name]).toBe(i));
    expect(ALL_FEATURES).toBe(63);
    expect(FEATURE.dnsLog).toBe(0x10);
    expect(FEATURE.network).toBe(0x20);
    expect(NETWORK_FLAG).toEqual({ defaultRoute: 1, gatewayMacKnown: 2, vpnUp: 4, gatewayMacPending: 8 });
    expect(COMMAND_SIZE[COMMAND_ID.networkSeen]).toBe(5);
    expect(COMMAND_ID.networkSeen).toBe(131);
    expect(INFO_TYPE.networkFacts).toBe(137);
    expect(FEATURE.policy).toBe(8);
    expect(POLICY_ORIGINS.indexOf('client')).toBe(2);
    expect(POLICY_PROBLEMS.indexOf('not-saved')).toBe(5);
  });
});
