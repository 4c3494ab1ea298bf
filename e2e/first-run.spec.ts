import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DAEMON, NODE, REPO } from './support/headless-client.ts';
import { ReachableCheckout } from './support/reachable-checkout.ts';
import { needsRoot, stopChild, TestNet, waitFor } from './support/test-net.ts';

// `npm start` on a machine without an Electron binary, as a user runs it: the real entry
// (package.json's "start": node app/launcher/start.ts, on the Node 24 the tests use), the real
// zenithfenced it starts, curl and python. It runs inside a network namespace of the test's, so
// the daemon it starts holds that namespace's connections, never this machine's.
test.describe.configure({ mode: 'serial' });

const START = path.join(REPO, 'app', 'launcher', 'start.ts');
const PROBE = path.join(REPO, 'e2e', 'support', 'first-run-probe.ts');
const NOBODY = 65534;
const NOGROUP = 65534;
let net: TestNet;

test.beforeAll(async () => {
  test.skip(needsRoot() === 'skip', 'root tests skipped knowingly (ZF_SKIP_ROOT_TESTS=1)');
  net = new TestNet('fr');
  await net.httpServer(8080, { 'index.html': 'hello from b' });
});

test.afterAll(async () => {
  await net?.close();
});

/** What a started process printed so far, and its exit. */
interface Run {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

function watch(child: ChildProcess): Run {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/**
 * `npm start` in namespace a with a clean environment: no DISPLAY, the data under `xdg`. With
 * `checkout`, it runs from there, so the user it hands the engine to can read the code.
 */
function npmStart(
  xdg: string,
  args: readonly string[],
  extraEnv: readonly string[] = [],
  checkout?: ReachableCheckout,
): Run {
  const env = [
    `PATH=${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    `HOME=${net.dir}`,
    `XDG_DATA_HOME=${xdg}`,
    ...extraEnv,
  ];
  if (checkout === undefined) return watch(net.start(net.a, '/usr/bin/env', ['-i', ...env, NODE, START, ...args]));
  const [command, wrapped] = checkout.wrap('/usr/bin/env', [
    '-i',
    ...env,
    checkout.map(NODE),
    checkout.map(START),
    ...args,
  ]);
  return watch(net.start(net.a, command, wrapped));
}

/** The URL `npm start` prints; throws with all it printed when it exits first. */
async function urlOf(app: Run): Promise<string> {
  let ended = false;
  void app.exited.then(() => (ended = true));
  let url = '';
  await waitFor(
    async () => {
      url = /ZenithFence UI: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(app.output())?.[1] ?? '';
      if (url === '' && ended) throw new Error(`npm start exited (${String(await app.exited)}): ${app.output()}`);
      return url !== '';
    },
    60_000,
    'the URL',
  );
  return url;
}

/** The child process ids of `pid`. */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8');
  return text
    .split(' ')
    .filter((word) => word !== '')
    .map(Number);
}

/** The command line of process `pid` ('' once it is gone). */
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** The real user id of process `pid`. */
function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${String(pid)}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

/**
 * Runs the probe in namespace a against the URL `app` printed; resolves with what it printed.
 * Throws with its messages and the app's when it failed.
 */
async function probe(app: Run, url: string, ...step: string[]): Promise<string> {
  const child = spawn('ip', ['netns', 'exec', net.a, NODE, PROBE, url, ...step], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run = watch(child);
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await run.exited;
  clearTimeout(timer);
  if (code !== 0)
    throw new Error(`probe ${step.join(' ')} failed (${String(code)}): ${run.output()}\napp: ${app.output()}`);
  return stdout.trim();
}

/** The daemon's rules in namespace `ns`: its nft tables (`zenithfence_<queue>`), one a line. */
function daemonTables(ns: string): string {
  const listed = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables', 'inet'], { encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`nft list tables failed: ${listed.stderr}`);
  return listed.stdout
    .split('\n')
    .filter((line) => line.includes('zenithfence_'))
    .join('\n');
}

/** Whether `pid` is a running zenithfenced. */
function daemonRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${String(pid)}/comm`, 'utf8').trim() === 'zenithfenced';
  } catch {
    return false;
  }
}

test('as root it starts the daemon, serves the UI, holds a connection, and Ctrl-C stops it all', async () => {
  test.setTimeout(120_000);
  const xdg = path.join(net.dir, 'xdg');
  const socket = path.join(net.dir, 'driver.sock');
  // The daemon's stored policy in the test's directory, not the machine's /var/lib/zenithfence.
  const app = npmStart(xdg, [`--driver-socket=${socket}`, '--policy-file', path.join(net.dir, 'policy')]);
  const url = await urlOf(app);
  const pid = Number(/started zenithfenced \(pid (\d+)\)/.exec(app.output())?.[1]);
  expect(daemonRunning(pid)).toBe(true);
  expect(daemonTables(net.a)).toContain('table inet zenithfence_');
  // No desktop session: the URL is printed and no browser is started.
  expect(app.output()).not.toContain('opening the UI');

  expect(await probe(app, url, 'ui')).toBe('ui ok');
  expect(await probe(app, url, 'connected')).toBe('connected');
  const fetch = net.run(net.a, 'curl', ['-s', '--max-time', '60', `http://${net.ipB}:8080/`], 90_000);
  const prompt = JSON.parse(await probe(app, url, 'prompt', '8080')) as { held: number; appPath: string };
  expect(prompt).toMatchObject({ held: 1, remotePort: 8080 });
  expect(path.basename(prompt.appPath)).toBe('curl');

  app.child.kill('SIGINT');
  expect(await app.exited, app.output()).toBe(0);
  // The held connection was answered (curl ended, neither by its own time limit, 28, nor killed).
  const fetched = await fetch;
  expect([28, -1]).not.toContain(fetched.code);
  // The engine answered it, and only then was the daemon told to stop (a daemon stopped first
  // would take the link and the held connection with it), which removed its rules.
  const answered = app.output().indexOf('SIGINT: stopped (1 held connections answered)');
  expect(answered).toBeGreaterThan(-1);
  expect(app.output().indexOf('zenithfenced: info: signal 15')).toBeGreaterThan(answered);
  expect(daemonRunning(pid)).toBe(false);
  expect(daemonTables(net.a)).toBe('');
  expect(existsSync(path.join(xdg, 'zenithfence', 'zenithfence.sqlite'))).toBe(true);
});

/** A user the test creates with a group of their own (as adduser makes them), removed after. */
function temporaryUser(): { readonly name: string; readonly uid: number; readonly gid: number; remove(): void } {
  const name = `zf-fr-${String(process.pid)}`;
  const made = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name],
    {
      encoding: 'utf8',
    },
  );
  expect(made.status, made.stderr).toBe(0);
  const [uid = '', gid = ''] = spawnSync('id', ['-u', name], { encoding: 'utf8' })
    .stdout.trim()
    .concat(' ', spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim())
    .split(' ');
  // userdel removes the user's own group with them.
  return { name, uid: Number(uid), gid: Number(gid), remove: () => void spawnSync('userdel', [name]) };
}

/** `sudo npm start` as the user `uid:gid` called `name`, in a directory they can reach. */
function sudoStart(
  dir: string,
  user: { name: string; uid: number; gid: number },
  checkout: ReachableCheckout,
  extraEnv: readonly string[] = [],
): Run {
  chmodSync(dir, 0o755);
  const xdg = path.join(dir, 'xdg');
  mkdirSync(xdg);
  chownSync(xdg, user.uid, user.gid);
  const env = [`SUDO_UID=${String(user.uid)}`, `SUDO_GID=${String(user.gid)}`, `SUDO_USER=${user.name}`, ...extraEnv];
  const args = [`--driver-socket=${path.join(dir, 'driver.sock')}`, `--policy-file=${path.join(dir, 'policy')}`];
  return npmStart(xdg, args, env, checkout);
}

test('under sudo the engine runs as the user who typed it, with their data; only the daemon is root', async () => {
  test.setTimeout(120_000);
  // Not in the test's 0700 directory: the user must reach the socket and their data directory,
  // and the code (the checkout may be in a private directory too).
  const dir = mkdtempSync('/run/zf-first-run-');
  const checkout = new ReachableCheckout();
  const user = temporaryUser();
  // A desktop session: a stand-in browser ($BROWSER) writes down the environment it got.
  const seen = path.join(dir, 'browser', 'seen');
  mkdirSync(path.dirname(seen), { recursive: true });
  chownSync(path.dirname(seen), user.uid, user.gid);
  const browser = path.join(dir, 'browser', 'open');
  const fields = '$HOME $USER $LOGNAME $DISPLAY $XDG_RUNTIME_DIR $DBUS_SESSION_BUS_ADDRESS';
  writeFileSync(browser, `#!/bin/sh\necho "$(id -u) ${fields}" > ${seen}\n`, { mode: 0o755 });
  const session = [
    'DISPLAY=:97',
    'XDG_RUNTIME_DIR=/run/user/97',
    'DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/97/bus',
  ];
  const app = sudoStart(dir, user, checkout, [...session, `BROWSER=${browser}`, 'USER=root', 'LOGNAME=root']);
  try {
    await urlOf(app);
    // The browser runs as the user with their HOME and names, and this session's display and bus.
    const text = (): string => (existsSync(seen) ? readFileSync(seen, 'utf8') : '');
    await waitFor(() => Promise.resolve(text().endsWith('\n')), 30_000, 'the browser');
    const home = spawnSync('getent', ['passwd', user.name], { encoding: 'utf8' }).stdout.split(':')[5];
    expect(text()).toBe(
      `${String(user.uid)} ${String(home)} ${user.name} ${user.name} :97 /run/user/97 unix:path=/run/user/97/bus\n`,
    );
    const daemonPid = Number(/started zenithfenced \(pid (\d+)\)/.exec(app.output())?.[1]);
    const children = childrenOf(app.child.pid ?? 0);
    // The engine is node (the browser, a child too while it runs, is not).
    const engine = children.find((pid) => pid !== daemonPid && cmdlineOf(pid).includes('headless/main.ts'));
    expect(engine).toBeDefined();
    expect(uidOf(daemonPid)).toBe(0);
    expect(uidOf(engine ?? 0)).toBe(user.uid);
    // The daemon lets the user's own group in; the database is the user's.
    expect(statSync(path.join(dir, 'driver.sock')).gid).toBe(user.gid);
    expect(statSync(path.join(dir, 'xdg', 'zenithfence', 'zenithfence.sqlite')).uid).toBe(user.uid);
    app.child.kill('SIGINT');
    expect(await app.exited, app.output()).toBe(0);
    expect(daemonRunning(daemonPid)).toBe(false);
  } finally {
    await stopChild(app.child);
    rmSync(dir, { recursive: true, force: true });
    checkout.close();
    user.remove();
  }
});

test('under sudo it starts no driver for a user whose primary group others share', async () => {
  test.setTimeout(60_000);
  // nobody's primary group is nogroup: not theirs alone, so a socket for it would be open to
  // other accounts; nobody is not in the package's group either.
  const dir = mkdtempSync('/run/zf-first-run-');
  const checkout = new ReachableCheckout();
  const app = sudoStart(dir, { name: 'nobody', uid: NOBODY, gid: NOGROUP }, checkout);
  try {
    expect(await app.exited, app.output()).toBe(3);
    expect(app.output()).toContain("not starting the driver: your primary group 'nogroup' is not yours alone");
    expect(app.output()).not.toContain('started zenithfenced');
    expect(existsSync(path.join(dir, 'driver.sock'))).toBe(false);
    expect(daemonTables(net.a)).toBe('');
  } finally {
    await stopChild(app.child);
    rmSync(dir, { recursive: true, force: true });
    checkout.close();
  }
});

test('a signal while the driver starts stops it, and nothing is left', async () => {
  test.setTimeout(60_000);
  const socket = path.join(net.dir, 'early.sock');
  const app = npmStart(path.join(net.dir, 'xdg3'), [
    `--driver-socket=${socket}`,
    '--policy-file',
    path.join(net.dir, 'policy3'),
  ]);
  // Its first line: it is about to find the driver and start it (a few hundred ms).
  await waitFor(() => Promise.resolve(app.output().includes('no Electron binary')), 30_000, 'the first line');
  app.child.kill('SIGHUP');
  expect(await app.exited, app.output()).toBe(0);
  expect(app.output()).not.toContain('ZenithFence UI:');
  expect(daemonTables(net.a)).toBe('');
  expect(existsSync(socket)).toBe(false);
});

test('a signal while the engine starts: it is stopped as asked, exit 0, and nothing is left', async () => {
  test.setTimeout(60_000);
  const socket = path.join(net.dir, 'engine-start.sock');
  const app = npmStart(path.join(net.dir, 'xdg4'), [
    `--driver-socket=${socket}`,
    '--policy-file',
    path.join(net.dir, 'policy4'),
    '--no-browser',
  ]);
  // Printed just before the engine is spawned, which then needs a while before its own handlers
  // exist: the SIGTERM it is given ends it by the signal, which is the stop that was asked for.
  await waitFor(() => Promise.resolve(app.output().includes('started zenithfenced')), 30_000, 'the daemon');
  const daemonPid = Number(/started zenithfenced \(pid (\d+)\)/.exec(app.output())?.[1]);
  app.child.kill('SIGTERM');
  expect(await app.exited, app.output()).toBe(0);
  expect(app.output()).not.toContain('headless mode was ended by');
  expect(daemonRunning(daemonPid)).toBe(false);
  expect(daemonTables(net.a)).toBe('');
  expect(existsSync(socket)).toBe(false);
});

test('as root without setpriv it starts nothing, rather than a daemon that could outlive it', async () => {
  test.setTimeout(60_000);
  const socket = path.join(net.dir, 'no-setpriv.sock');
  // Its own mount namespace, where /usr/bin/setpriv is not an executable.
  const hidden = `mount --bind /dev/null /usr/bin/setpriv && exec "$@"`;
  const env = [`PATH=${process.env['PATH'] ?? '/usr/bin:/bin'}`, `HOME=${net.dir}`];
  const app = watch(
    net.start(net.a, 'unshare', [
      '--mount',
      '--propagation=private',
      '/bin/sh',
      '-c',
      hidden,
      'sh',
      '/usr/bin/env',
      '-i',
      ...env,
      `XDG_DATA_HOME=${path.join(net.dir, 'xdg5')}`,
      NODE,
      START,
      `--driver-socket=${socket}`,
      '--no-browser',
    ]),
  );
  expect(await app.exited, app.output()).toBe(3);
  expect(app.output()).toContain('/usr/bin/setpriv (util-linux) is needed to start the driver');
  expect(app.output()).not.toContain('started zenithfenced');
  expect(existsSync(socket)).toBe(false);
  expect(daemonTables(net.a)).toBe('');
});

test('with Electron, a stop signal sent to npm start is passed on to the app', async () => {
  test.setTimeout(60_000);
  // A stand-in for the Electron binary, seen at node_modules/electron only inside the command's
  // own mount namespace: it says when it runs, and which signal it got.
  const electron = mkdtempSync('/run/zf-electron-');
  const seen = path.join(electron, 'dist', 'seen');
  const pidFile = path.join(electron, 'dist', 'pid');
  try {
    mkdirSync(path.join(electron, 'dist'));
    writeFileSync(path.join(electron, 'path.txt'), 'electron');
    const body = [
      'import signal, sys, time',
      `def stop(number, _): open(${JSON.stringify(seen)}, 'a').write(signal.Signals(number).name); sys.exit(0)`,
      'signal.signal(signal.SIGTERM, stop)',
      `open(${JSON.stringify(pidFile)}, 'w').write(str(__import__('os').getpid()))`,
      `open(${JSON.stringify(seen)}, 'w').write('running ')`,
      'time.sleep(60)',
    ].join('\n');
    writeFileSync(path.join(electron, 'dist', 'electron'), `#!/usr/bin/python3\n${body}\n`, { mode: 0o755 });
    const app = watch(
      net.start(null, 'unshare', [
        '--mount',
        '--propagation=private',
        '/bin/sh',
        '-c',
        'mount --bind "$1" "$2" && shift 2 && exec "$@"',
        'sh',
        electron,
        path.join(REPO, 'node_modules', 'electron'),
        NODE,
        START,
      ]),
    );
    const text = (): string => (existsSync(seen) ? readFileSync(seen, 'utf8') : '');
    await waitFor(() => Promise.resolve(text() !== ''), 30_000, 'the app');
    app.child.kill('SIGTERM');
    expect(await app.exited, app.output()).toBe(0);
    expect(text()).toBe('running SIGTERM');
  } finally {
    // Not left behind when npm start failed to pass the signal on.
    if (existsSync(pidFile)) spawnSync('kill', ['-KILL', readFileSync(pidFile, 'utf8')]);
    rmSync(electron, { recursive: true, force: true });
  }
});

test('a daemon that already answers is used, and left running after SIGTERM', async () => {
  test.setTimeout(90_000);
  const socket = await net.daemon(DAEMON);
  const app = npmStart(path.join(net.dir, 'xdg2'), [`--driver-socket=${socket}`, '--no-browser']);
  await urlOf(app);
  expect(app.output()).toContain(`using the driver at ${socket}`);
  expect(app.output()).not.toContain('started zenithfenced');
  // SIGTERM (a service manager, kill) stops it as Ctrl-C does.
  app.child.kill('SIGTERM');
  // With what it printed, to say why when it is not 0.
  const code = await app.exited;
  expect(code, app.output()).toBe(0);
  expect(existsSync(socket)).toBe(true);
  expect(daemonTables(net.a)).toContain('table inet zenithfence_');
});

test('without root it prints the one command that starts the driver and starts nothing', async () => {
  // A real user process (real and effective uid nobody): asUser (native/test-support/as-user.ts)
  // changes only the effective uid of this process, and a child would keep real uid 0.
  const dir = mkdtempSync('/run/zf-first-run-');
  // The code as nobody can read it, wherever the checkout is.
  const checkout = new ReachableCheckout();
  try {
    // nobody must be able to look for the socket there (a 0700 directory answers EACCES).
    chmodSync(dir, 0o755);
    const socket = path.join(dir, 'driver.sock');
    const xdg = path.join(dir, 'xdg');
    const [command, args] = checkout.wrap(checkout.map(NODE), [checkout.map(START), `--driver-socket=${socket}`], {
      uid: NOBODY,
      gid: NOGROUP,
    });
    const child = spawn(command, args, {
      cwd: '/',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, XDG_DATA_HOME: xdg },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = watch(child);
    expect(await run.exited).toBe(3);
    // A socket other than the default: the daemon's own command, even where a unit is installed.
    // nobody's primary group (nogroup) is not theirs alone: the package's group, and how to join it.
    expect(run.output()).toContain(`sudo ${checkout.map(DAEMON)} --group zenithfence --socket ${socket}`);
    expect(run.output()).toContain("before that: your primary group 'nogroup' is not yours alone");
    expect(run.output()).not.toContain('ZenithFence UI:');
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(xdg)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    checkout.close();
  }
});
