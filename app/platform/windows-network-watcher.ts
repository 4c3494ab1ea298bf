// The Windows network watcher: Windows has no driver report of the network (the kernel driver
// never grants NETWORK, driver/protocol/README.md), so the app reads the facts itself, every 2 s
// and whenever asked, and numbers each change as the Linux daemon does: epoch 1 for the first
// facts, one more at every change of any field but the epoch.
import type { NetworkFacts } from '../contract/network.ts';
import { networkFactsOf, sameNetwork, type WindowsNetworkReading } from './windows-network-facts.ts';

/** How often the facts are read. Polling: iphlpapi's change notifications need a callback thread. */
export const NETWORK_POLL_MS = 2_000;

/** Options of {@link startWindowsNetworkWatcher}. */
export interface WindowsNetworkWatcherOptions {
  /** Reads the facts (the binding's readWindowsNetworkFacts); may throw. */
  readonly read: () => WindowsNetworkReading;
  /** Called with the facts at the start and at every change (each with the next epoch). */
  readonly onFacts: (facts: NetworkFacts) => void;
  /** Where failures go: a reader that fails, a reading the contract refuses, a listener that throws. */
  readonly log: (message: string) => void;
  readonly intervalMs?: number;
}

/** A running watcher. */
export interface WindowsNetworkWatcher {
  /** Reads now (a listener call follows if the network changed); the current facts after it. */
  refresh(): NetworkFacts | undefined;
  /** The last facts delivered; undefined until a first read succeeds. */
  readonly current: NetworkFacts | undefined;
  /** Stops the timer; nothing is read or delivered afterwards. */
  stop(): void;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Starts watching: the first read happens before this returns (so `onFacts` may be called before
 * the caller holds the watcher), then one every `intervalMs`. Nothing throws out of the timer: a
 * failed read keeps the facts as they were (a network the app cannot see is not "offline") and is
 * logged once until a read succeeds again, so a lasting failure does not fill the log.
 */
export function startWindowsNetworkWatcher(options: WindowsNetworkWatcherOptions): WindowsNetworkWatcher {
  let current: NetworkFacts | undefined;
  let epoch = 0;
  let stopped = false;
  let polling = false;
  let failing: string | undefined;

  function poll(): void {
    // A listener that calls refresh() does not nest a second delivery inside the first.
    if (stopped || polling) return;
    polling = true;
    try {
      let next: NetworkFacts;
      try {
        next = networkFactsOf(options.read(), epoch + 1);
      } catch (error) {
        const message = describeError(error);
        if (message !== failing) options.log(`network facts: cannot read them: ${message}`);
        failing = message;
        return;
      }
      if (failing !== undefined) options.log('network facts: readable again');
      failing = undefined;
      if (current !== undefined && sameNetwork(current, next)) return;
      epoch = next.epoch;
      current = next;
      try {
        options.onFacts(next);
      } catch (error) {
        options.log(`network facts: the listener failed on epoch ${String(next.epoch)}: ${describeError(error)}`);
      }
    } finally {
      polling = false;
    }
  }

  poll();
  const timer = setInterval(poll, options.intervalMs ?? NETWORK_POLL_MS);
  // The watcher serves the app; it is not a reason for the process to stay alive.
  timer.unref();
  return {
    refresh() {
      poll();
      return current;
    },
    get current() {
      return current;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
