import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A page that forwards to the UI's URL, readable by its owner only. */
export interface UiRedirect {
  /** The file:// URL to give the browser: it holds no token. */
  readonly url: string;
  remove(): void;
}

/**
 * Writes a page that sends the browser on to `uiUrl`. A browser's command line is readable by
 * every local user (/proc/PID/cmdline), so the token must not be on it: the browser is given
 * this file instead, in a new 0700 directory (owned by `owner` when the browser runs as the
 * user who typed sudo), the file itself 0600.
 */
export function writeUiRedirect(uiUrl: string, owner: { uid: number; gid: number } | null): UiRedirect {
  const dir = mkdtempSync(path.join(tmpdir(), 'zenithfence-ui-'));
  const file = path.join(dir, 'open-zenithfence.html');
  // The URL is ours (127.0.0.1, a port, a hex token); escaped anyway, as it goes into an attribute.
  const escaped = uiUrl.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escaped}"><title>ZenithFence</title>\n`,
    { mode: 0o600 },
  );
  if (owner !== null) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(file, owner.uid, owner.gid);
  }
  return { url: pathToFileURL(file).href, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
