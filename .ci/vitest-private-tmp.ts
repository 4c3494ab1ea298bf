import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Vitest global setup: every test file's temporary files go to one private directory (mode
 * 0700, made by mkdtemp) that is removed when the run ends, so a test that forgets to clean up
 * still leaves nothing in the system's temporary directory. Workers start after this runs and
 * inherit TMPDIR, which os.tmpdir() reads.
 */
export function setup(): () => void {
  const previous = process.env['TMPDIR'];
  const dir = mkdtempSync(path.join(tmpdir(), 'zf-vitest-'));
  process.env['TMPDIR'] = dir;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
