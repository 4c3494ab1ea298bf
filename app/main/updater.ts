// electron-updater behind UpdateChecks (update-checks.ts has the logic and the reasons).
import { app } from 'electron';
import { hasReleaseFeed, UpdateChecks, type UpdateChecksOptions } from './update-checks.ts';

/**
 * Starts the update checks when this build has a release feed. Without one, electron-updater
 * is not even loaded, and nothing is asked of any server: resolves with null. Rejects only when
 * the updater cannot be loaded or made (the caller logs it).
 */
export async function startUpdateChecks(options: Omit<UpdateChecksOptions, 'updater'>): Promise<UpdateChecks | null> {
  if (!hasReleaseFeed(app.isPackaged, process.resourcesPath)) return null;
  const { default: electronUpdater } = await import('electron-updater');
  const checks = new UpdateChecks({ ...options, updater: electronUpdater.autoUpdater });
  checks.start();
  return checks;
}
