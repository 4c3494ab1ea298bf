// electron-builder.yml: valid for the installed electron-builder, and says what resources/README.md
// says it does. The beforePack hook refuses builds without the driver or the daemon.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { beforePack, linuxDaemonProblem, windowsDriverProblem } from './installer/before-pack.mjs';
import {
  APP_BUILDER_LIB,
  REPO_ROOT,
  loadBuilderConfig,
  makePlaceholderDriverPackage,
  pick,
} from './test-support/packaging.ts';

const schema = JSON.parse(readFileSync(path.join(APP_BUILDER_LIB, 'scheme.json'), 'utf8')) as object;

/** Validates against electron-builder's scheme.json; returns ajv's messages. */
function schemaErrors(config: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  const validate = ajv.compile(schema);
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

const config = loadBuilderConfig();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-builder-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's shipped JSON schema (app-builder-lib/scheme.json)", () => {
    expect(schemaErrors(config)).toEqual([]);
  });

  it('the schema check has teeth: an unknown NSIS key and a wrong execution level are rejected', () => {
    const broken = structuredClone(config);
    (broken['nsis'] as Record<string, unknown>)['bogusOption'] = true;
    (broken['win'] as Record<string, unknown>)['requestedExecutionLevel'] = 'administrator';
    const errors = schemaErrors(broken).join('\n');
    expect(errors).toContain('/nsis must NOT have additional properties');
    expect(errors).toContain('bogusOption');
    expect(errors).toContain('/win/requestedExecutionLevel must be equal to one of the allowed values');
  });

  it('Windows: per-machine NSIS with elevation, the driver include, an elevated app, the driver package', () => {
    // The app sets the same AppUserModelID (app.setAppUserModelId), which the NSIS shortcuts carry:
    // Windows matches notifications to the Start menu entry by it.
    const product = readFileSync(path.join(REPO_ROOT, 'app', 'contract', 'product.ts'), 'utf8');
    expect(pick(config, 'appId')).toBe(/APP_ID = '([^']+)'/.exec(product)?.[1]);
    expect(pick(config, 'productName')).toBe(/APP_NAME = '([^']+)'/.exec(product)?.[1]);
    expect(pick(config, 'appId')).toBe('org.zenithfence.app');
    expect(pick(config, 'nsis', 'oneClick')).toBe(false);
    expect(pick(config, 'nsis', 'perMachine')).toBe(true);
    expect(pick(config, 'nsis', 'allowElevation')).toBe(true);
    expect(pick(config, 'nsis', 'warningsAsErrors')).toBe(true);
    expect(pick(config, 'win', 'requestedExecutionLevel')).toBe('requireAdministrator');
    const include = String(pick(config, 'nsis', 'include'));
    expect(include).toBe('resources/installer/windows/driver.nsh');
    expect(existsSync(path.join(REPO_ROOT, include))).toBe(true);
    expect(pick(config, 'win', 'extraResources')).toEqual([
      {
        from: '${env.ZF_WINDOWS_DRIVER_DIR}',
        to: 'driver',
        filter: ['ZenithFence.sys', 'ZenithFence.inf', 'ZenithFence.cat'],
      },
    ]);
    for (const key of ['icon', 'installerIcon', 'uninstallerIcon']) {
      const icon = String(pick(config, key === 'icon' ? 'win' : 'nsis', key));
      expect(existsSync(path.join(REPO_ROOT, icon)), icon).toBe(true);
    }
  });

  it('ffi-rs is unpacked from the asar, nothing is rebuilt, and the fuses are the documented ones', () => {
    expect(pick(config, 'npmRebuild')).toBe(false);
    expect(pick(config, 'asarUnpack')).toEqual(['node_modules/ffi-rs/**', 'node_modules/@yuuang/**']);
    expect(pick(config, 'electronFuses')).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('Linux: every file the deb uses exists (scripts, unit, fpm mappings, icons), the AppImage says it is UI only', () => {
    expect(pick(config, 'linux', 'target')).toEqual(['deb', 'AppImage']);
    const files = [
      String(pick(config, 'deb', 'afterInstall')),
      String(pick(config, 'deb', 'afterRemove')),
      String(pick(config, 'linux', 'icon')),
    ];
    const fpm = pick(config, 'deb', 'fpm') as string[];
    expect(fpm[0]).toBe('--before-remove');
    files.push(String(fpm[1]));
    const mappings = fpm.slice(2).map((mapping) => mapping.split('='));
    expect(mappings).toEqual([
      ['resources/installer/linux/zenithfenced.service', '/usr/lib/systemd/system/zenithfenced.service'],
    ]);
    files.push(...mappings.map(([source]) => String(source)));
    for (const file of files) expect(existsSync(path.join(REPO_ROOT, file)), file).toBe(true);
    // deb.depends replaces electron-builder's defaults: they must still be there.
    const fpmTarget = readFileSync(path.join(APP_BUILDER_LIB, 'out', 'targets', 'FpmTarget.js'), 'utf8');
    const defaults = /case "deb":\s*return (\[[^\]]*\]);/.exec(fpmTarget)?.[1];
    expect(defaults, "electron-builder's default deb dependencies").toBeDefined();
    expect(pick(config, 'deb', 'depends')).toEqual([
      ...(JSON.parse(String(defaults)) as string[]),
      'iptables',
      'nftables',
      'passwd',
    ]);
    expect(String(pick(config, 'appImage', 'artifactName'))).toContain('UI-only-needs-zenithfenced');
    expect(String(pick(config, 'appImage', 'synopsis'))).toContain('needs the zenithfenced daemon');
  });
});

describe('beforePack (resources/installer/before-pack.mjs)', () => {
  const placeholder = path.relative(REPO_ROOT, makePlaceholderDriverPackage(scratch));

  it('refuses a Windows build without ZF_WINDOWS_DRIVER_DIR, with an absolute or incomplete one', async () => {
    expect(windowsDriverProblem(REPO_ROOT, {})).toMatch(/^ZF_WINDOWS_DRIVER_DIR is not set/);
    expect(windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: scratch })).toMatch(/must be relative/);
    const incomplete = mkdtempSync(path.join(scratch, 'incomplete-'));
    writeFileSync(path.join(incomplete, 'ZenithFence.sys'), 'MZ');
    expect(windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: path.relative(REPO_ROOT, incomplete) })).toMatch(
      /ZenithFence\.inf is missing/,
    );
    await expect(beforePack({ electronPlatformName: 'win32', packager: { projectDir: REPO_ROOT } })).rejects.toThrow(
      /ZenithFence packaging: ZF_WINDOWS_DRIVER_DIR/,
    );
  });

  it('refuses the PLACEHOLDER driver unless ZF_ALLOW_PLACEHOLDER_DRIVER=1 (the layout tests)', () => {
    expect(windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: placeholder })).toMatch(/not a driver image/);
    expect(
      windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: placeholder, ZF_ALLOW_PLACEHOLDER_DRIVER: '1' }),
    ).toBeNull();
  });

  it('refuses a Linux build without an ELF zenithfenced, and accepts the one npm install builds', () => {
    expect(linuxDaemonProblem(scratch)).toMatch(/zenithfenced is missing/);
    expect(linuxDaemonProblem(REPO_ROOT)).toBeNull();
  });
});
