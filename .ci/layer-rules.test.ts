import { readdirSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Proves that eslint.config.js enforces the layer table of ARCHITECTURE.md: each case lints a
// one-line file at a path in the layer and checks whether no-restricted-imports fires. The import
// order and duplicate-import rules are proven the same way below.
const ROOT = new URL('..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: ROOT });

async function ruleErrors(ruleId: string, filePath: string, source: string): Promise<number> {
  const [result] = await eslint.lintText(source, { filePath });
  if (result === undefined) throw new Error(`eslint returned no result for ${filePath}`);
  const fatal = result.messages.find((m) => m.fatal === true);
  if (fatal !== undefined) throw new Error(`eslint could not parse ${filePath}: ${fatal.message}`);
  return result.messages.filter((m) => m.ruleId === ruleId).length;
}

async function restrictedImportErrors(filePath: string, source: string): Promise<number> {
  return ruleErrors('no-restricted-imports', filePath, `${source}\nexport const used = [${importedName(source)}];\n`);
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
  ['importers', 'app/importers/x.ts', "import { readFileSync } from 'node:fs';"],
  ['importers', 'app/importers/x.ts', "import { openDriver } from '../../native/src/index.ts';"],
  ['blocklists', 'app/blocklists/x.ts', "import { readFileSync } from 'node:fs';"],
  ['blocklists', 'app/blocklists/x.ts', "import { request } from 'node:https';"],
  ['blocklists', 'app/blocklists/x.ts', "import { app } from 'electron';"],
  ['shell', 'app/main/x.ts', "import { useState } from 'react';"],
  ['shell', 'app/main/x.ts', "import { openDriver } from '../../native/src/index.ts';"],
  ['shell', 'app/main/x.ts', "import { ipcMain } from 'electron';"],
  ['shell', 'app/main/x.ts', "import { ipcMain } from 'electron/main';"],
  ['shell', 'app/main/x.ts', "import * as electron from 'electron';"],
  ['shell', 'app/main/x.ts', "import electron from 'electron';"],
  ['shell', 'app/main/tray.ts', "export { ipcMain } from 'electron';"],
  ['host', 'app/runtime/x.ts', "import { app } from 'electron';"],
  ['host', 'app/runtime/x.ts', "import { autoUpdater } from 'electron-updater';"],
  ['store', 'app/store/x.ts', "import { app } from 'electron';"],
  ['headless', 'app/headless/x.ts', "import { BrowserWindow } from 'electron';"],
  ['launcher', 'app/launcher/x.ts', "import { app } from 'electron';"],
  ['launcher', 'app/launcher/x.ts', "import { app } from 'electron/main';"],
  ['platform', 'app/platform/x.ts', "import { app } from 'electron';"],
  ['platform', 'app/platform/x.ts', "import { useState } from 'react';"],
  ['platform', 'app/platform/x.ts', "import { openDriver } from '../../native/src/open-driver.ts';"],
  ['platform', 'app/platform/x.ts', "import { AppTray } from '../main/tray.ts';"],
  ['driver client', 'app/driver-client/x.ts', "import { app } from 'electron';"],
  ['driver client', 'app/driver-client/x.ts', "import { InfoReader } from '../../native/src/codec/info-reader.ts';"],
  ['driver client', 'app/driver-client/x.ts', "import { DriverError } from '../../native/src/errors.ts';"],
  [
    'driver client',
    'app/driver-client/x.ts',
    "import { encodeInfos } from '../../native/test-support/codec/index.ts';",
  ],
  [
    'driver client',
    'app/driver-client/x.test.ts',
    "import { VERDICT } from '../../native/src/codec/protocol-constants.ts';",
  ],
  [
    'driver client',
    'app/driver-client/test-support/x.ts',
    "import { InfoReader } from '../../../native/src/codec/info-reader.ts';",
  ],
  ['binding', 'native/src/codec/x.ts', "import { app } from 'electron';"],
  ['binding', 'native/src/codec/x.ts', "import { load } from 'ffi-rs';"],
  ['binding', 'native/src/x.ts', "import { x } from '../../app/engine/decide.ts';"],
  ['binding', 'native/src/codec/x.ts', "import { encodeInfos } from '../../test-support/codec/index.ts';"],
  ['binding', 'native/src/x.ts', "import { FakeTransport } from '../test-support/fake-transport.ts';"],
  ['binding', 'native/src/ffi.ts', "import { waitFor } from '../test-support/wait-for.ts';"],
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
  ['shell', 'app/main/x.ts', "import { BrowserWindow } from 'electron/main';"],
  ['shell', 'app/main/ipc-main.ts', "import { ipcMain } from 'electron';"],
  ['shell', 'app/preload/x.cts', "import { contextBridge } from 'electron';"],
  ['host', 'app/runtime/x.ts', "import { readFileSync } from 'node:fs';"],
  ['driver client', 'app/driver-client/x.ts', "import { x } from '../../native/src/index.ts';"],
  ['driver client', 'app/driver-client/x.test.ts', "import { InfoReader } from '../../native/src/index.ts';"],
  [
    'driver client',
    'app/driver-client/x.test.ts',
    "import { encodeInfos } from '../../native/test-support/codec/index.ts';",
  ],
  [
    'driver client',
    'app/driver-client/x.daemon.test.ts',
    "import { TestNet } from '../../native/test-support/netns.ts';",
  ],
  [
    'driver client',
    'app/driver-client/test-support/x.ts',
    "import { decodeCommand } from '../../../native/test-support/codec/index.ts';",
  ],
  ['platform', 'app/platform/x.ts', "import { openDriver } from '../../native/src/index.ts';"],
  ['platform', 'app/platform/x.ts', "import { readFileSync } from 'node:fs';"],
  ['platform', 'app/platform/x.ts', "import { createHost } from '../runtime/host.ts';"],
  ['binding', 'native/src/ffi.ts', "import { load } from 'ffi-rs';"],
  ['binding', 'native/src/x.ts', "import { readFileSync } from 'node:fs';"],
  ['binding', 'native/src/codec/x.test.ts', "import { encodeInfos } from '../../test-support/codec/index.ts';"],
  ['binding', 'native/src/x.test.ts', "import { FakeTransport } from '../test-support/fake-transport.ts';"],
  ['binding', 'native/test-support/codec/x.ts', "import { ByteWriter } from '../../src/codec/byte-writer.ts';"],
  ['binding', 'native/bench/x.ts', "import { encodeInfo } from '../test-support/codec/index.ts';"],
  ['e2e', 'e2e/x.spec.ts', "import { APP_NAME } from '../app/contract/product.ts';"],
  ['e2e', 'e2e/x.spec.ts', "import { prepareWine } from '../native/test-support/wine/wine-env.ts';"],
];

describe('layer rules', () => {
  it.each(BANNED)('%s (%s) rejects: %s', async (_layer, file, source) => {
    expect(await restrictedImportErrors(file, source)).toBe(1);
  });

  it.each(ALLOWED)('%s (%s) allows: %s', async (_layer, file, source) => {
    expect(await restrictedImportErrors(file, source)).toBe(0);
  });

  // Read from the disk, so a folder added to app/ later is checked too.
  const nonShellFolders = readdirSync(new URL('../app/', import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !['main', 'preload', 'dist'].includes(entry.name))
    .map((entry) => entry.name);

  it('finds the app folders it checks', () => {
    expect(nonShellFolders).toEqual(
      expect.arrayContaining(['contract', 'driver-client', 'engine', 'headless', 'launcher', 'platform', 'runtime']),
    );
    expect(nonShellFolders).toContain('store');
  });

  it.each(nonShellFolders)('app/%s (not the shell) rejects Electron', async (folder) => {
    expect(await restrictedImportErrors(`app/${folder}/x.ts`, "import { app } from 'electron';")).toBe(1);
  });
});

// Every kind of TypeScript file in every layer, so the two rules cannot miss a folder.
const TYPESCRIPT_FILES = [
  'app/main/x.ts',
  'app/preload/x.cts',
  'app/runtime/x.ts',
  'app/contract/x.ts',
  'native/src/x.ts',
  'native/test-support/x.ts',
  'renderer/src/x.tsx',
  'e2e/x.spec.ts',
  '.ci/x.ts',
  'resources/x.ts',
];

describe('import order', () => {
  const unsorted = "import { b } from './b.ts';\nimport { a } from './a.ts';\nexport const used = [a, b];\n";
  const sorted = "import { a } from './a.ts';\nimport { b } from './b.ts';\nexport const used = [a, b];\n";

  it.each(TYPESCRIPT_FILES)('%s rejects unsorted imports and allows sorted ones', async (file) => {
    expect(await ruleErrors('simple-import-sort/imports', file, unsorted)).toBe(1);
    expect(await ruleErrors('simple-import-sort/imports', file, sorted)).toBe(0);
  });

  it.each(TYPESCRIPT_FILES)('%s rejects unsorted re-exports', async (file) => {
    const source = "export { b } from './b.ts';\nexport { a } from './a.ts';\n";
    expect(await ruleErrors('simple-import-sort/exports', file, source)).toBe(1);
  });

  it('sorts node: built-ins, then packages, then relative paths, in one block', async () => {
    const fixer = new ESLint({ cwd: ROOT, fix: true });
    const source = [
      "import { a } from './a.ts';",
      "import { z } from 'zod';",
      '',
      "import { b } from '../b.ts';",
      "import { readFileSync } from 'node:fs';",
      'export const used = [a, b, readFileSync, z];',
      '',
    ].join('\n');
    const [result] = await fixer.lintText(source, { filePath: 'app/runtime/x.ts' });
    expect(result?.output).toBe(
      [
        "import { readFileSync } from 'node:fs';",
        "import { z } from 'zod';",
        "import { b } from '../b.ts';",
        "import { a } from './a.ts';",
        'export const used = [a, b, readFileSync, z];',
        '',
      ].join('\n'),
    );
  });
});

describe('duplicate imports', () => {
  it.each(TYPESCRIPT_FILES)('%s rejects two value imports of one module', async (file) => {
    const source = "import { a } from './m.ts';\nimport { b } from './m.ts';\nexport const used = [a, b];\n";
    expect(await ruleErrors('no-duplicate-imports', file, source)).toBe(1);
  });

  it('allows an import type beside the value import of the same module', async () => {
    const source = "import type { A } from './m.ts';\nimport { b } from './m.ts';\nexport const used: A = b;\n";
    expect(await ruleErrors('no-duplicate-imports', 'app/runtime/x.ts', source)).toBe(0);
  });

  it('rejects two import type of one module', async () => {
    const source = "import type { A } from './m.ts';\nimport type { B } from './m.ts';\nexport type Used = A | B;\n";
    expect(await ruleErrors('no-duplicate-imports', 'app/runtime/x.ts', source)).toBe(1);
  });

  it('allows passing on what a module imports (re-exports are not counted)', async () => {
    const source = "import type { A } from './m.ts';\nexport type { A } from './m.ts';\nexport type Used = A;\n";
    expect(await ruleErrors('no-duplicate-imports', 'app/engine/x.ts', source)).toBe(0);
  });
});

function importedName(source: string): string {
  const match = /(?:import|export) (?:\{ (\w+) \}|\* as (\w+)|(\w+) from)/.exec(source);
  const name = match?.[1] ?? match?.[2] ?? match?.[3];
  if (name === undefined) throw new Error(`no named, namespace or default import in ${source}`);
  return name;
}
