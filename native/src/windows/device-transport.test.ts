// The two-handle Windows transport over a fake DeviceIo: which handle each call uses, the
// cancel/close sequence, and error mapping.
import { describe, expect, it } from 'vitest';
import { encodeInfo } from '../../test-support/codec/info-encoder.ts';
import { encodeCommand } from '../codec/index.ts';
import { createDriverHandle } from '../driver-handle.ts';
import { DaemonNotRunning, DriverGone } from '../errors.ts';
import type { SysResult } from '../ffi.ts';
import { IOCTL_ZENITHFENCE_VERSION } from './ctl-code.ts';
import type { DeviceIo } from './device-io.ts';
import { GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE } from './device-io.ts';
import type { CancelTimer } from './device-transport.ts';
import { DEFAULT_DEVICE_PATH, openWindowsDevice } from './device-transport.ts';
import { WIN32_ERROR } from './win32-errors.ts';

const WRITER = 0x100n;
const READER = 0x104n;
const ok = (value: number): SysResult<number> => ({ value, code: 0 });

// A device that records each call with the handle it used; reads wait until the test answers.
class FakeDevice implements DeviceIo {
  readonly calls: string[] = [];
  readonly opens: number[] = [];
  openErrors: number[] = [];
  pendingRead: ((result: SysResult<number>, bytes?: Uint8Array) => void) | undefined;
  // Whether CancelIoEx finds the read (false: it was issued before ReadFile started).
  cancelFindsRead = true;
  cancelCalls = 0;

  createFile(path: string, access: number): SysResult<bigint> {
    expect(path).toBe(DEFAULT_DEVICE_PATH);
    this.opens.push(access);
    const error = this.openErrors.shift();
    if (error !== undefined) return { value: INVALID_HANDLE_VALUE, code: error };
    return { value: this.opens.length === 1 ? WRITER : READER, code: 0 };
  }

  readFile(handle: bigint, buffer: Buffer, bytesRead: Buffer): Promise<SysResult<number>> {
    this.calls.push(`read ${handle}`);
    return new Promise((resolve) => {
      this.pendingRead = (result, bytes) => {
        this.pendingRead = undefined;
        if (bytes !== undefined) buffer.set(bytes);
        bytesRead.writeUInt32LE(bytes?.length ?? 0, 0);
        resolve(result);
      };
    });
  }

  writeFile(handle: bigint, buffer: Buffer, bytesWritten: Buffer): SysResult<number> {
    this.calls.push(`write ${handle} ${buffer.toString('hex')}`);
    bytesWritten.writeUInt32LE(buffer.length, 0);
    return ok(1);
  }

  deviceIoControl(handle: bigint, code: number, output: Buffer, bytesReturned: Buffer): SysResult<number> {
    this.calls.push(`ioctl ${handle} ${code.toString(16)}`);
    output.set([2, 1, 0, 0]);
    bytesReturned.writeUInt32LE(4, 0);
    return ok(1);
  }

  cancelIoEx(handle: bigint): SysResult<number> {
    this.calls.push(`cancel ${handle}`);
    this.cancelCalls += 1;
    if (this.pendingRead !== undefined && this.cancelFindsRead) {
      this.pendingRead({ value: 0, code: WIN32_ERROR.OPERATION_ABORTED });
      return ok(1);
    }
    return { value: 0, code: WIN32_ERROR.NOT_FOUND };
  }

  closeHandle(handle: bigint): SysResult<number> {
    this.calls.push(`close ${handle}`);
    return ok(1);
  }
}

// Interval timers the test fires by hand.
function manualTimer(): CancelTimer & { fire(): void; active: number } {
  const callbacks = new Map<number, () => void>();
  let next = 0;
  return {
    setInterval: (callback) => {
      next += 1;
      callbacks.set(next, callback);
      return next;
    },
    clearInterval: (timer) => {
      callbacks.delete(timer as number);
    },
    fire: () => {
      for (const callback of callbacks.values()) callback();
    },
    get active() {
      return callbacks.size;
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('Windows device transport', () => {
  it('opens a read+write writer handle (IOCTL access) and a read-only reader handle', () => {
    const device = new FakeDevice();
    openWindowsDevice(DEFAULT_DEVICE_PATH, device).close();
    expect(device.opens).toEqual([(GENERIC_READ | GENERIC_WRITE) >>> 0, GENERIC_READ]);
  });

  it('reads on the reader handle while commands and IOCTLs use the writer handle', async () => {
    const device = new FakeDevice();
    const handle = createDriverHandle(openWindowsDevice(DEFAULT_DEVICE_PATH, device));
    await settle();
    expect(device.calls).toEqual([`read ${READER}`]);
    // The read is still pending: a write on the same handle would wait behind it.
    await handle.send({ kind: 'getLogs' });
    expect(await handle.version()).toEqual([2, 1, 0, 0]);
    const log = encodeInfo({ kind: 'log', severity: 3, text: 'hi' });
    device.pendingRead?.(ok(1), log);
    const first = await handle.infos().next();
    expect(first.value).toEqual({ kind: 'log', severity: 3, text: 'hi' });
    expect(device.calls.slice(0, 4)).toEqual([
      `read ${READER}`,
      `write ${WRITER} ${Buffer.from(encodeCommand({ kind: 'getLogs' })).toString('hex')}`,
      `ioctl ${WRITER} ${IOCTL_ZENITHFENCE_VERSION.toString(16)}`,
      `read ${READER}`,
    ]);
    await handle.close();
  });

  it('closes by CancelIoEx on the reader, then closes both handles after the read returned', async () => {
    const device = new FakeDevice();
    const handle = createDriverHandle(openWindowsDevice(DEFAULT_DEVICE_PATH, device));
    await settle();
    await handle.close();
    expect(device.calls).toEqual([`read ${READER}`, `cancel ${READER}`, `close ${READER}`, `close ${WRITER}`]);
    expect(await handle.ended).toEqual({ reason: 'closed' });
  });

  it('repeats CancelIoEx until the read returns (a cancel can miss a read not yet started)', async () => {
    const device = new FakeDevice();
    device.cancelFindsRead = false;
    const timer = manualTimer();
    const handle = createDriverHandle(openWindowsDevice(DEFAULT_DEVICE_PATH, device, { timer }));
    await settle();
    const closing = handle.close();
    timer.fire();
    expect(device.cancelCalls).toBe(2);
    device.cancelFindsRead = true;
    timer.fire();
    await closing;
    expect(device.cancelCalls).toBe(3);
    expect(timer.active).toBe(0);
    expect(device.calls.slice(-2)).toEqual([`close ${READER}`, `close ${WRITER}`]);
  });

  it('reports a device that went away as DriverGone, and 0 bytes as end of stream', async () => {
    const device = new FakeDevice();
    const handle = createDriverHandle(openWindowsDevice(DEFAULT_DEVICE_PATH, device));
    await settle();
    device.pendingRead?.({ value: 0, code: WIN32_ERROR.DEVICE_NOT_CONNECTED });
    await expect(handle.infos().next()).rejects.toBeInstanceOf(DriverGone);
    const device2 = new FakeDevice();
    const handle2 = createDriverHandle(openWindowsDevice(DEFAULT_DEVICE_PATH, device2));
    await settle();
    device2.pendingRead?.(ok(1), new Uint8Array(0));
    expect((await handle2.ended).reason).toBe('error');
    expect(device2.calls.slice(-2)).toEqual([`close ${READER}`, `close ${WRITER}`]);
  });

  it('maps a missing device to DaemonNotRunning and closes the writer when the reader fails', () => {
    const device = new FakeDevice();
    device.openErrors = [WIN32_ERROR.FILE_NOT_FOUND];
    expect(() => openWindowsDevice(DEFAULT_DEVICE_PATH, device)).toThrow(DaemonNotRunning);
    // First open succeeds, the second fails: the first handle must not leak.
    const flaky = new FakeDevice();
    let opened = 0;
    flaky.createFile = (path, access) => {
      opened += 1;
      flaky.opens.push(access);
      return opened === 1
        ? { value: WRITER, code: 0 }
        : { value: INVALID_HANDLE_VALUE, code: WIN32_ERROR.ACCESS_DENIED };
    };
    expect(() => openWindowsDevice(DEFAULT_DEVICE_PATH, flaky)).toThrow(/run ZenithFence as administrator/);
    expect(flaky.calls).toEqual([`close ${WRITER}`]);
  });
});
