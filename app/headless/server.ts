import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatch, type Handlers } from '../contract/dispatch.ts';
import { wireRequestSchema, type PushChannel, type PushMap } from '../contract/ipc.ts';
import { isAllowedHost, isAllowedOrigin, isValidToken, type GuardConfig } from './request-guard.ts';
import { CONTENT_SECURITY_POLICY, readRendererFile } from './static-files.ts';

/** Largest request accepted over the WebSocket (a rule import is the biggest). */
const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

export interface HeadlessServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly rendererDir: string;
  readonly handlers: Handlers;
  /** A fixed token for tests; random otherwise. */
  readonly token?: string;
}

export interface HeadlessServer {
  readonly port: number;
  readonly token: string;
  /** The address to open, token included (in the fragment, so it is never sent to a server). */
  readonly url: string;
  /** Sends a push to every authenticated client. */
  push<C extends PushChannel>(channel: C, payload: PushMap[C]): void;
  /** Clients connected now. */
  clientCount(): number;
  close(): Promise<void>;
}

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/**
 * Serves the renderer bundle and the IPC contract on 127.0.0.1 only. HTTP requests must carry
 * our Host; the WebSocket at /ws must carry our Origin and the token; requests on it are
 * `{id, channel, payload}` answered with `{id, result}`, pushes are `{push, payload}`.
 */
export async function startHeadlessServer(options: HeadlessServerOptions): Promise<HeadlessServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const clients = new Set<WebSocket>();
  const guard: { config: GuardConfig } = { config: { port: options.port, token } };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const server = http.createServer((request, response) => {
    if (!isAllowedHost(request.headers.host, guard.config)) {
      response.writeHead(421, { 'content-type': 'text/plain' }).end('wrong host');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const urlPath = new URL(request.url ?? '/', 'http://localhost').pathname;
    void readRendererFile(options.rendererDir, urlPath).then((file) => {
      if (file === null) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      response
        .writeHead(200, {
          'content-type': file.contentType,
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        })
        .end(request.method === 'HEAD' ? undefined : file.body);
    });
  });

  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const allowed =
      url.pathname === '/ws' &&
      isAllowedHost(request.headers.host, guard.config) &&
      isAllowedOrigin(request.headers.origin, guard.config) &&
      isValidToken(url.searchParams.get('token'), guard.config);
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1003, 'text frames only');
        void handleMessage(ws, data.toString());
      });
    });
  });

  async function handleMessage(ws: WebSocket, text: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      send(ws, { id: null, result: { ok: false, error: { code: 'bad-request', message: 'not JSON' } } });
      return;
    }
    const request = wireRequestSchema.safeParse(parsed);
    if (!request.success) {
      send(ws, { id: null, result: { ok: false, error: { code: 'bad-request', message: 'not a request' } } });
      return;
    }
    const result = await dispatch(options.handlers, request.data.channel, request.data.payload);
    send(ws, { id: request.data.id, result });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  guard.config = { port, token };

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    push(channel, payload) {
      for (const client of clients) send(client, { push: channel, payload });
    },
    clientCount: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}
