// Child process for server.test.ts: the headless server alone, with no last-resort handler, so
// that a fault that escaped it would end this process. Prints `port N` once it listens; stops
// when its stdin closes (the test ends) or after a minute.
// Usage: node server-child.ts <renderer dir>
import { startHeadlessServer } from '../server.ts';
import { STATUS_ONLY_HANDLERS } from './status-handlers.ts';

const handlers = STATUS_ONLY_HANDLERS;

const [rendererDir = '.'] = process.argv.slice(2);
const server = await startHeadlessServer({
  port: 0,
  rendererDir,
  handlers,
  token: 'tok',
  onError: (where, error) => console.error(`${where}: ${error instanceof Error ? error.message : String(error)}`),
});
console.log(`port ${String(server.port)}`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.stdin.on('end', stop).resume();
setTimeout(stop, 60_000).unref();
