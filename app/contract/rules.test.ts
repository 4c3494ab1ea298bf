import { describe, expect, it } from 'vitest';
import { destinationSchema, RULE_FILE_FORMAT, ruleFileSchema, ruleInputSchema, ruleSchema } from './rules.ts';

const accepts = (destination: unknown) => destinationSchema.safeParse(destination).success;
/** The message of the (single) issue the schema raises for `destination`. */
function issue(destination: unknown): string {
  const issues = destinationSchema.safeParse(destination).error?.issues ?? [];
  expect(issues).toHaveLength(1);
  return issues[0]?.message ?? '';
}

/** A pattern of exactly `length` characters: `*.`, labels of up to 63 'a', and `.com`. */
function patternOfLength(length: number): string {
  const labels = 'a'.repeat(length - 6).replace(/a{63}(?=a)/g, (label) => `${label.slice(1)}.`);
  return `*.${labels}.com`;
}

describe('destinationSchema: ip', () => {
  it.each([
    '203.0.113.5',
    '0.0.0.0',
    '255.255.255.255',
    '2001:db8::1',
    '::',
    '::ffff:192.0.2.1',
    'FE80::0001',
    '1:2:3:4:5:6:192.0.2.1',
  ])('accepts %s', (address) => expect(accepts({ kind: 'ip', address })).toBe(true));

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
    // Zone ids: refused, since rules match an address on every interface.
    'fe80::1%eth0',
    'fe80::1%',
    '::%%%%%',
    '1.2.3.4%eth0',
    '::1.2.3.04',
  ])('refuses %j', (address) => expect(accepts({ kind: 'ip', address })).toBe(false));

  it('says why, in words', () => {
    expect(issue({ kind: 'ip', address: 'fe80::1%eth0' })).toMatch(/zone ids .* not supported/);
    expect(issue({ kind: 'ip', address: '01.2.3.4' })).toMatch(/not an IPv4 address: .*without leading zeros/);
    expect(issue({ kind: 'ip', address: '1::2::3' })).toMatch(/not an IPv6 address: .*at most one "::"/);
  });
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
    // Valid IPv6 networks whose address looks IPv4-mapped (they are IPv6 networks: prefix < 96).
    '::ffff:0:0/95',
    '::ffff:10.0.0.0/64',
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
    'example.com/8',
    // The prefix length in plain decimal: no leading zeros, no sign.
    '1.2.3.4/032',
    '10.0.0.0/08',
    '::/00',
    '::/0128',
    '10.0.0.0/+8',
    // No zone ids.
    'fe80::%eth0/64',
    'fe80::%/64',
  ])('refuses %j', (cidr) => expect(accepts({ kind: 'cidr', cidr })).toBe(false));

  it('says why, in words', () => {
    expect(issue({ kind: 'cidr', cidr: '1.2.3.4/032' })).toMatch(/IPv4 network is a number 0-32 without leading zeros/);
    expect(issue({ kind: 'cidr', cidr: '::/129' })).toMatch(/IPv6 network is a number 0-128/);
    expect(issue({ kind: 'cidr', cidr: '10.0.0.0' })).toMatch(/an address, "\/" and a prefix length/);
    expect(issue({ kind: 'cidr', cidr: 'fe80::%eth0/64' })).toMatch(/zone ids/);
  });
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
    `*.${'a'.repeat(64)}.com`,
    `*.example.${'b'.repeat(64)}`,
  ])('refuses %j', (pattern) => expect(accepts({ kind: 'domain', pattern })).toBe(false));

  it('says why a label is too long', () => {
    expect(issue({ kind: 'domain', pattern: `*.${'a'.repeat(64)}.com` })).toMatch(/at most 63 characters/);
  });

  it('accepts up to 253 characters in all, like a host name, and refuses longer ones', () => {
    expect(patternOfLength(253)).toHaveLength(253);
    expect(patternOfLength(254)).toHaveLength(254);
    expect(accepts({ kind: 'domain', pattern: patternOfLength(253) })).toBe(true);
    expect(accepts({ kind: 'domain', pattern: patternOfLength(254) })).toBe(false);
    expect(accepts({ kind: 'domain', pattern: `*.${'a'.repeat(100_000)}.com` })).toBe(false);
  });
});

describe('destinationSchema: host', () => {
  it.each(['example.com', 'EXAMPLE.com.', 'localhost', '_srv.example', `${'a'.repeat(63)}.com`])('accepts %s', (name) =>
    expect(accepts({ kind: 'host', name })).toBe(true),
  );
  it.each(['', '.', 'a..b', '-a.com', 'a b', `${'a'.repeat(64)}.com`, `${'a.'.repeat(127)}ab`])('refuses %j', (name) =>
    expect(accepts({ kind: 'host', name })).toBe(false),
  );
});

describe('ruleSchema: rules saved by earlier versions still read, with the meaning they had', () => {
  const stored = (destination: unknown) => ({
    app: { kind: 'any' },
    destination,
    action: 'block',
    id: 'r1',
    createdAt: 1,
    updatedAt: 1,
    expiresAt: null,
    hitCount: 0,
    lastHitAt: null,
  });

  it.each([
    [
      { kind: 'ip', address: 'fe80::1%eth0' },
      { kind: 'ip', address: 'fe80::1' },
    ],
    [
      { kind: 'ip', address: '::%%%%%' },
      { kind: 'ip', address: '::' },
    ],
    [
      { kind: 'cidr', cidr: '1.2.3.4/032' },
      { kind: 'cidr', cidr: '1.2.3.4/32' },
    ],
    [
      { kind: 'cidr', cidr: 'fe80::%eth0/010' },
      { kind: 'cidr', cidr: 'fe80::/10' },
    ],
    [
      { kind: 'ip', address: '1.2.3.4' },
      { kind: 'ip', address: '1.2.3.4' },
    ],
  ])('%j reads as %j', (old, now) => {
    expect(ruleInputSchema.safeParse(stored(old)).success).toBe(false);
    expect(ruleSchema.parse(stored(old)).destination).toEqual(now);
  });

  it('keeps an old name with a label over 63 characters as it was (it matches nothing), but not in new rules', () => {
    const pattern = `*.${'a'.repeat(64)}.com`;
    expect(ruleSchema.parse(stored({ kind: 'domain', pattern })).destination).toEqual({ kind: 'domain', pattern });
    const name = `${'a'.repeat(70)}.example`;
    expect(ruleSchema.parse(stored({ kind: 'host', name })).destination).toEqual({ kind: 'host', name });
    expect(ruleInputSchema.safeParse({ ...stored({ kind: 'domain', pattern }), id: undefined }).success).toBe(false);
  });

  it('still refuses what was never valid', () => {
    for (const destination of [
      { kind: 'ip', address: '999.1.1.1' },
      { kind: 'ip', address: 'fe80::1%' + 'x'.repeat(100) + '::' },
      { kind: 'cidr', cidr: '10.0.0.0/33' },
      { kind: 'cidr', cidr: '::ffff:10.0.0.0/1000' },
      { kind: 'domain', pattern: '*.exa mple.com' },
      { kind: 'host', name: 'a b' },
    ]) {
      expect(ruleSchema.safeParse(stored(destination)).success, JSON.stringify(destination)).toBe(false);
    }
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
