import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SmallDisk } from '../../native/test-support/small-disk.ts';
import { dispatch } from '../contract/dispatch.ts';
import { openStore, type Store } from '../store/index.ts';
import { openRuntimeStore } from './open-runtime-store.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { connection, CURL, type Harness, startRuntime } from './test-support/harness.ts';

// A real full disk: the database on a 1 MiB tmpfs that a file fills (root only; without root
// these are skipped with the reason printed, and storage-errors.test.ts still checks a real
// SQLITE_FULL made by max_page_count).
const disk = SmallDisk.mount(1024);
if (typeof disk === 'string') console.log(`SKIPPED storage-full tests: ${disk}`);

let open: Store[] = [];
afterEach(() => {
  // Space first: closing a store writes (a last flush, then a checkpoint).
  if (typeof disk !== 'string') disk.free();
  for (const store of open) store.close();
  open = [];
  if (typeof disk === 'string') return;
  for (const file of readdirSync(disk.dir)) rmSync(path.join(disk.dir, file), { force: true });
});
afterAll(() => {
  if (typeof disk !== 'string') disk.unmount();
});

async function rule(h: Harness, port: number, action: 'allow' | 'block'): Promise<void> {
  const created = await dispatch(h.handlers, 'rules:create', {
    app: { kind: 'path', path: CURL },
    destination: { kind: 'any' },
    port: { kind: 'port', port },
    action,
  });
  expect(created.ok).toBe(true);
}

/** One second of traffic: an allowed and a blocked connection, then the tick. */
function second(h: Harness, n: number): void {
  h.clock.now += 1000;
  h.runtime.handleEvent(connection(BigInt(2 * n), 30_000 + 2 * n, 443), h.clock.now);
  h.runtime.handleEvent(connection(BigInt(2 * n + 1), 30_001 + 2 * n, 80), h.clock.now);
  h.runtime.tick(h.clock.now);
}

describe.skipIf(typeof disk === 'string')('a full disk', () => {
  const dir = typeof disk === 'string' ? '' : disk.dir;
  const fill = (): void => void (typeof disk === 'string' ? undefined : disk.fill());
  const free = (): void => void (typeof disk === 'string' ? undefined : disk.free());

  it('costs the history, never a decision; it is said once, and saving resumes by itself', async () => {
    const h = startRuntime({ store: openStore(path.join(dir, 'zenithfence.sqlite')) });
    open.push(h.store);
    await rule(h, 443, 'allow');
    await rule(h, 80, 'block');
    let n = 0;
    second(h, (n += 1));
    expect(h.runtime.status(h.clock.now).storage).toBe('ok');
    fill();
    while (h.runtime.status(h.clock.now).storage === 'ok' && n < 300) second(h, (n += 1));
    expect(h.runtime.status(h.clock.now)).toMatchObject({ storage: 'full' });
    // A minute more of traffic with the disk full.
    for (let i = 0; i < 60; i += 1) second(h, (n += 1));
    const decided = h.verdicts.map(([id, verdict]) => [Number(id) % 2 === 0 ? 443 : 80, verdict]);
    expect(decided).toHaveLength(2 * n);
    expect(new Set(decided.map(([port, verdict]) => `${String(port)} ${String(verdict)}`))).toEqual(
      new Set(['443 permanent-accept', '80 permanent-block']),
    );
    expect(h.runtime.engine.listPrompts()).toEqual([]);
    expect(h.lines.filter((line) => line.includes('disk is full'))).toHaveLength(1);
    const status = h.runtime.status(h.clock.now);
    expect(status.storageMessage).toMatch(/^The disk is full \(database or disk is full\): connection history/);
    expect(status.storageMessage).toMatch(/[1-9]\d* connections/);
    expect(h.pushes).toContain('status:changed');

    free();
    const before = n;
    while (h.runtime.status(h.clock.now).storage !== 'ok' && n < before + 10) second(h, (n += 1));
    expect(h.runtime.status(h.clock.now)).toMatchObject({ storage: 'ok', storageMessage: '' });
    expect(h.lines.filter((line) => line.startsWith('storage: saving again'))).toHaveLength(1);
    // Written again: the connections of the second after recovery are in the history.
    second(h, n + 1);
    const newest = h.store.history.query({ since: h.clock.now - 500, until: h.clock.now + 1, limit: 10 });
    expect(newest).toHaveLength(2);
  });

  it('costs the DNS log its answers meanwhile (counted), never a decision; it logs again once there is room', async () => {
    const h = startRuntime({ store: openStore(path.join(dir, 'zenithfence.sqlite')) });
    open.push(h.store);
    await rule(h, 443, 'allow');
    await rule(h, 80, 'block');
    const answer = (name: string): void =>
      h.runtime.handleEvent(
        {
          kind: 'dns-exchange',
          pid: 0,
          name,
          qtype: 1,
          rcode: 0,
          addresses: ['192.0.2.1'],
          ttlSeconds: 60,
          query: { protocol: 17, localIp: '10.0.0.1', localPort: 5000, remoteIp: '10.0.0.53', remotePort: 53 },
        },
        h.clock.now,
      );
    let n = 0;
    fill();
    while (h.runtime.status(h.clock.now).storage === 'ok' && n < 300) {
      answer(`full${String(n)}.example`);
      second(h, (n += 1));
    }
    expect(h.runtime.status(h.clock.now).storage).toBe('full');
    for (let i = 0; i < 30; i += 1) {
      answer(`full${String(n)}.example`);
      second(h, (n += 1));
    }
    expect(h.verdicts).toHaveLength(2 * n);
    expect(h.runtime.status(h.clock.now).storageMessage).toMatch(/[1-9]\d* DNS answers/);
    free();
    const before = n;
    while (h.runtime.status(h.clock.now).storage !== 'ok' && n < before + 10) second(h, (n += 1));
    expect(h.runtime.status(h.clock.now).storage).toBe('ok');
    answer('after.example');
    second(h, n + 1);
    const logged = h.store.dnsLog.page({ filter: { since: 0, until: h.clock.now + 1 }, offset: 0, limit: 5 });
    expect(logged[0]?.name).toBe('after.example');
  });

  it('writes a stop of learning the full disk refused once there is room: a restart does not undo it', async () => {
    const dbPath = path.join(dir, 'zenithfence.sqlite');
    const h = startRuntime({ store: openStore(dbPath) });
    open.push(h.store);
    await rule(h, 443, 'allow');
    await rule(h, 80, 'block');
    expect((await dispatch(h.handlers, 'learning:start', { kind: 'minutes', minutes: 600 })).ok).toBe(true);
    let n = 0;
    fill();
    while (h.runtime.status(h.clock.now).storage === 'ok' && n < 300) second(h, (n += 1));
    expect(h.runtime.status(h.clock.now).storage).toBe('full');
    expect((await dispatch(h.handlers, 'learning:stop', undefined)).ok).toBe(true);
    expect(h.runtime.status(h.clock.now).learning.until).toBeNull();
    free();
    const before = n;
    while (h.runtime.status(h.clock.now).storage !== 'ok' && n < before + 10) second(h, (n += 1));
    expect(h.runtime.status(h.clock.now).storage).toBe('ok');
    h.runtime.shutdown(h.clock.now);
    h.store.close();
    open = open.filter((store) => store !== h.store);

    const again = startRuntime({ store: openStore(dbPath), now: h.clock.now });
    open.push(again.store);
    expect(again.runtime.status(again.clock.now).learning.until).toBeNull();
  });

  it('takes idle seconds, which write nothing, for no sign that the disk has space again', async () => {
    const h = startRuntime({ store: openStore(path.join(dir, 'zenithfence.sqlite')) });
    open.push(h.store);
    // No rules and no hold: every connection gets the default action at once (no rule hits to write).
    expect((await dispatch(h.handlers, 'settings:set', { holdTimeoutSeconds: 0 })).ok).toBe(true);
    fill();
    let n = 0;
    while (h.runtime.status(h.clock.now).storage === 'ok' && n < 300) second(h, (n += 1));
    expect(h.runtime.status(h.clock.now).storage).toBe('full');
    expect(new Set(h.verdicts.map(([, verdict]) => verdict))).toEqual(new Set(['block']));
    for (let i = 0; i < 10; i += 1) h.runtime.tick((h.clock.now += 1000));
    expect(h.runtime.status(h.clock.now).storage).toBe('full');
    expect(h.lines.filter((line) => line.startsWith('storage: saving again'))).toEqual([]);
  });

  it('still answers a prompt whose rule it cannot save, and says the rule lasts until restart', async () => {
    const h = startRuntime({ store: openStore(path.join(dir, 'zenithfence.sqlite')) });
    open.push(h.store);
    second(h, 0);
    fill();
    let n = 0;
    while (h.runtime.status(h.clock.now).storage === 'ok' && n < 300) second(h, (n += 1));
    expect(h.runtime.status(h.clock.now).storage).toBe('full');
    h.runtime.handleEvent(connection(9999n, 39_999, 8443), h.clock.now);
    const prompt = h.runtime.engine.listPrompts().find((g) => g.prompts.some((p) => p.remotePort === 8443));
    const answer = await dispatch(h.handlers, 'prompts:answer', {
      promptId: prompt?.prompts.find((p) => p.remotePort === 8443)?.id,
      action: 'block',
      duration: { kind: 'forever' },
      scope: { kind: 'exact' },
    });
    expect(answer).toMatchObject({ ok: true, value: { rule: { duration: { kind: 'until-restart' } } } });
    expect(answer.ok ? (answer.value as { warning?: string }).warning : '').toBe(
      'The waiting connections were blocked, but the rule could not be saved (database or disk is full): it applies until ZenithFence restarts.',
    );
    expect(h.verdicts.find(([id]) => id === 9999n)).toEqual([9999n, 'permanent-block']);
  });

  it("refuses rule changes, imports and settings with 'storage', and memory keeps what the database holds", async () => {
    const h = startRuntime({ store: openStore(path.join(dir, 'zenithfence.sqlite')) });
    open.push(h.store);
    await rule(h, 443, 'allow');
    const [kept] = h.store.rules.list();
    if (kept === undefined) throw new Error('no rule');
    const settings = h.runtime.settings;
    fill();
    const full = (outcome: string) => ({
      ok: false,
      error: {
        code: 'storage',
        message: `The disk is full (database or disk is full): ${outcome}. Free some disk space, then try again.`,
      },
    });
    const newRule = { app: { kind: 'path', path: CURL }, destination: { kind: 'any' }, action: 'block' } as const;
    const file = { text: JSON.stringify({ format: 'zenithfence-rules', version: 1, rules: [newRule] }) };
    const attempts = [
      ['rules:update', { id: kept.id, patch: { action: 'block' } }, 'the rule was not changed'],
      ['rules:delete', { id: kept.id }, 'the rule was not deleted'],
      ['rules:create', newRule, 'the rule was not created'],
      ['rules:import', file, 'nothing was imported'],
      ['settings:set', { holdTimeoutSeconds: 5 }, 'the setting was not saved'],
    ] as const;
    for (const [channel, payload, outcome] of attempts) {
      expect(await dispatch(h.handlers, channel, payload), channel).toEqual(full(outcome));
      expect(h.runtime.engine.listRules(), channel).toEqual([kept]);
      expect(h.store.rules.list(), channel).toEqual([kept]);
    }
    expect(h.runtime.settings).toEqual(settings);
    // A connection on port 443 is still allowed by the rule that was not changed to block.
    h.runtime.handleEvent(connection(1n, 30_000, 443), h.clock.now);
    expect(h.verdicts).toEqual([[1n, 'permanent-accept']]);

    free();
    expect(await dispatch(h.handlers, 'rules:update', { id: kept.id, patch: { action: 'block' } })).toMatchObject({
      ok: true,
      value: { action: 'block' },
    });
    expect(h.store.rules.list()).toMatchObject([{ id: kept.id, action: 'block' }]);
  });

  it('at start: the rules are read from the file, the firewall decides, and the status says why there is no history', async () => {
    const file = path.join(dir, 'zenithfence.sqlite');
    const first = startRuntime({ store: openStore(file) });
    await rule(first, 443, 'allow');
    const temporary = await dispatch(first.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      port: { kind: 'port', port: 80 },
      action: 'allow',
      duration: { kind: 'until-restart' },
    });
    expect(temporary.ok).toBe(true);
    first.store.close();
    fill();

    const lines: string[] = [];
    const opened = openRuntimeStore(file, new RateLimitedLog((line) => lines.push(line)));
    open.push(opened.store);
    expect(opened.unavailable).toMatch(/1 rules read from it/);
    const h = startRuntime({ store: opened.store, storageUnavailable: opened.unavailable });
    const status = h.runtime.status(h.clock.now);
    expect(status.storage).toBe('unavailable');
    expect(status.storageMessage).toMatch(
      /^The database could not be opened \(.+; 1 rules read from it\): ZenithFence filters/,
    );
    h.runtime.handleEvent(connection(1n, 40_001, 443), 2_000);
    h.runtime.handleEvent(connection(2n, 40_002, 80), 2_000);
    expect(h.verdicts).toEqual([[1n, 'permanent-accept']]);
    expect(h.runtime.engine.listPrompts()).toHaveLength(1);
    expect(() => h.runtime.tick(3_000)).not.toThrow();
    expect(lines.some((line) => line.startsWith(`storage: could not open ${file}`))).toBe(true);
  });
});
