// `npm run headless`: the engine without Electron, serving the UI and the contract on
// 127.0.0.1. Wiring only: options, store, runtime, driver session, server, timers, shutdown.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dispatch } from '../contract/dispatch.ts';
import { connectLinuxDriver } from '../driver-client/connect.ts';
import { DriverSession } from '../driver-client/driver-session.ts';
import { createHandlers } from '../runtime/handlers.ts';
import { Runtime } from '../runtime/runtime.ts';
import { openStore } from '../store/index.ts';
import { HEADLESS_USAGE, parseHeadlessArgs } from './cli-options.ts';
import { startHeadlessServer } from './server.ts';
import { linuxSystemPort } from './system-port.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

async function main(): Promise<void> {
  const options = parseHeadlessArgs(process.argv.slice(2), repoRoot);
  if (options === 'help') {
    console.log(HEADLESS_USAGE);
    return;
  }
  mkdirSync(options.dataDir, { recursive: true });
  const store = openStore(path.join(options.dataDir, 'zenithfence.sqlite'));
  let push: ConstructorParameters<typeof Runtime>[0]['push'] = () => undefined;
  let session: DriverSession | null = null;
  const runtime = new Runtime(
    {
      store,
      driver: {
        verdict: (id, verdict) => session?.verdict(id, verdict),
        requestBandwidth: () => session?.requestBandwidth(),
      },
      push: (channel, payload) => push(channel, payload),
      onError: (error) => console.error('zenithfence: engine error:', error),
      system: linuxSystemPort(),
    },
    Date.now(),
  );
  const handlers = createHandlers(runtime, Date.now);
  if (options.importRules !== undefined) {
    const result = await dispatch(handlers, 'rules:import', { text: readFileSync(options.importRules, 'utf8') });
    if (!result.ok) throw new Error(`${options.importRules}: ${result.error.message}`);
    console.log(`imported ${String((result.value as { imported: number }).imported)} rules`);
  }
  const server = await startHeadlessServer({ port: options.port, rendererDir: options.renderer, handlers });
  push = (channel, payload) => server.push(channel, payload);
  session = new DriverSession({
    connect: () => connectLinuxDriver(options.driverSocket),
    callbacks: {
      onEvent: (event) => runtime.handleEvent(event, Date.now()),
      onStatus: (state, message) => {
        runtime.driverStatus(state, message, Date.now());
        if (state !== 'connected') console.error(`zenithfence: driver ${state}: ${message}`);
      },
    },
  });
  session.start();
  const flushTimer = setInterval(() => runtime.flush(Date.now()), 100);
  const tickTimer = setInterval(() => runtime.tick(Date.now()), 1000);
  console.log(`ZenithFence UI: ${server.url}`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(flushTimer);
    clearInterval(tickTimer);
    const answered = runtime.shutdown(Date.now());
    await session?.stop();
    await server.close();
    store.close();
    console.error(`zenithfence: ${signal}: stopped (${String(answered)} held connections answered)`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`zenithfence: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
