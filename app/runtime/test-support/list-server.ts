// A blocklist server for the namespace tests, run by Node itself inside the test's namespace
// (`node list-server.ts IP HTTP_PORT DIR [HTTPS_PORT CERT KEY]`; Node strips the types). It
// serves the files of DIR the way list hosts do: ETag and Last-Modified on every list, 304 for a
// request that names the version it has, gzip when asked (`?gzip`). Other paths misbehave on
// purpose: /endless never stops sending, /slow never answers, /status/N answers N, /to/PATH
// redirects to PATH, /to-http/PATH redirects to PATH on the plain HTTP port, /bad-gzip claims
// gzip and is not, /not-modified answers 304 whatever was asked, /delay/NAME serves NAME after
// 300 ms, /endless-status/N answers N (a redirect to /list.txt when 3xx) with a body that never
// ends. Each request is one JSON line on stdout, for the tests to read, and so is the end of
// each answer's connection ({"closed": path}: when a client let go of an answer).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const [ip = '127.0.0.1', httpPort = '8080', dir = '.', httpsPort, certFile, keyFile] = process.argv.slice(2);

function serve(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://list-server');
  console.log(
    JSON.stringify({
      path: url.pathname,
      ifNoneMatch: request.headers['if-none-match'] ?? null,
      ifModifiedSince: request.headers['if-modified-since'] ?? null,
    }),
  );
  response.on('close', () => console.log(JSON.stringify({ closed: url.pathname })));
  if (url.pathname === '/not-modified') {
    response.writeHead(304).end();
    return;
  }
  if (url.pathname.startsWith('/delay/')) {
    setTimeout(() => serveFile(request, response, url), 300);
    return;
  }
  if (url.pathname.startsWith('/endless-status/')) {
    const status = Number(url.pathname.slice('/endless-status/'.length)) || 500;
    response.writeHead(status, status >= 300 && status < 400 ? { location: '/list.txt' } : {});
    const timer = setInterval(() => response.write('x'.repeat(16_384)), 5);
    response.on('close', () => clearInterval(timer));
    return;
  }
  if (url.pathname === '/endless') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    const line = Buffer.from('0.0.0.0 endless.example.com\n'.repeat(1000));
    const more = (): void => {
      while (response.write(line)) {
        /* fill the socket's buffer */
      }
    };
    response.on('drain', more);
    response.on('close', () => response.off('drain', more));
    more();
    return;
  }
  if (url.pathname === '/slow') return; // never answered
  if (url.pathname.startsWith('/status/')) {
    response.writeHead(Number(url.pathname.slice('/status/'.length)) || 500).end('no list here\n');
    return;
  }
  if (url.pathname.startsWith('/to/')) {
    response.writeHead(302, { location: `/${url.pathname.slice('/to/'.length)}` }).end();
    return;
  }
  if (url.pathname.startsWith('/to-http/')) {
    response.writeHead(302, { location: `http://${ip}:${httpPort}/${url.pathname.slice('/to-http/'.length)}` }).end();
    return;
  }
  if (url.pathname === '/bad-gzip') {
    response.writeHead(200, { 'content-encoding': 'gzip' }).end('this is not gzip at all');
    return;
  }
  serveFile(request, response, url);
}

/** The file of DIR the last part of the path names, conditionally and gzipped when asked. */
function serveFile(request: IncomingMessage, response: ServerResponse, url: URL): void {
  const file = path.join(dir, path.basename(url.pathname));
  let body: Buffer;
  let modified: Date;
  try {
    body = readFileSync(file);
    modified = statSync(file).mtime;
  } catch {
    response.writeHead(404).end('not found\n');
    return;
  }
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
  const lastModified = modified.toUTCString();
  const since = Date.parse(request.headers['if-modified-since'] ?? '');
  const unchanged =
    request.headers['if-none-match'] !== undefined
      ? request.headers['if-none-match'] === etag
      : !Number.isNaN(since) && Math.floor(modified.getTime() / 1000) * 1000 <= since;
  if (unchanged) {
    response.writeHead(304, { etag, 'last-modified': lastModified }).end();
    return;
  }
  const gzip = url.searchParams.has('gzip') && /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
  const sent = gzip ? gzipSync(body) : body;
  response
    .writeHead(200, {
      etag,
      'last-modified': lastModified,
      'content-length': sent.length,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    })
    .end(sent);
}

createHttpServer(serve).listen(Number(httpPort), ip, () => console.log(JSON.stringify({ listening: 'http' })));
if (httpsPort !== undefined && certFile !== undefined && keyFile !== undefined) {
  createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, serve).listen(
    Number(httpsPort),
    ip,
    () => console.log(JSON.stringify({ listening: 'https' })),
  );
}
