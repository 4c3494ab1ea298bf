// The transport-independent handle, driven through a fake transport: read loop, reassembly,
// end of stream, close, write order, Hello.
import { describe, expect, it } from 'vitest';
import { encodeInfo, encodeInfos, frameInfo } from '../test-support/codec/info-encoder.ts';
import { RUST_INFO_FIXTURES } from '../test-support/codec/testdata-fixtures.ts';
import { FakeTransport } from '../test-support/fake-transport.ts';
import { waitFor } from '../test-support/wait-for.ts';
import type { HelloReplyInfo, Info, InfoProblem } from './codec/index.ts';
import { encodeCommand, FEATURE, VERDICT } from './codec/index.ts';
import { createDriverHandle } from './driver-handle.ts';
import { DriverClosed, DriverGone, DriverOsError, DriverTimeout, DriverUsageError, VersionMismatch } from './errors.ts';

const HELLO_REPLY: HelloReplyInfo = {
  kind: 'helloReply',
  version: [2, 1, 0, 0],
  extVersion: 1,
  features: FEATURE.process,
  driverKind: 2,
};

const LOG: Info = { kind: 'log', severity: 3, text: 'client connected' };

async function take(iterator: AsyncIterator<Info | InfoProblem>, count: number): Promise<(Info | InfoProblem)[]> {
  const items: (Info | InfoProblem)[] = [];
  while (items.length < count) {
    const next = await iterator.next();
    if (next.done === true) break;
    items.push(next.value);
  }
  return items;
}

async function drain(iterator: AsyncIterator<Info | InfoProblem>): Promise<(Info | InfoProblem)[]> {
  return take(iterator, Number.POSITIVE_INFINITY);
}

describe('driver handle: read loop', () => {
  it('decodes many infos per read, and infos split across reads', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    const stream = encodeInfos(RUST_INFO_FIXTURES);
    // Chunks of 7 bytes split nearly every info, header included.
    for (let at = 0; at < stream.length; at += 7) fake.feed(stream.subarray(at, at + 7));
    const infos = handle.infos();
    expect(await take(infos, RUST_INFO_FIXTURES.length)).toEqual(RUST_INFO_FIXTURES);
    await handle.close();
    expect(await infos.next()).toEqual({ done: true, value: undefined });
    expect(fake.violations).toEqual([]);
  });

  it('keeps exactly one read outstanding and reads again only after decoding', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    await waitFor(() => fake.reading, 'the first read');
    expect(fake.readsStarted).toBe(1);
    fake.feed(encodeInfos([LOG, LOG, LOG]));
    await waitFor(() => fake.readsStarted === 2, 'the second read');
    expect(fake.reading).toBe(true);
    expect(await take(handle.infos(), 3)).toEqual([LOG, LOG, LOG]);
    await handle.close();
    expect(fake.violations).toEqual([]);
  });

  it('reports an info of unknown type in stream order and carries on', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    fake.feed(Uint8Array.from([...encodeInfo(LOG), ...frameInfo(99, new Uint8Array(3)), ...encodeInfo(LOG)]));
    expect(await take(handle.infos(), 3)).toEqual([
      LOG,
      { kind: 'problem', problem: 'unknown-type', type: 99, bodyLength: 3 },
      LOG,
    ]);
    await handle.close();
  });

  it('pauses reading while the consumer is maxQueuedInfos behind', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake, { maxQueuedInfos: 2 });
    fake.feed(encodeInfos([LOG, LOG, LOG]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.readsStarted).toBe(1);
    const infos = handle.infos();
    await take(infos, 2);
    await waitFor(() => fake.readsStarted === 2, 'reading to resume');
    await handle.close();
    expect(await drain(infos)).toEqual([LOG]);
  });

  it('ends with DriverGone after the buffered infos when the driver ends the stream', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    fake.feed(encodeInfos([LOG]));
    fake.end();
    const infos = handle.infos();
    expect(await infos.next()).toEqual({ done: false, value: LOG });
    await expect(infos.next()).rejects.toBeInstanceOf(DriverGone);
    expect(await infos.next()).toEqual({ done: true, value: undefined });
    const end = await handle.ended;
    expect(end.reason).toBe('error');
    expect(fake.closeCalls).toBe(1);
    await expect(handle.send({ kind: 'getLogs' })).rejects.toBeInstanceOf(DriverGone);
    await handle.close();
    expect(fake.closeCalls).toBe(1);
    expect(fake.violations).toEqual([]);
  });

  it('passes a read error on as the end of the stream', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    fake.fail(new DriverOsError('read', 5, 'EIO', true));
    await expect(handle.infos().next()).rejects.toBeInstanceOf(DriverOsError);
    expect((await handle.ended).reason).toBe('error');
  });

  it('ends cleanly after a Shutdown command', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    await handle.send({ kind: 'shutdown' });
    fake.end();
    expect(await drain(handle.infos())).toEqual([]);
    expect(await handle.ended).toEqual({ reason: 'shutdown' });
  });
});

describe('driver handle: close', () => {
  it('wakes the pending read, ends the iterator without error and closes the transport after the read', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    const infos = handle.infos();
    const next = infos.next();
    await waitFor(() => fake.reading, 'a pending read');
    await handle.close();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(fake.cancelCalls).toBe(1);
    expect(fake.closeCalls).toBe(1);
    expect(await handle.ended).toEqual({ reason: 'closed' });
    await handle.close();
    expect(fake.cancelCalls).toBe(1);
    expect(fake.closeCalls).toBe(1);
    expect(fake.violations).toEqual([]);
  });

  it('waits for the read to settle even when the cancel is slow, and never closes under it', async () => {
    const fake = new FakeTransport();
    fake.cancelWakesRead = false;
    const handle = createDriverHandle(fake);
    await waitFor(() => fake.reading, 'a pending read');
    let closed = false;
    const closing = handle.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    expect(fake.closeCalls).toBe(0);
    fake.end();
    await closing;
    expect(fake.closeCalls).toBe(1);
    expect(fake.violations).toEqual([]);
  });

  it('ends a loop paused for a slow consumer', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake, { maxQueuedInfos: 1 });
    fake.feed(encodeInfos([LOG, LOG]));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await handle.close();
    expect(fake.readsStarted).toBe(1);
    expect(await drain(handle.infos())).toEqual([LOG, LOG]);
    expect(fake.violations).toEqual([]);
  });

  it('treats a read error caused by closing as the requested end', async () => {
    const fake = new FakeTransport();
    fake.cancelWakesRead = false;
    const handle = createDriverHandle(fake);
    await waitFor(() => fake.reading, 'a pending read');
    const closing = handle.close();
    fake.fail(new DriverOsError('ReadFile', 995, 'ERROR_OPERATION_ABORTED', true));
    await closing;
    expect(await handle.ended).toEqual({ reason: 'closed' });
  });

  it('refuses commands once closing', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    const closing = handle.close();
    await expect(handle.send({ kind: 'getLogs' })).rejects.toBeInstanceOf(DriverClosed);
    await closing;
    await expect(handle.version()).rejects.toBeInstanceOf(DriverClosed);
  });

  it('lets a write in flight finish before the transport is closed', async () => {
    const fake = new FakeTransport();
    let release = (): void => undefined;
    fake.writeDelay = () =>
      new Promise<void>((resolve) => {
        release = resolve;
      });
    const handle = createDriverHandle(fake);
    const sent = handle.send({ kind: 'getLogs' });
    const closing = handle.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake.closeCalls).toBe(0);
    release();
    await sent;
    await closing;
    expect(fake.writes).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });
});

describe('driver handle: send', () => {
  it('writes one encoded command per call, in call order even when writes take different times', async () => {
    const fake = new FakeTransport();
    const delays = [30, 0, 10];
    let call = 0;
    fake.writeDelay = () => new Promise((resolve) => setTimeout(resolve, delays[call++] ?? 0));
    const handle = createDriverHandle(fake);
    const commands = [
      { kind: 'verdict', id: 1n, verdict: VERDICT.accept },
      { kind: 'verdict', id: 2n, verdict: VERDICT.block },
      { kind: 'getCounters' },
    ] as const;
    await Promise.all(commands.map((command) => handle.send(command)));
    expect(fake.writes).toEqual(commands.map((command) => encodeCommand(command)));
    await handle.close();
  });

  it('hands a command to the transport within send() when no write is in flight, else after it', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    // Not awaited: the verdict must already be on its way when send() returns, not a turn later.
    const first = handle.send({ kind: 'verdict', id: 1n, verdict: VERDICT.accept });
    expect(fake.writesStarted).toBe(1);
    // The first write has not settled yet: the second waits for it (one write at a time).
    const second = handle.send({ kind: 'verdict', id: 2n, verdict: VERDICT.block });
    expect(fake.writesStarted).toBe(1);
    await Promise.all([first, second]);
    expect(fake.writes).toEqual([
      encodeCommand({ kind: 'verdict', id: 1n, verdict: VERDICT.accept }),
      encodeCommand({ kind: 'verdict', id: 2n, verdict: VERDICT.block }),
    ]);
    // Once every write settled, the next one starts at once again.
    await new Promise((resolve) => setImmediate(resolve));
    void handle.send({ kind: 'getCounters' });
    expect(fake.writesStarted).toBe(3);
    await handle.close();
    expect(fake.violations).toEqual([]);
  });

  it('rejects an invalid command without writing, and keeps later writes going after a failed one', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    await expect(handle.send({ kind: 'verdict', id: -1n, verdict: VERDICT.accept })).rejects.toBeInstanceOf(RangeError);
    fake.writeError = new DriverOsError('send', 11, 'EAGAIN', true);
    await expect(handle.send({ kind: 'getLogs' })).rejects.toBeInstanceOf(DriverOsError);
    fake.writeError = undefined;
    await handle.send({ kind: 'clearCache' });
    expect(fake.writes).toEqual([encodeCommand({ kind: 'clearCache' })]);
    await handle.close();
  });
});

describe('driver handle: hello and version', () => {
  it('sends Hello and resolves with the HelloReply, which infos() also yields', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    const reply = handle.hello(FEATURE.process | FEATURE.dns);
    await waitFor(() => fake.writes.length === 1, 'the Hello write');
    expect(fake.writes[0]).toEqual(encodeCommand({ kind: 'hello', extVersion: 1, features: 3 }));
    fake.feed(encodeInfos([LOG, HELLO_REPLY]));
    expect(await reply).toEqual(HELLO_REPLY);
    expect(await take(handle.infos(), 2)).toEqual([LOG, HELLO_REPLY]);
    expect(await handle.version()).toEqual([2, 1, 0, 0]);
    await handle.close();
  });

  it('rejects a driver of another major version with VersionMismatch', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    const reply = handle.hello(FEATURE.process);
    fake.feed(encodeInfo({ ...HELLO_REPLY, version: [3, 0, 0, 0] }));
    const error = await reply.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VersionMismatch);
    expect((error as VersionMismatch).message).toMatch(/3\.0\.0\.0.*same ZenithFence release/);
    await handle.close();
  });

  it('times out without a HelloReply, and fails with DriverGone when the stream ends first', async () => {
    const fake = new FakeTransport();
    const handle = createDriverHandle(fake);
    await expect(handle.hello(0, { timeoutMs: 20 })).rejects.toBeInstanceOf(DriverTimeout);
    const reply = handle.hello(0);
    fake.end();
    await expect(reply).rejects.toBeInstanceOf(DriverGone);
  });

  it('takes the version from the transport (Windows IOCTL) or asks for hello first', async () => {
    const windowsLike = createDriverHandle(new FakeTransport([2, 1, 0, 0]));
    expect(await windowsLike.version()).toEqual([2, 1, 0, 0]);
    await windowsLike.close();
    const linuxLike = createDriverHandle(new FakeTransport());
    await expect(linuxLike.version()).rejects.toBeInstanceOf(DriverUsageError);
    await linuxLike.close();
  });

  it('allows one infos() iterator per handle', async () => {
    const handle = createDriverHandle(new FakeTransport());
    handle.infos();
    expect(() => handle.infos()).toThrow(/only once/);
    await handle.close();
  });
});
