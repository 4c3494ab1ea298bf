// When event-driven reads are not possible, openEventReads says so and leaves the descriptor
// alone, so the transport can read it on the threadpool instead (socket-transport.test.ts runs
// both ways of reading on real sockets).
import { describe, expect, it } from 'vitest';
import { closeFd, receiveMessage, sendMessage, seqpacketPair } from '../../test-support/socketpair.ts';
import type { PipeBinding } from './event-reads.ts';
import { openEventReads, pipeBinding } from './event-reads.ts';

/** A pipe binding whose handles refuse every descriptor, as libuv does with an error code. */
function refusingBinding(closed: { count: number }): PipeBinding {
  class RefusingPipe {
    open(): number {
      return -9; // UV_EBADF
    }
    close(): void {
      closed.count += 1;
    }
  }
  return { Pipe: RefusingPipe, constants: { SOCKET: 0 } };
}

describe('event-driven reads', () => {
  it('are available on this runtime (Node 24, as in Electron 45)', () => {
    expect(pipeBinding()).toBeDefined();
  });

  it('return undefined when the pipe handle refuses the descriptor, which stays open and usable', () => {
    const pair = seqpacketPair();
    const closed = { count: 0 };
    expect(openEventReads(pair.client, 1024, refusingBinding(closed))).toBeUndefined();
    // The refused handle is released, and the descriptor still carries messages both ways.
    expect(closed.count).toBe(1);
    sendMessage(pair.client, Uint8Array.of(1, 2));
    expect(receiveMessage(pair.daemon)).toEqual(Buffer.of(1, 2));
    sendMessage(pair.daemon, Uint8Array.of(3));
    expect(receiveMessage(pair.client)).toEqual(Buffer.of(3));
    closeFd(pair.client);
    closeFd(pair.daemon);
  });

  it('return undefined where the runtime has no pipe binding', () => {
    const pair = seqpacketPair();
    expect(openEventReads(pair.client, 1024, undefined)).toBeUndefined();
    closeFd(pair.client);
    closeFd(pair.daemon);
  });
});
