import { describe, expect, it } from 'vitest';
import { Engine, type EngineOptions } from './engine.ts';
import { makeRequest, makeRuleInput, MemoryRepository, RecordingVerdicts } from './testing.ts';

// A restarted daemon holds every open connection's next packet and asks about it again. A
// connection the user answered "Once" is the connection the answer was for: it gets that answer
// again, not a new prompt. Nothing else is given again: whatever decided before (a rule, a mode,
// learning, a hold timeout's default) decides by what is in force now.

const CURL = '/usr/bin/curl';
const ONCE = { kind: 'once' } as const;

function setup(options: Partial<EngineOptions> = {}) {
  const verdicts = new RecordingVerdicts();
  let n = 0;
  const engine = new Engine({ verdicts, repository: new MemoryRepository(), newRuleId: () => `n${++n}`, ...options });
  return { engine, verdicts };
}

/** Curl's connection from `localPort`, asked about with request `id`. */
const curl = (id: bigint, localPort: number, pid = 100, remotePort = 443, path = CURL) =>
  makeRequest({ id, path, localPort, pid, remotePort });

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

/** The daemon restarts: the link goes and comes back. */
function restart(engine: Engine, now: number): void {
  engine.driverLost(now);
  engine.driverConnected(now + 10);
}

describe('Engine: a connection answered "Once", asked about again', () => {
  it('gets the same answer, without a prompt, when a restarted daemon holds it again', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    engine.handle(curl(2n, 40_002), 2);
    answerOnce(engine, 'drop', 3);
    expect(verdicts.for(1n)).toEqual(['permanent-accept']);
    expect(verdicts.for(2n)).toEqual(['permanent-drop']);

    restart(engine, 10);
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
    // And again at the next restart: the answer still stands for it.
    restart(engine, 50_000);
    engine.handle(curl(3n, 40_001), 50_100);
    expect(verdicts.for(3n)).toEqual(['permanent-accept']);
  });

  it('a row taken as ended once the link was back is asked about (the same addresses may be another connection by then)', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    restart(engine, 10);
    expect(engine.endUnseen(30_020)).toBe(1);
    engine.handle(curl(7n, 40_001), 40_000);
    expect(verdicts.for(7n)).toEqual([]);
    expect(held(engine)).toBe(1);
    // Its row is live again, waiting for the answer.
    expect(engine.listConnections()).toEqual([
      expect.objectContaining({ localPort: 40_001, endedAt: null, verdict: 'pending' }),
    ]);
  });

  it('another process, another program on the same pid, one the driver could not name, or after the end: asked about', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    restart(engine, 2);
    // Another process on the same addresses.
    engine.handle(curl(2n, 40_001, 555), 20);
    expect(verdicts.for(2n)).toEqual([]);
    answerOnce(engine, 'allow', 21);
    // The answer's pid running another program now.
    engine.handle(curl(3n, 40_001, 100, 443, '/tmp/other'), 22);
    expect(verdicts.for(3n)).toEqual([]);
    answerOnce(engine, 'allow', 23);
    // One the driver could not name, and one it could name neither time.
    engine.handle(curl(4n, 40_001, 0), 24);
    expect(verdicts.for(4n)).toEqual([]);
    answerOnce(engine, 'allow', 25);
    engine.handle(curl(10n, 40_010, 0), 25);
    answerOnce(engine, 'allow', 25);
    engine.handle(curl(11n, 40_010, 0), 25);
    expect(verdicts.for(11n)).toEqual([]);
    answerOnce(engine, 'allow', 25);
    // The connection ended: the same addresses again are a new connection.
    engine.handle(curl(5n, 40_005), 26);
    answerOnce(engine, 'allow', 27);
    engine.handle({ kind: 'connection-ended', direction: 'outbound', flow: curl(5n, 40_005).flow, pid: 100 }, 28);
    engine.handle(curl(6n, 40_005), 29);
    expect(verdicts.for(6n)).toEqual([]);
    expect(held(engine)).toBe(1);
  });

  it('what decided without an answer decides again by what is in force: a mode, learning, a hold timeout', () => {
    const { engine, verdicts } = setup({ prompts: { holdTimeoutMs: 1_000, defaultAction: 'drop' } });
    // Allowed by the allow-all mode, which is over by the restart.
    engine.setMode({ mode: 'allow-all' }, 0);
    engine.handle(curl(1n, 40_001), 1);
    expect(verdicts.for(1n)).toEqual(['accept']);
    engine.setMode({ mode: 'ask' }, 2);
    // Allowed by learning, which stopped.
    engine.startLearning({ kind: 'minutes', minutes: 10 }, 3);
    engine.handle(curl(2n, 40_002), 4);
    expect(verdicts.for(2n)).toEqual(['accept']);
    engine.stopLearning(5);
    // Dropped by the hold timeout's default.
    engine.handle(curl(3n, 40_003), 6);
    engine.tick(1_010);
    expect(verdicts.for(3n)).toEqual(['drop']);

    restart(engine, 2_000);
    engine.handle(curl(4n, 40_001), 2_100);
    engine.handle(curl(5n, 40_002), 2_101);
    engine.handle(curl(6n, 40_003), 2_102);
    expect(verdicts.sent.slice(3)).toEqual([]);
    expect(held(engine)).toBe(3);
    // The inbox prompt's late "Once" answer decides the dropped one's retry.
    answerOnce(engine, 'allow', 2_200);
    expect(verdicts.for(6n)).toEqual(['permanent-accept']);
  });

  it('a rule or a mode in force decides instead, and a rule gone leaves its connections to be asked about', () => {
    const { engine, verdicts } = setup();
    engine.handle(curl(1n, 40_001), 0);
    answerOnce(engine, 'allow', 1);
    engine.handle(curl(2n, 40_002, 100, 80), 2);
    answerOnce(engine, 'allow', 3);
    engine.addRule(
      makeRuleInput({ app: { kind: 'path', path: CURL }, port: { kind: 'port', port: 443 }, action: 'block' }),
      4,
    );
    restart(engine, 5);
    engine.handle(curl(3n, 40_001), 20);
    expect(verdicts.for(3n)).toEqual(['permanent-block']);
    engine.setMode({ mode: 'block-all' }, 21);
    engine.handle(curl(4n, 40_002, 100, 80), 22);
    expect(verdicts.for(4n)).toEqual(['block']);
    // Decided anew, they keep no "Once" answer: with the mode over, asked about.
    engine.setMode({ mode: 'ask' }, 23);
    restart(engine, 24);
    engine.handle(curl(5n, 40_002, 100, 80), 40);
    expect(verdicts.for(5n)).toEqual([]);
    expect(held(engine)).toBe(1);

    const { engine: other, verdicts: sent } = setup();
    const rule = other.addRule(makeRuleInput({ app: { kind: 'path', path: CURL }, action: 'allow' }), 0);
    other.handle(curl(1n, 40_001), 1);
    expect(sent.for(1n)).toEqual(['permanent-accept']);
    expect(rule.ok && other.removeRule(rule.rule.id)).toBe(true);
    restart(other, 2);
    other.handle(curl(2n, 40_001), 20);
    expect(sent.for(2n)).toEqual([]);
    expect(held(other)).toBe(1);

    // Likewise a connection a lasting answer released: its rule decided it, not a "Once".
    const { engine: third, verdicts: thirdSent } = setup();
    third.handle(curl(1n, 40_001), 0);
    const prompt = third.listPrompts()[0]?.prompts[0]?.id ?? '';
    const lasting = third.answerPrompt(
      prompt,
      { action: 'allow', duration: { kind: 'forever' }, scope: { kind: 'exact' } },
      1,
    );
    expect(lasting.ok && lasting.rule !== null && third.removeRule(lasting.rule.id)).toBe(true);
    restart(third, 2);
    third.handle(curl(2n, 40_001), 20);
    expect(thirdSent.for(2n)).toEqual([]);
    expect(held(third)).toBe(1);
  });
});
