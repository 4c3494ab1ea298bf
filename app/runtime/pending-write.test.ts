import { describe, expect, it } from 'vitest';
import { PendingWrite } from './pending-write.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { StorageGuard } from './storage-guard.ts';

// The guard is the real one; the write is a stand-in that fails as a full disk does (the
// profiles' and learning's real writes on a full tmpfs: storage-full.test.ts).
function setup() {
  const lines: string[] = [];
  const storage = new StorageGuard({
    log: new RateLimitedLog((line) => lines.push(line)),
    onChange: () => undefined,
    retryMs: 1000,
  });
  const written: string[] = [];
  let full = false;
  const pending = new PendingWrite<string>('profiles', storage, (value) => {
    if (full) throw Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });
    written.push(value);
  });
  return { pending, storage, written, lines, fill: (on: boolean) => (full = on) };
}

describe('PendingWrite', () => {
  it('writes at once while the storage takes writes', () => {
    const { pending, written } = setup();
    pending.set('a', 0);
    pending.set('b', 1);
    expect(written).toEqual(['a', 'b']);
  });

  it('keeps a value the disk refused and writes it once the storage takes writes again', () => {
    const { pending, storage, written, fill } = setup();
    fill(true);
    pending.set('stop learning', 0);
    expect(written).toEqual([]);
    expect(storage.state).not.toBe('ok');
    fill(false);
    pending.flush(500); // the guard holds writes back until its retry time
    expect(written).toEqual([]);
    pending.flush(1000);
    expect(written).toEqual(['stop learning']);
    pending.flush(2000);
    expect(written).toEqual(['stop learning']);
  });

  it('writes only the latest of the values set while the disk was full', () => {
    const { pending, written, fill } = setup();
    fill(true);
    pending.set('a', 0);
    pending.set('b', 10);
    fill(false);
    pending.flush(1000);
    expect(written).toEqual(['b']);
  });
});
