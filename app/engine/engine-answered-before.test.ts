import { describe, expect, it } from 'vitest';
import { Engine, type EngineOptions } from './engine.ts';
import { makeRequest, makeRuleInput, MemoryRepository, RecordingVerdicts } from './testing.ts';

// The driver asks again about a connection the engine answered without a rule when it kept no
// verdict for it: every open connection's next packet after a daemon restart (it forgets what
// the last one allowed), a SYN sent again after a plain verdict. The same connection is
// answered as before, not prompted for again.

const CURL = '/usr/bin/curl';
const ONCE = { kind: 'once' } as const;

function setup(options: Partial<EngineOptions> = {}) {
  const verdicts = new RecordingVerdicts();
  let n = 0;
  const engine = new Engine({ verdicts, repository: new MemoryRepository(), newRuleId: () => `n${++n}`, ...options });
  return { engine, verdicts };
}

/** Curl's connection from `localPort`, asked about with request `id`. */
const curl = (id: bigint, localPort: number, pid = 100, remotePort = 443) =>
  makeRequest({ id, path: CURL, localPort, pid, remotePort });

/** Connections held by prompts. */
function held(engine: Engine): number {
  return engine
    .listPrompts()
    .flatMap((group) => group.prompts)
    .reduce((n, prompt) => n + prompt.held, 0);
}

function answerOnce(engine: Engine, action: 'allow' | 'drop', now: number): void {
  const id = engine.listPrompts()[0]?.prompts[0]?.id ?? '';
  expect(engine.answerPrompt(id, { action, duration: ONCE, scope: { kind: 'exact' } }, now)).toMatchObject({
    ok: true,
  });
}

describe('Engine: a connection answered before, asked about again', () => {
  it('is answered as before, without a prompt, across a daemon restart too', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    engine.handle(curl(2n, 40_002), 2);
    answerOnce(engine, 'drop', 3);
    expect(verdicts.for(1n)).toEqual(['permanent-accept']);
    expect(verdicts.for(2n)).toEqual(['permanent-drop']);

    // The daemon restarts; the next packet of each is held again under a new request id.
    engine.driverLost(10);
    engine.driverConnected(20);
    engine.handle(curl(1n, 40_001), 30);
    engine.handle(curl(2n, 40_002), 31);
    expect(verdicts.sent.slice(2)).toEqual([
      { requestId: 1n, verdict: 'permanent-accept' },
      { requestId: 2n, verdict: 'permanent-drop' },
    ]);
    expect(engine.listPrompts()).toEqual([]);
    // Their rows are the same, decided again, and seen: the grace ends none.
    expect(engine.listConnections().map((row) => [row.localPort, row.verdict])).toEqual([
      [40_001, 'permanent-accept'],
      [40_002, 'permanent-drop'],
    ]);
    expect(engine.endUnseen(40_000)).toBe(0);
  });

  it('a row taken as ended at the loss is the same connection too, and opens again', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    engine.driverLost(10);
    engine.driverConnected(20);
    expect(engine.endUnseen(30_020)).toBe(1);
    engine.handle(curl(7n, 40_001), 40_000);
    expect(verdicts.for(7n)).toEqual(['permanent-accept']);
    expect(engine.listConnections()).toEqual([expect.objectContaining({ localPort: 40_001, endedAt: null })]);
  });

  it('a plain verdict (a hold timeout) is given again to the same connection', () => {
    const { engine, verdicts } = setup({ prompts: { holdTimeoutMs: 1_000, defaultAction: 'drop' } });
    engine.handle(curl(1n, 40_001), 0);
    engine.tick(1_001);
    expect(verdicts.for(1n)).toEqual(['drop']);
    // Its SYN sent again: dropped again, the prompt still in the inbox, not a second one.
    engine.handle(curl(2n, 40_001), 2_000);
    expect(verdicts.for(2n)).toEqual(['drop']);
    expect(engine.listPrompts().flatMap((group) => group.prompts)).toHaveLength(1);
  });

  it('another connection is asked about: after the end, of another process, or held before an answer', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    // Another process on the same addresses (a pid reused: the row is another's), or one the
    // driver could not name.
    engine.handle(curl(2n, 40_001, 555), 2);
    expect(verdicts.for(2n)).toEqual([]);
    answerOnce(engine, 'allow', 3);
    engine.handle(curl(9n, 40_001, 0), 3);
    expect(verdicts.for(9n)).toEqual([]);
    answerOnce(engine, 'allow', 3);
    // Nor one whose process was not found either time.
    engine.handle(curl(11n, 40_011, 0), 3);
    answerOnce(engine, 'allow', 3);
    engine.handle(curl(12n, 40_011, 0), 3);
    expect(verdicts.for(12n)).toEqual([]);
    answerOnce(engine, 'allow', 3);
    // The connection ended: the same addresses again are a new connection.
    engine.handle(curl(3n, 40_003), 4);
    answerOnce(engine, 'allow', 5);
    engine.handle({ kind: 'connection-ended', direction: 'outbound', flow: curl(3n, 40_003).flow, pid: 100 }, 6);
    engine.handle(curl(4n, 40_003), 7);
    expect(verdicts.for(4n)).toEqual([]);
    expect(held(engine)).toBe(1);
    // One the driver answered alone (the link went while it waited): what it did is not known.
    engine.handle(curl(5n, 40_005), 8);
    engine.driverLost(9);
    engine.driverConnected(10);
    engine.handle(curl(6n, 40_005), 11);
    expect(verdicts.for(6n)).toEqual([]);
    // The loss let go of 4n and 5n (the driver answered them); 6n is held, asked about.
    expect(held(engine)).toBe(1);
  });

  it('a connection a rule decided is asked about once the rule is gone', () => {
    const { engine, verdicts } = setup();
    const rule = engine.addRule(makeRuleInput({ app: { kind: 'path', path: CURL }, action: 'allow' }), 0);
    engine.handle(curl(1n, 40_001), 1);
    expect(verdicts.for(1n)).toEqual(['permanent-accept']);
    expect(rule.ok && engine.removeRule(rule.rule.id)).toBe(true);
    engine.handle(curl(2n, 40_001), 3);
    expect(verdicts.for(2n)).toEqual([]);
    expect(engine.listPrompts().flatMap((group) => group.prompts)).toHaveLength(1);
  });

  it('a rule or a mode since decides instead', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    engine.handle(curl(2n, 40_002, 100, 80), 2);
    answerOnce(engine, 'allow', 3);
    engine.addRule(
      makeRuleInput({ app: { kind: 'path', path: CURL }, port: { kind: 'port', port: 443 }, action: 'block' }),
      4,
    );
    engine.handle(curl(3n, 40_001), 5);
    expect(verdicts.for(3n)).toEqual(['permanent-block']);
    engine.setMode({ mode: 'block-all' }, 6);
    engine.handle(curl(4n, 40_002, 100, 80), 7);
    expect(verdicts.for(4n)).toEqual(['block']);
  });
});
