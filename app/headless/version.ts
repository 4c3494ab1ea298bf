import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** The product's version: package.json's, the one file that states it. */
export function productVersion(repoRoot: string): string {
  const text = readFileSync(path.join(repoRoot, 'package.json'), 'utf8');
  return z.object({ version: z.string().min(1) }).parse(JSON.parse(text)).version;
}
