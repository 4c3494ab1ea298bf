// The deb's maintainer scripts and zenithfenced's systemd unit: they extend electron-builder's
// default scripts, pass shellcheck as electron-builder renders them, the unit passes
// systemd-analyze, and unit, scripts, electron-builder.yml and the app agree on paths and names.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_BUILDER_LIB,
  REPO_ROOT,
  loadBuilderConfig,
  maintainerScriptMacros,
  pick,
  renderMaintainerScript,
  run,
} from '../../test-support/packaging.ts';
import { SHELLCHECK, SYSTEMD_ANALYZE, requireTool, systemdAnalyzeSkipped } from '../../test-support/tools.ts';

const HERE = path.join(REPO_ROOT, 'resources', 'installer', 'linux');
const read = (file: string): string => readFileSync(file, 'utf8');
const config = loadBuilderConfig();
const macros = maintainerScriptMacros(config);
const UNIT_FILE = path.join(HERE, 'zenithfenced.service');
const unit = read(UNIT_FILE);
const SCRIPTS = {
  afterInstall: { ours: path.join(HERE, 'after-install.sh'), template: 'after-install.tpl' },
  afterRemove: { ours: path.join(HERE, 'after-remove.sh'), template: 'after-remove.tpl' },
} as const;
const ADDITIONS_MARKER = '# ---- ZenithFence: the zenithfenced daemon ';

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

/** Writes `text` to the scratch folder as `name` and runs shellcheck on it. */
function shellcheck(name: string, text: string) {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  const result = run('shellcheck', ['--shell=bash', '--format=gcc', file]);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('deb maintainer scripts', () => {
  it.each(Object.entries(SCRIPTS))(
    "%s extends electron-builder's default template, copied verbatim",
    (_name, { ours, template }) => {
      const defaultScript = read(path.join(APP_BUILDER_LIB, 'templates', 'linux', template));
      const body = defaultScript.replace(/^#!\/bin\/bash\n/, '');
      const text = read(ours);
      expect(text.startsWith('#!/bin/bash\n')).toBe(true);
      expect(text, `re-copy ${template} into ${path.basename(ours)} (electron-builder changed it)`).toContain(body);
      expect(text.indexOf(body)).toBeLessThan(text.indexOf(ADDITIONS_MARKER));
    },
  );

  it('the scripts use only macros electron-builder defines (an unknown one fails its build)', () => {
    for (const { ours } of Object.values(SCRIPTS)) {
      expect(() => renderMaintainerScript(read(ours), macros)).not.toThrow();
    }
    expect(() => renderMaintainerScript('echo ${notAMacro}', macros)).toThrow('Macro notAMacro is not defined');
  });

  it('shellcheck passes on the postinst and postrm as electron-builder renders them, and on the prerm', () => {
    requireTool(SHELLCHECK);
    for (const [name, { ours }] of Object.entries(SCRIPTS)) {
      const result = shellcheck(`${name}.rendered.sh`, renderMaintainerScript(read(ours), macros));
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    }
    const prerm = shellcheck('before-remove.sh', read(path.join(HERE, 'before-remove.sh')));
    expect(prerm.output).toBe('');
    expect(prerm.status).toBe(0);
  });

  it("shellcheck passes on our additions alone, without the file's exclusions for electron-builder's lines", () => {
    requireTool(SHELLCHECK);
    for (const [name, { ours }] of Object.entries(SCRIPTS)) {
      const text = read(ours);
      const additions = text.slice(text.indexOf(ADDITIONS_MARKER));
      const result = shellcheck(`${name}.additions.sh`, `#!/bin/bash\n${renderMaintainerScript(additions, macros)}`);
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    }
  });

  it('shellcheck really checks: a script with an unquoted variable fails', () => {
    requireTool(SHELLCHECK);
    const result = shellcheck('broken.sh', '#!/bin/bash\nrm -f $1\n');
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('SC2086');
  });

  it('postinst creates the group and enables and starts the unit; prerm stops it on remove only', () => {
    const postinst = read(SCRIPTS.afterInstall.ours);
    expect(postinst).toContain('zf_group=zenithfence');
    expect(postinst).toContain('groupadd --system "$zf_group"');
    expect(postinst).toContain('zf_unit=zenithfenced.service');
    expect(postinst).toContain('systemctl --system daemon-reload');
    expect(postinst).toMatch(/deb-systemd-helper enable "\$zf_unit"/);
    const prerm = read(path.join(HERE, 'before-remove.sh'));
    expect(prerm).toMatch(/if \[ "\$1" = remove \] && \[ -d \/run\/systemd\/system \]; then/);
    expect(prerm).toContain('deb-systemd-invoke stop "$zf_unit"');
  });
});

describe('zenithfenced.service', () => {
  it('passes systemd-analyze verify (ExecStart pointed at the built daemon)', (context) => {
    if (systemdAnalyzeSkipped()) {
      console.log('zenithfenced.service: ZF_SKIP_SYSTEMD_ANALYZE=1, so systemd-analyze verify was SKIPPED.');
      context.skip();
    }
    requireTool(SYSTEMD_ANALYZE);
    // verify checks that ExecStart's binary exists; /opt/ZenithFence exists only once installed,
    // so the copy points at the daemon npm install built (the layout test checks the real path).
    const dir = mkdtempSync(path.join(scratch, 'unit-'));
    const daemon = path.join(REPO_ROOT, 'driver', 'target', 'release', 'zenithfenced');
    writeFileSync(
      path.join(dir, 'zenithfenced.service'),
      unit.replace(directive('ExecStart').split(' ')[0] ?? '', daemon),
    );
    const result = run('systemd-analyze', ['verify', '--man=no', path.join(dir, 'zenithfenced.service')]);
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);

    // It has teeth: an unknown directive and a missing binary are reported (an empty report is
    // required above, so the warning alone would fail that check too).
    const broken = path.join(mkdtempSync(path.join(scratch, 'broken-unit-')), 'zenithfenced.service');
    copyFileSync(UNIT_FILE, broken);
    writeFileSync(broken, `${read(broken)}\n[Service]\nProtectEverything=yes\n`);
    const rejected = run('systemd-analyze', ['verify', '--man=no', broken]);
    expect(rejected.status).not.toBe(0);
    expect(rejected.stderr).toContain("Unknown key 'ProtectEverything'");
    expect(rejected.stderr).toContain('/opt/ZenithFence/resources/bin/zenithfenced is not executable');
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

  it('runs as root with only CAP_NET_ADMIN, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, each justified', () => {
    const caps = 'CAP_NET_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH';
    expect(directive('User')).toBe('root');
    expect(directive('CapabilityBoundingSet')).toBe(caps);
    expect(directive('AmbientCapabilities')).toBe(caps);
    for (const cap of caps.split(' ')) expect(unit).toMatch(new RegExp(`^# ${cap}: \\S`, 'm'));
    expect(directive('NoNewPrivileges')).toBe('yes');
    expect(directive('ProtectSystem')).toBe('strict');
    // Attribution needs every process's /proc entry.
    expect(directive('ProtectProc')).toBe('default');
  });

  it('agrees with electron-builder.yml, the maintainer scripts and the app', () => {
    const [binary, ...args] = directive('ExecStart').split(' ');
    // linux.extraResources puts the daemon in resources/bin of /opt/<productName>.
    const extra = pick(config, 'linux', 'extraResources') as { from: string; to: string }[];
    const daemon = extra.find((entry) => entry.to === 'bin/zenithfenced');
    expect(daemon?.from).toBe('driver/target/release/zenithfenced');
    expect(binary).toBe(`/opt/${String(pick(config, 'productName'))}/resources/bin/zenithfenced`);
    // The socket the app opens (native/src/open-driver.ts) and the group the postinst creates.
    const nativeDefault = /DEFAULT_SOCKET_PATH = '([^']+)'/.exec(
      read(path.join(REPO_ROOT, 'native', 'src', 'open-driver.ts')),
    )?.[1];
    expect(args.slice(0, 4)).toEqual(['--socket', nativeDefault, '--group', 'zenithfence']);
    expect(path.dirname(String(nativeDefault))).toBe(`/run/${directive('RuntimeDirectory')}`);
    expect(directive('SupplementaryGroups')).toBe('zenithfence');
    // The daemon's default --policy-file lies in the state directory systemd makes (root's, 0700),
    // so the stored policy survives restarts and boots, and nobody else can read or change it.
    const policyFile = /DEFAULT_POLICY_FILE: &str = "([^"]+)"/.exec(
      read(path.join(REPO_ROOT, 'driver', 'linux', 'src', 'policy_file.rs')),
    )?.[1];
    expect(path.dirname(String(policyFile))).toBe(`/var/lib/${directive('StateDirectory')}`);
    expect(directive('StateDirectoryMode')).toBe('0700');
    expect(args).not.toContain('--policy-file');
    // The deb installs the unit file where systemd looks for packaged units.
    expect(pick(config, 'deb', 'fpm')).toContain(
      'resources/installer/linux/zenithfenced.service=/usr/lib/systemd/system/zenithfenced.service',
    );
  });
});
