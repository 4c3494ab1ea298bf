import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rootGate } from '../../native/test-support/root-gate.ts';
import type { BlocklistView } from '../contract/blocklists.ts';
import { dispatch } from '../contract/dispatch.ts';
import { openStore } from '../store/index.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { connection, type Harness, startRuntime, tempDbPath } from './test-support/harness.ts';
import { ListServerNet } from './test-support/list-server-net.ts';

const SUITE = 'blocklists from web addresses (a list server in a network namespace)';
const gate = rootGate(SUITE);
const HOUR = 3_600_000;

describe.skipIf(gate.skip)(SUITE, () => {
  let net: ListServerNet;
  beforeAll(async () => {
    gate.assertRoot();
    net = await ListServerNet.start();
  }, 30_000);
  afterAll(() => net?.close());

  const start = (over: { db?: string; cacheDir?: string; now?: number } = {}): Harness =>
    startRuntime({
      store: openStore(over.db ?? tempDbPath()),
      now: over.now ?? 1_000,
      blocklistCacheDir: over.cacheDir ?? testTempDir('zf-blocklist-cache-'),
      blocklistCa: net.ca,
      blocklistMaxBytes: 64 * 1024,
    });

  async function add(h: Harness, url: string): Promise<BlocklistView> {
    const answer = await dispatch(h.handlers, 'blocklists:add', { name: 'Web list', url });
    if (!answer.ok) throw new Error(answer.error.message);
    return answer.value as BlocklistView;
  }

  const viewOf = (h: Harness): BlocklistView => {
    const [view] = h.runtime.blocklists.list();
    if (view === undefined) throw new Error('no list');
    return view;
  };

  /** Moves the clock to `now`, ticks, and waits until the list's scheduled check is done. */
  async function checkAt(h: Harness, now: number): Promise<BlocklistView> {
    h.clock.now = now;
    h.runtime.tick(now);
    await vi.waitFor(() => expect(viewOf(h).nextCheckAt).toBeGreaterThan(now), { timeout: 10_000 });
    return viewOf(h);
  }

  /** The verdict the runtime gave connection `id` to `ip` right away, or null (held for a prompt). */
  function verdictFor(h: Harness, id: bigint, ip: string): string | null {
    h.runtime.handleEvent(connection(id, 40_000 + Number(id), 443, ip), h.clock.now);
    return h.verdicts.find(([request]) => request === id)?.[1] ?? null;
  }

  it('subscribes, checks on schedule (304 when unchanged), takes a new version, and keeps the entries through broken ones', async () => {
    net.writeList('schedule.txt', '0.0.0.0 ads.example.com\n203.0.113.9\n', 1_700_000_000);
    const h = start();
    const added = await add(h, `${net.http}/schedule.txt`);
    expect(added).toMatchObject({ kind: 'url', names: 1, networks: 1, problem: null, checkedAt: 1_000 });
    expect(added.nextCheckAt).toBe(1_000 + 24 * HOUR);
    expect(verdictFor(h, 1n, '203.0.113.9')).toBe('permanent-block');

    // Not due yet: nothing is asked.
    const before = net.seen('/schedule.txt').length;
    h.runtime.tick(2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(net.seen('/schedule.txt')).toHaveLength(before);

    // Due and unchanged: a conditional request and a 304.
    let view = await checkAt(h, 1_000 + 24 * HOUR);
    // The server's line about a request may come after its answer.
    await vi.waitFor(() => expect(net.seen('/schedule.txt').at(-1)?.ifNoneMatch).toMatch(/^"/));
    expect(view).toMatchObject({
      names: 1,
      networks: 1,
      updatedAt: 1_000,
      checkedAt: 1_000 + 24 * HOUR,
      problem: null,
    });

    // A new version replaces the entries.
    net.writeList('schedule.txt', '198.51.100.4\n', 1_700_000_100);
    view = await checkAt(h, 1_000 + 48 * HOUR);
    expect(view).toMatchObject({ names: 0, networks: 1, updatedAt: 1_000 + 48 * HOUR, problem: null });
    expect(verdictFor(h, 2n, '198.51.100.4')).toBe('permanent-block');
    expect(verdictFor(h, 3n, '203.0.113.9')).toBeNull();

    // Broken versions keep what is in force, and are tried again after 15 minutes, then 30.
    net.writeList('schedule.txt', 'this is no list\n', 1_700_000_200);
    view = await checkAt(h, 1_000 + 72 * HOUR);
    expect(view.problem).toMatch(
      /^The last check failed: no entries in it .* The entries from before stay in force\.$/,
    );
    expect(view.nextCheckAt).toBe(1_000 + 72 * HOUR + 15 * 60_000);
    net.writeList('schedule.txt', `${'0.0.0.0 a.example.net\n'.repeat(4000)}`, 1_700_000_300);
    view = await checkAt(h, view.nextCheckAt);
    expect(view.problem).toMatch(/larger than 65536 bytes/);
    expect(view.nextCheckAt).toBe(h.clock.now + 30 * 60_000);
    rmSync(path.join(net.dir, 'schedule.txt'));
    view = await checkAt(h, view.nextCheckAt);
    expect(view.problem).toMatch(/answered 404/);
    expect(view.networks).toBe(1);
    expect(verdictFor(h, 4n, '198.51.100.4')).toBe('permanent-block');

    // Fixed: the next check clears the problem.
    net.writeList('schedule.txt', '198.51.100.5\n', 1_700_000_400);
    view = viewOf(await dispatch(h.handlers, 'blocklists:reload', { id: view.id }).then(() => h));
    expect(view).toMatchObject({ problem: null, networks: 1 });
    expect(verdictFor(h, 5n, '198.51.100.5')).toBe('permanent-block');
    h.store.close();
  });

  it('puts a downloaded list in force at start from its copy on disk, without the network, and keeps its hits', async () => {
    net.writeList('restart.txt', '192.0.2.77\n', 1_700_000_000);
    const db = tempDbPath();
    const cacheDir = testTempDir('zf-blocklist-cache-');
    const first = start({ db, cacheDir });
    const view = await add(first, `${net.http}/restart.txt`);
    expect(verdictFor(first, 1n, '192.0.2.77')).toBe('permanent-block');
    expect(verdictFor(first, 2n, '192.0.2.77')).toBe('permanent-block');
    first.runtime.shutdown(2_000);
    first.store.close();
    expect(existsSync(path.join(cacheDir, `${view.id}.list`))).toBe(true);

    const requests = net.seen('/restart.txt').length;
    const second = start({ db, cacheDir, now: 3_000 });
    await second.runtime.blocklists.load();
    expect(viewOf(second)).toMatchObject({ networks: 1, hits: 2, updatedAt: 1_000, problem: null });
    expect(verdictFor(second, 3n, '192.0.2.77')).toBe('permanent-block');
    expect(viewOf(second).hits).toBe(3);
    // Nothing was downloaded: the copy was not due.
    second.runtime.tick(3_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(net.seen('/restart.txt')).toHaveLength(requests);
    // When due, the check names the version on disk.
    await checkAt(second, 1_000 + 24 * HOUR);
    await vi.waitFor(() => expect(net.seen('/restart.txt').at(-1)?.ifNoneMatch).toMatch(/^"/));

    // Without its copy (deleted), the list is downloaded again in full at the next start.
    second.runtime.shutdown(second.clock.now);
    second.store.close();
    rmSync(path.join(cacheDir, `${view.id}.list`));
    const third = start({ db, cacheDir, now: 2 * 24 * HOUR });
    await third.runtime.blocklists.load();
    expect(viewOf(third).problem).toMatch(/copy kept on disk could not be read/);
    const fetched = await checkAt(third, 2 * 24 * HOUR);
    expect(fetched).toMatchObject({ networks: 1, problem: null, hits: 3 });
    await vi.waitFor(() => expect(net.seen('/restart.txt').at(-1)?.ifNoneMatch).toBeNull());
    // Removing the list removes its copy.
    await dispatch(third.handlers, 'blocklists:remove', { id: view.id });
    await vi.waitFor(() => expect(existsSync(path.join(cacheDir, `${view.id}.list`))).toBe(false));
    third.store.close();
  });

  it('takes no 304 for a list it has nothing of in force: the check fails and is tried again soon', async () => {
    const db = tempDbPath();
    const before = openStore(db);
    before.settings.set('blocklists', [
      { id: 'bl-nm-1', name: 'Not modified', url: `${net.http}/not-modified`, enabled: true },
    ]);
    before.close();
    const h = start({ db });
    await h.runtime.blocklists.load();
    const view = await checkAt(h, 1_000);
    expect(view).toMatchObject({ names: 0, networks: 0, problem: expect.stringMatching(/304/) as unknown });
    expect(view.nextCheckAt).toBe(1_000 + 15 * 60_000);
    expect(
      await dispatch(h.handlers, 'blocklists:add', { name: 'Also', url: `${net.http}/not-modified?again` }),
    ).toMatchObject({ ok: false, error: { message: expect.stringMatching(/304/) as unknown } });
    h.store.close();
  });

  it('puts a new version in force even when the store refuses to record its validators', async () => {
    net.writeList('unstored.txt', '192.0.2.30\n', 1_700_000_000);
    const h = start();
    await add(h, `${net.http}/unstored.txt`);
    net.writeList('unstored.txt', '192.0.2.31\n', 1_700_000_100);
    const set = vi.spyOn(h.store.settings, 'set').mockImplementation(() => {
      throw new Error('disk full');
    });
    try {
      const view = await checkAt(h, 1_000 + 24 * HOUR);
      expect(view).toMatchObject({ networks: 1, updatedAt: 1_000 + 24 * HOUR });
    } finally {
      set.mockRestore();
    }
    // What the list view says is in force is what the engine blocks.
    expect(verdictFor(h, 1n, '192.0.2.31')).toBe('permanent-block');
    expect(verdictFor(h, 2n, '192.0.2.30')).toBeNull();
    h.store.close();
  });

  it('keeps an interval set while a check ran, and no copy on disk of a list removed while its check ran', async () => {
    net.writeList('delayed.txt', '192.0.2.40\n', 1_700_000_000);
    const cacheDir = testTempDir('zf-blocklist-cache-');
    const h = start({ cacheDir });
    const view = await add(h, `${net.http}/delay/delayed.txt`);
    net.writeList('delayed.txt', '192.0.2.41\n', 1_700_000_100);
    const due = 1_000 + 24 * HOUR;
    h.clock.now = due;
    h.runtime.tick(due);
    expect(await dispatch(h.handlers, 'blocklists:set-interval', { id: view.id, intervalHours: 6 })).toMatchObject({
      ok: true,
    });
    await vi.waitFor(() => expect(viewOf(h).nextCheckAt).toBeGreaterThan(due), { timeout: 10_000 });
    expect(viewOf(h)).toMatchObject({ intervalHours: 6, nextCheckAt: due + 6 * HOUR, networks: 1 });

    // Removed while its check downloads a new version: the copy that check writes is not left behind.
    net.writeList('delayed.txt', '192.0.2.42\n', 1_700_000_200);
    const requests = net.seen('/delay/delayed.txt').length;
    h.clock.now = due + 6 * HOUR;
    h.runtime.tick(h.clock.now);
    await vi.waitFor(() => expect(net.seen('/delay/delayed.txt')).toHaveLength(requests + 1));
    expect(await dispatch(h.handlers, 'blocklists:remove', { id: view.id })).toMatchObject({ ok: true });
    // The answer comes 300 ms after the request; the check is done well within a second more.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(existsSync(path.join(cacheDir, `${view.id}.list`))).toBe(false);
    h.store.close();
  });

  it('holds a list whose copy the disk refuses, and downloads it in full at the next start', async () => {
    net.writeList('no-disk.txt', '192.0.2.99\n');
    // A data directory that cannot take the copy: its parent is a file (as a full or broken disk).
    const blocker = path.join(testTempDir('zf-blocklist-nodisk-'), 'file');
    writeFileSync(blocker, 'not a directory');
    const cacheDir = path.join(blocker, 'blocklists');
    const db = tempDbPath();
    const first = start({ db, cacheDir });
    const view = await add(first, `${net.http}/no-disk.txt`);
    expect(view.problem).toMatch(
      /^In force, but the copy on disk could not be written .*downloaded again at the next start\.$/,
    );
    expect(verdictFor(first, 1n, '192.0.2.99')).toBe('permanent-block');
    first.runtime.shutdown(first.clock.now);
    first.store.close();

    const second = start({ db, cacheDir, now: 5_000 });
    await second.runtime.blocklists.load();
    expect(viewOf(second).networks).toBe(0);
    await checkAt(second, 5_000);
    await vi.waitFor(() => expect(net.seen('/no-disk.txt').at(-1)?.ifNoneMatch).toBeNull());
    expect(viewOf(second)).toMatchObject({ networks: 1 });
    expect(verdictFor(second, 2n, '192.0.2.99')).toBe('permanent-block');
    second.store.close();
  });

  it('adds a list over https, and refuses one whose first download fails or has no entries', async () => {
    net.writeList('secure.txt', '0.0.0.0 tracker.example.org\n');
    const h = start();
    expect(await add(h, `${net.https}/secure.txt`)).toMatchObject({ names: 1, problem: null });
    for (const [url, reason] of [
      [`${net.http}/status/500`, /answered 500/],
      [`${net.http}/nothing-here.txt`, /answered 404/],
      [`${net.http}/endless`, /larger than 65536 bytes/],
    ] as const) {
      expect(await dispatch(h.handlers, 'blocklists:add', { name: 'Bad', url })).toMatchObject({
        ok: false,
        error: { code: 'bad-request', message: expect.stringMatching(reason) as unknown },
      });
    }
    net.writeList('empty.txt', '# nothing\n');
    expect(await dispatch(h.handlers, 'blocklists:add', { name: 'Empty', url: `${net.http}/empty.txt` })).toMatchObject(
      {
        ok: false,
        error: { message: expect.stringMatching(/no entries/) as unknown },
      },
    );
    // Addresses the app never fetches are refused where they enter.
    for (const url of ['ftp://192.0.2.1/list', 'https://user:pw@192.0.2.1/list', 'file:///etc/hosts']) {
      expect(await dispatch(h.handlers, 'blocklists:add', { name: 'No', url })).toMatchObject({ ok: false });
    }
    expect(h.runtime.blocklists.list()).toHaveLength(1);
    h.store.close();
  });

  // Last: it stops the server.
  it('keeps the entries in force when the list server is gone, and says so', async () => {
    net.writeList('gone.txt', '192.0.2.120\n');
    const h = start();
    await add(h, `${net.http}/gone.txt`);
    net.stopServer();
    const view = await checkAt(h, 1_000 + 24 * 3_600_000);
    expect(view.problem).toMatch(
      /^The last check failed: .*(ECONNREFUSED|ECONNRESET).* The entries from before stay in force\.$/,
    );
    expect(verdictFor(h, 1n, '192.0.2.120')).toBe('permanent-block');
    h.store.close();
  });
});
