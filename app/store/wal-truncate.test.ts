import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import { dnsAnswer, historyRow } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';

describe('emptying the WAL while the checkpoint thread runs', () => {
  it('leaves no cleared DNS name in the files, even when the thread is checkpointing', async () => {
    const file = tempDbPath();
    // A thread that checkpoints all the time: the clear's own checkpoint meets it often (before
    // the retry, SQLite's busy answer left the names in the WAL in about 1 clear of 5).
    const store = openStore(file, { backgroundCheckpoints: { intervalMs: 1 } });
    const left: string[] = [];
    for (let round = 0; round < 20; round += 1) {
      const name = `cleared-${String(round)}-q7x.example`;
      // History in the WAL, so that the thread has pages to copy when the clear comes.
      const rows = Array.from({ length: 1000 }, (_, i) =>
        historyRow(`r${String(round)}-${String(i)}`, { startedAt: round * 10_000 + i }),
      );
      store.transaction(() => store.history.insertBatch(rows));
      store.dnsLog.insertBatch([dnsAnswer({ name }), ...Array.from({ length: 20 }, () => dnsAnswer())]);
      await new Promise((resolve) => setTimeout(resolve, (round * 7) % 20));
      store.dnsLog.clear();
      const wal = existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0);
      if (wal.includes(name) || readFileSync(file).includes(name)) left.push(name);
    }
    store.close();
    expect(left).toEqual([]);
  });
});
