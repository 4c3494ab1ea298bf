import { rmSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { ConnectionRequest, DriverVerdict } from '../contract/driver-events.ts';
import { MAX_RULES, RULE_FILE_FORMAT, type RuleInput } from '../contract/rules.ts';
import type { PromptGroup } from '../contract/views.ts';
import { openStore, type Store } from '../store/index.ts';
import { ruleInput } from '../store/test-support/fixtures.ts';
import { tempDbPath } from '../store/test-support/temp-db.ts';
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
    // Three new rules (a copy of 'kept' would be skipped, not inserted).
    const [udp, icmp] = [17, 1].map((protocol) => ({ ...blockCurl, protocol }));
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, udp, icmp]));
    // A refused row (a trigger's RAISE is a constraint error) is no fault of the disk: 'internal'.
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'disk full' } });
    expect(h.store.rules.list().map((rule) => rule.notes)).toEqual(['kept']);
    expect(h.runtime.engine.listRules().map((rule) => rule.notes)).toEqual(['kept']);
    h.runtime.handleEvent(curlTo(1n), 2_100);
    expect(h.verdicts).toEqual([]);
  });

  it('imports every rule into the store and into memory alike', async () => {
    const h = start();
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, blockCurl]));
    expect(result).toEqual({ ok: true, value: { imported: 2, skipped: 0 } });
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
    expect(result).toEqual({ ok: true, value: { imported: 401, skipped: 0 } });
    expect(h.runtime.engine.ruleIndexBuilds - before).toBe(1);
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    expect(h.store.rules.list()).toHaveLength(401);
  });
});

describe("'rules:import' skips rules it already has", () => {
  it('imports a file 46 times and keeps one copy of each rule, in the store and in memory', async () => {
    const h = start();
    const file = ruleFile([allowCurl, blockCurl, { ...blockCurl, notes: 'the same rule with other notes' }]);
    expect(await dispatch(h.handlers, 'rules:import', file)).toEqual({ ok: true, value: { imported: 2, skipped: 1 } });
    for (let again = 1; again < 46; again++) {
      expect(await dispatch(h.handlers, 'rules:import', file)).toEqual({
        ok: true,
        value: { imported: 0, skipped: 3 },
      });
    }
    expect(h.store.rules.list()).toHaveLength(2);
    expect(h.runtime.engine.listRules()).toEqual(h.store.rules.list());
  });

  it('adds what is new in a file that is partly known: a rule created by hand counts as known', async () => {
    const h = start();
    expect((await dispatch(h.handlers, 'rules:create', { ...allowCurl, notes: 'by hand' })).ok).toBe(true);
    const other = ruleInput({ app: { kind: 'path', path: '/usr/bin/wget' } });
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, other]));
    expect(result).toEqual({ ok: true, value: { imported: 1, skipped: 1 } });
    expect(h.store.rules.list().map((rule) => rule.notes)).toEqual(['by hand', '']);
    expect(h.runtime.engine.listRules()).toEqual(h.store.rules.list());
  });
});

describe(`the rule cap (${String(MAX_RULES)} rules in force)`, () => {
  /** Fills memory with rules of other apps (as a start would load them) up to `count`. */
  function fill(h: ReturnType<typeof start>, count: number): void {
    const rules = Array.from({ length: count }, (_, i) => ({
      ...ruleInput({ app: { kind: 'path', path: `/opt/filler-${String(i)}` } }),
      id: `filler-${String(i)}`,
      createdAt: 1,
      updatedAt: 1,
      expiresAt: null,
      hitCount: 0,
      lastHitAt: null,
    }));
    expect(h.runtime.engine.attachRules(rules)).toEqual({ rejected: [] });
  }

  it('refuses a whole import that would pass it, saying how many fit; store and memory keep what they had', async () => {
    const h = start();
    fill(h, MAX_RULES - 3);
    expect((await dispatch(h.handlers, 'rules:create', allowCurl)).ok).toBe(true);
    const udp = (port: number) => ruleInput({ protocol: 17, port: { kind: 'port', port } });
    const result = await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, udp(1), udp(2), udp(3)]));
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'conflict',
        message:
          'The file has 3 rules not yet in force, but only 2 more fit (ZenithFence keeps at most 100,000 rules): nothing was imported. Delete some rules or import a smaller file.',
      },
    });
    expect(h.store.rules.list()).toHaveLength(1);
    expect(h.runtime.engine.listRules()).toHaveLength(MAX_RULES - 2);
    // Without the third, the rest fits, to the last rule.
    expect(await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, udp(1), udp(2)]))).toEqual({
      ok: true,
      value: { imported: 2, skipped: 1 },
    });
    expect(h.store.rules.list()).toHaveLength(3);
    expect(h.runtime.engine.listRules()).toHaveLength(MAX_RULES);
    // Full: a file with one more rule is refused as a whole, one of copies is not.
    expect(await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, udp(3)]))).toEqual({
      ok: false,
      error: {
        code: 'conflict',
        message:
          'The file has 1 rule not yet in force, but none fits (ZenithFence keeps at most 100,000 rules): nothing was imported. Delete some rules or import a smaller file.',
      },
    });
    expect(await dispatch(h.handlers, 'rules:import', ruleFile([allowCurl, udp(1)]))).toEqual({
      ok: true,
      value: { imported: 0, skipped: 2 },
    });
    expect(h.store.rules.list()).toHaveLength(3);
  });

  it("'rules:create' refuses a rule at the cap and says why", async () => {
    const h = start();
    fill(h, MAX_RULES);
    const result = await dispatch(h.handlers, 'rules:create', allowCurl);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'conflict',
        message: 'ZenithFence keeps at most 100,000 rules and has 100,000: delete some before creating another.',
      },
    });
    expect(h.store.rules.list()).toEqual([]);
    expect(h.runtime.engine.listRules()).toHaveLength(MAX_RULES);
  });
});

describe("'prompts:answer' says a refused scope in a sentence", () => {
  it('a lasting answer for a connection of an unknown app is refused, held on, and answered once later', async () => {
    const { runtime, handlers, verdicts, store } = start();
    // The driver could not tell which program made it: no process.
    runtime.handleEvent({ ...curlTo(1n), pid: 0, process: null }, 1_500);
    const listed = await dispatch(handlers, 'prompts:list', undefined);
    const promptId = listed.ok ? (listed.value as PromptGroup[])[0]?.prompts[0]?.id : undefined;
    expect(promptId).toBeDefined();
    const forever = await dispatch(handlers, 'prompts:answer', {
      promptId,
      action: 'allow',
      duration: { kind: 'forever' },
      scope: { kind: 'exact' },
    });
    expect(forever).toEqual({
      ok: false,
      error: {
        code: 'bad-request',
        message:
          'The app is unknown, so a lasting answer would make a rule for every app: answer this connection once.',
      },
    });
    expect(verdicts).toEqual([]);
    expect(store.rules.list()).toEqual([]);
    const once = await dispatch(handlers, 'prompts:answer', {
      promptId,
      action: 'allow',
      duration: { kind: 'once' },
      scope: { kind: 'exact' },
    });
    expect(once).toMatchObject({ ok: true, value: { released: 1, rule: null } });
    expect(verdicts).toEqual([[1n, 'permanent-accept']]);
  });
});
