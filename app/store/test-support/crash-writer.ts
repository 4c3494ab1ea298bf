// Child process for crash-safety.test.ts: inserts history batches until killed and prints each
// batch number once its transaction has committed. The test SIGKILLs it mid-stream.
// Usage: node crash-writer.ts <db path> <normal|full> <rows per batch>
import { writeSync } from 'node:fs';
import { openStore } from '../open-store.ts';
import { historyRow } from './fixtures.ts';

// A safety net: if the parent never kills us, stop on our own.
const MAX_BATCHES = 100_000;
const DEADLINE_MS = 15_000;

function main(dbPath: string, durability: string, rowsPerBatch: number): void {
  const deadline = Date.now() + DEADLINE_MS;
  const store = openStore(dbPath, { durability: durability === 'full' ? 'full' : 'normal' });
  for (let batch = 0; batch < MAX_BATCHES && Date.now() < deadline; batch++) {
    // startedAt carries the batch number, so the test can count rows per batch.
    const rows = Array.from({ length: rowsPerBatch }, (_, i) =>
      historyRow(`b${batch}-r${i}`, { appPath: `/batch/${batch}`, startedAt: batch, bytesSent: i }),
    );
    store.history.insertBatch(rows);
    // Synchronous write: the number is out before the next batch starts.
    writeSync(1, `${batch}\n`);
  }
  store.close();
}

if (import.meta.main) {
  const [dbPath, durability = 'normal', rows = '50'] = process.argv.slice(2);
  if (dbPath === undefined) throw new Error('usage: crash-writer.ts <db path> <normal|full> <rows per batch>');
  main(dbPath, durability, Number(rows));
}
