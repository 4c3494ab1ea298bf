import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** What electron-builder writes into the resources folder, and only when `publish` is configured. */
export const UPDATE_FEED_FILE = 'app-update.yml';
/** A check at start, then one a day. */
export const CHECK_INTERVAL_MS = 24 * 60 * 60_000;

/**
 * Whether this build has a release feed to check: a packaged app whose resources hold
 * app-update.yml. Without one (a development run, or a build whose `publish` is off, the
 * default) the updater is never made and nothing is asked of any server.
 */
export function hasReleaseFeed(
  packaged: boolean,
  resourcesPath: string | undefined,
  exists: (file: string) => boolean = existsSync,
): boolean {
  return packaged && resourcesPath !== undefined && exists(path.join(resourcesPath, UPDATE_FEED_FILE));
}

/** What UpdateChecks uses of electron-updater's autoUpdater (injectable: tests give their own). */
export interface UpdaterPort {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  checkForUpdates(): Promise<unknown>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(): void;
  on(event: 'update-available' | 'update-downloaded', listener: (info: { readonly version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface UpdateNotice {
  readonly title: string;
  readonly body: string;
}

export interface UpdateChecksOptions {
  readonly updater: UpdaterPort;
  /** Asked before each check, so a change of the setting applies from the next one. */
  allowed(): boolean;
  /** Shows a notification; `onClick` runs when the user clicks it. */
  notify(notice: UpdateNotice, onClick: () => void): void;
  /** Told what failed (the host's rate-limited log). */
  log(where: string, error: unknown): void;
  /** Runs `task` every `ms` (default setInterval). */
  every?(ms: number, task: () => void): void;
}

// The feed is a remote document: only a plausible version string is shown to the user.
const releaseInfo = z.object({ version: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/) });

/**
 * Update checks with electron-updater: at start and every 24 hours, when the user allows it.
 * Nothing is downloaded or installed by itself (autoDownload and autoInstallOnAppQuit off): a
 * found update is told in a notification, a click downloads it, and a second notification
 * offers to restart and install. Installing replaces the driver service and restarts the
 * firewall, so it happens only when the user says so, not at some later quit (a logout or a
 * shutdown, when an installer asking for elevation cannot be answered). An update the user did
 * not take is told again at the next daily check. Every failure is logged, never thrown.
 */
export class UpdateChecks {
  readonly #options: UpdateChecksOptions;
  #phase: 'idle' | 'checking' | 'downloading' | 'downloaded' = 'idle';
  #downloaded: string | null = null;

  constructor(options: UpdateChecksOptions) {
    this.#options = options;
    const updater = options.updater;
    updater.autoDownload = false;
    updater.autoInstallOnAppQuit = false;
    updater.on('update-available', (info) => this.#contained('update available', () => this.#available(info)));
    updater.on('update-downloaded', (info) => this.#contained('update downloaded', () => this.#ready(info)));
    updater.on('error', (error) => options.log('update', error));
  }

  /** The check at start, and the daily ones. */
  start(): void {
    void this.check();
    const every = this.#options.every ?? ((ms, task) => void setInterval(task, ms));
    every(CHECK_INTERVAL_MS, () => void this.check());
  }

  /** One check (resolves when it is done; never rejects). */
  async check(): Promise<void> {
    if (this.#phase === 'downloaded' && this.#downloaded !== null) return this.#offerInstall(this.#downloaded);
    if (this.#phase !== 'idle') return;
    if (!this.#allowed()) return;
    this.#phase = 'checking';
    try {
      await this.#options.updater.checkForUpdates();
    } catch (error) {
      this.#options.log('update check', error);
    } finally {
      if (this.#phase === 'checking') this.#phase = 'idle';
    }
  }

  /** What a click on "update available" does; resolves when the download is done or failed. */
  async download(): Promise<void> {
    if (this.#phase === 'downloading' || this.#phase === 'downloaded') return;
    this.#phase = 'downloading';
    try {
      await this.#options.updater.downloadUpdate();
    } catch (error) {
      this.#options.log('update download', error);
      // The next daily check offers it again.
      if (this.#phase === 'downloading') this.#phase = 'idle';
    }
  }

  #allowed(): boolean {
    try {
      return this.#options.allowed();
    } catch (error) {
      this.#options.log('update setting', error);
      return false;
    }
  }

  #available(info: unknown): void {
    if (this.#phase === 'downloading' || this.#phase === 'downloaded') return;
    const version = releaseInfo.parse(info).version;
    this.#options.notify(
      {
        title: `ZenithFence ${version} is available`,
        body: 'Click to download it. It is installed only when you choose to restart ZenithFence.',
      },
      () => void this.download(),
    );
  }

  #ready(info: unknown): void {
    const version = releaseInfo.parse(info).version;
    this.#phase = 'downloaded';
    this.#downloaded = version;
    this.#offerInstall(version);
  }

  #offerInstall(version: string): void {
    this.#options.notify(
      {
        title: `ZenithFence ${version} is ready to install`,
        body: 'Click to restart ZenithFence and install it. Connections waiting for an answer get the default action.',
      },
      () => this.#contained('update install', () => this.#options.updater.quitAndInstall()),
    );
  }

  #contained(where: string, task: () => void): void {
    try {
      task();
    } catch (error) {
      this.#options.log(where, error);
    }
  }
}
