// `npm start` where no Electron binary is installed: headless mode as one command. It finds or
// starts the driver, runs the engine as a child process, opens the UI in the browser, and on
// SIGINT or SIGTERM stops the engine (which answers every held connection) and then the daemon.
//
// The engine is a child, not in this process: under sudo it must run as the user who typed sudo
// (only the daemon needs root, and the database belongs to that user), which a process cannot
// become for a part of itself; and a supervisor that outlives the engine can still stop the
// daemon it started, whatever the engine did.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { EXIT, type ExitCode, UsageError } from '../headless/exit-codes.ts';
import { productVersion } from '../headless/version.ts';
import { currentPlatform } from '../platform/index.ts';
import { browserCommand, onPath, openDetached } from './browser.ts';
import { DaemonStartError, startDaemon, type StartedDaemon } from './daemon-process.ts';
import { probeDriverSocket } from './driver-probe.ts';
import { envFor, setprivPrefix, sudoInvoker } from './engine-user.ts';
import { LAUNCHER_USAGE, type LauncherOptions, parseLauncherArgs } from './launcher-options.ts';
import { driverStartCommand, systemdUnitInstalled } from './start-command.ts';
import { accountOf, groupNameOf } from './system-users.ts';
import { type UiRedirect, writeUiRedirect } from './ui-redirect.ts';

/** What headless mode prints once it serves the UI (app/headless/main.ts). */
const URL_LINE = /^ZenithFence UI: (http:\/\/127\.0\.0\.1:\d+\/\S*)$/m;
/** How long the engine may take to stop (it gives up waiting itself after 5 s). */
const ENGINE_STOP_GRACE_MS = 10_000;

function say(line: string): void {
  console.error(`zenithfence: ${line}`);
}

/** Runs `npm start` in headless mode with `args`; resolves with the exit code (exit-codes.ts). */
export async function launchHeadless(repoRoot: string, args: readonly string[]): Promise<ExitCode> {
  let options: LauncherOptions | 'help' | 'version';
  try {
    options = parseLauncherArgs(args, repoRoot);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(error.message);
    return EXIT.usage;
  }
  if (options === 'help') {
    console.log(LAUNCHER_USAGE);
    return EXIT.ok;
  }
  if (options === 'version') {
    console.log(`zenithfence ${productVersion(repoRoot)}`);
    return EXIT.ok;
  }
  say('no Electron binary is installed here: running headless mode, its UI in your browser');
  const euid = process.geteuid?.() ?? -1;
  const invoker = sudoInvoker(process.env, euid);
  const setpriv = onPath('setpriv', process.env['PATH'] ?? '');
  if (invoker !== null && !setpriv) {
    say(`setpriv (util-linux) is needed to run the app as ${invoker.name} under sudo; install util-linux`);
    return EXIT.other;
  }
  // The daemon and the engine stop with this process even when it is killed outright (SIGKILL).
  const orphanGuard = setprivPrefix(null, setpriv);

  let socket = options.headless.driverSocket;
  let daemon: StartedDaemon | null = null;
  if (process.platform === 'linux') {
    socket ??= currentPlatform().defaultDriverLocation;
    const driver = await ensureDriver(repoRoot, socket, options, euid, invoker?.groupName, orphanGuard);
    if (typeof driver === 'number') return driver;
    daemon = driver;
  }

  const engineArgs = [
    ...options.headlessArgs.filter((arg) => !arg.startsWith('--driver-socket=')),
    ...(socket === undefined ? [] : [`--driver-socket=${socket}`]),
  ];
  const command = [
    ...setprivPrefix(invoker, setpriv),
    process.execPath,
    path.join(repoRoot, 'app', 'headless', 'main.ts'),
    ...engineArgs,
  ];
  const env = invoker === null ? process.env : envFor(invoker, process.env);
  const [program = process.execPath, ...rest] = command;
  // Same process group: a Ctrl-C on the terminal reaches the engine at once.
  const engine = spawn(program, rest, { env, stdio: ['ignore', 'pipe', 'inherit'] });

  let stopping = false;
  let code: ExitCode | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping = true;
    // The engine answers every held connection, then exits; the daemon is stopped after it.
    if (engine.exitCode === null && engine.signalCode === null) engine.kill(signal);
    setTimeout(() => engine.kill('SIGKILL'), ENGINE_STOP_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void daemon?.exited.then((daemonCode) => {
    if (stopping) return;
    say(`zenithfenced exited (${String(daemonCode)}) while ZenithFence ran: stopping`);
    code = EXIT.driver;
    onSignal('SIGTERM');
  });

  let printed = '';
  let opened = false;
  // The browser's forwarding page, removed when the app stops (set in the stdout handler).
  const redirects: UiRedirect[] = [];
  engine.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (opened) return;
    printed = (printed + chunk.toString()).slice(-4096);
    const url = URL_LINE.exec(printed)?.[1];
    if (url === undefined) return;
    opened = true;
    if (!options.openBrowser || browserCommand(url, env) === null) return;
    // The browser gets a private file that forwards to the URL: its command line is public.
    let redirect: UiRedirect;
    try {
      redirect = writeUiRedirect(url, invoker);
    } catch (error) {
      say(`could not open the UI in a browser: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    redirects.push(redirect);
    const browser = browserCommand(redirect.url, env);
    if (browser !== null) {
      say(`opening the UI with ${browser.program}`);
      openDetached(browser, setprivPrefix(invoker, false));
    }
  });
  process.stdout.on('error', () => undefined);

  const engineCode = await new Promise<number | null>((resolve) => {
    engine.once('exit', (exitCode, signal) => {
      if (signal !== null) say(`headless mode was ended by ${signal}`);
      resolve(exitCode);
    });
    engine.once('error', (error) => {
      say(`could not run headless mode: ${error.message}`);
      resolve(EXIT.other);
    });
  });
  stopping = true;
  for (const redirect of redirects) redirect.remove();
  if (daemon !== null) {
    const daemonCode = await daemon.stop();
    say(`stopped zenithfenced (${String(daemonCode)})`);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code ?? toExitCode(engineCode);
}

/** The engine's exit code as ours (killed by a signal: 1). */
function toExitCode(code: number | null): ExitCode {
  const known: readonly number[] = Object.values(EXIT);
  return code !== null && known.includes(code) ? (code as ExitCode) : EXIT.other;
}

/**
 * The driver at `socket`: in use when it answers (null: not ours to stop), started here when we
 * are root, or the exit code after telling the user how to start it.
 */
async function ensureDriver(
  repoRoot: string,
  socket: string,
  options: LauncherOptions,
  euid: number,
  group: string | undefined,
  prefix: readonly string[],
): Promise<StartedDaemon | null | ExitCode> {
  const probe = await probeDriverSocket(socket);
  if (probe.state === 'up') {
    say(`using the driver at ${socket}`);
    return null;
  }
  if (probe.state === 'refused') {
    say(
      `the driver's socket ${socket} is there but you may not use it (${probe.code}): run npm start as a member of its group (ls -l ${socket}), or with sudo`,
    );
    return EXIT.driver;
  }
  const binary = path.join(repoRoot, 'driver', 'target', 'release', 'zenithfenced');
  if (euid !== 0) {
    const user = accountOf(euid);
    const command = driverStartCommand({
      unitInstalled: systemdUnitInstalled(),
      daemon: binary,
      socket,
      defaultSocket: currentPlatform().defaultDriverLocation,
      group: user?.groupName ?? groupNameOf(process.getegid?.() ?? 0),
    });
    say(
      `the driver (zenithfenced) is not running and starting it needs root; start it with:\n  ${command}\nthen run npm start again`,
    );
    return EXIT.driver;
  }
  try {
    const started = await startDaemon({ binary, socket, group, policyFile: options.policyFile, prefix });
    say(`started zenithfenced (pid ${String(started.pid)}) on ${socket}; it stops when ZenithFence does`);
    return started;
  } catch (error) {
    if (!(error instanceof DaemonStartError)) throw error;
    say(error.message);
    return EXIT.driver;
  }
}
