import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Vitest global setup: every test file's temporary files go to one private directory (mode
 * 0700, made by mkdtemp) that is removed when the run ends, so the system's temporary directory
 * stays clean whatever happens. Workers start after this runs and inherit TMPDIR, which
 * os.tmpdir() reads. Tests clean up after themselves (app/test-support/temp-dirs.ts): what one
 * left behind fails the run, named, so it is fixed where it happens.
 */
// Caches the tools keep there (eslint's config loader, Node's compile cache), not test output;
// .ci/test.mjs knows the same names.
const TOOL_CACHES = new Set(['jiti', 'node-compile-cache']);

export function setup(): () => void {
  const previous = process.env['TMPDIR'];
  const dir = mkdtempSync(path.join(tmpdir(), 'zf-vitest-'));
  process.env['TMPDIR'] = dir;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    const left = readdirSync(dir).filter((name) => !TOOL_CACHES.has(name));
    rmSync(dir, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(`tests left ${left.length} entries in the temporary directory: ${left.slice(0, 20).join(', ')}`);
    }
  };
}
