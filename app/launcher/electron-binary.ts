import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds the Electron executable the `electron` npm package would start, without requiring the
 * package: requiring it where the binary is absent tries a download, which fails offline.
 * Returns null when no binary can be had.
 */
export function findElectronBinary(packageDir: string): string | null {
  const pathFile = path.join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  if (relative === '') return null;
  const binary = path.join(packageDir, 'dist', relative);
  return existsSync(binary) ? binary : null;
}
