// Child process for fd-limit.test.ts: the headless server under a low descriptor limit (the
// test starts it with prlimit), next to a stand-in for the driver link: a Unix socket it holds
// from the start. Prints `port N` once it listens. On each stdin line `probe` it makes a new
// connection to the link socket, as the runtime's driver reconnect does, and prints
// `probe ok link up` (or the error code, and `link down` once the first link closed).
// Usage: node limited-server-child.ts <renderer dir> <limits JSON> <link socket path>
import net from 'node:net';
import { z } from 'zod';
import { startHeadlessServer } from '../server.ts';
import { STATUS_ONLY_HANDLERS } from './status-handlers.ts';

const limitsSchema = z.object({ maxConnections: z.number().int().positive(), maxClients: z.number().int().positive() });
const [rendererDir = '.', limitsJson = '{}', linkPath = ''] = process.argv.slice(2);

let linkUp = false;
const link = net.connect(linkPath, () => (linkUp = true));
link.on('error', () => undefined);
link.on('close', () => (linkUp = false));

const server = await startHeadlessServer({
  port: 0,
  rendererDir,
  handlers: STATUS_ONLY_HANDLERS,
  token: 'tok',
  limits: limitsSchema.parse(JSON.parse(limitsJson)),
  onError: (where, error) => console.error(`${where}: ${error instanceof Error ? error.message : String(error)}`),
});
console.log(`port ${String(server.port)}`);

function probe(): void {
  const state = (): string => (linkUp ? 'link up' : 'link down');
  const socket = net.connect(linkPath, () => {
    console.log(`probe ok ${state()}`);
    socket.destroy();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => console.log(`probe ${error.code ?? 'error'} ${state()}`));
}

let input = '';
process.stdin.on('data', (data: Buffer) => {
  input += data.toString();
  const lines = input.split('\n');
  input = lines.pop() ?? '';
  for (const line of lines) if (line === 'probe') probe();
});
const stop = (): void => void server.close().then(() => process.exit(0));
process.stdin.on('end', stop).resume();
setTimeout(stop, 60_000).unref();
