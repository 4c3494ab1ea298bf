import { chmodSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkFacts } from '../contract/network.ts';
import type { SessionLink } from '../driver-client/driver-session.ts';
import { networkFacts } from '../engine/testing-network.ts';
import { openStore } from '../store/index.ts';
import { ruleInput } from '../store/test-support/fixtures.ts';
import { createHost } from './host.ts';
import { DataDirInUse } from './instance-lock.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { tempDbPath } from './test-support/harness.ts';

type Sent = Parameters<SessionLink['send']>[0];

/** A driver link that delivers one held connection of pid 0 and records the commands sent to it. */
function heldConnectionLink(sent: Sent[]): SessionLink {
  let release: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (release = resolve));
  return {
    async *infos() {
      yield {
        kind: 'connection',
        ipVersion: 4,
        id: 9n,
        processId: 0n,
        direction: 0,
        protocol: 6,
        localIp: Uint8Array.of(10, 0, 0, 1),
        localPort: 40_000,
        remoteIp: Uint8Array.of(10, 0, 0, 2),
        remotePort: 443,
        payloadLayer: 3,
        payload: new Uint8Array(),
      } as const;
      await closed;
    },
    send: (command) => {
      sent.push(command);
      return Promise.resolve();
    },
    hello: () =>
      Promise.resolve({
        kind: 'helloReply',
        version: [2, 1, 0, 0],
        extVersion: 1,
        features: 7,
        driverKind: 2,
      } as const),
    close: () => {
      release();
      return Promise.resolve();
    },
  };
}

describe('createHost', () => {
  it('stops with every held connection answered when the database has gone away under it', async () => {
    const sent: Sent[] = [];
    const lines: string[] = [];
    const host = createHost({
      dataDir: path.dirname(tempDbPath()),
      connect: () => Promise.resolve(heldConnectionLink(sent)),
      push: () => undefined,
      log: new RateLimitedLog((line) => lines.push(line)),
    });
    host.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(host.runtime.engine.listPrompts()).toHaveLength(1);
    // The database goes away under the running host: the last tick of the shutdown meets it.
    host.runtime.store.close();
    await expect(host.stop()).resolves.toBe(1);
    // The default action, block (protocol verdict 4), reached the driver before the link closed.
    expect(sent.filter((command) => command.kind === 'verdict')).toEqual([{ kind: 'verdict', id: 9n, verdict: 4 }]);
    expect(host.runtime.status(Date.now()).storage).toBe('failed');
  });

  it('keeps its data directory to the owner: made 0700, or tightened and said so', async () => {
    const parent = path.dirname(tempDbPath());
    const lines: string[] = [];
    const log = new RateLimitedLog((line) => lines.push(line));
    const fresh = path.join(parent, 'new', 'data');
    /** A host on `dataDir` whose driver never answers, stopped at once. */
    const startAndStop = async (dataDir: string): Promise<void> => {
      await createHost({ dataDir, connect: () => new Promise(() => undefined), push: () => undefined, log }).stop();
    };
    await startAndStop(fresh);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(fresh, 'zenithfence.sqlite'))).toBe(true);
    expect(statSync(path.join(fresh, 'instance.lock')).mode & 0o777).toBe(0o600);
    const loose = path.join(parent, 'loose');
    await startAndStop(loose);
    chmodSync(loose, 0o755);
    await startAndStop(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o700);
    expect(lines.some((line) => line.includes(loose) && line.includes('0755'))).toBe(true);
  });

  it('refuses a data directory another host uses, and takes it once that one has stopped', async () => {
    const dataDir = path.dirname(tempDbPath());
    const log = new RateLimitedLog(() => undefined);
    const options = { dataDir, connect: () => new Promise<never>(() => undefined), push: () => undefined, log };
    const first = createHost(options);
    expect(() => createHost(options)).toThrow(DataDirInUse);
    expect(() => createHost(options)).toThrow(/another ZenithFence is already running with the data directory/);
    await first.stop();
    await createHost(options).stop();
  });

  it("takes over the desktop app's earlier database once, and never over one it already has", async () => {
    const earlierDir = path.dirname(tempDbPath());
    const dataDir = path.join(path.dirname(tempDbPath()), 'zenithfence');
    const lines: string[] = [];
    const log = new RateLimitedLog((line) => lines.push(line));
    const earlier = openStore(path.join(earlierDir, 'zenithfence.sqlite'));
    earlier.rules.create(ruleInput({ notes: 'made by an earlier release' }), 1);
    earlier.close();
    const options = {
      dataDir,
      earlierDataDir: earlierDir,
      connect: () => new Promise<never>(() => undefined),
      push: () => undefined,
      log,
    };

    const first = createHost(options);
    expect(first.runtime.engine.listRules().map((rule) => rule.notes)).toEqual(['made by an earlier release']);
    expect(existsSync(path.join(earlierDir, 'zenithfence.sqlite'))).toBe(false);
    expect(lines.some((line) => line.includes('moved the database') && line.includes(earlierDir))).toBe(true);
    await first.stop();

    // Another database appears where the earlier one was: the data directory keeps its own.
    const stray = openStore(path.join(earlierDir, 'zenithfence.sqlite'));
    stray.rules.create(ruleInput({ notes: 'stray' }), 2);
    stray.close();
    const second = createHost(options);
    expect(second.runtime.engine.listRules().map((rule) => rule.notes)).toEqual(['made by an earlier release']);
    await second.stop();
  });
});

describe('createHost: a platform network watcher (Windows)', () => {
  it('feeds its facts to the engine as network events, and is stopped with the host', async () => {
    const lines: string[] = [];
    const log = new RateLimitedLog((line) => lines.push(line));
    let stopped = 0;
    let deliver: (facts: NetworkFacts) => void = () => undefined;
    const host = createHost({
      dataDir: path.dirname(tempDbPath()),
      connect: () => Promise.reject(new Error('no driver in this test')),
      push: () => undefined,
      log,
      networkWatcher: (onFacts) => {
        deliver = onFacts;
        return { stop: () => void stopped++ };
      },
    });
    host.start();
    deliver(networkFacts(3));
    expect(host.runtime.status(Date.now()).profile).toMatchObject({
      reason: 'unknown-network',
      question: { key: 'mac=02:00:00:00:00:03' },
    });
    await host.stop();
    expect(stopped).toBe(1);
  });
});
