import { describe, expect, it } from 'vitest';
import type { DriverPolicy, DriverPolicyDestination } from '../contract/driver-policy.ts';
import { policyDocument } from './policy-commands.ts';

function policyTo(...destinations: DriverPolicyDestination[]): DriverPolicy {
  return {
    generation: 1n,
    noAppAction: 'allow',
    caseInsensitivePaths: false,
    rules: destinations.map((destination, i) => ({
      tag: i + 1,
      action: 'block',
      appDecides: false,
      direction: 'outbound',
      protocol: null,
      portFrom: 0,
      portTo: 65535,
      updatedAt: 0,
      expiresAt: null,
      appPath: null,
      destination,
    })),
  };
}

describe('policyDocument: the contract text addresses to the codec bytes', () => {
  it('gives ip and cidr destinations as bytes, IPv4-mapped ones as IPv4, and the rest as they are', () => {
    const document = policyDocument(
      policyTo(
        { kind: 'ip', ip: '2001:db8::1' },
        { kind: 'ip', ip: '::ffff:192.0.2.7' },
        { kind: 'cidr', ip: '10.0.0.0', prefix: 8 },
        { kind: 'cidr', ip: '::ffff:10.0.0.0', prefix: 104 },
        { kind: 'host', name: 'a.test' },
      ),
    );
    expect(document.rules.map((rule) => rule.destination)).toEqual([
      { kind: 'ip', ip: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) },
      { kind: 'ip', ip: Uint8Array.of(192, 0, 2, 7) },
      { kind: 'cidr', ip: Uint8Array.of(10, 0, 0, 0), prefix: 8 },
      { kind: 'cidr', ip: Uint8Array.of(10, 0, 0, 0), prefix: 8 },
      { kind: 'host', name: 'a.test' },
    ]);
  });

  it('refuses text that is not an address or a network with a RangeError naming the rule', () => {
    expect(() => policyDocument(policyTo({ kind: 'ip', ip: '10.0.0' }))).toThrow(
      new RangeError('rules[0].destination.ip: "10.0.0" is not an IP address'),
    );
    expect(() => policyDocument(policyTo({ kind: 'any' }, { kind: 'cidr', ip: '10.0.0.0', prefix: 33 }))).toThrow(
      new RangeError('rules[1].destination: "10.0.0.0/33" is not a network'),
    );
  });
});
