// Run inside the namespace of `npm start` (ip netns exec NS node first-run-probe.ts URL STEP):
// its UI listens on that namespace's 127.0.0.1, which the test process cannot reach. A client of
// the public surfaces only: the page, the WebSocket with and without the token, the contract.
// Steps: `ui` (the page and the token), `connected` (waits for the driver link), `prompt PORT`
// (waits for a prompt of a connection to PORT and prints it as JSON). Exits 0 when it held.
import { WebSocket } from 'ws';
import { z } from 'zod';

const [url = '', step = '', portText = ''] = process.argv.slice(2);
const parsed = new URL(url);
const token = parsed.hash.replace('#token=', '');
const origin = `http://${parsed.host}`;
const DEADLINE_MS = 15_000;

const resultSchema = z.object({ id: z.number(), result: z.object({ ok: z.boolean(), value: z.unknown().optional() }) });
const promptsSchema = z.array(
  z
    .object({ appPath: z.string(), prompts: z.array(z.object({ remotePort: z.number(), held: z.number() }).loose()) })
    .loose(),
);
const statusSchema = z.object({ driver: z.string() }).loose();

/** Opens the contract's WebSocket with `withToken`; rejects with the refusal. */
function open(withToken: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${parsed.host}/ws?token=${withToken}`, { origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

let next = 1;
function call(ws: WebSocket, channel: string): Promise<unknown> {
  const id = next++;
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const message = resultSchema.safeParse(JSON.parse(data.toString()));
      if (!message.success || message.data.id !== id) return;
      ws.off('message', onMessage);
      if (message.data.result.ok) resolve(message.data.result.value);
      else reject(new Error(`${channel} failed`));
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel }));
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const found = await check();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  if (step === 'ui') {
    const page = await fetch(`${origin}/`);
    const html = await page.text();
    if (page.status !== 200 || !html.includes('<div id="root">')) throw new Error(`the page: ${String(page.status)}`);
    const refused = await open('not-the-token').then(
      (ws) => (ws.close(), false),
      () => true,
    );
    if (!refused) throw new Error('a wrong token was let in');
    const ws = await open(token);
    statusSchema.parse(await call(ws, 'status:get'));
    ws.close();
    console.log('ui ok');
    return;
  }
  const ws = await open(token);
  if (step === 'connected') {
    await until('the driver link', async () => {
      const status = statusSchema.parse(await call(ws, 'status:get'));
      return status.driver === 'connected' ? true : undefined;
    });
    console.log('connected');
  } else if (step === 'prompt') {
    const port = Number(portText);
    const prompt = await until(`a prompt for port ${portText}`, async () => {
      const groups = promptsSchema.parse(await call(ws, 'prompts:list'));
      return groups
        .flatMap((g) => g.prompts.map((p) => ({ appPath: g.appPath, ...p })))
        .find((p) => p.remotePort === port);
    });
    console.log(JSON.stringify(prompt));
  } else {
    throw new Error(`unknown step '${step}'`);
  }
  ws.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
