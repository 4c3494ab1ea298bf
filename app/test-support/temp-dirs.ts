import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

// Directories made by the current test file. Vitest isolates modules per test file, so this
// list, and the one hook below, belong to the file that imported this module.
const made: string[] = [];

// Registered when a test file first imports this module (imports run before its suites are
// collected), so it runs once after all of that file's tests. A database a test left open is
// removed too: on Linux an open file can be unlinked.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new private (0700) directory under the temporary directory, removed after this test file. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
