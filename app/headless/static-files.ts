import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveRendererFile } from '../main/renderer-files.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The same policy as the Electron window: our own scripts only, and a WebSocket to ourselves. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** Reads a file of the renderer bundle for a URL path, or null (missing, or outside the bundle). */
export async function readRendererFile(rendererDir: string, urlPath: string): Promise<StaticFile | null> {
  // Never rejects: a path nothing can be read from (a directory, a NUL byte, a vanished file) is not found.
  try {
    const file = resolveRendererFile(rendererDir, urlPath);
    if (file === null) return null;
    const body = await readFile(file);
    return { body, contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' };
  } catch {
    return null;
  }
}

/**
 * The renderer bundle's files, each read once and then served from the same buffer. Any local
 * user may request them without the token: a fresh read per request let a few hundred pipelined
 * requests on one socket, never read back, hold gigabytes (each held its own copy of a 500 KB
 * bundle). A shared buffer costs nothing more per response. Only files of the bundle are kept
 * (what resolveRendererFile finds inside it), so the cache is bounded by the bundle's size; a
 * rebuilt bundle is served after a restart.
 */
export class RendererFiles {
  readonly #dir: string;
  readonly #files = new Map<string, Promise<StaticFile | null>>();

  constructor(rendererDir: string) {
    this.#dir = rendererDir;
  }

  /** The file for a URL path, or null (missing, or outside the bundle). Never rejects. */
  get(urlPath: string): Promise<StaticFile | null> {
    let file: string | null;
    try {
      file = resolveRendererFile(this.#dir, urlPath);
    } catch {
      return Promise.resolve(null);
    }
    if (file === null) return Promise.resolve(null);
    const known = this.#files.get(file);
    if (known !== undefined) return known;
    const reading = readRendererFile(this.#dir, urlPath);
    this.#files.set(file, reading);
    // A file that could not be read is tried again next time (it may appear, as after a build).
    void reading.then((read) => {
      if (read === null) this.#files.delete(file);
    });
    return reading;
  }
}
