import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { PushChannel, PushMap, RequestChannel, ResponseOf } from '../../app/contract/ipc.ts';
import type { Result } from '../../app/contract/result.ts';
import { type TestNet, waitFor } from './test-net.ts';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
export const DAEMON = path.join(REPO, 'driver', 'target', 'release', 'zenithfenced');

/** Headless mode as a user starts it, and a contract client on its WebSocket. */
export class Headless {
  readonly url: string;
  readonly process: ChildProcess;
  readonly #ws: WebSocket;
  readonly #pending = new Map<number, (result: Result<unknown>) => void>();
  readonly #pushes: Array<{ push: PushChannel; payload: unknown }> = [];
  #next = 1;

  private constructor(url: string, child: ChildProcess, ws: WebSocket) {
    this.url = url;
    this.process = child;
    this.#ws = ws;
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as {
        id?: number;
        result?: Result<unknown>;
        push?: PushChannel;
        payload?: unknown;
      };
      if (message.push !== undefined) this.#pushes.push({ push: message.push, payload: message.payload });
      else if (message.id !== undefined && message.result !== undefined)
        this.#pending.get(message.id)?.(message.result);
    });
  }

  /** Starts `npm run headless`'s program and connects to the URL it prints. */
  static async start(net: TestNet, args: readonly string[]): Promise<Headless> {
    const child = net.start(null, NODE, [path.join(REPO, 'app', 'headless', 'main.ts'), ...args]);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`headless mode printed no URL: ${out}`)), 15_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /ZenithFence UI: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(out);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`headless mode exited (${String(code)}): ${out}`)));
    });
    return Headless.attach(url, child);
  }

  /**
   * Headless mode on the daemon's `socket` with the data in `dataDir` (default: the net's
   * `data`), once it says the driver is connected.
   */
  static async connected(net: TestNet, socket: string, dataDir = `${net.dir}/data`): Promise<Headless> {
    const app = await Headless.start(net, ['--driver-socket', socket, '--data-dir', dataDir]);
    await waitFor(async () => (await app.call('status:get')).driver === 'connected', 10_000, 'the driver connection');
    return app;
  }

  /** Connects a contract client to headless mode that `child` runs and that printed `url`. */
  static async attach(url: string, child: ChildProcess): Promise<Headless> {
    const parsed = new URL(url);
    const token = parsed.hash.replace('#token=', '');
    const ws = new WebSocket(`ws://${parsed.host}/ws?token=${token}`, { origin: `http://${parsed.host}` });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Headless(url, child, ws);
  }

  /** Calls a contract channel; throws on an error result. */
  async call<C extends RequestChannel>(channel: C, payload?: unknown): Promise<ResponseOf<C>> {
    const id = this.#next++;
    const result = await new Promise<Result<unknown>>((resolve) => {
      this.#pending.set(id, resolve);
      this.#ws.send(JSON.stringify({ id, channel, payload }));
    });
    this.#pending.delete(id);
    if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
    return result.value as ResponseOf<C>;
  }

  /** The payloads pushed on `channel` so far. */
  pushes<C extends PushChannel>(channel: C): PushMap[C][] {
    return this.#pushes.filter((p) => p.push === channel).map((p) => p.payload as PushMap[C]);
  }

  close(): void {
    this.#ws.close();
  }
}
