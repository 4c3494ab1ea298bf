// zenithfenced's maintainer scripts and systemd unit: the scripts pass shellcheck as POSIX sh and
// do what resources/README.md says, the unit passes systemd-analyze, and unit, scripts, the deb
// build (resources/deb/build-deb.ts), electron-builder.yml and the app agree on paths and names.
// What the scripts do under dpkg is proven by resources/deb/build-deb.test.ts (install, purge).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonVersion, MAINTAINER_SCRIPTS, PACKAGE_FILES } from '../../deb/build-deb.ts';
import { loadBuilderConfig, pick, REPO_ROOT, run } from '../../test-support/packaging.ts';
import { requireTool, SHELLCHECK, SYSTEMD_ANALYZE, systemdAnalyzeSkipped } from '../../test-support/tools.ts';

const HERE = path.join(REPO_ROOT, 'resources', 'installer', 'linux');
const read = (file: string): string => readFileSync(file, 'utf8');
const config = loadBuilderConfig();
const UNIT_FILE = path.join(HERE, 'zenithfenced.service');
const unit = read(UNIT_FILE);
const script = (name: (typeof MAINTAINER_SCRIPTS)[number]): string => read(path.join(HERE, name));

/** A unit directive's value (the first one). */
function directive(name: string): string {
  const value = new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1];
  if (value === undefined) throw new Error(`the unit has no ${name}=`);
  return value.trim();
}

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-linux-pkg-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `text` to the scratch folder as `name` and runs shellcheck on it as POSIX sh. */
function shellcheck(name: string, text: string) {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  const result = run('shellcheck', ['--shell=sh', '--format=gcc', file]);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('maintainer scripts (postinst, prerm, postrm)', () => {
  it('are POSIX sh scripts that stop at the first error and pass shellcheck', () => {
    requireTool(SHELLCHECK);
    for (const name of MAINTAINER_SCRIPTS) {
      const text = script(name);
      expect(text.startsWith('#!/bin/sh\n'), name).toBe(true);
      expect(text, name).toMatch(/^set -e$/m);
      const result = shellcheck(name, text);
      expect(result.output, name).toBe('');
      expect(result.status, name).toBe(0);
    }
  });

  it('shellcheck really checks: a script with an unquoted variable or bash syntax fails', () => {
    requireTool(SHELLCHECK);
    const unquoted = shellcheck('broken.sh', '#!/bin/sh\nrm -f $1\n');
    expect(unquoted.status).not.toBe(0);
    expect(unquoted.output).toContain('SC2086');
    const bashism = shellcheck('bashism.sh', '#!/bin/sh\nif [[ -n "$1" ]]; then echo x; fi\n');
    expect(bashism.status).not.toBe(0);
    expect(bashism.output).toContain('SC3010');
  });

  it('postinst creates the group, records the enablement, and starts only where systemd runs', () => {
    const postinst = script('postinst');
    expect(postinst).toContain('zf_group=zenithfence');
    expect(postinst).toContain('groupadd --system "$zf_group"');
    expect(postinst).toContain('zf_unit=zenithfenced.service');
    expect(postinst).toMatch(/deb-systemd-helper enable "\$zf_unit"/);
    // Every systemctl and deb-systemd-invoke call sits inside the one systemd guard.
    const guarded = postinst.slice(postinst.indexOf('if [ -d /run/systemd/system ]; then'));
    const guardEnd = guarded.indexOf('\n    fi\n');
    for (const call of ['systemctl --system daemon-reload', 'deb-systemd-invoke "$zf_action" "$zf_unit"']) {
      expect(guarded.indexOf(call), call).toBeGreaterThan(0);
      expect(guarded.indexOf(call), call).toBeLessThan(guardEnd);
      expect(postinst.indexOf(call)).toBe(postinst.lastIndexOf(call));
    }
  });

  it('prerm stops the daemon on remove only; postrm purge forgets the unit, the state and the group', () => {
    const prerm = script('prerm');
    expect(prerm).toMatch(/if \[ "\$1" = remove \] && \[ -d \/run\/systemd\/system \]; then/);
    expect(prerm).toContain('deb-systemd-invoke stop "$zf_unit"');
    const postrm = script('postrm');
    const purge = postrm.slice(postrm.indexOf('if [ "$1" = purge ]; then'));
    expect(purge).toContain('deb-systemd-helper purge "$zf_unit"');
    expect(purge).toContain('rm -rf "$zf_state"');
    expect(postrm).toContain('zf_state=/var/lib/zenithfence');
    expect(purge).toContain('groupdel "$zf_group"');
  });
});

describe('zenithfenced.service', () => {
  it('passes systemd-analyze verify (ExecStart pointed at the built daemon)', (context) => {
    if (systemdAnalyzeSkipped()) {
      console.log('zenithfenced.service: ZF_SKIP_SYSTEMD_ANALYZE=1, so systemd-analyze verify was SKIPPED.');
      context.skip();
    }
    requireTool(SYSTEMD_ANALYZE);
    // verify checks that ExecStart's binary exists; /usr/sbin/zenithfenced exists only once the
    // package is installed, so the copy points at the daemon npm install built.
    const dir = mkdtempSync(path.join(scratch, 'unit-'));
    const daemon = path.join(REPO_ROOT, 'driver', 'target', 'release', 'zenithfenced');
    const withBinary = (binary: string): string => unit.replace(/^ExecStart=\S+/m, `ExecStart=${binary}`);
    writeFileSync(path.join(dir, 'zenithfenced.service'), withBinary(daemon));
    const result = run('systemd-analyze', ['verify', '--man=no', path.join(dir, 'zenithfenced.service')]);
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);

    // It has teeth: an unknown directive and a missing binary are reported (an empty report is
    // required above, so the warning alone would fail that check too). The missing binary is in
    // the scratch folder, not /usr/sbin, which the package test may fill meanwhile.
    const missing = path.join(scratch, 'no-such-daemon');
    const broken = path.join(mkdtempSync(path.join(scratch, 'broken-unit-')), 'zenithfenced.service');
    writeFileSync(broken, `${withBinary(missing)}\n[Service]\nProtectEverything=yes\n`);
    const rejected = run('systemd-analyze', ['verify', '--man=no', broken]);
    expect(rejected.status).not.toBe(0);
    expect(rejected.stderr).toContain("Unknown key 'ProtectEverything'");
    expect(rejected.stderr).toContain(`${missing} is not executable`);
  });

  it('systemd-analyze security rates its exposure at most 3.0 ("OK")', (context) => {
    if (systemdAnalyzeSkipped()) {
      console.log('zenithfenced.service: ZF_SKIP_SYSTEMD_ANALYZE=1, so systemd-analyze security was SKIPPED.');
      context.skip();
    }
    requireTool(SYSTEMD_ANALYZE);
    const result = run('systemd-analyze', ['security', '--offline=yes', '--threshold=30', '--no-pager', UNIT_FILE]);
    expect(result.stdout).toMatch(/Overall exposure level for zenithfenced\.service: [0-2]\.\d|3\.0/);
    expect(result.status).toBe(0);
  });

  it('runs as root with only CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_BPF and CAP_PERFMON, each justified', () => {
    const caps = 'CAP_NET_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_BPF CAP_PERFMON';
    expect(directive('User')).toBe('root');
    expect(directive('CapabilityBoundingSet')).toBe(caps);
    expect(directive('AmbientCapabilities')).toBe(caps);
    for (const cap of caps.split(' ')) expect(unit).toMatch(new RegExp(`^# ${cap}: \\S`, 'm'));
    expect(directive('NoNewPrivileges')).toBe('yes');
    expect(directive('ProtectSystem')).toBe('strict');
    // Attribution needs every process's /proc entry.
    expect(directive('ProtectProc')).toBe('default');
    // The notification socket is a Unix socket: the address families must keep AF_UNIX.
    expect(directive('RestrictAddressFamilies').split(' ')).toContain('AF_UNIX');
    // The record of connecting processes loads BPF programs (driver/linux/src/connect_owners.rs).
    expect(directive('SystemCallFilter').split(' ')).toEqual(['@system-service', 'bpf']);
  });

  it('is Type=notify, reads /etc/default/zenithfenced and points at the man page', () => {
    expect(directive('Type')).toBe('notify');
    expect(directive('EnvironmentFile')).toBe('-/etc/default/zenithfenced');
    expect(directive('ExecStart').endsWith(' $ZENITHFENCED_OPTS')).toBe(true);
    expect(directive('Documentation')).toBe('man:zenithfenced(8)');
    // The daemon sends READY=1 (driver/linux/src/notify.rs, tested in driver/linux/tests/systemd.rs).
    const daemonStart = read(path.join(REPO_ROOT, 'driver', 'linux', 'src', 'run.rs'));
    expect(daemonStart).toContain('"READY=1"');
  });

  it('agrees with the zenithfenced deb, electron-builder.yml and the app', () => {
    const [binary, ...args] = directive('ExecStart').split(' ');
    // The deb installs the daemon and the unit where the unit and systemd look for them.
    expect(Object.keys(PACKAGE_FILES)).toContain(binary);
    expect(Object.keys(PACKAGE_FILES)).toContain('/usr/lib/systemd/system/zenithfenced.service');
    // The app's deb depends on that package, at least the app's (= the daemon's) version.
    const appVersion = (JSON.parse(read(path.join(REPO_ROOT, 'package.json'))) as { version: string }).version;
    expect(daemonVersion()).toBe(appVersion);
    expect(pick(config, 'deb', 'depends')).toContain(`zenithfenced (>= ${appVersion})`);
    // The socket the app opens (native/src/open-driver.ts) and the group the postinst creates.
    const nativeDefault = /DEFAULT_SOCKET_PATH = '([^']+)'/.exec(
      read(path.join(REPO_ROOT, 'native', 'src', 'open-driver.ts')),
    )?.[1];
    expect(args.slice(0, 4)).toEqual(['--socket', nativeDefault, '--group', 'zenithfence']);
    expect(path.dirname(String(nativeDefault))).toBe(`/run/${directive('RuntimeDirectory')}`);
    // A crashed daemon's record of the chains its rules made must outlive the automatic restart.
    expect(directive('RuntimeDirectoryPreserve')).toBe('restart');
    expect(directive('SupplementaryGroups')).toBe('zenithfence');
    // The daemon's default --policy-file lies in the state directory systemd makes (root's, 0700),
    // so the stored policy survives restarts and boots, and nobody else can read or change it;
    // the postrm removes that directory on purge.
    const policyFile = /DEFAULT_POLICY_FILE: &str = "([^"]+)"/.exec(
      read(path.join(REPO_ROOT, 'driver', 'linux', 'src', 'policy_file.rs')),
    )?.[1];
    expect(path.dirname(String(policyFile))).toBe(`/var/lib/${directive('StateDirectory')}`);
    expect(script('postrm')).toContain(`zf_state=/var/lib/${directive('StateDirectory')}\n`);
    expect(directive('StateDirectoryMode')).toBe('0700');
    expect(args).not.toContain('--policy-file');
  });
});
