import { describe, expect, it } from 'vitest';
import { type Destination, destinationOf, destinationSchema } from './destination.ts';

const example: Destination = {
  direction: 'outbound',
  protocol: 6,
  remoteIp: '2001:db8::1',
  remotePort: 443,
  host: 'example.org',
};

describe('Destination', () => {
  it('accepts a destination with a canonical address, and no other fields', () => {
    expect(destinationSchema.parse(example)).toEqual(example);
    expect(destinationSchema.parse({ ...example, remoteIp: '192.0.2.1', host: null }).host).toBeNull();
    expect(destinationSchema.safeParse({ ...example, extra: 1 }).success).toBe(false);
  });

  it('refuses addresses that are not canonical or not addresses, and out-of-range numbers', () => {
    for (const remoteIp of ['2001:DB8::1', '2001:db8:0::1', '::ffff:192.0.2.1', '010.0.0.1', 'example.org', '']) {
      expect(destinationSchema.safeParse({ ...example, remoteIp }).success).toBe(false);
    }
    expect(destinationSchema.safeParse({ ...example, remotePort: 65_536 }).success).toBe(false);
    expect(destinationSchema.safeParse({ ...example, protocol: 256 }).success).toBe(false);
    expect(destinationSchema.safeParse({ ...example, direction: 'any' }).success).toBe(false);
  });

  it('takes the destination out of a value that carries more', () => {
    expect(destinationOf({ ...example, id: 'p1', count: 3 } as Destination)).toEqual(example);
  });
});
