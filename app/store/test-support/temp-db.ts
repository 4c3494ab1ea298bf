import path from 'node:path';
import { testTempDir } from '../../test-support/temp-dirs.ts';

// Apart from fixtures.ts: that file also runs in child processes (crash-writer.ts), outside
// Vitest, where the cleanup hook of testTempDir cannot be registered.

/** A fresh database path in its own temporary directory, removed after the test file. */
export function tempDbPath(): string {
  return path.join(testTempDir('zf-store-'), 'zenithfence.db');
}
