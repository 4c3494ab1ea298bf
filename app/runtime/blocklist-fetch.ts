import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';

/**
 * Fetching a blocklist over HTTP(S): conditional (ETag / If-Modified-Since, so an unchanged list
 * costs one small answer), bounded in size (counted on the bytes as they arrive, after any gzip,
 * whatever Content-Length said) and in time, following at most a few redirects and never from
 * https to http (that would let anyone on the path swap the list). Plain node:http/https rather
 * than fetch(): a body limit that stops the download and a total deadline are simpler to hold.
 */

export interface ListFetch {
  readonly url: string;
  /** From the last good answer; sent as If-None-Match / If-Modified-Since. */
  readonly etag: string | null;
  readonly lastModified: string | null;
  /** The most bytes the list may have (decompressed). */
  readonly maxBytes: number;
  /** The whole exchange, redirects included. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** The certificates trusted instead of the system's (tests: a private CA); absent: the system's. */
  readonly ca?: string;
}

export type ListFetchResult =
  | { readonly kind: 'not-modified' }
  | {
      readonly kind: 'fetched';
      readonly text: string;
      readonly etag: string | null;
      readonly lastModified: string | null;
    };

/** A fetch that failed, in the user's words (the UI shows the message). */
export class ListFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListFetchError';
  }
}

const MAX_REDIRECTS = 5;
/** Header values kept from an answer are bounded: they are stored and sent back. */
const MAX_VALIDATOR_CHARS = 512;

/** The URL of a list the app may fetch: http or https, no user name or password in it. */
export function listUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a web address';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http:// and https:// addresses are fetched';
  if (url.username !== '' || url.password !== '') return 'a user name or password in the address is not kept';
  return null;
}

export async function fetchList(options: ListFetch): Promise<ListFetchResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline]);
  let url = new URL(options.url);
  for (let hop = 0; ; hop++) {
    const answer = await exchange(url, options, signal, deadline);
    if ('redirect' in answer) {
      if (hop >= MAX_REDIRECTS) throw new ListFetchError(`more than ${String(MAX_REDIRECTS)} redirects`);
      const next = new URL(answer.redirect, url);
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new ListFetchError(`redirected from https to ${next.protocol.replace(':', '')}: refused`);
      }
      const problem = listUrlProblem(next.href);
      if (problem !== null) throw new ListFetchError(`redirected to an address not fetched (${problem})`);
      url = next;
      continue;
    }
    return answer;
  }
}

type Exchange = ListFetchResult | { readonly redirect: string };

function exchange(url: URL, options: ListFetch, signal: AbortSignal, deadline: AbortSignal): Promise<Exchange> {
  const headers: Record<string, string> = { 'accept-encoding': 'gzip', 'user-agent': 'ZenithFence blocklist updater' };
  if (options.etag !== null) headers['if-none-match'] = options.etag;
  if (options.lastModified !== null) headers['if-modified-since'] = options.lastModified;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Exchange>((resolve, reject) => {
    const fail = (error: unknown): void => reject(explain(error, options, deadline));
    const request = send(
      url,
      { method: 'GET', headers, signal, ...(options.ca === undefined ? {} : { ca: options.ca }) },
      (response) => {
        const status = response.statusCode ?? 0;
        // A redirect or an error is let go (destroyed), not drained: its body could run on until
        // the deadline, downloading beside the next hop or after the failure was told. A 304 has
        // no body (its socket can be used again).
        if (status === 304) {
          response.resume();
          resolve({ kind: 'not-modified' });
        } else if ([301, 302, 303, 307, 308].includes(status) && response.headers.location !== undefined) {
          response.destroy();
          resolve({ redirect: response.headers.location });
        } else if (status !== 200) {
          response.destroy();
          reject(new ListFetchError(`the server answered ${String(status)} ${response.statusMessage ?? ''}`.trim()));
        } else {
          readBody(response, options.maxBytes).then(
            (text) =>
              resolve({
                kind: 'fetched',
                text,
                etag: validator(response.headers.etag),
                lastModified: validator(response.headers['last-modified']),
              }),
            fail,
          );
        }
      },
    );
    request.on('error', fail);
    request.end();
  });
}

/** The body as text, decompressed when gzip, refused past `maxBytes`. */
function readBody(response: IncomingMessage, maxBytes: number): Promise<string> {
  const encoding = (response.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    response.resume();
    return Promise.reject(new ListFetchError(`the server sent the list in an encoding not read (${encoding})`));
  }
  const declared = Number(response.headers['content-length'] ?? Number.NaN);
  if (encoding === 'identity' && declared > maxBytes) {
    response.destroy();
    return Promise.reject(tooLarge(maxBytes));
  }
  const source = encoding === 'gzip' ? response.pipe(createGunzip()) : response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const stop = (error: Error): void => {
      if (settled) return;
      settled = true;
      response.destroy();
      source.destroy();
      reject(error);
    };
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) stop(tooLarge(maxBytes));
      else chunks.push(chunk);
    });
    source.on('error', (error) =>
      stop(
        encoding === 'gzip' && !response.errored
          ? new ListFetchError(`the compressed list is broken (${error.message})`)
          : error,
      ),
    );
    response.on('error', stop);
    response.on('aborted', () =>
      stop(new ListFetchError('the server closed the connection before the list was complete')),
    );
    source.on('end', () => {
      if (settled) return;
      if (!response.complete) {
        stop(new ListFetchError('the server closed the connection before the list was complete'));
        return;
      }
      settled = true;
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
  });
}

function tooLarge(maxBytes: number): ListFetchError {
  return new ListFetchError(`the list is larger than ${String(maxBytes)} bytes, more than a list may hold`);
}

/** A validator header worth keeping: printable, bounded; anything else is not sent back. */
function validator(value: string | undefined): string | null {
  if (value === undefined || value.length === 0 || value.length > MAX_VALIDATOR_CHARS) return null;
  return /^[\x20-\x7e]+$/.test(value) ? value : null;
}

/** An error from the network stack, said plainly. */
function explain(error: unknown, options: ListFetch, deadline: AbortSignal): Error {
  if (error instanceof ListFetchError) return error;
  if (deadline.aborted) return new ListFetchError(`no complete answer within ${String(options.timeoutMs / 1000)} s`);
  if (options.signal?.aborted === true) return new ListFetchError('stopped');
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return new ListFetchError(typeof code === 'string' ? `${message} (${code})` : message);
}
