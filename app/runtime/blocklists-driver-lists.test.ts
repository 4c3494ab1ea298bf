import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { BlocklistManager } from './blocklists.ts';

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

describe('BlocklistManager.driverLists', () => {
  it('hands out the same object until the entries in force change (the driver client prepares it once)', async () => {
    const store = openStore(path.join(testTempDir('zf-driver-lists-'), 'db.sqlite'));
    open.push(store);
    const manager = new BlocklistManager({
      store,
      setLookup: () => undefined,
      clock: () => 1_000,
      cacheDir: null,
      log: () => undefined,
    });
    expect(manager.driverLists()).toBeUndefined();
    const file = path.join(testTempDir('zf-driver-lists-'), 'list.txt');
    writeFileSync(file, 'a.example\n10.0.0.0/8\n');
    const view = await manager.add({ name: 'A', path: file });
    const first = manager.driverLists();
    expect(first?.names).toEqual(['a.example']);
    expect(manager.driverLists()).toBe(first);
    manager.setEnabled(view.id, false);
    expect(manager.driverLists()).toBeUndefined();
    manager.setEnabled(view.id, true);
    const again = manager.driverLists();
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
