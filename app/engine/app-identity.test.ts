import { describe, expect, it } from 'vitest';
import { ProcessDirectory } from './app-identity.ts';
import { makeRequest } from './testing.ts';

describe('ProcessDirectory', () => {
  it('remembers process details by pid for later requests without them, and their uid', () => {
    const directory = new ProcessDirectory();
    expect(directory.identify(makeRequest({ id: 1n, path: '/usr/bin/curl', pid: 7, uid: 1001 }))).toEqual({
      path: '/usr/bin/curl',
      label: '/usr/bin/curl',
      uid: 1001,
    });
    expect(directory.identify(makeRequest({ id: 2n, pid: 7 })).path).toBe('/usr/bin/curl');
    expect(directory.uidOf(7)).toBe(1001);
    directory.forget(7);
    expect(directory.uidOf(7)).toBeNull();
    expect(directory.identify(makeRequest({ id: 3n, pid: 7 })).label).toBe('unknown');
  });

  it('stays within its capacity however many pids pass, keeping the most recent', () => {
    const directory = new ProcessDirectory(64);
    for (let pid = 1; pid <= 100_000; pid++) {
      directory.identify(makeRequest({ id: BigInt(pid), path: `/opt/app-${pid % 10}`, pid, uid: pid }));
      expect(directory.size).toBeLessThanOrEqual(64);
    }
    expect(directory.uidOf(100_000)).toBe(100_000);
    expect(directory.uidOf(1)).toBeNull();
  });
});
