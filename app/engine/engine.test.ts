import { describe, expect, it } from 'vitest';
import { Engine, type EngineOptions } from './engine.ts';
import { makeRequest, makeRule, makeRuleInput, MemoryRepository, RecordingVerdicts } from './testing.ts';

const CURL = '/usr/bin/curl';
const FOREVER = { kind: 'forever' } as const;

function setup(options: Partial<EngineOptions> = {}) {
  const verdicts = new RecordingVerdicts();
  const repository = new MemoryRepository();
  let n = 0;
  const engine = new Engine({ verdicts, repository, newRuleId: () => `n${++n}`, ...options });
  return { engine, verdicts, repository };
}

const input = makeRuleInput;

describe('Engine: rules', () => {
  it('answers a rule match at once with a permanent verdict, a hit and a table row', () => {
    const { engine, verdicts } = setup();
    engine.attachRules([makeRule({ id: 'r1', app: { kind: 'path', path: CURL }, action: 'drop' })]);
    engine.handle(makeRequest({ id: 1n, path: CURL }), 5);
    expect(verdicts.sent).toEqual([{ requestId: 1n, verdict: 'permanent-drop' }]);
    expect(engine.takeHits()).toEqual([{ ruleId: 'r1', hitCount: 1, lastHitAt: 5 }]);
    expect(engine.listConnections()).toEqual([
      expect.objectContaining({ verdict: 'permanent-drop', ruleId: 'r1', app: CURL }),
    ]);
    expect(engine.listPrompts()).toEqual([]);
  });

  it('matches host rules on names from DNS answers, not on reverse lookups', () => {
    const asked: string[] = [];
    const { engine, verdicts } = setup({ reverseLookup: { lookup: (ip) => asked.push(ip) } });
    engine.attachRules([makeRule({ id: 'r1', destination: { kind: 'host', name: 'example.com' } })]);
    engine.handle(makeRequest({ id: 1n, remoteIp: '1.2.3.4' }), 0);
    expect(asked).toEqual(['1.2.3.4']);
    engine.reverseLookupAnswered('1.2.3.4', ['example.com'], 1);
    expect(engine.listConnections()[0]?.host).toBe('example.com');
    engine.handle(makeRequest({ id: 2n, remoteIp: '1.2.3.4', localPort: 2 }), 2);
    expect(verdicts.for(2n)).toEqual([]); // held: a PTR name proves nothing
    engine.handle({ kind: 'dns', name: 'example.com', address: '5.6.7.8', ttlSeconds: 60 }, 3);
    engine.handle(makeRequest({ id: 3n, remoteIp: '5.6.7.8' }), 4);
    expect(verdicts.for(3n)).toEqual(['permanent-accept']);
  });

  it('compares app paths case-insensitively when configured (Windows)', () => {
    const { engine, verdicts } = setup({ caseInsensitivePaths: true });
    engine.attachRules([makeRule({ id: 'r1', app: { kind: 'path', path: 'C:\\Tools\\Curl.EXE' }, action: 'block' })]);
    engine.handle(makeRequest({ id: 1n, path: 'c:\\tools\\curl.exe' }), 0);
    expect(verdicts.for(1n)).toEqual(['permanent-block']);
  });

  it('remembers process details by pid for requests that carry none', () => {
    const { engine, verdicts } = setup();
    engine.attachRules([makeRule({ id: 'r1', app: { kind: 'path', path: CURL } })]);
    engine.handle(makeRequest({ id: 1n, path: CURL, pid: 7 }), 0);
    engine.handle(makeRequest({ id: 2n, pid: 7 }), 0);
    expect(verdicts.for(2n)).toEqual(['permanent-accept']);
    engine.processExited(7, 1);
    engine.handle(makeRequest({ id: 3n, pid: 7 }), 2);
    expect(verdicts.for(3n)).toEqual([]);
  });

  it('learns processes from process events: by pid, and a pid-0 report for the next connection only', () => {
    const { engine, verdicts } = setup();
    engine.attachRules([makeRule({ id: 'r1', app: { kind: 'path', path: CURL } })]);
    engine.handle({ kind: 'process', process: { pid: 7, startTime: 1n, uid: 1000, path: CURL, commandLine: [] } }, 0);
    engine.handle(makeRequest({ id: 1n, pid: 7 }), 0);
    expect(verdicts.for(1n)).toEqual(['permanent-accept']);
    engine.handle({ kind: 'process', process: { pid: 0, startTime: 0n, uid: 1000, path: CURL, commandLine: [] } }, 1);
    engine.handle(makeRequest({ id: 2n, pid: 0 }), 1);
    engine.handle(makeRequest({ id: 3n, pid: 0 }), 1);
    expect(verdicts.for(2n)).toEqual(['permanent-accept']);
    expect(verdicts.for(3n)).toEqual([]);
    expect(engine.knownPids()).toEqual([7]);
  });

  it('a pid-0 report describes nothing but the connection after it: not after a duplicate, nor on a new link', () => {
    const { engine, verdicts } = setup();
    engine.attachRules([makeRule({ id: 'r1', app: { kind: 'path', path: CURL } })]);
    const unknownCurl = { pid: 0, startTime: 0n, uid: 1000, path: CURL, commandLine: [] };
    engine.handle(makeRequest({ id: 1n, pid: 0 }), 0); // held: nothing describes it
    engine.handle({ kind: 'process', process: unknownCurl }, 1);
    engine.handle(makeRequest({ id: 1n, pid: 0 }), 1); // the same request again
    engine.handle(makeRequest({ id: 2n, pid: 0 }), 1);
    expect(verdicts.for(2n)).toEqual([]);
    engine.handle({ kind: 'process', process: unknownCurl }, 2);
    engine.driverLost(0);
    engine.handle(makeRequest({ id: 3n, pid: 0 }), 2);
    expect(verdicts.for(3n)).toEqual([]);
    expect(engine.listPrompts().flatMap((group) => group.prompts.map((prompt) => prompt.appPath))).not.toContain(CURL);
  });

  it('ends "until the app quits" rules when the last known process of the app exits', () => {
    const { engine } = setup();
    const quits = engine.addRule(
      input({ app: { kind: 'path', path: CURL }, duration: { kind: 'until-app-quits' } }),
      0,
    );
    expect(quits.ok).toBe(true);
    for (const pid of [7, 8]) {
      engine.handle({ kind: 'process', process: { pid, startTime: 1n, uid: 1000, path: CURL, commandLine: [] } }, 0);
    }
    engine.processExited(7, 1);
    expect(engine.listRules()).toHaveLength(1);
    engine.processExited(8, 2);
    expect(engine.listRules()).toEqual([]);
  });

  it('an app quitting ends exactly the rules that are "until the app quits" now, after updates too', () => {
    const { engine } = setup();
    const curl = { kind: 'path', path: CURL } as const;
    const quits = input({ app: curl, duration: { kind: 'until-app-quits' } });
    const a = engine.addRule(quits, 0);
    const b = engine.addRule(input({ app: curl, duration: { kind: 'until-restart' } }), 0);
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(engine.updateRule('n1', input({ app: curl, duration: { kind: 'until-restart' } }), 1).ok).toBe(true);
    expect(engine.updateRule('n2', quits, 1).ok).toBe(true);
    engine.appQuit(CURL);
    expect(engine.listRules().map((rule) => rule.id)).toEqual(['n1']);
    engine.appQuit(CURL);
    expect(engine.listRules().map((rule) => rule.id)).toEqual(['n1']);
  });

  it('stores forever and minutes rules, keeps the others in memory, expires and quits them', () => {
    const { engine, repository } = setup();
    const forever = engine.addRule(input({ duration: FOREVER }), 0);
    const minutes = engine.addRule(input({ duration: { kind: 'minutes', minutes: 1 } }), 0);
    const restart = engine.addRule(input({ duration: { kind: 'until-restart' } }), 0);
    const quits = engine.addRule(
      input({ app: { kind: 'path', path: CURL }, duration: { kind: 'until-app-quits' } }),
      0,
    );
    expect(engine.addRule(input({ duration: { kind: 'once' } }), 0)).toEqual({
      ok: false,
      error: 'once-is-not-a-rule',
    });
    expect(engine.addRule(input({ destination: { kind: 'cidr', cidr: '1.2.3.4/99' } }), 0)).toEqual({
      ok: false,
      error: 'invalid-destination',
    });
    expect([forever.ok, minutes.ok, restart.ok, quits.ok]).toEqual([true, true, true, true]);
    expect([...repository.rules.keys()]).toEqual(['n1', 'n2']);
    expect(repository.rules.get('n2')?.expiresAt).toBe(60_000);
    engine.tick(60_000);
    expect([...repository.rules.keys()]).toEqual(['n1']);
    engine.appQuit(CURL);
    expect(engine.listRules().map((r) => r.id)).toEqual(['n1', 'n3']);
    expect(engine.removeRule('n1')).toBe(true);
    expect(repository.rules.size).toBe(0);
  });

  it('an expired rule stops deciding even when the store cannot delete it (a full disk)', () => {
    const errors: unknown[] = [];
    const { engine, verdicts, repository } = setup({ onError: (error) => errors.push(error) });
    const block = engine.addRule(input({ action: 'block', duration: { kind: 'minutes', minutes: 1 } }), 0);
    const other = engine.addRule(
      input({ action: 'allow', destination: { kind: 'lan' }, duration: { kind: 'minutes', minutes: 1 } }),
      0,
    );
    expect([block.ok, other.ok]).toEqual([true, true]);
    repository.remove = () => {
      throw new Error('database or disk is full');
    };
    engine.tick(60_000);
    expect(engine.listRules()).toEqual([]);
    expect(errors).toHaveLength(2);
    engine.handle(makeRequest({ id: 1n }), 60_001);
    expect(verdicts.for(1n)).toEqual([]); // asked about, not decided by the expired rules
  });

  it('updateRule keeps id and hits, and releases held connections it now covers', () => {
    const { engine, verdicts, repository } = setup();
    const created = engine.addRule(input({ destination: { kind: 'lan' } }), 0);
    if (!created.ok) throw new Error('no rule');
    engine.handle(makeRequest({ id: 1n }), 1);
    expect(verdicts.for(1n)).toEqual([]);
    const updated = engine.updateRule(created.rule.id, input({ destination: { kind: 'any' }, action: 'block' }), 2);
    expect(updated).toMatchObject({ ok: true, rule: { id: 'n1', createdAt: 0, updatedAt: 2 } });
    expect(verdicts.for(1n)).toEqual(['permanent-block']);
    expect(repository.rules.get('n1')?.action).toBe('block');
    expect(engine.listPrompts()).toEqual([]);
    expect(engine.updateRule('nope', input({}), 3)).toEqual({ ok: false, error: 'unknown-rule' });
  });
});

describe('Engine: adding many rules at once', () => {
  /** Rules for other apps' hosts: none decides the held curl connection. */
  const others = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      input({ app: { kind: 'path', path: `/opt/app-${i}` }, destination: { kind: 'host', name: `h${i}.example` } }),
    );

  it('builds the rule index once for a whole batch while a connection is held, and releases what it decides', () => {
    const { engine, verdicts, repository } = setup();
    engine.handle(makeRequest({ id: 1n, path: CURL }), 0);
    engine.handle(makeRequest({ id: 2n, path: '/usr/bin/wget', localPort: 2 }), 0);
    const before = engine.ruleIndexBuilds;
    const batch = [...others(500), input({ app: { kind: 'path', path: CURL }, action: 'block' })];
    const result = engine.addRules(batch, 1);
    expect(result).toMatchObject({ ok: true, rules: { length: 501 } });
    // One build for the batch (adding them one by one built it once per rule: 501 times).
    expect(engine.ruleIndexBuilds - before).toBe(1);
    expect(verdicts.for(1n)).toEqual(['permanent-block']);
    expect(verdicts.for(2n)).toEqual([]);
    expect(repository.rules.size).toBe(501);
    expect(engine.listRules()).toHaveLength(501);
  });

  it('changes nothing when one input is refused, wherever it is in the batch', () => {
    const { engine, verdicts, repository } = setup();
    engine.handle(makeRequest({ id: 1n, path: CURL }), 0);
    const allowCurl = input({ app: { kind: 'path', path: CURL } });
    const result = engine.addRules([allowCurl, input({ action: 'block' }), input({ duration: { kind: 'once' } })], 1);
    expect(result).toEqual({ ok: false, index: 2, error: 'once-is-not-a-rule' });
    expect(engine.listRules()).toEqual([]);
    expect(repository.rules.size).toBe(0);
    expect(verdicts.sent).toEqual([]); // still held: no rule of the failed batch decided it
  });

  it('changes nothing in memory when the writes throw (their transaction rolled back)', () => {
    const { engine, verdicts } = setup();
    engine.attachRules([makeRule({ id: 'kept', app: { kind: 'path', path: '/opt/kept' } })]);
    engine.handle(makeRequest({ id: 1n, path: CURL }), 0);
    const persist = (writes: () => void) => {
      writes();
      throw new Error('disk full');
    };
    expect(() => engine.addRules([input({ app: { kind: 'path', path: CURL } })], 1, persist)).toThrow('disk full');
    expect(engine.listRules().map((rule) => rule.id)).toEqual(['kept']);
    engine.handle(makeRequest({ id: 2n, path: CURL, localPort: 2 }), 2);
    expect(verdicts.sent).toEqual([]); // both held: the rule that failed to store decides nothing
  });

  it('keeps memory unchanged when a single create, update or delete cannot be stored', () => {
    const { engine, repository } = setup();
    const created = engine.addRule(input({ destination: { kind: 'lan' } }), 0);
    if (!created.ok) throw new Error('no rule');
    const save = repository.save.bind(repository);
    const remove = repository.remove.bind(repository);
    const diskFull = () => {
      throw new Error('disk full');
    };
    repository.save = diskFull;
    expect(() => engine.addRule(input({ action: 'block' }), 1)).toThrow('disk full');
    expect(() => engine.updateRule('n1', input({ action: 'block' }), 1)).toThrow('disk full');
    repository.save = save;
    repository.remove = diskFull;
    expect(() => engine.removeRule('n1')).toThrow('disk full');
    repository.remove = remove;
    expect(engine.listRules()).toEqual([created.rule]);
  });
});

describe('Engine: removing rules together (an import undone)', () => {
  it('removes all, or none when one is unknown or the writes throw', () => {
    const { engine, repository } = setup();
    const added = engine.addRules(
      [input({ destination: { kind: 'lan' } }), input({ destination: { kind: 'localhost' } })],
      0,
    );
    if (!added.ok) throw new Error('no rules');
    const ids = added.rules.map((rule) => rule.id);
    expect(engine.removeRules([...ids, 'nope'])).toEqual({ ok: false, unknown: 'nope' });
    expect(engine.listRules()).toHaveLength(2);
    const failing = (writes: () => void) => {
      writes();
      throw new Error('disk full');
    };
    expect(() => engine.removeRules(ids, failing)).toThrow('disk full');
    expect(engine.listRules()).toHaveLength(2); // the transaction rolled back: still in force
    expect(engine.removeRules(ids)).toEqual({ ok: true, removed: 2 });
    expect(engine.listRules()).toEqual([]);
    expect(repository.rules.size).toBe(0);
  });

  it('compares import candidates with the rules in force', () => {
    const { engine } = setup();
    const added = engine.addRules([input({ destination: { kind: 'lan' }, action: 'allow' })], 0);
    if (!added.ok) throw new Error('no rules');
    const id = added.rules[0]?.id;
    expect(
      engine.compareRules(
        [
          input({ destination: { kind: 'lan' }, action: 'allow' }),
          input({ destination: { kind: 'lan' }, action: 'block' }),
          input({ destination: { kind: 'localhost' }, action: 'block' }),
        ],
        1,
      ),
    ).toEqual([{ duplicateOf: id }, { conflictsWith: id }, {}]);
  });
});

describe('Engine: prompts', () => {
  it('holds unknown connections, coalesces them, and one answer releases all it covers', () => {
    const { engine, verdicts, repository } = setup();
    engine.handle({ kind: 'dns', name: 'api.example.com', address: '1.1.1.1', ttlSeconds: 60 }, 0);
    engine.handle(makeRequest({ id: 1n, path: CURL, remoteIp: '1.1.1.1' }), 0);
    engine.handle(makeRequest({ id: 2n, path: CURL, remoteIp: '1.1.1.1', localPort: 9 }), 0);
    engine.handle(makeRequest({ id: 3n, path: CURL, remoteIp: '1.1.1.1', remotePort: 80 }), 0);
    engine.handle(makeRequest({ id: 4n, path: CURL, remoteIp: '9.9.9.9' }), 0);
    expect(verdicts.sent).toEqual([]);
    const [group] = engine.listPrompts();
    expect(group?.prompts.map((p) => [p.host ?? p.remoteIp, p.remotePort, p.count])).toEqual([
      ['api.example.com', 443, 2],
      ['api.example.com', 80, 1],
      ['9.9.9.9', 443, 1],
    ]);
    const first = group?.prompts[0]?.id ?? '';
    const result = engine.answerPrompt(first, { action: 'allow', duration: FOREVER, scope: { kind: 'host' } }, 1);
    expect(result).toMatchObject({
      ok: true,
      released: 3,
      rule: { destination: { kind: 'host', name: 'api.example.com' } },
    });
    expect(verdicts.sent.map((s) => [s.requestId, s.verdict])).toEqual([
      [1n, 'permanent-accept'],
      [2n, 'permanent-accept'],
      [3n, 'permanent-accept'],
    ]);
    expect(repository.rules.size).toBe(1);
    expect(engine.listPrompts()[0]?.prompts.map((p) => p.remoteIp)).toEqual(['9.9.9.9']);
    expect(engine.takeHits()).toEqual([{ ruleId: 'n1', hitCount: 3, lastHitAt: 1 }]);
  });

  it("'once' answers only that prompt's connections and creates no rule", () => {
    const { engine, verdicts, repository } = setup();
    engine.handle(makeRequest({ id: 1n, path: CURL }), 0);
    engine.handle(makeRequest({ id: 2n, path: CURL, remotePort: 80 }), 0);
    const id = engine.listPrompts()[0]?.prompts[0]?.id ?? '';
    const result = engine.answerPrompt(id, { action: 'block', duration: { kind: 'once' }, scope: { kind: 'app' } }, 1);
    expect(result).toEqual({ ok: true, rule: null, released: 1 });
    expect(verdicts.sent).toEqual([{ requestId: 1n, verdict: 'permanent-block' }]);
    expect(repository.rules.size).toBe(0);
    engine.handle(makeRequest({ id: 3n, path: CURL, localPort: 3 }), 2);
    expect(verdicts.for(3n)).toEqual([]);
    expect(engine.answerPrompt(id, { action: 'block', duration: FOREVER, scope: { kind: 'app' } }, 3)).toEqual({
      ok: false,
      error: 'unknown-prompt',
    });
  });

  it('a late answer (after the hold timeout) still creates the rule that decides the retry', () => {
    const { engine, verdicts } = setup({ prompts: { holdTimeoutMs: 1000, defaultAction: 'drop' } });
    engine.handle(makeRequest({ id: 1n, path: CURL }), 0);
    engine.tick(1000);
    expect(verdicts.for(1n)).toEqual(['drop']);
    const id = engine.listPrompts()[0]?.prompts[0]?.id ?? '';
    expect(engine.listPrompts()[0]?.prompts[0]).toMatchObject({ held: 0, holdDeadline: null });
    expect(
      engine.answerPrompt(id, { action: 'allow', duration: FOREVER, scope: { kind: 'exact' } }, 5000),
    ).toMatchObject({
      ok: true,
      released: 0,
    });
    engine.handle(makeRequest({ id: 2n, path: CURL, localPort: 2 }), 6000);
    expect(verdicts.for(2n)).toEqual(['permanent-accept']);
    expect(verdicts.for(1n)).toEqual(['drop']);
  });

  it('refuses an app-wide rule for an unknown app', () => {
    const { engine } = setup();
    engine.handle(makeRequest({ id: 1n }), 0);
    const [group] = engine.listPrompts();
    expect(group?.app).toBe('unknown');
    const id = group?.prompts[0]?.id ?? '';
    expect(engine.answerPrompt(id, { action: 'allow', duration: FOREVER, scope: { kind: 'app' } }, 1)).toEqual({
      ok: false,
      error: 'scope-needs-app',
    });
  });

  it('modes: allow-all releases held connections; pause allows until it auto-resumes', () => {
    const { engine, verdicts } = setup();
    engine.handle(makeRequest({ id: 1n, path: CURL }), 0);
    engine.setMode({ mode: 'pause', minutes: 1 }, 1);
    expect(verdicts.for(1n)).toEqual(['accept']);
    engine.handle(makeRequest({ id: 2n, path: CURL, localPort: 2 }), 2);
    expect(verdicts.for(2n)).toEqual(['accept']);
    expect(engine.getMode(2)).toEqual({ mode: 'pause', resumesAt: 60_001, resumesTo: 'ask' });
    engine.tick(60_001);
    expect(engine.getMode(60_001).mode).toBe('ask');
    engine.handle(makeRequest({ id: 3n, path: CURL, localPort: 3 }), 60_002);
    expect(verdicts.for(3n)).toEqual([]);
    engine.setMode({ mode: 'block-all' }, 60_003);
    expect(verdicts.for(3n)).toEqual(['block']);
  });

  it('shutdown answers every held connection with the default', () => {
    const { engine, verdicts } = setup({ prompts: { defaultAction: 'drop' } });
    engine.handle(makeRequest({ id: 1n, path: CURL }), 0);
    engine.handle(makeRequest({ id: 2n, path: '/bin/x' }), 0);
    expect(engine.shutdown(1)).toBe(2);
    expect(verdicts.sent.map((s) => s.verdict)).toEqual(['drop', 'drop']);
  });

  it('tracks bandwidth per connection and app, and ends connections', () => {
    const { engine } = setup();
    engine.attachRules([makeRule({ id: 'r1' })]);
    const request = makeRequest({ id: 1n, path: CURL });
    engine.handle(request, 0);
    engine.handle({ kind: 'bandwidth', samples: [{ flow: request.flow, transmitted: 5n, received: 7n }] }, 1000);
    engine.handle({ kind: 'connection-ended', direction: 'outbound', flow: request.flow, pid: 100 }, 1500);
    engine.handle({ kind: 'log', severity: 1, message: 'hello' }, 1600);
    expect(engine.takeAppBuckets()).toEqual([{ second: 1, app: CURL, transmitted: 5, received: 7 }]);
    expect(engine.takeChanges().upserted).toEqual([
      expect.objectContaining({ bytesSent: 5, bytesReceived: 7, endedAt: 1500, verdict: 'permanent-accept' }),
    ]);
  });

  it('answers with the default and reports when something inside fails', () => {
    const errors: unknown[] = [];
    const { engine, verdicts } = setup({ onError: (e) => errors.push(e) });
    const broken = { ...makeRequest({ id: 1n }), flow: null } as unknown as Parameters<Engine['handle']>[0];
    engine.handle(broken, 0);
    expect(verdicts.sent).toEqual([{ requestId: 1n, verdict: 'block' }]);
    expect(errors).toHaveLength(1);
  });
});

describe('Engine: the driver link is lost', () => {
  const WGET = '/usr/bin/wget';

  it('forgets held connections without a verdict: an old prompt answer cannot decide the next link’s request 1', () => {
    const { engine, verdicts } = setup();
    // A UDP connection of wget is held as a prompt, with the first link's request id 1.
    engine.handle(makeRequest({ id: 1n, path: WGET, protocol: 17, remoteIp: '10.0.0.5', remotePort: 53 }), 0);
    const old = engine.listPrompts()[0]?.prompts[0];
    expect(old).toMatchObject({ held: 1 });
    expect(engine.driverLost(0)).toBe(1);
    // The driver answered it itself: its row says so, and its prompt is in the inbox, holding nothing.
    expect(verdicts.sent).toEqual([]);
    expect(engine.listConnections()).toEqual([expect.objectContaining({ app: WGET, verdict: 'driver', ruleId: null })]);
    expect(engine.listPrompts()[0]?.prompts[0]).toMatchObject({ id: old?.id, held: 0, holdDeadline: null });
    expect(engine.takePromptsChanged()).toBe(true);

    // The next link numbers its requests from 1 again: curl's connection is request 1 now.
    engine.handle(makeRequest({ id: 1n, path: CURL }), 10);
    const curl = engine.listPrompts().find((g) => g.appPath === CURL)?.prompts[0];
    expect(curl, 'a new request with an old id is prompted, not taken for a duplicate').toMatchObject({ held: 1 });

    // Answering the old prompt allows nothing that is held now.
    const answer = engine.answerPrompt(
      old?.id ?? '',
      { action: 'allow', duration: { kind: 'once' }, scope: { kind: 'exact' } },
      20,
    );
    expect(answer).toEqual({ ok: true, rule: null, released: 0 });
    expect(verdicts.sent).toEqual([]);

    // Only the hold timeout of curl's own prompt answers request 1, once, with the default.
    engine.tick(30_010);
    expect(verdicts.sent).toEqual([{ requestId: 1n, verdict: 'block' }]);
    expect(engine.driverLost(0)).toBe(0);
  });

  it('a lasting answer to a prompt the loss emptied still makes the rule for the retry', () => {
    const { engine, verdicts } = setup();
    engine.handle(makeRequest({ id: 5n, path: CURL }), 0);
    engine.handle(makeRequest({ id: 6n, path: CURL, localPort: 6 }), 0);
    const id = engine.listPrompts()[0]?.prompts[0]?.id ?? '';
    expect(engine.driverLost(0)).toBe(2);
    const answer = engine.answerPrompt(id, { action: 'allow', duration: FOREVER, scope: { kind: 'exact' } }, 1);
    expect(answer).toMatchObject({ ok: true, released: 0, rule: { action: 'allow' } });
    expect(verdicts.sent).toEqual([]);
    engine.handle(makeRequest({ id: 1n, path: CURL, localPort: 7 }), 2);
    expect(verdicts.sent).toEqual([{ requestId: 1n, verdict: 'permanent-accept' }]);
  });
});
