// The engine's process directory is the one place that remembers processes (app/engine/README.md,
// "One connection, one destination, one process directory"): the runtime keeps no pid map of its
// own, and what the directory keeps goes when the system port says the process exited.
import { describe, expect, it } from 'vitest';
import type { ConnectionRequest, ProcessInfo } from '../contract/driver-events.ts';
import type { SystemPort } from './runtime.ts';
import { CURL, startRuntime } from './test-support/harness.ts';

function processOf(pid: number, path = CURL): ProcessInfo {
  return { pid, startTime: BigInt(pid), uid: 1000 + (pid % 7), path, commandLine: [path] };
}

/** A connection that names only its pid, as the driver client hands it on. */
function connection(id: number, pid: number): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: BigInt(id),
    direction: 'outbound',
    ipVersion: 4,
    flow: { protocol: 6, localIp: '10.0.0.1', localPort: 10_000 + id, remoteIp: '93.184.216.34', remotePort: 443 },
    pid,
    process: null,
  };
}

function systemOf(alive: ReadonlySet<number>): SystemPort {
  return { processAlive: (pid) => alive.has(pid), reverseLookup: () => Promise.resolve([]) };
}

describe('Runtime: processes that exit', () => {
  it('forgets every process the system says exited, also those no prompt waits for', () => {
    const alive = new Set<number>();
    const h = startRuntime({ system: systemOf(alive) });
    const rule = h.runtime.engine.addRule(
      {
        app: { kind: 'path', path: CURL },
        destination: { kind: 'any' },
        port: { kind: 'any' },
        protocol: 'any',
        direction: 'any',
        action: 'allow',
        duration: { kind: 'until-app-quits' },
        enabled: true,
        notes: '',
      },
      1_000,
    );
    expect(rule.ok).toBe(true);
    for (let pid = 1000; pid < 3000; pid++) {
      alive.add(pid);
      h.runtime.handleEvent({ kind: 'process', process: processOf(pid) }, 1_100);
      h.runtime.handleEvent(connection(pid, pid), 1_100);
    }
    expect(h.verdicts).toHaveLength(2000);
    expect(new Set(h.verdicts.map(([, verdict]) => verdict))).toEqual(new Set(['permanent-accept']));
    expect(h.runtime.engine.knownPids()).toHaveLength(2000);
    for (let pid = 1000; pid < 2999; pid++) alive.delete(pid);
    h.runtime.tick(2_000);
    expect(h.runtime.engine.knownPids()).toEqual([2999]);
    // One curl still runs: its "until the app quits" rule stays.
    expect(h.runtime.engine.listRules()).toHaveLength(1);
    alive.delete(2999);
    h.runtime.tick(3_000);
    expect(h.runtime.engine.knownPids()).toEqual([]);
    expect(h.runtime.engine.listRules()).toEqual([]);
    h.store.close();
  });

  it('records the uid of a connection whose process exited before its history row was written', () => {
    const alive = new Set([42]);
    const h = startRuntime({ system: systemOf(alive) });
    h.runtime.applySettings({ ...h.runtime.settings, holdTimeoutSeconds: 0, defaultAction: 'allow' });
    h.runtime.handleEvent({ kind: 'process', process: processOf(42) }, 1_100);
    h.runtime.handleEvent(connection(1, 42), 1_100);
    alive.delete(42);
    h.runtime.tick(2_000);
    expect(h.runtime.engine.knownPids()).toEqual([]);
    const rows = h.store.history.query({ since: 0, until: 10_000, limit: 10 });
    expect(rows.map((row) => [row.pid, row.uid, row.appPath])).toEqual([[42, processOf(42).uid, CURL]]);
    h.store.close();
  });
});
