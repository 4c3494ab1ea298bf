import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Proves that eslint.config.js enforces the layer table of ARCHITECTURE.md: each case lints a
// one-line file at a path in the layer and checks whether no-restricted-imports fires.
const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function restrictedImportErrors(filePath: string, source: string): Promise<number> {
  const [result] = await eslint.lintText(source, { filePath });
  if (result === undefined) throw new Error(`eslint returned no result for ${filePath}`);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
}

const BANNED: Array<[layer: string, file: string, source: string]> = [
  ['renderer', 'renderer/src/x.ts', "import { app } from 'electron';"],
  ['renderer', 'renderer/src/x.ts', "import { readFileSync } from 'node:fs';"],
  ['renderer', 'renderer/src/x.ts', "import { x } from '../../app/main/main.ts';"],
  ['renderer', 'renderer/src/x.ts', "import { x } from '../../native/src/codec/info-reader.ts';"],
  ['contract', 'app/contract/x.ts', "import { readFileSync } from 'fs';"],
  ['contract', 'app/contract/x.ts', "import { ipcMain } from 'electron';"],
  ['contract', 'app/contract/x.ts', "import { x } from '../engine/decide.ts';"],
  ['engine', 'app/engine/x.ts', "import { ipcMain } from 'electron';"],
  ['engine', 'app/engine/x.ts', "import { writeFileSync } from 'node:fs';"],
  ['engine', 'app/engine/x.ts', "import { openDriver } from '../../native/src/index.ts';"],
  ['shell', 'app/main/x.ts', "import { useState } from 'react';"],
  ['shell', 'app/main/x.ts', "import { openDriver } from '../../native/src/index.ts';"],
  ['platform', 'app/platform/x.ts', "import { app } from 'electron';"],
  ['platform', 'app/platform/x.ts', "import { useState } from 'react';"],
  ['platform', 'app/platform/x.ts', "import { openDriver } from '../../native/src/open-driver.ts';"],
  ['platform', 'app/platform/x.ts', "import { AppTray } from '../main/tray.ts';"],
  ['binding', 'native/src/codec/x.ts', "import { app } from 'electron';"],
  ['binding', 'native/src/codec/x.ts', "import { load } from 'ffi-rs';"],
  ['binding', 'native/src/x.ts', "import { x } from '../../app/engine/decide.ts';"],
  ['e2e', 'e2e/x.spec.ts', "import { x } from '../app/engine/decide.ts';"],
  ['e2e', 'e2e/x.spec.ts', "import { x } from '../native/src/index.ts';"],
  ['e2e', 'e2e/x.spec.ts', "import { encodeInfos } from '../native/src/codec/index.ts';"],
];

const ALLOWED: Array<[layer: string, file: string, source: string]> = [
  ['renderer', 'renderer/src/x.ts', "import { APP_NAME } from '../../app/contract/product.ts';"],
  ['renderer', 'renderer/src/x.ts', "import { useState } from 'react';"],
  ['contract', 'app/contract/x.ts', "import { z } from 'zod';"],
  ['contract', 'app/contract/x.ts', "import { APP_NAME } from './product.ts';"],
  ['engine', 'app/engine/x.ts', "import { APP_NAME } from '../contract/product.ts';"],
  ['shell', 'app/main/x.ts', "import { app } from 'electron';"],
  ['driver client', 'app/driver-client/x.ts', "import { x } from '../../native/src/index.ts';"],
  ['platform', 'app/platform/x.ts', "import { openDriver } from '../../native/src/index.ts';"],
  ['platform', 'app/platform/x.ts', "import { readFileSync } from 'node:fs';"],
  ['platform', 'app/platform/x.ts', "import { createHost } from '../runtime/host.ts';"],
  ['binding', 'native/src/ffi.ts', "import { load } from 'ffi-rs';"],
  ['binding', 'native/src/x.ts', "import { readFileSync } from 'node:fs';"],
  ['e2e', 'e2e/x.spec.ts', "import { APP_NAME } from '../app/contract/product.ts';"],
  ['e2e', 'e2e/x.spec.ts', "import { prepareWine } from '../native/test-support/wine/wine-env.ts';"],
];

describe('layer rules', () => {
  it.each(BANNED)('%s (%s) rejects: %s', async (_layer, file, source) => {
    expect(await restrictedImportErrors(file, `${source}\nexport const used = [${importedName(source)}];\n`)).toBe(1);
  });

  it.each(ALLOWED)('%s (%s) allows: %s', async (_layer, file, source) => {
    expect(await restrictedImportErrors(file, `${source}\nexport const used = [${importedName(source)}];\n`)).toBe(0);
  });
});

function importedName(source: string): string {
  const match = /import \{ (\w+) \}/.exec(source);
  if (match?.[1] === undefined) throw new Error(`no named import in ${source}`);
  return match[1];
}
