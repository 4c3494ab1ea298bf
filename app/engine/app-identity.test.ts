import { describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../contract/driver-events.ts';
import { ProcessDirectory } from './app-identity.ts';
import { makeRequest } from './testing.ts';

function report(pid: number, path: string, uid = 1000, startTime = 1n): ProcessInfo {
  return { pid, startTime, uid, path, commandLine: [path] };
}

describe('ProcessDirectory', () => {
  it('remembers process details by pid for later requests without them, and their uid', () => {
    const directory = new ProcessDirectory();
    const first = makeRequest({ id: 1n, path: '/usr/bin/curl', pid: 7, uid: 1001 });
    directory.noteRequest(first);
    expect(directory.identify(first)).toEqual({ path: '/usr/bin/curl', label: '/usr/bin/curl', uid: 1001 });
    expect(directory.identify(makeRequest({ id: 2n, pid: 7 })).path).toBe('/usr/bin/curl');
    expect(directory.uidOf(7)).toBe(1001);
    directory.forget(7);
    expect(directory.uidOf(7)).toBeNull();
    expect(directory.identify(makeRequest({ id: 3n, pid: 7 })).label).toBe('unknown');
  });

  it('keeps what the driver reported apart from what a request carried (the system port)', () => {
    const directory = new ProcessDirectory();
    directory.learn(report(7, '', 1001));
    directory.noteRequest({ ...makeRequest({ id: 1n, pid: 7 }), process: report(7, 'C:\\curl.exe', 1001) });
    expect(directory.reportedOf(7)?.path).toBe('');
    expect(directory.identify(makeRequest({ id: 2n, pid: 7 })).path).toBe('C:\\curl.exe');
  });

  it('uses a pid-0 report for the next request only', () => {
    const directory = new ProcessDirectory();
    directory.learn(report(0, '', 1001));
    expect(directory.identify(makeRequest({ id: 1n, pid: 0 })).label).toBe('unknown (uid 1001)');
    expect(directory.identify(makeRequest({ id: 2n, pid: 0 })).label).toBe('unknown');
    expect(directory.size).toBe(0);
  });

  it('stays within its capacity however many pids pass, keeping the most recent', () => {
    const directory = new ProcessDirectory(64);
    for (let pid = 1; pid <= 100_000; pid++) {
      directory.learn(report(pid, `/opt/app-${pid % 10}`, pid));
      expect(directory.size).toBeLessThanOrEqual(64);
    }
    expect(directory.uidOf(100_000)).toBe(100_000);
    expect(directory.uidOf(1)).toBeNull();
  });

  it('evicts the least recently used: a process that keeps connecting stays while short-lived ones pass', () => {
    const directory = new ProcessDirectory(64);
    directory.learn(report(1, '/usr/bin/firefox'));
    for (let pid = 2; pid <= 10_000; pid++) {
      directory.learn(report(pid, `/opt/tool-${pid}`));
      // Firefox connects now and then, without details: the driver described it once.
      if (pid % 16 === 0)
        expect(directory.identify(makeRequest({ id: BigInt(pid), pid: 1 })).path).toBe('/usr/bin/firefox');
    }
    expect(directory.reportedOf(1)?.path).toBe('/usr/bin/firefox');
  });

  it('says an app quit when its last known process exits, not before, and not on eviction', () => {
    const directory = new ProcessDirectory(64);
    directory.learn(report(10, '/usr/bin/curl'));
    directory.learn(report(11, '/usr/bin/curl'));
    expect(directory.forget(10)).toBeNull();
    expect(directory.forget(11)).toBe('/usr/bin/curl');
    expect(directory.forget(11)).toBeNull();
    // Forgotten for room: whether it still runs is not known, so its app has not quit.
    directory.learn(report(12, '/usr/bin/wget'));
    for (let pid = 100; pid < 200; pid++) directory.learn(report(pid, '/opt/other'));
    expect(directory.reportedOf(12)).toBeUndefined();
    directory.learn(report(13, '/usr/bin/wget'));
    expect(directory.forget(13)).toBe('/usr/bin/wget');
  });

  it('says the old app quit when its only pid is reported again for another program', () => {
    const directory = new ProcessDirectory();
    expect(directory.learn(report(10, '/usr/bin/curl'))).toBeNull();
    expect(directory.learn(report(10, '/usr/bin/curl', 1000, 2n))).toBeNull();
    expect(directory.learn(report(10, '/usr/bin/wget', 1000, 3n))).toBe('/usr/bin/curl');
  });
});
