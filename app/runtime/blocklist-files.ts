import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_LIST_CHARS } from '../blocklists/parse-list.ts';

/**
 * The files behind blocklists: a local list the user named, and the copy of a fetched list kept
 * beside the database, so lists hold from the first connection after a restart, offline too, and
 * an unchanged list is not downloaded again.
 */

/** What identifies one version of a file cheaply: a check skips the read when it is unchanged. */
export async function fileStamp(file: string): Promise<string> {
  const info = await stat(file);
  return `${String(info.mtimeMs)}:${String(info.size)}:${String(info.ino)}`;
}

/**
 * A list file's text. Only a regular file is read (a device such as /dev/zero or a FIFO would
 * never end), and never more than a list may hold, whatever its size said when it was looked at.
 */
export async function readListFile(file: string): Promise<string> {
  // Opened without blocking: a plain open of a FIFO waits for a writer, forever, before the
  // check below could refuse it (holding one of libuv's few threads). Windows has no O_NONBLOCK
  // (undefined, which `|` reads as 0) and no such wait.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_LIST_CHARS) throw new Error(`the file holds ${String(info.size)} bytes, more than a list may`);
    const buffer = Buffer.alloc(Math.min(info.size, MAX_LIST_CHARS) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_LIST_CHARS) throw new Error('the file grew past what a list may hold while it was read');
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Where the fetched copy of list `id` is kept (ids are the manager's own: no path characters). */
export function cachedListPath(dir: string, id: string): string {
  return path.join(dir, `${id}.list`);
}

/**
 * Keeps `text` as the copy of list `id`: written beside it, then renamed over it, so a crash or a
 * full disk leaves the previous copy whole. Only the owner may read it (mode 600).
 */
export async function writeCachedList(dir: string, id: string, text: string): Promise<void> {
  const target = cachedListPath(dir, id);
  const partial = `${target}.partial`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(partial, text, { mode: 0o600, flush: true });
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    throw error;
  }
}

export async function removeCachedList(dir: string, id: string): Promise<void> {
  await rm(cachedListPath(dir, id), { force: true });
}
