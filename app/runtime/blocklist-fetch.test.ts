import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rootGate } from '../../native/test-support/root-gate.ts';
import { fetchList, type ListFetch, listUrlProblem } from './blocklist-fetch.ts';
import { ListServerNet } from './test-support/list-server-net.ts';

const SUITE = 'the blocklist download tests (a server in a network namespace)';
const gate = rootGate(SUITE);

describe('listUrlProblem', () => {
  it('takes http and https addresses only, without credentials', () => {
    expect(listUrlProblem('https://lists.example.org/hosts.txt')).toBeNull();
    expect(listUrlProblem('http://192.0.2.1:8080/a')).toBeNull();
    expect(listUrlProblem('ftp://lists.example.org/hosts')).toMatch(/only http/);
    expect(listUrlProblem('file:///etc/hosts')).toMatch(/only http/);
    expect(listUrlProblem('https://user:secret@lists.example.org/')).toMatch(/password/);
    expect(listUrlProblem('not a url')).toMatch(/not a web address/);
  });
});

describe.skipIf(gate.skip)(SUITE, () => {
  let net: ListServerNet;
  const base = (over: Partial<ListFetch>): ListFetch => ({
    url: `${net.http}/list.txt`,
    etag: null,
    lastModified: null,
    maxBytes: 1 << 20,
    timeoutMs: 10_000,
    ca: net.ca,
    ...over,
  });

  beforeAll(async () => {
    gate.assertRoot();
    net = await ListServerNet.start();
  }, 30_000);
  afterAll(() => net?.close());

  it('downloads a list with its validators, then answers not-modified to a request that names them', async () => {
    net.writeList('list.txt', '0.0.0.0 ads.example.com\n', 1_700_000_000);
    const first = await fetchList(base({}));
    expect(first).toMatchObject({ kind: 'fetched', text: '0.0.0.0 ads.example.com\n' });
    if (first.kind !== 'fetched') return;
    expect(first.etag).toMatch(/^"[0-9a-f]{16}"$/);
    expect(first.lastModified).toBe(new Date(1_700_000_000_000).toUTCString());
    expect(await fetchList(base({ etag: first.etag }))).toEqual({ kind: 'not-modified' });
    // The server's line about a request may come after its answer.
    await vi.waitFor(() => expect(net.seen('/list.txt').at(-1)?.ifNoneMatch).toBe(first.etag));
    expect(await fetchList(base({ lastModified: first.lastModified }))).toEqual({ kind: 'not-modified' });
    // A new version: the old validator no longer matches.
    net.writeList('list.txt', '0.0.0.0 ads.example.com\n0.0.0.0 more.example.com\n', 1_700_000_100);
    expect(await fetchList(base({ etag: first.etag }))).toMatchObject({ kind: 'fetched', text: /more\.example\.com/ });
  });

  it('reads gzip, follows redirects, and trusts https only with a certificate it trusts', async () => {
    net.writeList('list.txt', '198.51.100.0/24\n');
    expect(await fetchList(base({ url: `${net.http}/list.txt?gzip` }))).toMatchObject({ text: '198.51.100.0/24\n' });
    expect(await fetchList(base({ url: `${net.http}/to/list.txt` }))).toMatchObject({ text: '198.51.100.0/24\n' });
    expect(await fetchList(base({ url: `${net.https}/list.txt` }))).toMatchObject({ text: '198.51.100.0/24\n' });
    const { url, etag, lastModified, maxBytes, timeoutMs } = base({ url: `${net.https}/list.txt` });
    await expect(fetchList({ url, etag, lastModified, maxBytes, timeoutMs })).rejects.toThrow(
      /self-signed|certificate/i,
    );
    // Never from https down to http: anyone on the path could then swap the list.
    await expect(fetchList(base({ url: `${net.https}/to-http/list.txt` }))).rejects.toThrow(
      /from https to http: refused/,
    );
    await expect(fetchList(base({ url: `${net.http}/to/to/to/to/to/to/list.txt` }))).rejects.toThrow(
      /more than 5 redirects/,
    );
  });

  it('says why a download failed, and never holds more than the limit', async () => {
    await expect(fetchList(base({ url: `${net.http}/status/404` }))).rejects.toThrow(/answered 404 Not Found/);
    await expect(fetchList(base({ url: `${net.http}/missing.txt` }))).rejects.toThrow(/answered 404/);
    await expect(fetchList(base({ url: `${net.http}/bad-gzip` }))).rejects.toThrow(/compressed list is broken/);
    // Too large by its declared length, by what arrives (no length, never ending), and after gzip.
    net.writeList('big.txt', 'x'.repeat(70_000));
    await expect(fetchList(base({ url: `${net.http}/big.txt`, maxBytes: 65_536 }))).rejects.toThrow(
      /larger than 65536 bytes/,
    );
    await expect(fetchList(base({ url: `${net.http}/endless`, maxBytes: 65_536 }))).rejects.toThrow(
      /larger than 65536 bytes/,
    );
    net.writeList('bomb.txt', 'y'.repeat(5_000_000));
    expect(gzipSync('y'.repeat(5_000_000)).length).toBeLessThan(65_536);
    await expect(fetchList(base({ url: `${net.http}/bomb.txt?gzip`, maxBytes: 65_536 }))).rejects.toThrow(
      /larger than/,
    );
    await expect(fetchList(base({ url: `${net.http}/slow`, timeoutMs: 500 }))).rejects.toThrow(
      /no complete answer within 0.5 s/,
    );
    // An answer that is not the list is let go at once, not drained until the deadline.
    await expect(fetchList(base({ url: `${net.http}/endless-status/500` }))).rejects.toThrow(/answered 500/);
    await vi.waitFor(() => expect(net.closed).toContain('/endless-status/500'), { timeout: 2_000 });
    net.writeList('list.txt', '192.0.2.8\n');
    expect(await fetchList(base({ url: `${net.http}/endless-status/302` }))).toMatchObject({ text: '192.0.2.8\n' });
    await vi.waitFor(() => expect(net.closed).toContain('/endless-status/302'), { timeout: 2_000 });
    const stop = new AbortController();
    const pending = fetchList(base({ url: `${net.http}/slow`, signal: stop.signal }));
    stop.abort();
    await expect(pending).rejects.toThrow(/stopped/);
  });
});
