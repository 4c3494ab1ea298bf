// The checkpoint thread under Node for Windows in Wine: a worker thread with its own node:sqlite
// connection, the Atomics handshake at stop, and the writer taking over when the thread fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWindowsProgram, windowsPath } from '../../native/test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../native/test-support/wine/wine-suite.ts';

const { setup, skipReason } = wineSuite();
const PROGRAM = fileURLToPath(new URL('./test-support/wal-checkpoint-check.ts', import.meta.url));

interface Observed {
  readonly platform: string;
  readonly written: { readonly mode: string; readonly before: number; readonly after: number };
  readonly walLeft: boolean;
  readonly fallback: { readonly mode: string; readonly created: boolean };
  readonly problems: readonly string[];
}

describe.skipIf(skipReason !== undefined)('background checkpoints under Wine', () => {
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'zf-wine-checkpoints-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('copy the WAL from their thread, stop cleanly, and hand over to the writer when they cannot open', async () => {
    const { result } = await runWindowsProgram<Observed>(
      requireSetup(setup),
      PROGRAM,
      { dir: windowsPath(work) },
      work,
    );
    expect(result.platform).toBe('win32');
    expect(result.written.mode).toBe('background');
    expect(result.written.after).toBeGreaterThan(result.written.before);
    expect(result.walLeft).toBe(false);
    expect(result.fallback).toEqual({ mode: 'writer', created: false });
    expect(result.problems.join('\n')).toMatch(/could not open the database/);
    expect(result.problems.join('\n')).toMatch(/the writer checkpoints again/);
  });
});
