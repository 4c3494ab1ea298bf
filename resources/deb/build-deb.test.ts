// The zenithfenced Debian package, built for real by build-deb.ts into a private folder: its
// contents and control data, lintian without errors, the release environment it requires, and (as
// root) `dpkg -i` then `dpkg --purge` on this machine leaving it exactly as it was.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootGate } from '../../native/test-support/root-gate.ts';
import { TEST_BUILD_MAINTAINER } from '../installer/release-metadata.mjs';
import { BIN, REPO_ROOT, run } from '../test-support/packaging.ts';
import { DPKG_SHLIBDEPS, HELP2MAN, LINTIAN, requireTool } from '../test-support/tools.ts';
import {
  buildDeb,
  type BuiltDeb,
  CONFFILES,
  daemonVersion,
  DebBuildError,
  MAINTAINER_SCRIPTS,
  PACKAGE_FILES,
  RELEASE_BINARY,
} from './build-deb.ts';

const RELEASE_ENV = {
  ZF_HOMEPAGE: 'https://zenithfence.example/',
  ZF_AUTHOR: 'The ZenithFence authors <authors@zenithfence.example>',
  ZF_MAINTAINER: 'Package Tester <packages@zenithfence.example>',
};

let scratch = '';
let testDeb: BuiltDeb | undefined;
beforeAll(() => {
  for (const tool of [HELP2MAN, LINTIAN, DPKG_SHLIBDEPS]) requireTool(tool);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-deb-'));
  testDeb = buildDeb({ outDir: path.join(scratch, 'test'), binary: RELEASE_BINARY, testBuild: true, env: {} });
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function built(): BuiltDeb {
  if (testDeb === undefined) throw new Error('the test package was not built');
  return testDeb;
}

/** A member of the package's data, as bytes (dpkg-deb --fsys-tarfile, then tar). */
function member(deb: string, file: string): Buffer {
  const tar = spawnSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - ".$2"', 'sh', deb, file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(tar.status, tar.stderr.toString()).toBe(0);
  return tar.stdout;
}

/** A control member (control, conffiles, md5sums, postinst, …). */
function controlMember(deb: string, name: string): string {
  const result = run('dpkg-deb', ['--info', deb, name]);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('the zenithfenced package (build-deb.ts --test-build)', () => {
  it('holds exactly the daemon, unit, man page, options file and docs, owned by root, with their modes', () => {
    const { file, version, architecture } = built();
    expect(path.basename(file)).toBe(`zenithfenced_${version}_${architecture}.deb`);
    expect(version).toBe(`${daemonVersion()}-1`);
    expect(architecture).toBe(run('dpkg', ['--print-architecture']).stdout.trim());
    const listing = run('dpkg-deb', ['--contents', file]).stdout.trim().split('\n');
    const files = listing
      .filter((line) => !line.startsWith('d'))
      .map((line) => {
        const [mode, owner, , , , name] = line.split(/\s+/);
        return { mode, owner, name: name?.replace(/^\./, '') };
      });
    expect(files).toEqual(
      Object.entries(PACKAGE_FILES)
        .map(([name, mode]) => ({ mode: mode === 0o755 ? '-rwxr-xr-x' : '-rw-r--r--', owner: 'root/root', name }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    for (const line of listing.filter((entry) => entry.startsWith('d')))
      expect(line).toMatch(/^drwxr-xr-x root\/root /);
  });

  it('the daemon is the release build, stripped, and runs', () => {
    const { file } = built();
    const daemon = path.join(scratch, 'zenithfenced');
    writeFileSync(daemon, member(file, '/usr/sbin/zenithfenced'), { mode: 0o755 });
    const described = run('file', ['-b', daemon]).stdout;
    expect(described).toContain('ELF');
    expect(described).toContain(', stripped');
    expect(run('readelf', ['-S', daemon]).stdout).not.toMatch(/\.symtab|\.debug_|\.comment/);
    expect(run(daemon, ['--version']).stdout.split('\n')[0]).toBe(`zenithfenced ${daemonVersion()}`);
  });

  it('control: name, version, architecture, test maintainer, honest dependencies, description', () => {
    const { file, version, architecture } = built();
    const control = controlMember(file, 'control');
    expect(control).toContain('Package: zenithfenced\n');
    expect(control).toContain(`Version: ${version}\n`);
    expect(control).toContain(`Architecture: ${architecture}\n`);
    expect(control).toContain(`Maintainer: ${TEST_BUILD_MAINTAINER}\n`);
    expect(control).not.toContain('Homepage:');
    const depends = /^Depends: (.*)$/m.exec(control)?.[1]?.split(', ') ?? [];
    // dpkg-shlibdeps: libc6 at least the version whose symbols the daemon uses; the tools the
    // daemon and the scripts run.
    expect(depends.some((dep) => /^libc6 \(>= 2\.\d+\)$/.test(dep))).toBe(true);
    expect(depends).toEqual(expect.arrayContaining(['nftables', 'passwd']));
    expect(depends).not.toContain('iptables');
    expect(control).toMatch(/^Description: .+\n( .{1,79}\n)+$/m);
  });

  it('conffiles, md5sums and the maintainer scripts are the ones in the repository', () => {
    const { file } = built();
    expect(controlMember(file, 'conffiles')).toBe(CONFFILES.map((name) => `${name}\n`).join(''));
    const sums = controlMember(file, 'md5sums').trim().split('\n');
    expect(sums.map((line) => `/${line.split('  ')[1] ?? ''}`).sort()).toEqual(Object.keys(PACKAGE_FILES).sort());
    for (const name of MAINTAINER_SCRIPTS) {
      expect(controlMember(file, name)).toBe(
        readFileSync(path.join(REPO_ROOT, 'resources', 'installer', 'linux', name), 'utf8'),
      );
    }
    expect(member(file, '/etc/default/zenithfenced').toString()).toMatch(/^ZENITHFENCED_OPTS=""$/m);
  });

  it('the man page is help2man of the daemon, the changelog and copyright are Debian-shaped', () => {
    const { file, version } = built();
    const manPage = member(file, '/usr/share/man/man8/zenithfenced.8.gz');
    // gzip -9n: no file name, no time stamp (bytes 4-7), so builds are reproducible.
    expect(manPage.readUInt32LE(4)).toBe(0);
    const man = gunzipSync(manPage).toString();
    expect(man).toContain('generated by help2man');
    expect(man).toMatch(/^\.TH ZENITHFENCED "8" /m);
    for (const option of ['--socket', '--log-level', '--version', 'NOTIFY_SOCKET', '/etc/default/zenithfenced']) {
      expect(man.replace(/\\-/g, '-')).toContain(option);
    }
    const changelog = gunzipSync(member(file, '/usr/share/doc/zenithfenced/changelog.Debian.gz')).toString();
    expect(changelog.split('\n')[0]).toBe(`zenithfenced (${version}) unstable; urgency=medium`);
    expect(changelog).toContain(` -- ${TEST_BUILD_MAINTAINER}  `);
    const copyright = member(file, '/usr/share/doc/zenithfenced/copyright').toString();
    expect(copyright).toMatch(
      /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/\n/,
    );
    expect(copyright).toContain('Files: *\nCopyright: 2026 The ZenithFence authors\nLicense: Expat\n');
    expect(copyright).toContain('\nLicense: Expat\n Permission is hereby granted, free of charge');
  });

  it('lintian reports no errors (warnings are printed), and does on a copy with a bogus maintainer', () => {
    // The copy: the same package with one control line changed and its own name, so that one
    // lintian run (it takes about 20 s to start) checks both and its report tells them apart.
    const tree = path.join(scratch, 'broken-tree');
    expect(run('dpkg-deb', ['-R', built().file, tree]).status).toBe(0);
    const controlFile = path.join(tree, 'DEBIAN', 'control');
    writeFileSync(
      controlFile,
      readFileSync(controlFile, 'utf8')
        .replace(/^Package: .*$/m, 'Package: zenithfenced-broken')
        .replace(/^Maintainer: .*$/m, 'Maintainer: Nobody <nobody@invalid>'),
    );
    const broken = path.join(scratch, 'broken.deb');
    expect(run('dpkg-deb', ['--root-owner-group', '--build', tree, broken]).status).toBe(0);
    // lintian's own temporary files go to the scratch folder, removed with it.
    const lintianTmp = path.join(scratch, 'lintian-tmp');
    mkdirSync(lintianTmp);
    const result = run('lintian', ['--tag-display-limit', '0', built().file, broken], {
      env: { ...process.env, TMPDIR: lintianTmp },
    });
    const report = `${result.stdout}${result.stderr}`;
    const ours = report.split('\n').filter((line) => /^[EWIXPO]: zenithfenced[ :]/.test(line));
    if (ours.length > 0) console.log(`lintian on ${path.basename(built().file)}:\n${ours.join('\n')}`);
    expect(ours.filter((line) => line.startsWith('E: '))).toEqual([]);
    expect(report).toMatch(/^E: zenithfenced-broken: bogus-mail-host /m);
  }, 120_000);
});

describe('the release environment', () => {
  it('a release build without it stops with one sentence naming every missing variable', () => {
    const attempt = () =>
      buildDeb({ outDir: path.join(scratch, 'none'), binary: RELEASE_BINARY, testBuild: false, env: {} });
    expect(attempt).toThrow(DebBuildError);
    expect(attempt).toThrow(
      /^A release build needs ZF_HOMEPAGE, ZF_AUTHOR and ZF_MAINTAINER in its environment .*--test-build\.$/,
    );
    const withoutMaintainer = { ZF_HOMEPAGE: RELEASE_ENV.ZF_HOMEPAGE, ZF_AUTHOR: RELEASE_ENV.ZF_AUTHOR };
    expect(() =>
      buildDeb({
        outDir: path.join(scratch, 'none'),
        binary: RELEASE_BINARY,
        testBuild: false,
        env: withoutMaintainer,
      }),
    ).toThrow(/^A release build needs ZF_MAINTAINER in its environment/);
    expect(existsSync(path.join(scratch, 'none'))).toBe(false);
  });

  it('the command line says the same in one line and exits 1', () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], TMPDIR: os.tmpdir() };
    const result = run(path.join(BIN, 'node'), ['resources/deb/build-deb.ts', '--out', path.join(scratch, 'cli')], {
      env,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^build-deb: A release build needs ZF_HOMEPAGE, ZF_AUTHOR and ZF_MAINTAINER /);
  });

  it('a release build takes maintainer, homepage and author from it', () => {
    const release = buildDeb({
      outDir: path.join(scratch, 'release'),
      binary: RELEASE_BINARY,
      testBuild: false,
      env: RELEASE_ENV,
    });
    const control = controlMember(release.file, 'control');
    expect(control).toContain(`Maintainer: ${RELEASE_ENV.ZF_MAINTAINER}\n`);
    expect(control).toContain(`Homepage: ${RELEASE_ENV.ZF_HOMEPAGE}\n`);
    const copyright = member(release.file, '/usr/share/doc/zenithfenced/copyright').toString();
    expect(copyright).toContain(`Upstream-Contact: ${RELEASE_ENV.ZF_AUTHOR}\n`);
    expect(copyright).toContain(`Source: ${RELEASE_ENV.ZF_HOMEPAGE}\n`);
    const changelog = gunzipSync(member(release.file, '/usr/share/doc/zenithfenced/changelog.Debian.gz')).toString();
    expect(changelog).toContain(` -- ${RELEASE_ENV.ZF_MAINTAINER}  `);
  }, 60_000);
});

// ---- Installing and purging on this machine (root) ---------------------------------------------

const gate = rootGate('the zenithfenced package install tests');
/** What the package touches, and what it must leave as it found it. */
const WATCHED_PATHS = [
  ...Object.keys(PACKAGE_FILES),
  '/usr/share/doc/zenithfenced',
  '/var/lib/zenithfence',
  '/etc/systemd/system/zenithfenced.service',
  '/etc/systemd/system/multi-user.target.wants/zenithfenced.service',
];
/** deb-systemd-helper's records and systemd's local units: every entry, by name. */
const WATCHED_TREES = [
  '/etc/systemd/system',
  '/var/lib/systemd/deb-systemd-helper-enabled',
  '/var/lib/systemd/deb-systemd-helper-masked',
];

function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => path.join(dir, entry))
    .sort();
}

interface Snapshot {
  readonly groups: string;
  readonly users: string;
  readonly paths: Record<string, boolean>;
  readonly trees: string[];
  readonly dpkgStatus: string;
}

function snapshot(): Snapshot {
  const pathExists = (file: string): boolean => {
    try {
      lstatSync(file);
      return true;
    } catch {
      return false;
    }
  };
  return {
    groups: run('getent', ['group']).stdout.split('\n').sort().join('\n'),
    users: run('getent', ['passwd']).stdout.split('\n').sort().join('\n'),
    paths: Object.fromEntries(WATCHED_PATHS.map((file) => [file, pathExists(file)])),
    trees: WATCHED_TREES.flatMap(listTree),
    dpkgStatus: run('dpkg-query', ['--show', '--showformat=${db:Status-Abbrev}', 'zenithfenced']).stdout.trim(),
  };
}

describe.skipIf(gate.skip)('dpkg -i, then dpkg --purge (as root, on this machine)', () => {
  let installedHere = false;
  afterAll(() => {
    // Never leave the package behind, whatever failed above.
    if (installedHere && run('dpkg-query', ['--show', 'zenithfenced']).status === 0) {
      run('dpkg', ['--purge', 'zenithfenced']);
    }
  });

  it('installs the daemon, unit, group and enablement, and purging leaves the system as it was', () => {
    gate.assertRoot();
    const before = snapshot();
    expect(before.dpkgStatus, 'zenithfenced is installed on this machine already: the test will not touch it').toBe('');
    expect(before.groups).not.toMatch(/^zenithfence:/m);
    // Purging removes that directory: one that is there already (a daemon ran here, or a killed
    // run of this test left it) may hold somebody's stored policy, so the test touches nothing.
    expect(
      before.paths['/var/lib/zenithfence'],
      '/var/lib/zenithfence exists already: move it away (or purge zenithfenced) before this test',
    ).toBe(false);
    expect(existsSync('/run/systemd/system'), 'this test expects no running systemd').toBe(false);

    installedHere = true;
    const install = run('dpkg', ['--install', built().file]);
    expect(install.status, `${install.stdout}${install.stderr}`).toBe(0);
    expect(install.stdout).toContain('users who run the ZenithFence app must be in the group zenithfence');
    // No systemd runs here: the scripts skipped systemctl without a word of error.
    expect(install.stderr).not.toMatch(/systemctl|System has not been booted/);

    const installed = snapshot();
    expect(installed.dpkgStatus).toBe('ii');
    expect(run('getent', ['group', 'zenithfence']).stdout).toMatch(/^zenithfence:x:\d+:$/m);
    for (const file of Object.keys(PACKAGE_FILES)) expect(installed.paths[file], file).toBe(true);
    // Enabled for the next boot (deb-systemd-helper's link and record), not started.
    expect(installed.paths['/etc/systemd/system/multi-user.target.wants/zenithfenced.service']).toBe(true);
    expect(
      installed.trees.some((entry) => entry.includes('deb-systemd-helper-enabled') && entry.endsWith('.dsh-also')),
    ).toBe(true);
    expect(run('/usr/sbin/zenithfenced', ['--version']).stdout).toContain(`zenithfenced ${daemonVersion()}`);

    // What the daemon would have stored while it ran (systemd's StateDirectory).
    mkdirSync('/var/lib/zenithfence', { mode: 0o700 });
    writeFileSync('/var/lib/zenithfence/policy', 'stored policy stand-in\n');

    const purge = run('dpkg', ['--purge', 'zenithfenced']);
    expect(purge.status, `${purge.stdout}${purge.stderr}`).toBe(0);
    expect(snapshot()).toEqual(before);
  }, 120_000);
});
