import net from 'node:net';
import { WebSocket } from 'ws';

/** A raw TCP client whose closing the tests watch. */
export interface RawClient {
  readonly socket: net.Socket;
  /** Everything the server sent, as latin1. */
  received(): string;
  /** Whether the socket has closed (by either side). */
  isClosed(): boolean;
  /** Resolves when the socket closes. */
  readonly closed: Promise<void>;
}

/**
 * Connects to 127.0.0.1:`port` and resolves once connected. `allowHalfOpen` keeps our side open
 * after the server's FIN, like a peer that never closes.
 */
export async function rawClient(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
  let text = '';
  let isClosed = false;
  socket.on('data', (data: Buffer) => (text += data.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  return { socket, received: () => text, isClosed: () => isClosed, closed };
}

/** The raw bytes of a WebSocket upgrade request to `target` on `port`, with our Origin. */
export function upgradeRequest(port: number, target: string): string {
  return [
    `GET ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${String(port)}`,
    `Origin: http://127.0.0.1:${String(port)}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');
}

/** Opens an authenticated WebSocket client with token `tok`. */
export function openClient(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(port)}/ws?token=tok`, {
      origin: `http://127.0.0.1:${String(port)}`,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends one request on an open client and resolves with the answer. */
export function request(ws: WebSocket, message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString())));
    ws.send(JSON.stringify(message));
  });
}
