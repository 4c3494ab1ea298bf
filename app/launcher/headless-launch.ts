// `npm start` where no Electron binary is installed: headless mode as one command. It finds or
// starts the driver, runs the engine as a child process, opens the UI in the browser, and on
// SIGINT, SIGTERM or SIGHUP stops the engine (which answers every held connection) and then the daemon.
//
// The engine is a child, not in this process: under sudo it must run as the user who typed sudo
// (only the daemon needs root, and the database belongs to that user), which a process cannot
// become for a part of itself; and a supervisor that outlives the engine can still stop the
// daemon it started, whatever the engine did.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { EXIT, type ExitCode, UsageError } from '../headless/exit-codes.ts';
import { productVersion } from '../headless/version.ts';
import { currentPlatform } from '../platform/index.ts';
import { browserCommand, onPath, openDetached } from './browser.ts';
import { DaemonStartError, startDaemon, type StartedDaemon } from './daemon-process.ts';
import { probeDriverSocket } from './driver-probe.ts';
import { envFor, SETPRIV, setprivPrefix, sudoInvoker } from './engine-user.ts';
import { LAUNCHER_USAGE, type LauncherOptions, parseLauncherArgs } from './launcher-options.ts';
import { DRIVER_GROUP, socketGroupFor } from './socket-group.ts';
import { driverStartCommand, systemdUnitInstalled } from './start-command.ts';
import { type Account, accountOf } from './system-users.ts';
import { type UiRedirect, writeUiRedirect } from './ui-redirect.ts';

/** What headless mode prints once it serves the UI (app/headless/main.ts). */
const URL_LINE = /^ZenithFence UI: (http:\/\/127\.0\.0\.1:\d+\/\S*)$/m;
/** How long the engine may take to stop (it gives up waiting itself after 5 s). */
const ENGINE_STOP_GRACE_MS = 10_000;
/** What stops `npm start`: Ctrl-C, a service manager's stop, the terminal closing. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

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
  // From here on a stop signal never kills this process half-way: whatever has been started by
  // then (the daemon, the engine) is stopped in order, and the exit is a clean one.
  let stopping = false;
  let engine: ChildProcess | null = null;
  const startAborted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping = true;
    startAborted.abort();
    // The engine answers every held connection, then exits; the daemon is stopped after it.
    if (engine === null) return;
    const running = engine;
    if (running.exitCode === null && running.signalCode === null) running.kill(signal);
    setTimeout(() => running.kill('SIGKILL'), ENGINE_STOP_GRACE_MS).unref();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    return await runHeadless(repoRoot, options, {
      isStopping: () => stopping,
      startAborted: startAborted.signal,
      engineStarted: (child) => (engine = child),
      stop: () => onSignal('SIGTERM'),
    });
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

/** How `runHeadless` learns of and asks for the stop. */
interface StopControl {
  isStopping(): boolean;
  /** Aborted by the first stop signal: a daemon that is still starting is stopped. */
  readonly startAborted: AbortSignal;
  engineStarted(engine: ChildProcess): void;
  /** Stops the engine (and then the daemon), as a SIGTERM would. */
  stop(): void;
}

async function runHeadless(repoRoot: string, options: LauncherOptions, control: StopControl): Promise<ExitCode> {
  say('no Electron binary is installed here: running headless mode, its UI in your browser');
  const euid = process.geteuid?.() ?? -1;
  const invoker = sudoInvoker(process.env, euid);
  // By its path (it has a slash): where the launcher calls it.
  const setpriv = onPath(SETPRIV, '');
  // As root without setpriv, a daemon started here would outlive a killed launcher (and the
  // engine could not run as the user who typed sudo): nothing is started then.
  if (euid === 0 && process.platform === 'linux' && !setpriv) {
    say(`${SETPRIV} (util-linux) is needed to start the driver and the app as root; install util-linux`);
    // The driver cannot be started from here (exit-codes.ts).
    return EXIT.driver;
  }
  // The daemon and the engine stop with this process even when it is killed outright (SIGKILL).
  const orphanGuard = setprivPrefix(null, setpriv);

  let socket = options.headless.driverSocket;
  let daemon: StartedDaemon | null = null;
  if (process.platform === 'linux') {
    socket ??= currentPlatform().defaultDriverLocation;
    const driver = await ensureDriver(repoRoot, socket, options, euid, invoker, orphanGuard, control.startAborted);
    if (typeof driver === 'number') return driver;
    daemon = driver;
  }
  if (control.isStopping()) {
    // Stopped while the driver was being found or started: nothing more to start.
    return await stopDaemon(daemon, EXIT.ok);
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
  control.engineStarted(engine);

  let code: ExitCode | null = null;
  void daemon?.exited.then((daemonCode) => {
    if (control.isStopping()) return;
    say(`zenithfenced exited (${String(daemonCode)}) while ZenithFence ran: stopping`);
    code = EXIT.driver;
    control.stop();
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
      openDetached(browser, setprivPrefix(invoker, false), env);
    }
  });
  process.stdout.on('error', () => undefined);

  const engineCode = await new Promise<ExitCode>((resolve) => {
    engine.once('exit', (exitCode, signal) => {
      if (signal === null) {
        resolve(toExitCode(exitCode));
        return;
      }
      // The stop asked for: a signal that ends it is how it ended as it should.
      if (control.isStopping()) {
        resolve(EXIT.ok);
        return;
      }
      say(`headless mode was ended by ${signal}`);
      resolve(EXIT.other);
    });
    engine.once('error', (error) => {
      say(`could not run headless mode: ${error.message}`);
      resolve(EXIT.other);
    });
  });
  // Whatever ended the engine, the daemon is stopped after it (not again by a late signal).
  control.stop();
  for (const redirect of redirects) redirect.remove();
  return await stopDaemon(daemon, code ?? engineCode);
}

/**
 * Stops the daemon this process started (if any): `code`, or the driver's code when the daemon
 * did not stop cleanly (its rules may still be in place: the user must know).
 */
export async function stopDaemon(daemon: Pick<StartedDaemon, 'stop'> | null, code: ExitCode): Promise<ExitCode> {
  if (daemon === null) return code;
  const daemonCode = await daemon.stop();
  if (daemonCode === 0) {
    say('stopped zenithfenced');
    return code;
  }
  say(`zenithfenced did not stop cleanly (${daemonCode === null ? 'killed' : `exit code ${String(daemonCode)}`})`);
  return code === EXIT.ok ? EXIT.driver : code;
}

/** The engine's exit code as ours (one we do not know: 1). */
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
  invoker: Account | null,
  prefix: readonly string[],
  cancel: AbortSignal,
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
    const safe = user === null ? null : socketGroupFor(user);
    const command = driverStartCommand({
      unitInstalled: systemdUnitInstalled(),
      daemon: binary,
      socket,
      defaultSocket: currentPlatform().defaultDriverLocation,
      group: safe !== null && 'group' in safe ? safe.group : DRIVER_GROUP,
    });
    say(
      `the driver (zenithfenced) is not running and starting it needs root; start it with:\n  ${command}\nthen run npm start again`,
    );
    if (safe !== null && 'refused' in safe) say(`before that: ${safe.refused}`);
    return EXIT.driver;
  }
  // Under sudo the socket is for the user who typed it, through a group only they (or the
  // package's group) are in; as root itself, root's alone.
  let group: string | undefined;
  if (invoker !== null) {
    const chosen = socketGroupFor(invoker);
    if ('refused' in chosen) {
      say(`not starting the driver: ${chosen.refused}`);
      return EXIT.driver;
    }
    group = chosen.group;
  }
  try {
    const started = await startDaemon({
      binary,
      socket,
      group,
      policyFile: options.policyFile,
      prefix,
      signal: cancel,
    });
    say(`started zenithfenced (pid ${String(started.pid)}) on ${socket}; it stops when ZenithFence does`);
    return started;
  } catch (error) {
    if (!(error instanceof DaemonStartError)) throw error;
    say(error.message);
    return error.cancelled ? EXIT.ok : EXIT.driver;
  }
}
