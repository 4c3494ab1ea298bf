import { z } from 'zod';
import { type Direction, DIRECTIONS } from './driver-events.ts';
import { canonicalIp } from './ip-address.ts';

/**
 * Where a connection goes, as the user sees it: the one value prompts, connection rows and the
 * history share (app/engine/README.md, "One connection, one destination, one process directory").
 * The field names are those the views have always sent, so the IPC payloads keep their shape:
 * a view extends Destination rather than copying its fields one by one.
 */
export interface Destination {
  readonly direction: Direction;
  /** IANA protocol number (PROTOCOL_NUMBERS names the common ones). */
  readonly protocol: number;
  /** Canonical text (formatIp of ip-address.ts): dotted quad, or RFC 5952; IPv4-mapped is IPv4. */
  readonly remoteIp: string;
  readonly remotePort: number;
  /** The name a DNS answer gave the address, or null when only the address is known. */
  readonly host: string | null;
}

/** A Destination as it crosses a trust boundary (the address must be in its canonical form). */
export const destinationSchema = z
  .object({
    direction: z.enum(DIRECTIONS),
    protocol: z.number().int().min(0).max(255),
    remoteIp: z
      .string()
      .max(45)
      .refine((text) => canonicalIp(text) === text, 'an address in canonical form (RFC 5952, IPv4 dotted quad)'),
    remotePort: z.number().int().min(0).max(65_535),
    host: z.string().min(1).max(253).nullable(),
  })
  .strict();

/** The Destination fields of a value that has them (and more): a copy with nothing else. */
export function destinationOf(value: Destination): Destination {
  const { direction, protocol, remoteIp, remotePort, host } = value;
  return { direction, protocol, remoteIp, remotePort, host };
}
