import path from 'node:path';
import type { Handlers } from '../../contract/dispatch.ts';
import type { ConnectionRequest, DriverVerdict } from '../../contract/driver-events.ts';
import type { DriverPolicy, PolicyBlocklistSent } from '../../contract/driver-policy.ts';
import type { PushChannel } from '../../contract/ipc.ts';
import { openStore, type Store } from '../../store/index.ts';
import { testTempDir } from '../../test-support/temp-dirs.ts';
import { createHandlers } from '../handlers.ts';
import { RateLimitedLog } from '../rate-limited-log.ts';
import { Runtime, type RuntimeOptions, type SystemPort } from '../runtime.ts';

export const CURL = '/usr/bin/curl';

/** A connection request of curl (pid 42) to `remoteIp:remotePort` from `localPort`. */
export function connection(
  id: bigint,
  localPort: number,
  remotePort = 443,
  remoteIp = '93.184.216.34',
): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: id,
    direction: 'outbound',
    ipVersion: 4,
    flow: { protocol: 6, localIp: '10.0.0.1', localPort, remoteIp, remotePort },
    pid: 42,
    process: { pid: 42, startTime: 1n, uid: 1000, path: CURL, commandLine: ['curl'] },
  };
}

/** A runtime on a real store, with what it sent to the driver, pushed and logged recorded. */
export interface Harness {
  readonly runtime: Runtime;
  readonly store: Store;
  readonly handlers: Handlers;
  readonly verdicts: Array<[bigint, DriverVerdict]>;
  /** Policies the runtime sent to the driver. */
  readonly policies: DriverPolicy[];
  /** Policy sends and NetworkSeen commands, in the order the runtime made them ('policy <gen>', 'seen <epoch>'). */
  readonly writes: string[];
  readonly pushes: PushChannel[];
  /** Lines the runtime's log wrote. */
  readonly lines: string[];
  /** What the handlers and the log read as now; tests move it. */
  readonly clock: { now: number };
  bandwidthRequests: number;
}

export interface HarnessOptions {
  readonly store?: Store;
  readonly push?: RuntimeOptions['push'];
  readonly storageUnavailable?: string | null;
  readonly storageRetryMs?: number;
  readonly now?: number;
  /** How a policy send ends (default: written at once); it is recorded either way. */
  /** The driver's send (default: takes it all, as a driver does when the lists fit). */
  readonly sendPolicy?: (policy: DriverPolicy) => Promise<PolicyBlocklistSent | undefined>;
  /** The operating system as the runtime sees it (default: none). */
  readonly system?: SystemPort;
  /** Where the connection log goes when the setting turns it on (default: nowhere). */
  readonly connectionLogPath?: string;
  /** Where fetched blocklists are kept (default: nowhere) and the CA their https server uses. */
  readonly blocklistCacheDir?: string;
  readonly blocklistCa?: string;
  readonly blocklistMaxBytes?: number;
}

/** A fresh database path in its own temporary directory, removed after the test file. */
export function tempDbPath(): string {
  return path.join(testTempDir('zf-runtime-'), 'zenithfence.sqlite');
}

export function startRuntime(options: HarnessOptions = {}): Harness {
  const store = options.store ?? openStore(tempDbPath());
  const clock = { now: options.now ?? 1_000 };
  const lines: string[] = [];
  const harness = {
    store,
    verdicts: [] as Array<[bigint, DriverVerdict]>,
    policies: [] as DriverPolicy[],
    writes: [] as string[],
    pushes: [] as PushChannel[],
    lines,
    clock,
    bandwidthRequests: 0,
  };
  const runtime = new Runtime(
    {
      store,
      driver: {
        verdict: (id, verdict) => harness.verdicts.push([id, verdict]),
        requestBandwidth: () => (harness.bandwidthRequests += 1),
        networkSeen: (epoch) => {
          harness.writes.push(`seen ${String(epoch)}`);
          return Promise.resolve();
        },
        sendPolicy: (policy) => {
          harness.policies.push(policy);
          harness.writes.push(`policy ${String(policy.generation)}`);
          return (
            options.sendPolicy?.(policy) ??
            Promise.resolve({
              names: policy.blocklist?.names.length ?? 0,
              networks: policy.blocklist?.networks.length ?? 0,
            })
          );
        },
      },
      push:
        options.push ??
        ((channel) => {
          harness.pushes.push(channel);
        }),
      log: new RateLimitedLog(
        (line) => lines.push(line),
        () => clock.now,
      ),
      ...(options.storageUnavailable === undefined ? {} : { storageUnavailable: options.storageUnavailable }),
      ...(options.storageRetryMs === undefined ? {} : { storageRetryMs: options.storageRetryMs }),
      ...(options.system === undefined ? {} : { system: options.system }),
      ...(options.connectionLogPath === undefined ? {} : { connectionLogPath: options.connectionLogPath }),
      ...(options.blocklistCacheDir === undefined ? {} : { blocklistCacheDir: options.blocklistCacheDir }),
      ...(options.blocklistCa === undefined ? {} : { blocklistCa: options.blocklistCa }),
      ...(options.blocklistMaxBytes === undefined ? {} : { blocklistMaxBytes: options.blocklistMaxBytes }),
    },
    clock.now,
  );
  return Object.assign(harness, { runtime, handlers: createHandlers(runtime, () => clock.now) });
}
