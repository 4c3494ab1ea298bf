import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../headless/exit-codes.ts';
import { launchHeadless } from './headless-launch.ts';

// What `npm start` answers before it starts anything. What it starts (the daemon, the engine,
// the stop on Ctrl-C) and its non-root path run for real in e2e/first-run.spec.ts.
const REPO = path.resolve(import.meta.dirname, '..', '..');

afterEach(() => vi.restoreAllMocks());

describe('launchHeadless', () => {
  it('prints the version and the usage, exit 0', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(await launchHeadless(REPO, ['--version'])).toBe(EXIT.ok);
    expect(log).toHaveBeenLastCalledWith(`zenithfence ${version}`);
    expect(await launchHeadless(REPO, ['--help'])).toBe(EXIT.ok);
    expect(log.mock.lastCall?.[0]).toMatch(/^Usage: npm start -- \[--no-browser\]/);
    expect(log.mock.lastCall?.[0]).toContain('--max-connections N');
  });

  it('refuses a wrong command line with exit code 2 before starting anything', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await launchHeadless(REPO, ['--port=70000'])).toBe(EXIT.usage);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.lastCall?.[0]).toMatch(/^zenithfence: --port: /);
    expect(await launchHeadless(REPO, ['--browser'])).toBe(EXIT.usage);
    expect(error).toHaveBeenLastCalledWith("zenithfence: unknown option '--browser' (see --help)");
  });
});
