import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { BlocklistView } from '../contract/blocklists.ts';
import { dispatch } from '../contract/dispatch.ts';
import { openStore } from '../store/index.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { connection, CURL, startRuntime, tempDbPath } from './test-support/harness.ts';

/** A list file in a private directory. */
function listFile(text: string): string {
  const file = path.join(testTempDir('zf-blocklist-'), 'list.txt');
  writeFileSync(file, text);
  return file;
}

async function added(h: ReturnType<typeof startRuntime>, file: string): Promise<BlocklistView> {
  const answer = await dispatch(h.handlers, 'blocklists:add', { name: 'Test list', path: file });
  if (!answer.ok) throw new Error(answer.error.message);
  return answer.value as BlocklistView;
}

describe('blocklists', () => {
  it('block a listed address without a prompt, count the hit, and yield to a user rule', async () => {
    const h = startRuntime();
    h.clock.now = 2_000;
    const view = await added(h, listFile('# test\n192.0.2.66\n0.0.0.0 ads.example.com\n'));
    expect(view).toMatchObject({ names: 1, networks: 1, enabled: true, problem: null, hits: 0 });
    h.runtime.handleEvent(connection(1n, 40_001, 443, '192.0.2.66'), 2_001);
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    expect(h.runtime.engine.listPrompts()).toEqual([]);
    expect(await dispatch(h.handlers, 'blocklists:list', undefined)).toMatchObject({ ok: true, value: [{ hits: 1 }] });
    // A rule of the user's allows curl there: the rule wins.
    await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'ip', address: '192.0.2.66' },
      action: 'allow',
    });
    h.runtime.handleEvent(connection(2n, 40_002, 443, '192.0.2.66'), 2_002);
    expect(h.verdicts.at(-1)).toEqual([2n, 'permanent-accept']);
    // Switched off, the list blocks nothing more: an unlisted-by-rule address is asked about.
    await dispatch(h.handlers, 'blocklists:set-enabled', { id: view.id, enabled: false });
    h.runtime.handleEvent(connection(3n, 40_003, 443, '192.0.2.66'), 2_003);
    expect(h.verdicts.at(-1)).toEqual([3n, 'permanent-accept']); // still the rule
  });

  it('refuses a file with no entry and keeps the old entries when a reload finds none', async () => {
    const h = startRuntime();
    const empty = listFile('# only a comment\nnot a list line at all\n');
    expect(await dispatch(h.handlers, 'blocklists:add', { name: 'Empty', path: empty })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/no entries/) as unknown },
    });
    expect(await dispatch(h.handlers, 'blocklists:add', { name: 'Gone', path: '/nonexistent/list' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    // A device or a FIFO would never end: only regular files are read.
    expect(await dispatch(h.handlers, 'blocklists:add', { name: 'Zeros', path: '/dev/zero' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/not a regular file/) as unknown },
    });
    expect(await dispatch(h.handlers, 'blocklists:add', { name: 'Relative', path: 'list.txt' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    const file = listFile('198.51.100.7\n');
    const view = await added(h, file);
    writeFileSync(file, 'garbage garbage\n');
    const reloaded = await dispatch(h.handlers, 'blocklists:reload', { id: view.id });
    expect(reloaded).toMatchObject({ ok: true, value: { networks: 1, problem: expect.stringMatching(/no entries/) } });
    h.runtime.handleEvent(connection(1n, 40_001, 443, '198.51.100.7'), 1_001);
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    expect(await dispatch(h.handlers, 'blocklists:remove', { id: view.id })).toEqual({
      ok: true,
      value: { removed: true },
    });
    h.runtime.handleEvent(connection(2n, 40_002, 443, '198.51.100.7'), 1_002);
    expect(h.verdicts).toHaveLength(1); // held for a prompt now
  });

  it('refuse a FIFO at once rather than waiting for a writer that never comes', async () => {
    const h = startRuntime();
    const fifo = path.join(testTempDir('zf-blocklist-'), 'list.fifo');
    execFileSync('mkfifo', [fifo]);
    const answer = dispatch(h.handlers, 'blocklists:add', { name: 'Pipe', path: fifo });
    try {
      const settled = await Promise.race([answer, new Promise((resolve) => setTimeout(resolve, 2_000, 'hung'))]);
      expect(settled).toMatchObject({
        ok: false,
        error: { code: 'bad-request', message: expect.stringMatching(/not a regular file/) as unknown },
      });
    } finally {
      // A read still waiting on the FIFO (the defect) is let go, so the worker's thread is not held.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader waiting: nothing to let go
      }
      await answer;
    }
  });

  it('are kept across a restart with the database', async () => {
    const db = tempDbPath();
    const file = listFile('203.0.113.5\n');
    const first = startRuntime({ store: openStore(db) });
    await added(first, file);
    first.store.close();
    const second = startRuntime({ store: openStore(db) });
    await second.runtime.blocklists.load();
    expect(second.runtime.blocklists.list()).toMatchObject([{ name: 'Test list', networks: 1, enabled: true }]);
    second.runtime.handleEvent(connection(1n, 40_001, 443, '203.0.113.5'), 1_001);
    expect(second.verdicts).toEqual([[1n, 'permanent-block']]);
    second.store.close();
  });

  it('read a file again on its interval when it changed, and keep what an earlier version stored', async () => {
    const db = tempDbPath();
    const file = listFile('203.0.113.20\n');
    // A subscription as the first version stored it (no interval, validators or hits).
    const before = openStore(db);
    before.settings.set('blocklists', [{ id: 'bl-old-1', name: 'Old list', path: file, enabled: true }]);
    before.close();
    const h = startRuntime({ store: openStore(db), now: 5_000 });
    await h.runtime.blocklists.load();
    const [view] = h.runtime.blocklists.list();
    expect(view).toMatchObject({ id: 'bl-old-1', kind: 'file', source: file, intervalHours: 24, networks: 1, hits: 0 });
    expect(view?.nextCheckAt).toBe(5_000 + 24 * 3_600_000);
    writeFileSync(file, '203.0.113.20\n203.0.113.21\n');
    h.clock.now = 5_000 + 24 * 3_600_000;
    h.runtime.tick(h.clock.now);
    await vi.waitFor(() =>
      expect(h.runtime.blocklists.list()[0]).toMatchObject({ networks: 2, updatedAt: h.clock.now }),
    );
    // Every six hours from now on: the next check moves closer.
    const six = await dispatch(h.handlers, 'blocklists:set-interval', { id: 'bl-old-1', intervalHours: 6 });
    expect(six).toMatchObject({ ok: true, value: { intervalHours: 6, nextCheckAt: h.clock.now + 6 * 3_600_000 } });
    expect(await dispatch(h.handlers, 'blocklists:set-interval', { id: 'bl-old-1', intervalHours: 5 })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    h.store.close();
  });

  it('keep a list with nothing in force due when its interval is changed', async () => {
    const db = tempDbPath();
    // A web list with no copy on disk (its copy could not be written): due for download at start.
    const before = openStore(db);
    before.settings.set('blocklists', [
      { id: 'bl-web-1', name: 'Web list', url: 'http://192.0.2.1/list.txt', enabled: true },
    ]);
    before.close();
    const h = startRuntime({ store: openStore(db), now: 5_000 });
    await h.runtime.blocklists.load();
    expect(h.runtime.blocklists.list()[0]).toMatchObject({ networks: 0, nextCheckAt: 5_000 });
    h.clock.now = 6_000;
    const changed = await dispatch(h.handlers, 'blocklists:set-interval', { id: 'bl-web-1', intervalHours: 6 });
    expect(changed).toMatchObject({ ok: true, value: { intervalHours: 6, nextCheckAt: 5_000 } });
    h.store.close();
  });
});
