// Adversarial review (issue 12): a pid that lies. The driver saw the connection made by the
// process that started at `startTime`; when the system port's process under that pid started at
// another time, the pid was reused and its path names another program. Taking it would make the
// engine decide (and the prompt show) the connection as that other program's.
import { describe, expect, it } from 'vitest';
import type { ConnectionRequest, ProcessInfo } from '../contract/driver-events.ts';
import { attributeProcess } from './process-attribution.ts';
import type { ProcessFacts, SystemPort } from './runtime.ts';

const TRUSTED = 'C:\\Program Files\\Browser\\browser.exe';

function request(pid: number, process: ProcessInfo | null): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: 1n,
    direction: 'outbound',
    ipVersion: 4,
    flow: { protocol: 6, localIp: '10.0.0.1', localPort: 40001, remoteIp: '93.184.216.34', remotePort: 443 },
    pid,
    process,
  };
}

function systemWith(pid: number, facts: ProcessFacts): SystemPort {
  return {
    processAlive: (asked) => asked === pid,
    reverseLookup: () => Promise.resolve([]),
    describeProcess: (asked) => (asked === pid ? facts : undefined),
  };
}

describe('attributeProcess with a reused pid (review)', () => {
  it('does not give a connection the path of a later process that reuses its pid', () => {
    // The driver saw pid 4242 started at 5 (path unreadable at its layer); by the time the app
    // asks, pid 4242 is the browser, started at another time.
    const system = systemWith(4242, { path: TRUSTED, uid: null, startTime: 133_000_000_000_000_000n });
    const given: ProcessInfo = { pid: 4242, startTime: 5n, uid: null, path: '', commandLine: [] };
    const attributed = attributeProcess(request(4242, given), system).process;
    expect(attributed?.path).not.toBe(TRUSTED);
  });
});
