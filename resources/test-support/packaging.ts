// Shared helpers of the packaging tests: the repository's paths, electron-builder.yml, process
// runs, electron-builder's templating of the deb scripts, and the STAND-IN Electron distributions
// and PLACEHOLDER driver package that let electron-builder pack offline (resources/README.md,
// "Tests").
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type * as ResEdit from 'resedit' with { 'resolution-mode': 'require' };

export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const RESOURCES = path.join(REPO_ROOT, 'resources');
export const BUILDER_CONFIG_FILE = path.join(REPO_ROOT, 'electron-builder.yml');
export const BIN = path.join(REPO_ROOT, 'node_modules', '.bin');
/** electron-builder's shipped JSON schema and templates (the installed, pinned version). */
export const APP_BUILDER_LIB = path.join(REPO_ROOT, 'node_modules', 'app-builder-lib');

/** A loose view of the parsed electron-builder.yml: tests read what they check. */
export type BuilderConfig = Record<string, unknown>;

export function loadBuilderConfig(): BuilderConfig {
  const parsed = yaml.load(readFileSync(BUILDER_CONFIG_FILE, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('electron-builder.yml is not a mapping');
  return parsed as BuilderConfig;
}

/** `config.a.b.c`, or undefined. */
export function pick(config: unknown, ...keys: string[]): unknown {
  let value = config;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr } satisfies RunResult;
}

/** Like {@link run}, without blocking the event loop (two builds can run side by side). */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * electron-builder's templating of deb.afterInstall / afterRemove (app-builder-lib 26.17.0,
 * FpmTarget.js `writeConfigFile`): every `${name}` of letters is replaced, and an unknown name
 * fails the build. The values are this project's (electron-builder.yml).
 */
export function renderMaintainerScript(template: string, macros: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{([a-zA-Z]+)\}/g, (_match, name: string) => {
    const value = macros[name];
    if (value === undefined) throw new Error(`Macro ${name} is not defined`);
    return value;
  });
}

/** The macros electron-builder fills into this project's deb scripts. */
export function maintainerScriptMacros(config: BuilderConfig): Record<string, string> {
  const linux = pick(config, 'linux');
  const scalar = Object.fromEntries(
    Object.entries(typeof linux === 'object' && linux !== null ? linux : {}).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
  const productName = String(pick(config, 'productName'));
  return {
    executable: String(pick(config, 'linux', 'executableName')),
    sanitizedProductName: productName,
    productFilename: productName,
    ...scalar,
  };
}

// ---- The STAND-IN Electron distributions -------------------------------------------------------

/** @electron/fuses' sentinel; the fuse wire follows it: version 1, length, one byte per fuse. */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** The fuse order of @electron/fuses' FuseV1Options. */
export const FUSE_ORDER = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;
/** Electron's defaults, the stand-in's starting wire ("1" enabled, "0" disabled). */
const DEFAULT_FUSES = '10110001';

function fuseWire(): Buffer {
  return Buffer.concat([
    Buffer.from(FUSE_SENTINEL, 'latin1'),
    Buffer.from([1, DEFAULT_FUSES.length]),
    Buffer.from(DEFAULT_FUSES),
  ]);
}

/** The fuses in a binary, by name: true enabled, false disabled. */
export function readFuses(binary: Buffer): Record<(typeof FUSE_ORDER)[number], boolean> {
  const at = binary.indexOf(FUSE_SENTINEL, 0, 'latin1');
  if (at < 0) throw new Error('no fuse sentinel in the binary');
  const wire = at + FUSE_SENTINEL.length;
  const length = binary[wire + 1] ?? 0;
  const entries = FUSE_ORDER.map((name, i) => {
    if (i >= length) throw new Error(`the fuse wire has ${String(length)} fuses`);
    return [name, binary[wire + 2 + i] === '1'.charCodeAt(0)] as const;
  });
  return Object.fromEntries(entries) as Record<(typeof FUSE_ORDER)[number], boolean>;
}

const STAND_IN_NOTE = 'STAND-IN for the Electron binary: the packaging layout tests only; it runs nothing.';

function commonStandInFiles(dir: string): void {
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  mkdirSync(path.join(dir, 'locales'), { recursive: true });
  writeFileSync(path.join(dir, 'version'), '45.5.0');
  writeFileSync(path.join(dir, 'LICENSE'), `${STAND_IN_NOTE}\n`);
  writeFileSync(path.join(dir, 'LICENSES.chromium.html'), `<p>${STAND_IN_NOTE}</p>\n`);
  writeFileSync(path.join(dir, 'locales', 'en-US.pak'), '');
}

/**
 * A stand-in for Electron's Linux distribution in `parent/stand-in-electron-dist-linux`: the files
 * electron-builder copies, with a shell script as `electron` that carries a fuse wire so that the
 * fuses can be flipped and read back.
 */
export function makeLinuxStandInElectron(parent: string): string {
  const dir = path.join(parent, 'stand-in-electron-dist-linux');
  commonStandInFiles(dir);
  const script = Buffer.concat([
    Buffer.from(`#!/bin/sh\n# ${STAND_IN_NOTE}\necho '${STAND_IN_NOTE}' >&2\nexit 1\n# `),
    fuseWire(),
    Buffer.from('\n'),
  ]);
  writeFileSync(path.join(dir, 'electron'), script, { mode: 0o755 });
  writeFileSync(path.join(dir, 'chrome-sandbox'), `#!/bin/sh\n# ${STAND_IN_NOTE}\nexit 1\n`, { mode: 0o755 });
  return dir;
}

/** The manifest a real electron.exe carries (electron-builder patches its execution level). */
const STAND_IN_MANIFEST = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">
    <security><requestedPrivileges><requestedExecutionLevel level="asInvoker" uiAccess="false"/></requestedPrivileges></security>
  </trustInfo>
</assembly>
`;
export const RT_MANIFEST = 24;
export const RT_GROUP_ICON = 14;

/** resedit (the library electron-builder edits Windows executables with), loaded as CommonJS. */
export function resedit(): typeof ResEdit {
  return createRequire(import.meta.url)('resedit') as typeof ResEdit;
}

/**
 * A stand-in for Electron's Windows distribution in `parent/stand-in-electron-dist-win32`:
 * `electron.exe` is an empty but valid PE image (made with resedit) with version information, a
 * manifest and a fuse wire, which is all electron-builder edits.
 */
export function makeWindowsStandInElectron(parent: string): string {
  const dir = path.join(parent, 'stand-in-electron-dist-win32');
  commonStandInFiles(dir);
  const { NtExecutable, NtExecutableResource, Resource } = resedit();
  const exe = NtExecutable.createEmpty(false, false);
  const resources = NtExecutableResource.from(exe);
  const version = Resource.VersionInfo.createEmpty();
  version.lang = 1033;
  version.setStringValues({ lang: 1033, codepage: 1200 }, { ProductName: STAND_IN_NOTE, FileDescription: 'STAND-IN' });
  version.outputToResourceEntries(resources.entries);
  const manifest = Buffer.from(STAND_IN_MANIFEST, 'utf8');
  resources.entries.push({
    type: RT_MANIFEST,
    id: 1,
    lang: 1033,
    codepage: 0,
    bin: manifest.buffer.slice(manifest.byteOffset, manifest.byteOffset + manifest.byteLength),
  });
  resources.outputResource(exe);
  exe.setExtraData(fuseWire());
  writeFileSync(path.join(dir, 'electron.exe'), Buffer.from(exe.generate()));
  return dir;
}

/**
 * A PLACEHOLDER Windows driver package in `parent/PLACEHOLDER-windows-driver-package`: files
 * with the real names (electron-builder.yml filters on them) and no driver inside. Packaging it
 * needs ZF_ALLOW_PLACEHOLDER_DRIVER=1 (resources/installer/before-pack.mjs).
 */
export function makePlaceholderDriverPackage(parent: string): string {
  const dir = path.join(parent, 'PLACEHOLDER-windows-driver-package');
  mkdirSync(dir, { recursive: true });
  for (const name of ['ZenithFence.sys', 'ZenithFence.inf', 'ZenithFence.cat']) {
    writeFileSync(path.join(dir, name), `PLACEHOLDER ${name}: not a driver; packaging layout tests only.\n`);
  }
  return dir;
}
