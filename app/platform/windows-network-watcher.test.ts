// The Windows network watcher's polling, epochs and error containment. The reader is a fake here
// only because the Windows calls cannot run under plain Node: the real reader is exercised under
// Wine by native/src/windows/network-facts.wine.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NetworkFacts } from '../contract/network.ts';
import type { WindowsNetworkReading } from './windows-network-facts.ts';
import { NETWORK_POLL_MS, startWindowsNetworkWatcher, type WindowsNetworkWatcher } from './windows-network-watcher.ts';

const HOME: WindowsNetworkReading = {
  hasDefaultRoute: true,
  interfaceName: 'Wi-Fi',
  interfaceIndex: 12,
  gatewayIp: Uint8Array.of(192, 168, 1, 1),
  gatewayMac: null,
  dnsSuffix: 'home.arpa',
  ssid: 'Home',
  vpnUp: false,
};
const CAFE: WindowsNetworkReading = { ...HOME, gatewayIp: Uint8Array.of(10, 0, 0, 1), ssid: 'Cafe' };

/** A reader that returns (or throws) whatever the test last set, counting its calls. */
function fakeReader(first: WindowsNetworkReading | Error): {
  read: () => WindowsNetworkReading;
  set: (next: WindowsNetworkReading | Error) => void;
  readonly calls: number;
} {
  let next = first;
  let calls = 0;
  return {
    read: () => {
      calls += 1;
      if (next instanceof Error) throw next;
      return next;
    },
    set: (value) => {
      next = value;
    },
    get calls() {
      return calls;
    },
  };
}

describe('the Windows network watcher', () => {
  let watcher: WindowsNetworkWatcher | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    watcher?.stop();
    watcher = undefined;
    vi.useRealTimers();
  });

  function start(reader: ReturnType<typeof fakeReader>, onFacts: (facts: NetworkFacts) => void = () => undefined) {
    const delivered: NetworkFacts[] = [];
    const logged: string[] = [];
    watcher = startWindowsNetworkWatcher({
      read: reader.read,
      onFacts: (facts) => {
        delivered.push(facts);
        onFacts(facts);
      },
      log: (message) => logged.push(message),
    });
    return { delivered, logged, watcher };
  }

  it('delivers the first facts as epoch 1 at once, then one growing epoch per change', () => {
    const reader = fakeReader(HOME);
    const { delivered, watcher: running } = start(reader);
    expect(delivered.map((facts) => [facts.epoch, facts.ssid])).toEqual([[1, 'Home']]);
    expect(running.current?.gatewayIp).toBe('192.168.1.1');

    vi.advanceTimersByTime(NETWORK_POLL_MS * 3);
    expect(reader.calls).toBe(4);
    expect(delivered).toHaveLength(1);

    reader.set(CAFE);
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    reader.set({ ...CAFE, gatewayMac: '02:00:00:00:00:01' });
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    reader.set(HOME);
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    expect(delivered.map((facts) => [facts.epoch, facts.ssid, facts.gatewayMac])).toEqual([
      [1, 'Home', null],
      [2, 'Cafe', null],
      [3, 'Cafe', '02:00:00:00:00:01'],
      [4, 'Home', null],
    ]);
  });

  it('reads on demand, between the ticks', () => {
    const reader = fakeReader(HOME);
    const { delivered, watcher: running } = start(reader);
    reader.set(CAFE);
    expect(running.refresh()).toMatchObject({ epoch: 2, ssid: 'Cafe' });
    expect(reader.calls).toBe(2);
    expect(delivered).toHaveLength(2);
    expect(running.refresh()).toMatchObject({ epoch: 2 });
    expect(delivered).toHaveLength(2);
  });

  it('contains a failing reader: keeps the facts, logs once until it reads again, goes on', () => {
    const reader = fakeReader(new Error('GetIpForwardTable2 failed: Win32 error 8'));
    const { delivered, logged, watcher: running } = start(reader);
    expect(running.current).toBeUndefined();
    expect(() => vi.advanceTimersByTime(NETWORK_POLL_MS * 3)).not.toThrow();
    expect(reader.calls).toBe(4);
    expect(logged).toEqual(['network facts: cannot read them: Error: GetIpForwardTable2 failed: Win32 error 8']);

    reader.set(HOME);
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    expect(delivered.map((facts) => facts.epoch)).toEqual([1]);
    reader.set(new Error('again'));
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    expect(running.current).toMatchObject({ epoch: 1, ssid: 'Home' });
    reader.set(HOME);
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    // The network did not change while it could not be read: no new epoch.
    expect(delivered.map((facts) => facts.epoch)).toEqual([1]);
    expect(logged.slice(1)).toEqual([
      'network facts: readable again',
      'network facts: cannot read them: Error: again',
      'network facts: readable again',
    ]);
  });

  it('does not pass on a reading the contract refuses', () => {
    const reader = fakeReader({ ...HOME, gatewayMac: 'not a mac' });
    const { delivered, logged } = start(reader);
    expect(delivered).toEqual([]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^network facts: cannot read them: /);
  });

  it('contains a listener that throws, and still counts the change it was told of', () => {
    const reader = fakeReader(HOME);
    const {
      delivered,
      logged,
      watcher: running,
    } = start(reader, () => {
      throw new Error('listener bug');
    });
    reader.set(CAFE);
    expect(() => vi.advanceTimersByTime(NETWORK_POLL_MS)).not.toThrow();
    expect(delivered.map((facts) => facts.epoch)).toEqual([1, 2]);
    expect(running.current?.epoch).toBe(2);
    expect(logged).toEqual([
      'network facts: the listener failed on epoch 1: Error: listener bug',
      'network facts: the listener failed on epoch 2: Error: listener bug',
    ]);
  });

  it('does not nest a delivery inside a listener that asks for a refresh', () => {
    const reader = fakeReader(HOME);
    const OFFICE: WindowsNetworkReading = { ...HOME, ssid: 'Office' };
    const { delivered } = start(reader, (facts) => {
      if (facts.epoch !== 2) return;
      // The network changes again while the listener handles epoch 2, and it asks at once.
      reader.set(OFFICE);
      watcher?.refresh();
    });
    reader.set(CAFE);
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    expect(delivered.map((facts) => facts.epoch)).toEqual([1, 2]);
    // The change is seen by the next read, after the listener returned.
    vi.advanceTimersByTime(NETWORK_POLL_MS);
    expect(delivered.map((facts) => [facts.epoch, facts.ssid])).toEqual([
      [1, 'Home'],
      [2, 'Cafe'],
      [3, 'Office'],
    ]);
  });

  it('stops: the timer is cleared, and nothing is read or delivered afterwards', () => {
    const reader = fakeReader(HOME);
    const { delivered, watcher: running } = start(reader);
    expect(vi.getTimerCount()).toBe(1);
    running.stop();
    expect(vi.getTimerCount()).toBe(0);
    reader.set(CAFE);
    vi.advanceTimersByTime(NETWORK_POLL_MS * 5);
    expect(running.refresh()).toMatchObject({ epoch: 1, ssid: 'Home' });
    expect(reader.calls).toBe(1);
    expect(delivered).toHaveLength(1);
  });
});
