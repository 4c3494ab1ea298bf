import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../test-support/temp-dirs.ts';
import {
  CHECK_INTERVAL_MS,
  hasReleaseFeed,
  UPDATE_FEED_FILE,
  UpdateChecks,
  type UpdateNotice,
  type UpdaterPort,
} from './update-checks.ts';

/** An updater that answers like electron-updater's: events during check and download. */
class FakeUpdater extends EventEmitter implements UpdaterPort {
  autoDownload = true;
  autoInstallOnAppQuit = true;
  /** What the next check finds: a version, nothing, or a failure. */
  found: string | null | Error = null;
  downloadFails = false;
  installFails = false;
  checks = 0;
  downloads = 0;
  installs = 0;

  async checkForUpdates(): Promise<unknown> {
    this.checks += 1;
    await Promise.resolve();
    if (this.found instanceof Error) throw this.found;
    if (this.found !== null) this.emit('update-available', { version: this.found, files: [] });
    return null;
  }

  async downloadUpdate(): Promise<unknown> {
    this.downloads += 1;
    await Promise.resolve();
    if (this.downloadFails) throw new Error('net::ERR_CONNECTION_RESET');
    this.emit('update-downloaded', { version: this.found, downloadedFile: '/tmp/x.exe' });
    return [];
  }

  quitAndInstall(): void {
    if (this.installFails) throw new Error('installer missing');
    this.installs += 1;
  }
}

function setup(allowed: () => boolean = () => true) {
  const updater = new FakeUpdater();
  const notices: Array<{ notice: UpdateNotice; click: () => void }> = [];
  const logged: string[] = [];
  const scheduled: Array<{ ms: number; task: () => void }> = [];
  const checks = new UpdateChecks({
    updater,
    allowed,
    notify: (notice, click) => notices.push({ notice, click }),
    log: (where, error) => logged.push(`${where}: ${error instanceof Error ? error.message : String(error)}`),
    every: (ms, task) => scheduled.push({ ms, task }),
  });
  return { updater, notices, logged, scheduled, checks };
}

/** Lets the fake's promises and the checks' continuations run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('hasReleaseFeed', () => {
  it('is true only for a packaged app whose resources hold app-update.yml', () => {
    const resources = testTempDir('zf-resources-');
    expect(hasReleaseFeed(true, resources)).toBe(false);
    writeFileSync(path.join(resources, UPDATE_FEED_FILE), 'provider: generic\nurl: https://example.invalid/\n');
    expect(hasReleaseFeed(true, resources)).toBe(true);
    expect(hasReleaseFeed(false, resources)).toBe(false);
    expect(hasReleaseFeed(true, undefined)).toBe(false);
    const elsewhere = path.join(resources, 'other');
    mkdirSync(elsewhere);
    expect(hasReleaseFeed(true, elsewhere)).toBe(false);
  });
});

describe('UpdateChecks', () => {
  it('checks at start and daily, downloads only on a click, installs only on a second click', async () => {
    const { updater, notices, scheduled, checks, logged } = setup();
    updater.found = '1.2.3';
    checks.start();
    await settle();
    expect([updater.autoDownload, updater.autoInstallOnAppQuit]).toEqual([false, false]);
    expect(updater.checks).toBe(1);
    expect(scheduled.map((entry) => entry.ms)).toEqual([CHECK_INTERVAL_MS]);
    expect(notices.map((n) => n.notice.title)).toEqual(['ZenithFence 1.2.3 is available']);
    expect(updater.downloads).toBe(0);

    notices[0]?.click();
    await settle();
    expect(updater.downloads).toBe(1);
    expect(notices.map((n) => n.notice.title)).toEqual([
      'ZenithFence 1.2.3 is available',
      'ZenithFence 1.2.3 is ready to install',
    ]);
    expect(updater.installs).toBe(0);

    // The next day's check reminds of the downloaded update without asking the server again.
    scheduled[0]?.task();
    await settle();
    expect(updater.checks).toBe(1);
    expect(notices.at(-1)?.notice.title).toBe('ZenithFence 1.2.3 is ready to install');
    notices.at(-1)?.click();
    expect(updater.installs).toBe(1);
    expect(logged).toEqual([]);
  });

  it('does not check while the user does not allow it, and does from the next check once allowed', async () => {
    let allowed = false;
    const { updater, scheduled, checks, notices } = setup(() => allowed);
    updater.found = '2.0.0';
    checks.start();
    await settle();
    expect(updater.checks).toBe(0);
    allowed = true;
    scheduled[0]?.task();
    await settle();
    expect(updater.checks).toBe(1);
    expect(notices).toHaveLength(1);
  });

  it('logs every failure and goes on: a check, a download, a bad feed, an install', async () => {
    const { updater, notices, checks, logged } = setup();
    updater.found = new Error('getaddrinfo ENOTFOUND updates.example');
    await expect(checks.check()).resolves.toBeUndefined();
    updater.emit('error', new Error('sha512 checksum mismatch'));

    updater.found = '<img src=x>';
    await checks.check();
    expect(notices).toEqual([]);

    updater.found = '1.0.1';
    updater.downloadFails = true;
    await checks.check();
    notices[0]?.click();
    await settle();
    // The download failed: the next check offers the update again.
    updater.downloadFails = false;
    updater.installFails = true;
    await checks.check();
    notices[1]?.click();
    await settle();
    notices[2]?.click();
    expect(notices.map((n) => n.notice.title)).toEqual([
      'ZenithFence 1.0.1 is available',
      'ZenithFence 1.0.1 is available',
      'ZenithFence 1.0.1 is ready to install',
    ]);
    expect(logged).toEqual([
      'update check: getaddrinfo ENOTFOUND updates.example',
      'update: sha512 checksum mismatch',
      expect.stringMatching(/^update available: /),
      'update download: net::ERR_CONNECTION_RESET',
      'update install: installer missing',
    ]);
  });
});
