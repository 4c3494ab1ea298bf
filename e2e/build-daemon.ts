import { spawnSync } from 'node:child_process';
import path from 'node:path';

// Playwright's global setup: the end-to-end tests run the release zenithfenced, so it is built
// from this checkout first. Without this a run after a Rust change would test whatever binary an
// earlier build left in driver/target (a no-op when it is up to date: cargo checks in about a second).
const REPO = path.resolve(import.meta.dirname, '..');

export function buildDaemon(): void {
  const result = spawnSync(
    'cargo',
    ['build', '--release', '--quiet', '-p', 'zenithfenced', '--manifest-path', path.join(REPO, 'driver', 'Cargo.toml')],
    { stdio: 'inherit' },
  );
  if (result.error !== undefined) throw new Error(`could not run cargo to build zenithfenced: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`building zenithfenced failed (cargo exited with ${String(result.status)})`);
}

// Playwright loads a global setup through the default export.
export default buildDaemon;
