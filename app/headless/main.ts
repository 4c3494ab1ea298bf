// `npm run headless`: the engine without Electron, serving the UI and the contract on
// 127.0.0.1. Wiring only: options, this system's platform (app/platform), the shared host (store,
// runtime, driver session, timers), the server, shutdown.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dispatch } from '../contract/dispatch.ts';
import type { PushChannel, PushMap } from '../contract/ipc.ts';
import { currentPlatform, platformHostOptions } from '../platform/index.ts';
import { guarded } from '../runtime/guarded.ts';
import { createHost, type Host } from '../runtime/host.ts';
import { installLastResort } from '../runtime/last-resort.ts';
import { RateLimitedLog } from '../runtime/rate-limited-log.ts';
import { HEADLESS_USAGE, parseHeadlessArgs } from './cli-options.ts';
import { EXIT, type ExitCode, UsageError } from './exit-codes.ts';
import { startHeadlessServer } from './server.ts';
import { productVersion } from './version.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
/** Shutdown gives up waiting after this long and exits (held connections are answered first). */
const STOP_DEADLINE_MS = 5000;

/** An error that ends headless mode with its own exit code (exit-codes.ts). */
class Failure extends Error {
  override readonly name = 'Failure';
  readonly code: ExitCode;
  constructor(code: ExitCode, message: string) {
    super(message);
    this.code = code;
  }
}

async function main(): Promise<void> {
  const options = parseHeadlessArgs(process.argv.slice(2), repoRoot);
  if (options === 'help') {
    console.log(HEADLESS_USAGE);
    return;
  }
  if (options === 'version') {
    console.log(`zenithfence ${productVersion(repoRoot)}`);
    return;
  }
  let host: Host | null = null;
  const log = new RateLimitedLog((line) => {
    console.error(`zenithfence: ${line}`);
    host?.runtime.noteLog(line);
  });
  // Before anything can fail: see last-resort.ts for why the process must not end on a fault.
  installLastResort(log);
  // Pushes before the server listens go nowhere (no client can be connected yet).
  let push: <C extends PushChannel>(channel: C, payload: PushMap[C]) => void = () => undefined;
  // Set once the server runs: a driver that refuses for good then ends the process (exit 3).
  let stop: ((reason: string, code: ExitCode) => Promise<void>) | null = null;
  let refused: string | null = null;
  const platform = currentPlatform();
  try {
    host = createHost({
      dataDir: options.dataDir ?? platform.defaultDataDir(),
      push: (channel, payload) => push(channel, payload),
      log,
      ...platformHostOptions(platform, options.driverSocket),
      onDriverStatus: (state, message) => {
        if (state !== 'connected') console.error(`zenithfence: driver ${state}: ${message}`);
        // 'failed' is final (no permission, another protocol version): the session stopped
        // trying, so serving a UI that can never decide anything would only hide it.
        if (state === 'failed') {
          refused = message;
          void stop?.('the driver refused the connection', EXIT.driver);
        }
      },
    });
  } catch (error) {
    // Only the data directory makes createHost throw (DataDirInUse, a database of a newer release).
    throw new Failure(EXIT.database, error instanceof Error ? error.message : String(error));
  }
  if (options.importRules !== undefined) {
    const text = readFileSync(options.importRules, 'utf8');
    const result = await dispatch(host.handlers, 'rules:import', { text });
    if (!result.ok) throw new Error(`${options.importRules}: ${result.error.message}`);
    const { imported, skipped } = result.value as { imported: number; skipped: number };
    console.log(`imported ${String(imported)} rules (${String(skipped)} already in force)`);
  }
  const server = await startHeadlessServer({
    port: options.port,
    rendererDir: options.renderer,
    handlers: host.handlers,
    limits: { maxConnections: options.maxConnections },
    onError: (where, error) => log.error(`ui ${where}`, error),
  });
  push = (channel, payload) => server.push(channel, payload);
  host.start();

  const running = host;
  let stopping = false;
  stop = async (reason: string, code: ExitCode): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Whatever hangs below (a client, the store), the process ends; the held connections
    // were answered first thing in running.stop().
    setTimeout(() => process.exit(code), STOP_DEADLINE_MS).unref();
    let answered = 0;
    try {
      answered = await running.stop();
      await server.close();
    } catch (error) {
      log.error('stop', error);
    } finally {
      console.error(`zenithfence: ${reason}: stopped (${String(answered)} held connections answered)`);
      process.exit(code);
    }
  };
  // The driver may have refused before `stop` existed.
  if (refused !== null) void stop('the driver refused the connection', EXIT.driver);
  const onSignal = stop;
  // SIGHUP: the terminal that ran it closed; stopped like SIGTERM (every held connection
  // answered) rather than killed by the default action.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(
      signal,
      guarded(signal, () => onSignal(signal, EXIT.ok), log),
    );
  }
  // Only now: whoever reads the URL may stop the process at once (`npm start` forwards SIGTERM),
  // and a signal before the handlers above would end it without answering held connections.
  console.log(`ZenithFence UI: ${server.url}`);
}

main().catch((error: unknown) => {
  console.error(`zenithfence: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof Failure ? error.code : error instanceof UsageError ? EXIT.usage : EXIT.other);
});
