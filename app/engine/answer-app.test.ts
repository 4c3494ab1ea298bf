import { describe, expect, it } from 'vitest';
import { answerAllOfApp } from './answer-app.ts';
import { Engine } from './engine.ts';
import { makeRequest, MemoryRepository, RecordingVerdicts } from './testing.ts';

const CURL = '/usr/bin/curl';
const SSH = '/usr/bin/ssh';

function setup() {
  const verdicts = new RecordingVerdicts();
  const repository = new MemoryRepository();
  const engine = new Engine({ verdicts, repository });
  return { engine, verdicts, repository };
}

/** Holds one connection of `path` to each of `count` distinct addresses; returns the ids. */
function hold(engine: Engine, path: string, count: number, firstId: bigint): bigint[] {
  const ids: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + BigInt(i);
    engine.handle(makeRequest({ id, path, remoteIp: `198.51.100.${String(i + 1)}` }), 10);
    ids.push(id);
  }
  return ids;
}

describe('Engine.answerApp ("Allow all" / "Block all")', () => {
  it("answers each of the app's 50 prompts once, makes no rule, and leaves other apps' prompts", () => {
    const { engine, verdicts, repository } = setup();
    const curl = hold(engine, CURL, 50, 1n);
    const ssh = hold(engine, SSH, 2, 100n);
    engine.takePromptsChanged();

    expect(engine.answerApp(CURL, 'block', 20)).toEqual({ answered: 50, released: 50 });

    for (const id of curl) expect(verdicts.for(id)).toEqual(['permanent-block']);
    for (const id of ssh) expect(verdicts.for(id)).toEqual([]);
    expect(engine.listPrompts().map((group) => group.appPath)).toEqual([SSH]);
    expect(engine.listRules()).toEqual([]);
    expect(repository.rules.size).toBe(0);
    // One change of the prompt list for the whole batch: the caller pushes once.
    expect(engine.takePromptsChanged()).toBe(true);
    expect(engine.takePromptsChanged()).toBe(false);
  });

  it('answers nothing for an app without prompts', () => {
    const { engine, verdicts } = setup();
    hold(engine, SSH, 1, 1n);
    expect(engine.answerApp(CURL, 'allow', 20)).toEqual({ answered: 0, released: 0 });
    expect(verdicts.sent).toEqual([]);
    expect(engine.listPrompts()).toHaveLength(1);
  });
});

describe('answerAllOfApp', () => {
  it('asks for once/exact answers, and skips a prompt that is gone by its turn', () => {
    const engine = setup().engine;
    hold(engine, CURL, 3, 1n);
    const asked: Array<[string, unknown]> = [];
    const result = answerAllOfApp(engine.listPrompts(), CURL, 'allow', (id, answer) => {
      asked.push([id, answer]);
      return id === 'p2' ? { ok: false } : { ok: true, released: 2 };
    });
    expect(asked).toEqual(
      ['p1', 'p2', 'p3'].map((id) => [id, { action: 'allow', duration: { kind: 'once' }, scope: { kind: 'exact' } }]),
    );
    expect(result).toEqual({ answered: 2, released: 4 });
  });
});
