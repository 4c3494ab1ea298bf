/**
 * Request ids as the app knows them: the driver's u64 id in the low 64 bits, and above them the
 * number of the driver link it came on. Every link (a reconnect, a restarted daemon) numbers its
 * requests from 1 again, so the wire id alone would let an answer meant for a connection of an
 * earlier link decide another one on the current link. Tagged, the ids of different links never
 * compare equal anywhere in the app, and the session can refuse a verdict for an earlier link.
 */

const WIRE_BITS = 64n;
const WIRE_MASK = (1n << WIRE_BITS) - 1n;

/** The app's id of request `wireId` of link number `link` (1, 2, …). */
export function tagRequestId(link: number, wireId: bigint): bigint {
  return (BigInt(link) << WIRE_BITS) | (wireId & WIRE_MASK);
}

/** The number of the link a tagged request id came on. */
export function linkOf(requestId: bigint): number {
  return Number(requestId >> WIRE_BITS);
}

/** The id the driver gave the request (what a Verdict command names). */
export function wireIdOf(requestId: bigint): bigint {
  return requestId & WIRE_MASK;
}
