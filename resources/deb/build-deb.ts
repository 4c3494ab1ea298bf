// `npm run package:deb` (node resources/deb/build-deb.ts [--test-build] [--out DIR] [--binary FILE]):
// the Debian package `zenithfenced` — the daemon, its systemd unit, its man page, its options file
// and the one set of maintainer scripts (resources/installer/linux/) — built with
// `dpkg-deb --root-owner-group --build`, offline. The app's deb (electron-builder) depends on it.
// A release build takes its maintainer, homepage and author from the environment
// (resources/installer/release-metadata.mjs) and stops with one sentence without them;
// `--test-build` uses a maintainer that says it is a test build instead. resources/README.md,
// "Debian package", says what ends up where and why; build-deb.test.ts checks it with lintian and
// by installing and purging it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readReleaseMetadata, TEST_BUILD_MAINTAINER } from '../installer/release-metadata.mjs';

const REPO_ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const HERE = path.join(REPO_ROOT, 'resources', 'deb');
const LINUX_INSTALLER = path.join(REPO_ROOT, 'resources', 'installer', 'linux');
/** The daemon `npm install` builds (cargo's release profile). */
export const RELEASE_BINARY = path.join(REPO_ROOT, 'driver', 'target', 'release', 'zenithfenced');
export const PACKAGE = 'zenithfenced';
/**
 * The Debian revision: the package is not native (its upstream is the Cargo crate), so its
 * changelog is changelog.Debian.gz. Raise it for a repackaging of the same daemon version.
 */
export const DEBIAN_REVISION = '1';
/** What dpkg-deb puts in the package: paths inside it, file modes. */
export const PACKAGE_FILES = {
  '/usr/sbin/zenithfenced': 0o755,
  '/usr/lib/systemd/system/zenithfenced.service': 0o644,
  '/usr/share/man/man8/zenithfenced.8.gz': 0o644,
  '/etc/default/zenithfenced': 0o644,
  '/usr/share/doc/zenithfenced/copyright': 0o644,
  '/usr/share/doc/zenithfenced/changelog.Debian.gz': 0o644,
} as const;
export const CONFFILES = ['/etc/default/zenithfenced'] as const;
/** The maintainer scripts, as dpkg names them, from resources/installer/linux/. */
export const MAINTAINER_SCRIPTS = ['postinst', 'prerm', 'postrm'] as const;
/** Run-time dependencies beyond the shared libraries dpkg-shlibdeps finds, each for what uses it. */
export const TOOL_DEPENDS = [
  // nft installs the daemon's rules (driver/README.md, "The path of a new connection").
  // Not iptables: the daemon uses it only, when present, to sweep what versions before
  // 2026-12-07 left.
  'nftables',
  // groupadd in the postinst, groupdel in the postrm (purge).
  'passwd',
] as const;
const MAN_NAME = 'ZenithFence application firewall driver (NFQUEUE daemon)';
const SYNOPSIS = 'ZenithFence application firewall driver (daemon)';
/** The extended description, in lines of at most 79 characters (Debian policy 3.4.1). */
const DESCRIPTION = [
  'zenithfenced holds the first packet of every new connection in NFQUEUE until',
  'the ZenithFence desktop app, or one of the rules it stored here, decides. It',
  'runs as the systemd service zenithfenced.service and keeps enforcing the',
  'stored rules while the app is closed. Members of the group zenithfence may',
  'use its socket.',
];

/** A failure with the one sentence that says what to do. */
export class DebBuildError extends Error {}

export interface DebBuildOptions {
  /** Where the .deb is written (made when missing). */
  readonly outDir: string;
  /** The daemon to package (a release build of this tree's driver/linux). */
  readonly binary: string;
  /** A build for tests: a test maintainer, no homepage, never to be published. */
  readonly testBuild: boolean;
  /** The release environment (ZF_MAINTAINER, ZF_HOMEPAGE, ZF_AUTHOR, SOURCE_DATE_EPOCH). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress lines (the command line prints them). */
  readonly say?: (line: string) => void;
}

export interface BuiltDeb {
  readonly file: string;
  readonly version: string;
  readonly architecture: string;
  /** DEBIAN/control as written. */
  readonly control: string;
}

/** Runs a tool, returning its stdout; a failure becomes a DebBuildError naming it. */
function tool(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd, env: options.env ?? process.env });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DebBuildError(missingTool(command));
    throw result.error;
  }
  if (result.status !== 0) {
    throw new DebBuildError(`${command} ${args.join(' ')} failed: ${`${result.stderr}${result.stdout}`.trim()}`);
  }
  return result.stdout;
}

/** The Debian package each tool comes from (.ci/run installs them). */
const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  'dpkg-deb': 'dpkg',
  dpkg: 'dpkg',
  'dpkg-shlibdeps': 'dpkg-dev',
  help2man: 'help2man',
  strip: 'binutils',
};

function missingTool(command: string): string {
  const debianPackage = TOOL_PACKAGES[command];
  const install = debianPackage === undefined ? '' : `: install it with \`sudo apt-get install -y ${debianPackage}\``;
  return `${command} is missing, and the zenithfenced package cannot be built without it${install}.`;
}

/** The daemon's version: driver/linux/Cargo.toml's, or the workspace's it refers to. */
export function daemonVersion(repoRoot: string = REPO_ROOT): string {
  const crate = readFileSync(path.join(repoRoot, 'driver', 'linux', 'Cargo.toml'), 'utf8');
  const own = /^version\s*=\s*"([^"]+)"/m.exec(crate)?.[1];
  if (own !== undefined) return own;
  if (!/^version\.workspace\s*=\s*true/m.test(crate))
    throw new DebBuildError('driver/linux/Cargo.toml has no version.');
  const workspace = readFileSync(path.join(repoRoot, 'driver', 'Cargo.toml'), 'utf8');
  const section = workspace.split(/^\[workspace\.package\]\s*$/m)[1]?.split(/^\[/m)[0] ?? '';
  const version = /^version\s*=\s*"([^"]+)"/m.exec(section)?.[1];
  if (version === undefined) throw new DebBuildError('driver/Cargo.toml has no [workspace.package] version.');
  return version;
}

/** The time every generated file carries: SOURCE_DATE_EPOCH, else the last commit's. */
function sourceDateEpoch(env: DebBuildOptions['env']): number {
  const given = env['SOURCE_DATE_EPOCH'];
  if (given !== undefined && /^\d+$/.test(given)) return Number(given);
  const commit = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT, encoding: 'utf8' });
  const seconds = Number(commit.stdout?.trim());
  return commit.status === 0 && Number.isInteger(seconds) && seconds > 0 ? seconds : 0;
}

/** RFC 5322 date, as Debian changelogs write it (always UTC here). */
function changelogDate(epoch: number): string {
  return new Date(epoch * 1000).toUTCString().replace(/GMT$/, '+0000');
}

/** A text file compressed the Debian way (gzip -9n: no name, no time stamp). */
function gzip(text: string | Buffer): Buffer {
  // zlib writes no name and a zero time stamp; level 9 as gzip -9.
  return gzipSync(text, { level: 9 });
}

/** The machine-readable copyright file (DEP-5): the project's MIT licence from LICENSE. */
function copyrightFile(homepage: string | undefined, authorContact: string | undefined): string {
  const licence = readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8');
  const holder = /^Copyright \(c\) (.+)$/m.exec(licence)?.[1];
  if (holder === undefined) throw new DebBuildError('LICENSE has no "Copyright (c) …" line.');
  // The licence text after its copyright line, each line indented, empty ones as " .".
  const body = licence
    .slice(licence.indexOf(holder) + holder.length)
    .trim()
    .split('\n')
    .map((line) => (line.trim() === '' ? ' .' : ` ${line}`))
    .join('\n');
  const header = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: ZenithFence',
    ...(authorContact === undefined ? [] : [`Upstream-Contact: ${authorContact}`]),
    ...(homepage === undefined ? [] : [`Source: ${homepage}`]),
  ];
  return `${header.join('\n')}\n\nFiles: *\nCopyright: ${holder}\nLicense: Expat\n\nLicense: Expat\n${body}\n`;
}

function changelogFile(version: string, maintainer: string, epoch: number, testBuild: boolean): string {
  const entry = testBuild
    ? `  * Test build of zenithfenced ${version}, not for publication.`
    : `  * zenithfenced ${version}: see the ZenithFence release notes.`;
  return `${PACKAGE} (${version}) unstable; urgency=medium\n\n${entry}\n\n -- ${maintainer}  ${changelogDate(epoch)}\n`;
}

/** Writes `content` at `root` + `file` with `mode`, making the directories (0755). */
function put(root: string, file: string, content: string | Buffer, mode: number): void {
  const target = path.join(root, file);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`)
        : [`${prefix}${entry.name}`],
    )
    .sort();
}

/** The release or test metadata; a release without its environment stops here. */
function packageMetadata(options: DebBuildOptions) {
  if (options.testBuild) {
    options.say?.(`TEST BUILD: Maintainer is "${TEST_BUILD_MAINTAINER}", no Homepage; do not publish this package.`);
    return { maintainer: TEST_BUILD_MAINTAINER, homepage: undefined, author: undefined };
  }
  const release = readReleaseMetadata(options.env);
  if (release.problem !== undefined) {
    // Still one sentence: the way out for a package that is not a release.
    throw new DebBuildError(`${release.problem.replace(/\.$/, '')}; a package for tests or local use: --test-build.`);
  }
  const { homepage, author, maintainer } = release.metadata;
  return { maintainer, homepage, author: `${author.name} <${author.email}>` };
}

/** Builds the package; returns where it is. Temporary files go to a private folder, removed after. */
export function buildDeb(options: DebBuildOptions): BuiltDeb {
  const metadata = packageMetadata(options);
  const upstream = daemonVersion();
  const version = `${upstream}-${DEBIAN_REVISION}`;
  const architecture = tool('dpkg', ['--print-architecture']).trim();
  let binaryHead: Buffer;
  try {
    binaryHead = readFileSync(options.binary).subarray(0, 4);
  } catch {
    throw new DebBuildError(
      `There is no daemon at ${options.binary}: run \`npm install\` (or cargo build --release) first.`,
    );
  }
  if (!binaryHead.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
    throw new DebBuildError(`${options.binary} is not an ELF executable.`);
  }
  // A daemon of another version is a stale build: the package would lie about what it holds.
  const built = tool(options.binary, ['--version']).split('\n')[0];
  if (built !== `zenithfenced ${upstream}`) {
    throw new DebBuildError(
      `${options.binary} says "${built ?? ''}", not zenithfenced ${upstream}: rebuild it (npm install).`,
    );
  }
  const epoch = sourceDateEpoch(options.env);

  const scratch = mkdtempSync(path.join(os.tmpdir(), 'zf-deb-build-'));
  try {
    const root = path.join(scratch, `${PACKAGE}_${version}_${architecture}`);
    mkdirSync(root, { mode: 0o755 });
    // The daemon, stripped as dh_strip does (no symbols, no .comment or .note sections).
    const daemon = path.join(root, 'usr', 'sbin', 'zenithfenced');
    mkdirSync(path.dirname(daemon), { recursive: true, mode: 0o755 });
    tool('strip', [
      '--strip-unneeded',
      '--remove-section=.comment',
      '--remove-section=.note',
      '-o',
      daemon,
      options.binary,
    ]);
    chmodSync(daemon, 0o755);

    put(
      root,
      'usr/lib/systemd/system/zenithfenced.service',
      readFileSync(path.join(LINUX_INSTALLER, 'zenithfenced.service')),
      0o644,
    );
    // The man page from --help and --version; help2man dates it by SOURCE_DATE_EPOCH.
    const man = tool(
      'help2man',
      ['--no-info', '--section=8', `--name=${MAN_NAME}`, `--include=${path.join(HERE, 'zenithfenced.h2m')}`, daemon],
      {
        env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch), LC_ALL: 'C.UTF-8' },
      },
    );
    put(root, 'usr/share/man/man8/zenithfenced.8.gz', gzip(man), 0o644);
    put(root, 'etc/default/zenithfenced', readFileSync(path.join(HERE, 'zenithfenced.default')), 0o644);
    put(root, 'usr/share/doc/zenithfenced/copyright', copyrightFile(metadata.homepage, metadata.author), 0o644);
    put(
      root,
      'usr/share/doc/zenithfenced/changelog.Debian.gz',
      gzip(changelogFile(version, metadata.maintainer, epoch, options.testBuild)),
      0o644,
    );

    // Shared-library dependencies as Debian computes them (the libraries' symbols files), read
    // in a throw-away source tree: dpkg-shlibdeps wants a debian/control to read.
    const source = path.join(scratch, 'source');
    mkdirSync(path.join(source, 'debian'), { recursive: true });
    writeFileSync(
      path.join(source, 'debian', 'control'),
      `Source: ${PACKAGE}\n\nPackage: ${PACKAGE}\nArchitecture: any\n`,
    );
    const shlibs = tool('dpkg-shlibdeps', ['-O', `-e${daemon}`], { cwd: source });
    const libraries = /^shlibs:Depends=(.*)$/m.exec(shlibs)?.[1]?.trim();
    if (libraries === undefined || !libraries.includes('libc6')) {
      throw new DebBuildError(`dpkg-shlibdeps found no libc6 dependency: ${shlibs.trim()}`);
    }

    const files = filesUnder(root);
    const installedKiB = files.reduce((sum, file) => sum + Math.ceil(statSync(path.join(root, file)).size / 1024), 0);
    const control = [
      `Package: ${PACKAGE}`,
      `Version: ${version}`,
      `Architecture: ${architecture}`,
      `Maintainer: ${metadata.maintainer}`,
      `Installed-Size: ${installedKiB}`,
      `Depends: ${[libraries, ...TOOL_DEPENDS].join(', ')}`,
      'Section: net',
      'Priority: optional',
      ...(metadata.homepage === undefined ? [] : [`Homepage: ${metadata.homepage}`]),
      `Description: ${SYNOPSIS}`,
      ...DESCRIPTION.map((line) => ` ${line}`),
      '',
    ].join('\n');
    const md5sums = files
      .map(
        (file) =>
          `${createHash('md5')
            .update(readFileSync(path.join(root, file)))
            .digest('hex')}  ${file}\n`,
      )
      .join('');
    put(root, 'DEBIAN/control', control, 0o644);
    put(root, 'DEBIAN/conffiles', CONFFILES.map((file) => `${file}\n`).join(''), 0o644);
    put(root, 'DEBIAN/md5sums', md5sums, 0o644);
    for (const script of MAINTAINER_SCRIPTS) {
      put(root, `DEBIAN/${script}`, readFileSync(path.join(LINUX_INSTALLER, script)), 0o755);
    }

    mkdirSync(options.outDir, { recursive: true });
    const file = path.join(options.outDir, `${PACKAGE}_${version}_${architecture}.deb`);
    tool('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, file], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
    });
    return { file, version, architecture, control };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const USAGE = `Usage: node resources/deb/build-deb.ts [--test-build] [--out DIR] [--binary FILE]
Builds ${PACKAGE}_<version>_<arch>.deb into DIR (default dist-installers/) from FILE (default
driver/target/release/zenithfenced, which npm install builds). A release build needs ZF_HOMEPAGE,
ZF_AUTHOR and ZF_MAINTAINER ("Name <e-mail>") in the environment; --test-build makes a package for
tests and local use instead, with a test maintainer, never to be published.`;

/** The command line: 0 built, 1 could not build, 2 bad arguments. */
export function main(args: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  let outDir = path.join(REPO_ROOT, 'dist-installers');
  let binary = RELEASE_BINARY;
  let testBuild = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    const [flag, inline] =
      arg?.startsWith('--') === true && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string | undefined => inline ?? args[(i += 1)];
    if (flag === '--test-build' && inline === undefined) testBuild = true;
    else if (flag === '--out' || flag === '--binary') {
      const given = value();
      if (given === undefined || given === '') {
        console.error(`build-deb: ${flag} needs a value.\n${USAGE}`);
        return 2;
      }
      if (flag === '--out') outDir = path.resolve(given);
      else binary = path.resolve(given);
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`build-deb: unknown argument '${arg ?? ''}'.\n${USAGE}`);
      return 2;
    }
  }
  try {
    const built = buildDeb({ outDir, binary, testBuild, env, say: (line) => console.log(`build-deb: ${line}`) });
    console.log(`build-deb: built ${built.file}`);
    return 0;
  } catch (error) {
    if (error instanceof DebBuildError) {
      console.error(`build-deb: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
