import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import { tempDbPath } from './test-support/temp-db.ts';

const ROWS_PER_BATCH = 50;
const WRITER = fileURLToPath(new URL('./test-support/crash-writer.ts', import.meta.url));

/** Runs the writer, SIGKILLs it once it has reported `killAfter` batches; resolves to every batch it reported. */
function runAndKill(dbPath: string, durability: 'normal' | 'full', killAfter: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dbPath, durability, String(ROWS_PER_BATCH)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reported: number[] = [];
    let pending = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      reported.push(...lines.map(Number));
      if (reported.length >= killAfter) child.kill('SIGKILL');
    });
    child.on('error', reject);
    // Lines still in the pipe after the kill arrive before 'close': those batches committed too.
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`writer exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

function batchSizes(dbPath: string): { integrity: unknown; sizes: Map<number, number> } {
  const db = new DatabaseSync(dbPath);
  try {
    const integrity = db.prepare('PRAGMA integrity_check').get()?.['integrity_check'];
    const rows = db.prepare('SELECT started_at AS batch, count(*) AS n FROM history GROUP BY started_at').all();
    return { integrity, sizes: new Map(rows.map((row) => [Number(row['batch']), Number(row['n'])])) };
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it('keeps every committed batch when the writer is SIGKILLed mid-stream (3 runs)', { timeout: 10_000 }, async () => {
    const runs = [
      { durability: 'normal', killAfter: 300 },
      { durability: 'normal', killAfter: 420 },
      { durability: 'full', killAfter: 350 },
    ] as const;
    for (const { durability, killAfter } of runs) {
      const dbPath = tempDbPath();
      const reported = await runAndKill(dbPath, durability, killAfter);
      expect(reported.length).toBeGreaterThanOrEqual(killAfter);
      expect(reported).toEqual(reported.map((_, i) => i));
      // Killed, not closed: the WAL is still there and recovery runs on the next open.
      expect(existsSync(`${dbPath}-wal`)).toBe(true);

      const { integrity, sizes } = batchSizes(dbPath);
      expect(integrity).toBe('ok');
      for (const batch of reported) expect(sizes.get(batch), `batch ${batch}`).toBe(ROWS_PER_BATCH);
      // Batches are atomic; at most one committed batch had not been reported yet.
      const last = reported.length - 1;
      for (const [batch, size] of sizes) {
        expect(size).toBe(ROWS_PER_BATCH);
        expect(batch).toBeLessThanOrEqual(last + 1);
      }

      const store = openStore(dbPath);
      expect(store.history.count()).toBe(sizes.size * ROWS_PER_BATCH);
      store.close();
    }
  });
});
