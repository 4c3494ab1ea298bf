import { rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { ConnectionRequest, DriverVerdict } from '../contract/driver-events.ts';
import { RULE_FILE_FORMAT, type RuleInput } from '../contract/rules.ts';
import { openStore, type Store } from '../store/index.ts';
import { ruleInput, tempDbPath } from '../store/test-support/fixtures.ts';
import { createHandlers } from './handlers.ts';
import { Runtime } from './runtime.ts';

const CURL = '/usr/bin/curl';

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
  cleanups = [];
});

/** A runtime over a real store in its own temporary directory, with the rule handlers. */
function start() {
  const dbPath = tempDbPath();
  const store: Store = openStore(dbPath);
  cleanups.push(() => rmSync(path.dirname(dbPath), { recursive: true, force: true }));
  cleanups.push(() => store.close());
  const verdicts: Array<[bigint, DriverVerdict]> = [];
  const runtime = new Runtime(
    {
      store,
      driver: { verdict: (id, verdict) => verdicts.push([id, verdict]), requestBandwidth: () => undefined },
      push: () => undefined,
    },
    1_000,
  );
  const handlers = createHandlers(runtime, () => 2_000);
  return { dbPath, store, runtime, handlers, verdicts };
}

function curlTo(id: bigint, remoteIp = '93.184.216.34'): ConnectionRequest {
  return {
    kind: 'connection',
    requestId: id,
    direction: 'outbound',
    ipVersion: 4,
    flow: { protocol: 6, localIp: '10.0.0.1', localPort: 40_000 + Number(id), remoteIp, remotePort: 443 },
    pid: 42,
    process: { pid: 42, startTime: 1n, uid: 1000, path: CURL, commandLine: ['curl'] },
  };
}

function ruleFile(rules: readonly unknown[]): { text: string } {
  return { text: JSON.stringify({ format: RULE_FILE_FORMAT, version: 1, rules }) };
}

const allowCurl: RuleInput = ruleInput({ destination: { kind: 'any' }, port: { kind: 'any' } });
const blockCurl: RuleInput = ruleInput({ destination: { kind: 'lan' }, action: 'block' });

describe("'rules:import' is all or nothing, in the store and in memory", () => {
  it('refuses a file whose third rule has the address 999.1.1.1: nothing stored, listed or deciding', async () => {
    const h = start();
    const bad = { ...allowCurl, destination: { kind: 'ip', address: '999.1.1.1' } };
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, blockCurl, bad]));
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(result.ok ? '' : result.error.message).toMatch(/rules\[2\]\.destination\.address \(rule index 2\)/);
    expect(h.store.rules.list()).toEqual([]);
    expect(await dispatch(h.handlers, 'rules:list', undefined)).toEqual({ ok: true, value: [] });
    h.runtime.handleEvent(curlTo(1n), 2_100);
    expect(h.verdicts).toEqual([]); // held for a prompt: no allow rule is in force
  });

  it('refuses a file with a rule the engine cannot use (duration once) and keeps none of the others', async () => {
    const h = start();
    const once = { ...blockCurl, duration: { kind: 'once' } };
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, blockCurl, once]));
    expect(result).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(result.ok ? '' : result.error.message).toMatch(/rules\[2\].*once-is-not-a-rule/);
    expect(h.store.rules.list()).toEqual([]);
    expect(h.runtime.engine.listRules()).toEqual([]);
    h.runtime.handleEvent(curlTo(1n), 2_100);
    expect(h.verdicts).toEqual([]);
  });

  it('leaves memory unchanged when the store fails on the third insert (real SQLite, rolled back)', async () => {
    const h = start();
    const kept = await dispatch(h.handlers, 'rules:create', { ...blockCurl, notes: 'kept' });
    expect(kept.ok).toBe(true);
    // A second connection to the same database makes the third insert of the import fail.
    const saboteur = new DatabaseSync(h.dbPath);
    saboteur.exec(`CREATE TRIGGER full_disk BEFORE INSERT ON rules WHEN (SELECT count(*) FROM rules) >= 3
      BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    saboteur.close();
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, blockCurl, blockCurl]));
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'disk full' } });
    expect(h.store.rules.list().map((rule) => rule.notes)).toEqual(['kept']);
    expect(h.runtime.engine.listRules().map((rule) => rule.notes)).toEqual(['kept']);
    h.runtime.handleEvent(curlTo(1n), 2_100);
    expect(h.verdicts).toEqual([]);
  });

  it('imports every rule into the store and into memory alike', async () => {
    const h = start();
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, blockCurl]));
    expect(result).toEqual({ ok: true, value: { imported: 2 } });
    expect(h.runtime.engine.listRules()).toEqual(h.store.rules.list());
    h.runtime.handleEvent(curlTo(1n), 2_100);
    expect(h.verdicts).toEqual([[1n, 'permanent-accept']]);
  });
});

describe("'rules:import' with a connection held", () => {
  it('builds the rule index once for the whole file, not once per rule, and then decides the held connection', async () => {
    const h = start();
    h.runtime.handleEvent(curlTo(1n, '192.168.1.9'), 1_500);
    expect(h.verdicts).toEqual([]);
    const others = Array.from({ length: 400 }, (_, i) =>
      ruleInput({ app: { kind: 'path', path: `/opt/app-${i}` }, destination: { kind: 'host', name: `h${i}.example` } }),
    );
    const before = h.runtime.engine.ruleIndexBuilds;
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([...others, blockCurl]));
    expect(result).toEqual({ ok: true, value: { imported: 401 } });
    expect(h.runtime.engine.ruleIndexBuilds - before).toBe(1);
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    expect(h.store.rules.list()).toHaveLength(401);
  });
});
