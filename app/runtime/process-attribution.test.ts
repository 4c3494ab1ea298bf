import { describe, expect, it } from 'vitest';
import type { ConnectionRequest, ProcessInfo } from '../contract/driver-events.ts';
import type { PromptGroup } from '../contract/views.ts';
import { attributeProcess } from './process-attribution.ts';
import type { ProcessFacts, SystemPort } from './runtime.ts';
import { startRuntime } from './test-support/harness.ts';

const NT_CURL = '\\Device\\HarddiskVolume3\\Windows\\System32\\curl.exe';
const DOS_CURL = 'C:\\Windows\\System32\\curl.exe';

function request(pid: number, process: ProcessInfo | null, id = 1n): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: id,
    direction: 'outbound',
    ipVersion: 4,
    flow: {
      protocol: 6,
      localIp: '10.0.0.1',
      localPort: 40000 + Number(id),
      remoteIp: '93.184.216.34',
      remotePort: 443,
    },
    pid,
    process,
  };
}

/** A system port that knows `facts` by pid and converts NT paths of volume 3; it records lookups. */
function windowsLike(facts: ReadonlyMap<number, ProcessFacts>): SystemPort & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    processAlive: (pid) => facts.has(pid),
    reverseLookup: () => Promise.resolve([]),
    describeProcess: (pid) => {
      asked.push(pid);
      return facts.get(pid);
    },
    appPath: (path) => path.replace(/^\\Device\\HarddiskVolume3(?=\\)/i, 'C:'),
  };
}

const CURL_FACTS: ProcessFacts = { path: DOS_CURL, uid: null, startTime: 133_000_000_000_000_000n };

describe('attributeProcess', () => {
  it('asks the system for a pid the driver sent no details of', () => {
    const system = windowsLike(new Map([[4242, CURL_FACTS]]));
    const event = attributeProcess(request(4242, null), system);
    expect(event.process).toEqual({
      pid: 4242,
      startTime: CURL_FACTS.startTime,
      uid: null,
      path: DOS_CURL,
      commandLine: [],
    });
    expect(system.asked).toEqual([4242]);
  });

  it('fills in only the path when the driver sent details without one, keeping what it saw', () => {
    const system = windowsLike(new Map([[4242, { ...CURL_FACTS, uid: 7 }]]));
    // The same process: the driver's start time is the one the system reports.
    const given: ProcessInfo = {
      pid: 4242,
      startTime: CURL_FACTS.startTime,
      uid: 1000,
      path: '',
      commandLine: ['curl', '-v'],
    };
    expect(attributeProcess(request(4242, given), system).process).toEqual({
      pid: 4242,
      startTime: CURL_FACTS.startTime,
      uid: 1000,
      path: DOS_CURL,
      commandLine: ['curl', '-v'],
    });
  });

  it('shows a driver-reported NT path as the DOS path, without asking the system', () => {
    const system = windowsLike(new Map());
    const given: ProcessInfo = { pid: 9, startTime: 1n, uid: null, path: NT_CURL, commandLine: [] };
    expect(attributeProcess(request(9, given), system).process?.path).toBe(DOS_CURL);
    expect(system.asked).toEqual([]);
  });

  it('leaves pid 0, unknown pids and other events as they are', () => {
    const system = windowsLike(new Map());
    const unknown = request(0, null);
    expect(attributeProcess(unknown, system)).toBe(unknown);
    const gone = request(77, null);
    expect(attributeProcess(gone, system)).toBe(gone);
    expect(system.asked).toEqual([77]);
    const dns = { kind: 'dns' as const, name: 'example.org', address: '93.184.216.34', ttlSeconds: 60 };
    expect(attributeProcess(dns, system)).toBe(dns);
  });
});

describe('Runtime with a system port', () => {
  it('prompts with the path the system gave for a pid-only connection', () => {
    const h = startRuntime({ system: windowsLike(new Map([[4242, CURL_FACTS]])) });
    h.runtime.handleEvent(request(4242, null), 1_500);
    const groups: PromptGroup[] = [...h.runtime.engine.listPrompts()];
    expect(groups[0]?.prompts[0]?.appPath).toBe(DOS_CURL);
    h.store.close();
  });

  it('still decides a connection when the lookup throws', () => {
    const system: SystemPort = {
      ...windowsLike(new Map()),
      describeProcess: () => {
        throw new Error('OpenProcess exploded');
      },
    };
    const h = startRuntime({ system });
    h.runtime.handleEvent(request(4242, null), 1_500);
    expect(h.runtime.engine.listPrompts()).toHaveLength(1);
    expect(h.lines.some((line) => line.includes('OpenProcess exploded'))).toBe(true);
    h.store.close();
  });
});
