// driver.nsh compiles with Debian's makensis in harness.nsi, in both of electron-builder's passes
// with warnings as errors; a broken include fails. Its names and settings agree with the driver's
// INF. What it does on Windows is in resources/README.md's manual checklist.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from '../../test-support/packaging.ts';
import { MAKENSIS, requireTool } from '../../test-support/tools.ts';

const HERE = path.join(REPO_ROOT, 'resources', 'installer', 'windows');
const INCLUDE = path.join(HERE, 'driver.nsh');
const HARNESS = path.join(HERE, 'harness.nsi');
const INF = readFileSync(path.join(REPO_ROOT, 'driver', 'windows', 'ZenithFence.inf'), 'utf8');
const include = readFileSync(INCLUDE, 'utf8');

let scratch = '';
beforeAll(() => {
  requireTool(MAKENSIS);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-nsis-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Compiles the harness around `includeFile`; the uninstaller pass when `uninstaller`. */
function compile(includeFile: string, uninstaller: boolean) {
  const out = path.join(scratch, uninstaller ? 'harness-uninstaller.exe' : 'harness-installer.exe');
  const args = ['-V2', '-WX', `-DZF_INCLUDE=${includeFile}`, `-DZF_OUTFILE=${out}`];
  if (uninstaller) args.push('-DBUILD_UNINSTALLER');
  const result = run('makensis', [...args, HARNESS], { cwd: scratch });
  return { ...result, output: `${result.stdout}${result.stderr}` };
}

/** A copy of driver.nsh with `from` replaced by `to`. */
function brokenInclude(name: string, from: string, to: string): string {
  expect(include).toContain(from);
  const file = path.join(scratch, name);
  writeFileSync(file, include.replace(from, to));
  return file;
}

describe('driver.nsh with makensis', () => {
  it('compiles in the installer pass (customInit, customInstall; -WX)', () => {
    const result = compile(INCLUDE, false);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('compiles in the uninstaller pass (BUILD_UNINSTALLER, customUnInstall; -WX)', () => {
    const result = compile(INCLUDE, true);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('a deliberately broken include fails: a mistyped command', () => {
    const file = brokenInclude('typo.nsh', '${DisableX64FSRedirection}', '${DisableX64FSRedirectio}');
    const result = compile(file, false);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('Invalid command: "${DisableX64FSRedirectio}"');
  });

  it('a deliberately broken include fails: an unused variable is a warning, and warnings are errors', () => {
    const file = brokenInclude(
      'unused-var.nsh',
      'Var /GLOBAL zfError',
      'Var /GLOBAL zfError\n  Var /GLOBAL zfNeverUsed',
    );
    const result = compile(file, false);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('Variable "zfNeverUsed" not referenced');
  });

  it('a deliberately broken include fails: customUnInstall missing', () => {
    const file = brokenInclude('no-uninstall.nsh', '!macro customUnInstall', '!macro zfSomethingElse');
    const result = compile(file, true);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('The include defines no customUnInstall macro.');
  });
});

describe("driver.nsh agrees with the driver's INF and the app", () => {
  it('is plain ASCII (makensis reads an include in the system code page)', () => {
    const notAscii = [...include].filter((c) => c.charCodeAt(0) > 0x7e || (c < ' ' && !'\t\n\r'.includes(c)));
    expect(notAscii).toEqual([]);
  });

  const infValue = (key: string): string => {
    const value = new RegExp(`^${key}\\s*=\\s*"?([^";\\r\\n]+?)"?\\s*(;.*)?$`, 'm').exec(INF)?.[1];
    if (value === undefined) throw new Error(`ZenithFence.inf has no ${key}`);
    return value;
  };

  it("service name, driver file and image path are the INF's", () => {
    expect(include).toContain(`!define ZF_SERVICE "${infValue('ServiceName')}"`);
    expect(INF).toMatch(/^ZenithFence\.sys = 1/m);
    expect(include).toContain('!define ZF_DRIVER_FILE "ZenithFence.sys"');
    // %12% is System32\drivers.
    expect(infValue('ServiceBinary')).toBe('%12%\\ZenithFence.sys');
    expect(include).toContain('!define ZF_IMAGE_PATH "\\SystemRoot\\System32\\drivers\\ZenithFence.sys"');
  });

  it('a demand-start kernel service with normal error control, as the INF registers it', () => {
    expect(infValue('ServiceType')).toBe('1'); // SERVICE_KERNEL_DRIVER
    expect(infValue('StartType')).toBe('3'); // SERVICE_DEMAND_START
    expect(infValue('ErrorControl')).toBe('1'); // SERVICE_ERROR_NORMAL
    for (const verb of ['create', 'config']) {
      expect(include).toContain(`sc.exe" ${verb} \${ZF_SERVICE} type= kernel start= demand error= normal`);
    }
  });

  it('removes the driver only on a real uninstall, and starts the app through an elevated logon task', () => {
    expect(include).toMatch(/!macro customUnInstall\s+\$\{IfNot\} \$\{isUpdated\}/);
    expect(include).toContain('<LogonTrigger>');
    expect(include).toContain('<RunLevel>HighestAvailable</RunLevel>');
    expect(include).toContain('<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>');
    expect(include).toContain('schtasks.exe" /Create /TN "${ZF_TASK}" /XML');
  });
});
