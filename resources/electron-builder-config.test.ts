// electron-builder.yml: valid for the installed electron-builder, and says what resources/README.md
// says it does. The beforePack hook refuses builds without the driver or the daemon.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { beforePack, isReleaseBuild, packagingProblem, windowsDriverProblem } from './installer/before-pack.mjs';
import {
  APP_BUILDER_LIB,
  loadBuilderConfig,
  makePlaceholderDriverPackage,
  pick,
  REPO_ROOT,
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

  it("Linux: the app's deb depends on the zenithfenced package and carries no daemon; the AppImage says it is UI only", () => {
    expect(pick(config, 'linux', 'target')).toEqual(['deb', 'AppImage']);
    expect(existsSync(path.join(REPO_ROOT, String(pick(config, 'linux', 'icon'))))).toBe(true);
    // No daemon, unit or scripts of its own: zenithfenced's package has them (resources/deb/).
    expect(pick(config, 'linux', 'extraResources')).toBeUndefined();
    for (const key of ['afterInstall', 'afterRemove', 'fpm']) expect(pick(config, 'deb', key), key).toBeUndefined();
    // deb.depends replaces electron-builder's defaults: they must still be there.
    const fpmTarget = readFileSync(path.join(APP_BUILDER_LIB, 'out', 'targets', 'FpmTarget.js'), 'utf8');
    const defaults = /case "deb":\s*return (\[[^\]]*\]);/.exec(fpmTarget)?.[1];
    expect(defaults, "electron-builder's default deb dependencies").toBeDefined();
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(pick(config, 'deb', 'depends')).toEqual([
      ...(JSON.parse(String(defaults)) as string[]),
      `zenithfenced (>= ${version})`,
    ]);
    expect(String(pick(config, 'appImage', 'artifactName'))).toContain('UI-only-needs-zenithfenced');
    expect(String(pick(config, 'appImage', 'synopsis'))).toContain('needs the zenithfenced daemon');
  });

  it('publishes no update feed by default (no app-update.yml), and the schema takes the documented one', () => {
    expect(pick(config, 'publish')).toBeNull();
    // What resources/README.md ("Update feed") tells a release to pass.
    const release = structuredClone(config);
    release['publish'] = { provider: 'generic', url: 'https://updates.zenithfence.example/linux' };
    expect(schemaErrors(release)).toEqual([]);
    release['publish'] = { provider: 'generic' };
    expect(schemaErrors(release).join('\n')).toContain("must have required property 'url'");
  });
});

describe('beforePack (resources/installer/before-pack.mjs)', () => {
  const placeholder = path.relative(REPO_ROOT, makePlaceholderDriverPackage(scratch));
  /** A context shaped like electron-builder's BeforePackContext, with the parts the hook uses. */
  function context(platform: string, targets: string[]) {
    const metadata: Record<string, unknown> = { name: 'zenithfence', version: '0.1.0' };
    return {
      electronPlatformName: platform,
      targets: targets.map((name) => ({ name, options: {} as { maintainer?: string | null } })),
      packager: { projectDir: REPO_ROOT, info: { metadata } },
    };
  }

  it('refuses a Windows build without ZF_WINDOWS_DRIVER_DIR, with an absolute or incomplete one', async () => {
    expect(windowsDriverProblem(REPO_ROOT, {})).toMatch(/^ZF_WINDOWS_DRIVER_DIR is not set/);
    expect(windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: scratch })).toMatch(/must be relative/);
    const incomplete = mkdtempSync(path.join(scratch, 'incomplete-'));
    writeFileSync(path.join(incomplete, 'ZenithFence.sys'), 'MZ');
    expect(windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: path.relative(REPO_ROOT, incomplete) })).toMatch(
      /ZenithFence\.inf is missing/,
    );
    await expect(beforePack(context('win32', ['dir']))).rejects.toThrow(/ZenithFence packaging: ZF_WINDOWS_DRIVER_DIR/);
  });

  it('refuses the PLACEHOLDER driver unless ZF_ALLOW_PLACEHOLDER_DRIVER=1 (the layout tests)', () => {
    expect(windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: placeholder })).toMatch(/not a driver image/);
    expect(
      windowsDriverProblem(REPO_ROOT, { ZF_WINDOWS_DRIVER_DIR: placeholder, ZF_ALLOW_PLACEHOLDER_DRIVER: '1' }),
    ).toBeNull();
  });

  it('a release build (any target but dir) without the release environment fails with one sentence', () => {
    for (const targets of [['deb', 'AppImage'], ['AppImage'], ['deb']]) {
      expect(packagingProblem(context('linux', targets), {})).toBe(
        'A release build needs ZF_HOMEPAGE, ZF_AUTHOR and ZF_MAINTAINER in its environment (the project\'s homepage URL, its author and the package maintainer as "Name <e-mail>"; resources/README.md, "Release").',
      );
    }
    const windows = {
      ZF_WINDOWS_DRIVER_DIR: placeholder,
      ZF_ALLOW_PLACEHOLDER_DRIVER: '1',
      ZF_HOMEPAGE: 'https://zenithfence.example/',
    };
    expect(packagingProblem(context('win32', ['nsis']), windows)).toMatch(
      /^A release build needs ZF_AUTHOR and ZF_MAINTAINER in/,
    );
    // The unpacked folders of the layout tests are no release: they need none of it.
    expect(packagingProblem(context('linux', ['dir']), {})).toBeNull();
    expect(isReleaseBuild([{ name: 'dir' }])).toBe(false);
  });

  it('a release build hands homepage, author and maintainer to electron-builder, inventing none', async () => {
    const env = {
      ZF_HOMEPAGE: 'https://zenithfence.example/',
      ZF_AUTHOR: 'The ZenithFence authors <authors@zenithfence.example>',
      ZF_MAINTAINER: 'Package Maintainer <packages@zenithfence.example>',
    };
    const linux = context('linux', ['deb', 'AppImage']);
    expect(packagingProblem(linux, env)).toBeNull();
    expect(linux.packager.info.metadata).toMatchObject({
      homepage: env.ZF_HOMEPAGE,
      author: { name: 'The ZenithFence authors', email: 'authors@zenithfence.example' },
    });
    expect(linux.targets[0]?.options.maintainer).toBe(env.ZF_MAINTAINER);
    expect(linux.targets[1]?.options.maintainer).toBeUndefined();
    // The unpacked build is left as it is.
    const unpacked = context('linux', ['dir']);
    await beforePack(unpacked);
    expect(unpacked.packager.info.metadata).toEqual({ name: 'zenithfence', version: '0.1.0' });
  });

  it("electron-builder still reads them where the hook puts them (app-builder-lib's FpmTarget and AppInfo)", () => {
    // The hook runs before the targets build; these lines read its values at build time.
    const out = path.join(APP_BUILDER_LIB, 'out');
    const fpmTarget = readFileSync(path.join(out, 'targets', 'FpmTarget.js'), 'utf8');
    expect(fpmTarget).toContain('let author = options.maintainer;');
    expect(fpmTarget).toContain('const a = packager.info.metadata.author;');
    expect(fpmTarget).toContain('const meta = await this.computeFpmMetaInfoOptions();');
    const appInfo = readFileSync(path.join(out, 'appInfo.js'), 'utf8');
    expect(appInfo).toContain('const url = this.info.metadata.homepage ||');
  });
});
