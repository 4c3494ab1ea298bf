import { describe, expect, it } from 'vitest';
import { destinationSchema, RULE_FILE_FORMAT, ruleFileSchema, ruleInputSchema } from './rules.ts';

const accepts = (destination: unknown) => destinationSchema.safeParse(destination).success;

/** A pattern of exactly `length` characters: `*.`, labels of up to 63 'a', and `.com`. */
function patternOfLength(length: number): string {
  const labels = 'a'.repeat(length - 6).replace(/a{63}(?=a)/g, (label) => `${label.slice(1)}.`);
  return `*.${labels}.com`;
}

describe('destinationSchema: ip', () => {
  it.each(['203.0.113.5', '0.0.0.0', '255.255.255.255', '2001:db8::1', '::', '::ffff:192.0.2.1', 'fe80::1%eth0'])(
    'accepts %s',
    (address) => expect(accepts({ kind: 'ip', address })).toBe(true),
  );

  it.each([
    '999.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'example.com',
    '2001:db8::1::2',
    '2001:db8:::1',
    '12345::1',
    'fe80::1%eth0 x',
    'fe80::1%\u0000',
    '1.2.3.4/32',
    'fe80::1%eth0/64',
  ])('refuses %j', (address) => expect(accepts({ kind: 'ip', address })).toBe(false));
});

describe('destinationSchema: cidr', () => {
  it.each([
    '10.0.0.0/8',
    '0.0.0.0/0',
    '192.0.2.1/32',
    '::/0',
    '2001:db8::/32',
    '::1/128',
    '::ffff:10.0.0.0/104',
    // Host bits set: accepted, and ignored (the engine masks them off: this is 10.0.0.0/8).
    '10.1.2.3/8',
    '2001:db8::1/64',
  ])('accepts %s', (cidr) => expect(accepts({ kind: 'cidr', cidr })).toBe(true));

  it.each([
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/-1',
    '10.0.0.0',
    '10.0.0.0/',
    '/8',
    '999.0.0.0/8',
    '10.0.0.0/8/8',
    '10.0.0.0/ 8',
    '10.0.0.0/8 ',
    '10.0.0.0/1e1',
    // An IPv4-mapped network shorter than the mapping itself (/96) is not an IPv4 network.
    '::ffff:10.0.0.0/64',
    'example.com/8',
  ])('refuses %j', (cidr) => expect(accepts({ kind: 'cidr', cidr })).toBe(false));
});

describe('destinationSchema: domain', () => {
  it.each(['*.example.com', '*.com', '*.example.com.', '*.a-b.example', '*._tcp.example', `*.${'a'.repeat(63)}.com`])(
    'accepts %s',
    (pattern) => expect(accepts({ kind: 'domain', pattern })).toBe(true),
  );

  it.each([
    '*.',
    '*..example.com',
    '*.example..com',
    '*.example.com..',
    '*.exa mple.com',
    ' *.example.com',
    '*.example.com\n',
    '*.ex\u0000ample.com',
    '*.ex\tample.com',
    '*.-bad.example',
    '*.bad-.example',
    'example.com',
    '**.example.com',
    '*.*.example.com',
    '*',
    '',
  ])('refuses %j', (pattern) => expect(accepts({ kind: 'domain', pattern })).toBe(false));

  it('accepts up to 253 characters in all, like a host name, and refuses longer ones', () => {
    expect(patternOfLength(253)).toHaveLength(253);
    expect(patternOfLength(254)).toHaveLength(254);
    expect(accepts({ kind: 'domain', pattern: patternOfLength(253) })).toBe(true);
    expect(accepts({ kind: 'domain', pattern: patternOfLength(254) })).toBe(false);
    expect(accepts({ kind: 'domain', pattern: `*.${'a'.repeat(100_000)}.com` })).toBe(false);
  });
});

describe('ruleFileSchema', () => {
  it('names the rule and field of a bad address', () => {
    const rule = (destination: unknown) => ({ app: { kind: 'any' }, destination, action: 'allow' });
    const result = ruleFileSchema.safeParse({
      format: RULE_FILE_FORMAT,
      version: 1,
      rules: [rule({ kind: 'any' }), rule({ kind: 'lan' }), rule({ kind: 'ip', address: '999.1.1.1' })],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['rules', 2, 'destination', 'address']]);
  });

  it('checks a rule typed in the UI the same way', () => {
    const input = { app: { kind: 'any' }, action: 'block', destination: { kind: 'domain', pattern: '*.ads..example' } };
    expect(ruleInputSchema.safeParse(input).success).toBe(false);
  });
});
