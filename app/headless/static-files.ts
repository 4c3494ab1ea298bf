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
