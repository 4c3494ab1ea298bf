import { describe, expect, it } from 'vitest';
import { MAX_RULES, type RuleInput } from '../contract/rules.ts';
import { Engine } from './engine.ts';
import { makeRequest, makeRule, makeRuleInput, MemoryRepository, RecordingVerdicts } from './testing.ts';

// Engine.addRules, the import: identical rules are skipped, and the total of rules is capped.

const CURL = '/usr/bin/curl';
const MINUTE = 60_000;

function setup(caseInsensitivePaths = false) {
  const verdicts = new RecordingVerdicts();
  const repository = new MemoryRepository();
  let n = 0;
  const engine = new Engine({ verdicts, repository, newRuleId: () => `n${++n}`, caseInsensitivePaths });
  return { engine, verdicts, repository };
}

/** curl to example.com:443 over TCP, outbound, allowed forever; `fields` over that. */
function input(fields: Partial<RuleInput> = {}): RuleInput {
  return makeRuleInput({
    app: { kind: 'path', path: CURL },
    destination: { kind: 'host', name: 'example.com' },
    port: { kind: 'port', port: 443 },
    protocol: 6,
    ...fields,
  });
}

/** `count` rules in force for other apps (memory only, as a start loads them). */
function fill(engine: Engine, count: number): void {
  const rules = Array.from({ length: count }, (_, i) =>
    makeRule({ id: `f${i}`, app: { kind: 'path', path: `/opt/filler-${i}` } }),
  );
  expect(engine.attachRules(rules)).toEqual({ rejected: [] });
}

describe('Engine.addRules: a rule identical to one in force or earlier in the file is skipped', () => {
  it('importing the same file again adds nothing, in memory and in the repository', () => {
    const { engine, repository } = setup();
    const file = [input(), input({ action: 'block', destination: { kind: 'lan' } })];
    expect(engine.addRules(file, 1)).toMatchObject({ ok: true, rules: { length: 2 }, skipped: 0 });
    for (let again = 0; again < 5; again++) {
      expect(engine.addRules(file, 2 + again)).toEqual({ ok: true, rules: [], skipped: 2 });
    }
    expect(engine.listRules().map((rule) => rule.id)).toEqual(['n1', 'n2']);
    expect([...repository.rules.keys()]).toEqual(['n1', 'n2']);
  });

  it('compares what matching reads, in canonical form; notes do not count', () => {
    const { engine } = setup();
    const first = [
      input({ destination: { kind: 'host', name: 'example.com' } }),
      input({ destination: { kind: 'cidr', cidr: '10.0.0.0/8' } }),
      input({ destination: { kind: 'ip', address: '2001:db8::1' } }),
      input({ destination: { kind: 'domain', pattern: '*.example.org' } }),
    ];
    expect(engine.addRules(first, 1)).toMatchObject({ ok: true, skipped: 0 });
    const sameMeaning = [
      input({ destination: { kind: 'host', name: 'EXAMPLE.com.' }, notes: 'other words' }),
      input({ destination: { kind: 'cidr', cidr: '10.1.2.3/8' } }), // host bits are masked off
      input({ destination: { kind: 'ip', address: '2001:DB8:0:0::1' } }),
      input({ destination: { kind: 'domain', pattern: '*.Example.ORG' } }),
    ];
    expect(engine.addRules(sameMeaning, 2)).toEqual({ ok: true, rules: [], skipped: 4 });
    // Each differs from the first rule in one field that matching or precedence reads.
    const different = [
      input({ action: 'block' }),
      input({ app: { kind: 'any' } }),
      input({ app: { kind: 'path', path: '/usr/bin/CURL' } }), // paths are case-sensitive here
      input({ port: { kind: 'range', from: 443, to: 443 } }), // one port ranks above a range
      input({ port: { kind: 'port', port: 80 } }),
      input({ protocol: 17 }),
      input({ direction: 'any' }),
      input({ enabled: false }),
      input({ duration: { kind: 'until-restart' } }),
      input({ destination: { kind: 'cidr', cidr: '10.0.0.0/9' } }),
      input({ destination: { kind: 'ip', address: '10.0.0.0' } }),
    ];
    const result = engine.addRules(different, 3);
    expect(result).toMatchObject({ ok: true, rules: { length: different.length }, skipped: 0 });
    expect(engine.listRules()).toHaveLength(first.length + different.length);
  });

  it('skips the later copies inside one file; the first copy (and its notes) is the one kept', () => {
    const { engine, repository } = setup();
    const result = engine.addRules(
      [input({ notes: 'first' }), input({ action: 'block' }), input({ notes: 'second' }), input({ notes: 'third' })],
      1,
    );
    expect(result).toMatchObject({ ok: true, skipped: 2 });
    expect(engine.listRules().map((rule) => [rule.notes, rule.action])).toEqual([
      ['first', 'allow'],
      ['', 'block'],
    ]);
    expect(repository.rules.size).toBe(2);
  });

  it('compares app paths as matching does: case-insensitively on Windows', () => {
    const { engine } = setup(true);
    expect(engine.addRules([input({ app: { kind: 'path', path: 'C:\\Tools\\Curl.EXE' } })], 1)).toMatchObject({
      ok: true,
      skipped: 0,
    });
    expect(engine.addRules([input({ app: { kind: 'path', path: 'c:\\tools\\curl.exe' } })], 2)).toMatchObject({
      ok: true,
      skipped: 1,
    });
  });

  it("compares a 'minutes' rule by when it ends: a later import of it runs longer and is added", () => {
    const { engine } = setup();
    const thirty = input({ duration: { kind: 'minutes', minutes: 30 } });
    expect(engine.addRules([thirty, thirty], 0)).toMatchObject({ ok: true, rules: { length: 1 }, skipped: 1 });
    // One minute later, 29 minutes end when the first rule ends: nothing new.
    expect(engine.addRules([input({ duration: { kind: 'minutes', minutes: 29 } })], MINUTE)).toMatchObject({
      ok: true,
      skipped: 1,
    });
    // The same 30 minutes, one minute later, end a minute later: a new rule.
    expect(engine.addRules([thirty], MINUTE)).toMatchObject({ ok: true, rules: [{ expiresAt: 31 * MINUTE }] });
    // And forever is not the same as 30 minutes.
    expect(engine.addRules([input()], MINUTE)).toMatchObject({ ok: true, skipped: 0 });
  });

  it('still refuses the whole file for a bad rule, also one that is a copy of a rule in force', () => {
    const { engine } = setup();
    expect(engine.addRules([input()], 1)).toMatchObject({ ok: true });
    const result = engine.addRules([input(), input({ duration: { kind: 'once' } })], 2);
    expect(result).toEqual({ ok: false, index: 1, error: 'once-is-not-a-rule' });
    expect(engine.listRules()).toHaveLength(1);
  });
});

describe(`the rule cap (MAX_RULES = ${MAX_RULES})`, () => {
  it('is 100 000', () => {
    expect(MAX_RULES).toBe(100_000);
  });

  it('refuses a whole import that would pass it, saying how many fit; copies of rules in force do not count', () => {
    const { engine, verdicts, repository } = setup();
    fill(engine, MAX_RULES - 3);
    expect(engine.addRules([input()], 1)).toMatchObject({ ok: true }); // 1 left
    engine.handle(makeRequest({ id: 1n, path: CURL, remoteIp: '192.168.1.9' }), 2);
    const builds = engine.ruleIndexBuilds;
    const lan = (n: number) => input({ destination: { kind: 'lan' }, port: { kind: 'port', port: n } });
    const tooMany = [input(), lan(1), lan(2), input({ destination: { kind: 'lan' }, action: 'block' })];
    expect(engine.addRules(tooMany, 3)).toEqual({
      ok: false,
      error: 'too-many-rules',
      adding: 3,
      room: 2,
      limit: MAX_RULES,
    });
    expect(engine.ruleCount).toBe(MAX_RULES - 2);
    expect(repository.rules.size).toBe(1);
    expect(engine.ruleIndexBuilds).toBe(builds);
    expect(verdicts.for(1n)).toEqual([]); // still held: nothing of the refused file is in force
    // Two new rules and a copy fit exactly.
    expect(engine.addRules([input(), lan(1), lan(2)], 4)).toMatchObject({ ok: true, rules: { length: 2 }, skipped: 1 });
    expect(engine.ruleCount).toBe(MAX_RULES);
    // At the cap a file of copies still imports (nothing), a new rule does not.
    expect(engine.addRules([lan(1)], 5)).toEqual({ ok: true, rules: [], skipped: 1 });
    expect(engine.addRules([lan(3)], 5)).toEqual({
      ok: false,
      error: 'too-many-rules',
      adding: 1,
      room: 0,
      limit: MAX_RULES,
    });
  });

  it('refuses a created rule at the cap and takes one again below it; a prompt answer still makes its rule', () => {
    const { engine, repository } = setup();
    fill(engine, MAX_RULES - 1);
    expect(engine.addRule(input(), 1)).toMatchObject({ ok: true });
    expect(engine.addRule(input({ action: 'block' }), 2)).toEqual({ ok: false, error: 'too-many-rules' });
    expect(engine.ruleCount).toBe(MAX_RULES);
    expect(repository.rules.size).toBe(1);
    // An answer must apply to the connection it holds, so it is not refused (one click each).
    engine.handle(makeRequest({ id: 1n, path: '/usr/bin/wget' }), 3);
    const promptId = engine.listPrompts()[0]?.prompts[0]?.id ?? '';
    const answered = engine.answerPrompt(
      promptId,
      { action: 'block', duration: { kind: 'forever' }, scope: { kind: 'exact' } },
      4,
    );
    expect(answered).toMatchObject({ ok: true, released: 1 });
    expect(engine.ruleCount).toBe(MAX_RULES + 1);
    expect(engine.removeRule('f0')).toBe(true);
    expect(engine.removeRule('f1')).toBe(true);
    expect(engine.addRule(input({ action: 'block' }), 5)).toMatchObject({ ok: true });
  });
});
