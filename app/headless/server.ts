import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { dispatch, type Handlers } from '../contract/dispatch.ts';
import { MAX_WIRE_REQUEST_BYTES, type PushChannel, type PushMap, wireRequestSchema } from '../contract/ipc.ts';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-limits.ts';
import { type GuardConfig, isAllowedHost, isAllowedOrigin, isValidToken } from './request-guard.ts';
import { SocketBudget } from './socket-budget.ts';
import { CONTENT_SECURITY_POLICY, RendererFiles } from './static-files.ts';

export interface HeadlessServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly rendererDir: string;
  readonly handlers: Handlers;
  /** A fixed token for tests; random otherwise. */
  readonly token?: string;
  /** Told of faults of clients (a reset socket, a bad frame) and of our handlers; default: nothing. */
  readonly onError?: (where: string, error: unknown) => void;
  /** What peers may hold (connection-limits.ts); tests shorten the timeouts. */
  readonly limits?: Partial<ConnectionLimits>;
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
  /** Sockets held now that are not authenticated clients. */
  unauthenticatedCount(): number;
  close(): Promise<void>;
}

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/** Answers an upgrade we refuse; the socket's lifetime in the budget bounds a peer that never closes. */
function refuseUpgrade(socket: Duplex, status: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
  else socket.destroy();
}

/** How often Node checks the header and request timeouts: often enough that they hold within a quarter. */
function checkingIntervalMs(limits: ConnectionLimits): number {
  return Math.max(50, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4));
}

/** A request target as a URL, or null when it is not one (`//`, `http://[`): never a throw. */
function urlOf(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return null;
  }
}

/**
 * Serves the renderer bundle and the IPC contract on 127.0.0.1 only. HTTP requests must carry
 * our Host; the WebSocket at /ws must carry our Origin and the token; requests on it are
 * `{id, channel, payload}` answered with `{id, result}`, pushes are `{push, payload}`.
 */
export async function startHeadlessServer(options: HeadlessServerOptions): Promise<HeadlessServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  const files = new RendererFiles(options.rendererDir);
  const clients = new Set<WebSocket>();
  const guard: { config: GuardConfig } = { config: { port: options.port, token } };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_REQUEST_BYTES });
  const report = (where: string, error: unknown): void => {
    try {
      options.onError?.(where, error);
    } catch {
      // Reporting must not become the fault.
    }
  };
  const budget = new SocketBudget(limits, () =>
    report(
      'connection budget',
      new Error(`${String(limits.maxConnections)} sockets without the token held: the oldest was dropped`),
    ),
  );
  // Every socket and stream below has an 'error' listener: an emitter without one throws its
  // error at the top level, and any local user can make a socket fail (a reset, a bad frame).

  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits),
    },
    (request, response) => {
      request.on('error', (error) => report('http request', error));
      response.on('error', (error) => report('http response', error));
      if (!isAllowedHost(request.headers.host, guard.config)) {
        response.writeHead(421, { 'content-type': 'text/plain' }).end('wrong host');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const urlPath = urlOf(request.url)?.pathname;
      if (urlPath === undefined) {
        response.writeHead(400, { 'content-type': 'text/plain' }).end('bad request target');
        return;
      }
      files
        .get(urlPath)
        .then((file) => {
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
        })
        .catch((error: unknown) => {
          // Neither a rejected read nor a throwing write may reach the top level.
          report('static file', error);
          try {
            if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
            response.end();
          } catch {
            response.destroy();
          }
        });
    },
  );
  // A socket that sends nothing is closed after idleTimeoutMs (Node destroys a socket whose
  // inactivity timeout fires when nothing else listens for it).
  server.timeout = limits.idleTimeoutMs;
  // A backstop only: the budget keeps the count at maxConnections + maxClients; sockets it
  // evicts in a burst of accepts close a tick later, so the hard cap leaves room for them.
  server.maxConnections = 2 * (limits.maxConnections + limits.maxClients);
  server.on('connection', (socket: Socket) => budget.admit(socket));
  // A malformed request or a reset during one: answer 400 where the socket still takes it.
  // A request past headersTimeout or requestTimeout comes here too, and is told so (408).
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    report('http client', error);
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
    else socket.destroy();
  });

  server.on('upgrade', (request, socket, head) => {
    // Until ws takes the socket over, its errors (a client's reset) are ours to catch.
    const onSocketError = (error: Error): void => {
      report('upgrade socket', error);
      socket.destroy();
    };
    socket.on('error', onSocketError);
    const url = urlOf(request.url);
    const allowed =
      url !== null &&
      url.pathname === '/ws' &&
      isAllowedHost(request.headers.host, guard.config) &&
      isAllowedOrigin(request.headers.origin, guard.config) &&
      isValidToken(url.searchParams.get('token'), guard.config);
    if (!allowed) {
      // The listener stays: the refusal below may meet a socket the client has already reset.
      refuseUpgrade(socket, '403 Forbidden');
      return;
    }
    if (clients.size >= limits.maxClients) {
      // Authenticated peers hold the token; a cap on them still bounds a runaway UI's tabs.
      refuseUpgrade(socket, '503 Service Unavailable');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      // ws handles the socket's errors from here on, and reports them on `ws`.
      socket.removeListener('error', onSocketError);
      // A client from now on: out of the unauthenticated budget, its lifetime unbounded.
      budget.promote(socket as Socket);
      clients.add(ws);
      ws.on('error', (error) => report('websocket', error));
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1003, 'text frames only');
        handleMessage(ws, data.toString()).catch((error: unknown) => report('websocket message', error));
      });
    });
  });
  wss.on('error', (error) => report('websocket server', error));

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
    try {
      send(ws, { id: request.data.id, result });
    } catch (error) {
      // A result JSON cannot carry (a bigint from a handler): the client still gets an answer.
      report('websocket answer', error);
      const message = 'the answer could not be sent';
      send(ws, { id: request.data.id, result: { ok: false, error: { code: 'internal', message } } });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  // After listening, a server error is reported, never thrown (rate-limited by main's log). When
  // accept fails for want of descriptors (EMFILE), libuv frees a descriptor it keeps in reserve,
  // accepts and closes the waiting connections, and tells Node nothing: no busy loop, still
  // listening (fd-limit.test.ts). Only if that reserve is gone does the error arrive here.
  server.on('error', (error: NodeJS.ErrnoException) =>
    report(error.syscall === 'accept' ? `accept ${error.code ?? ''}` : 'http server', error),
  );
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  guard.config = { port, token };

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    push(channel, payload) {
      // Serialized once, and only when a client will get it: with no UI open (a server's
      // usual state) every connection's push would otherwise be stringified for nobody.
      let message: string | undefined;
      for (const client of clients) {
        if (client.readyState !== client.OPEN) continue;
        message ??= JSON.stringify({ push: channel, payload });
        client.send(message);
      }
    },
    clientCount: () => clients.size,
    unauthenticatedCount: () => budget.size(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.terminate();
        // Refused upgrades are no longer http's to close.
        budget.closeAll();
        wss.close();
        server.close(() => resolve());
        // Keep-alive HTTP connections would hold close() open: shutdown must not wait on a browser.
        server.closeAllConnections();
      }),
  };
}
