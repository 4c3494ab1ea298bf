import { afterEach, describe, expect, it } from 'vitest';
import { RULE_FILE_FORMAT, ruleFileSchema } from '../contract/rules.ts';
import { openStore } from './open-store.ts';
import {
  exportRules,
  formatPath,
  formatRuleFile,
  importRules,
  MAX_RULE_FILE_CHARS,
  RuleFileError,
} from './rule-file.ts';
import type { Store } from './store.ts';
import { ruleInput } from './test-support/fixtures.ts';
import { tempDbPath } from './test-support/temp-db.ts';

const stores: Store[] = [];
function fresh(): Store {
  const store = openStore(tempDbPath());
  stores.push(store);
  return store;
}
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** A rule file text with `rules` (raw JSON values, so tests can break them). */
function fileText(rules: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ format: RULE_FILE_FORMAT, version: 1, rules, ...extra }, null, 2);
}
const goodRules = (): unknown[] => [
  ruleInput(),
  ruleInput({ action: 'block', destination: { kind: 'domain', pattern: '*.ads.example' } }),
  { app: { kind: 'any' }, destination: { kind: 'lan' }, action: 'allow' },
  ruleInput({ duration: { kind: 'minutes', minutes: 10 }, enabled: false, notes: 'temporary' }),
  ruleInput({ direction: 'inbound', port: { kind: 'range', from: 8000, to: 8999 }, protocol: 17 }),
];

const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

/** Imports `text`, expecting a RuleFileError; checks nothing was stored and returns the error. */
function refused(text: string): RuleFileError {
  const store = fresh();
  store.rules.create(ruleInput({ notes: 'already there' }), 1);
  const before = store.rules.list();
  let caught: unknown;
  try {
    importRules(store, text, 100);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RuleFileError);
  expect(store.rules.list()).toEqual(before);
  return caught as RuleFileError;
}

describe('rule file export and import', () => {
  it('round-trips: export, import into another store, export again gives the same file', () => {
    const source = fresh();
    const imported = importRules(source, fileText(goodRules()), 1000);
    expect(imported).toEqual({ imported: 5 });
    const exported = exportRules(source);
    expect(ruleFileSchema.parse(exported)).toEqual(exported);
    expect(exported.rules).toHaveLength(5);
    // Defaults were filled in on import; the export carries every field.
    expect(exported.rules[2]).toEqual({
      app: { kind: 'any' },
      destination: { kind: 'lan' },
      port: { kind: 'any' },
      protocol: 'any',
      direction: 'outbound',
      action: 'allow',
      duration: { kind: 'forever' },
      enabled: true,
      notes: '',
    });

    const target = fresh();
    expect(importRules(target, formatRuleFile(exported), 2000)).toEqual({ imported: 5 });
    expect(exportRules(target)).toEqual(exported);
    const rules = target.rules.list();
    expect(rules.map((r) => r.createdAt)).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(rules[3]?.expiresAt).toBe(2000 + 10 * 60_000);
  });

  it('keeps a rule’s profile through export and import, and leaves it out of always-on rules', () => {
    const source = fresh();
    source.rules.create(ruleInput({ notes: 'at work', profile: 'work' }), 1);
    source.rules.create(ruleInput({ notes: 'always' }), 2);
    const exported = exportRules(source);
    expect(exported.rules.map((r) => r.profile)).toEqual(['work', undefined]);
    expect('profile' in (exported.rules[1] ?? {})).toBe(false);
    const target = fresh();
    importRules(target, formatRuleFile(exported), 3);
    expect(target.rules.list().map((r) => [r.notes, r.profile])).toEqual([
      ['at work', 'work'],
      ['always', undefined],
    ]);
  });

  it('imports nothing when the 5th rule is invalid, naming its path and index', () => {
    const rules = goodRules();
    rules[4] = { ...ruleInput(), destination: { kind: 'planet', name: 'mars' } };
    const error = refused(fileText(rules));
    expect(error.problems[0]).toMatchObject({ path: 'rules[4].destination.kind', ruleIndex: 4 });
    expect(error.message).toContain('rules[4].destination.kind (rule index 4)');
  });

  it('rolls back rules already inserted when storing fails midway', () => {
    const store = fresh();
    let calls = 0;
    const create = store.rules.create.bind(store.rules);
    const failing: Store = {
      ...store,
      rules: {
        ...store.rules,
        create: (input, now) => {
          if (++calls === 3) throw new Error('disk full');
          return create(input, now);
        },
      },
    };
    expect(() => importRules(failing, fileText(goodRules()), 1)).toThrow('disk full');
    expect(calls).toBe(3);
    expect(store.rules.list()).toEqual([]);
  });

  it('names the line and column of a JSON syntax error', () => {
    const text = fileText(goodRules()).replace('"action": "block"', '"action": "block",,');
    const line = text.split('\n').findIndex((l) => l.includes(',,')) + 1;
    const error = refused(text);
    expect(error.message).toMatch(new RegExp(`^The rule file is not valid JSON: line ${line}, column \\d+: `));
  });

  it.each<[string, string, RegExp]>([
    ['not an object', '[]', /\(the file\): Invalid input: expected object/],
    ['null', 'null', /expected object/],
    ['wrong format', fileText([], { format: 'iptables' }), /format: /],
    ['future version', fileText([], { version: 2 }), /version: /],
    ['extra top-level key', fileText([], { signature: 'x' }), /Unrecognized key: "signature"/],
    [
      'extra key in a rule',
      fileText([{ ...ruleInput(), priority: 1 }]),
      /rules\[0\] \(rule index 0\): Unrecognized key/,
    ],
    ['extra key in a matcher', fileText([{ ...ruleInput(), app: { kind: 'any', path: '/x' } }]), /rules\[0\]\.app/],
    ['port as string', fileText([{ ...ruleInput(), port: { kind: 'port', port: '443' } }]), /rules\[0\]\.port\.port/],
    [
      'port out of range',
      fileText([{ ...ruleInput(), port: { kind: 'port', port: 70_000 } }]),
      /rules\[0\]\.port\.port/,
    ],
    ['enabled as string', fileText([{ ...ruleInput(), enabled: 'yes' }]), /rules\[0\]\.enabled/],
    ['rules not an array', fileText([]).replace('"rules": []', '"rules": {"0": {}}'), /rules: /],
    ['huge notes', fileText([{ ...ruleInput(), notes: 'x'.repeat(100_000) }]), /rules\[0\]\.notes.*Too big/],
    [
      'huge path',
      fileText([{ ...ruleInput(), app: { kind: 'path', path: '/'.repeat(1e6) } }]),
      /rules\[0\]\.app\.path/,
    ],
    ['bad host name', fileText([{ ...ruleInput(), destination: { kind: 'host', name: 'a b' } }]), /not a host name/],
    [
      'deep nesting',
      fileText([{ ...ruleInput(), notes: 'DEEP' }]).replace('"DEEP"', deep(100_000)),
      /rules\[0\]\.notes\[0\].*nested deeper than 32/,
    ],
  ])('refuses %s with a clear error and stores nothing', (_name, text, message) => {
    expect(refused(text).message).toMatch(message);
  });

  it.each([
    [
      'top level',
      `{"__proto__": {"polluted": true}, "format": "${RULE_FILE_FORMAT}", "version": 1, "rules": []}`,
      '__proto__',
    ],
    [
      'inside a rule',
      fileText([{ ...ruleInput(), polluteMe: 1 }]).replace('"polluteMe"', '"__proto__"'),
      'rules[0].__proto__',
    ],
    [
      'inside a matcher',
      fileText([ruleInput()]).replace('"kind": "path"', '"constructor": {"prototype": {}}, "kind": "path"'),
      'rules[0].app.constructor',
    ],
  ])('refuses prototype-polluting keys (%s)', (_where, text, path) => {
    const error = refused(text);
    expect(error.problems[0]?.path).toBe(path);
    expect(error.message).toMatch(/is not allowed/);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses an oversized file before parsing it', () => {
    const error = refused(' '.repeat(MAX_RULE_FILE_CHARS + 1));
    expect(error.message).toMatch(/too large/);
  });

  it('lists at most 10 problems in the message but keeps them all', () => {
    const rules = Array.from({ length: 25 }, () => ({ ...ruleInput(), action: 'maybe' }));
    const error = refused(fileText(rules));
    expect(error.problems).toHaveLength(25);
    expect(error.problems.map((p) => p.ruleIndex)).toEqual(rules.map((_, i) => i));
    expect(error.message).toContain('...and 15 more');
  });

  // Its speed is measured by `npm run bench:soak -- --connections 0`, not here.
  it('imports a large file whole', () => {
    const store = fresh();
    const rules = Array.from({ length: 20_000 }, (_, i) => ruleInput({ notes: `rule ${i}` }));
    expect(importRules(store, fileText(rules), 1)).toEqual({ imported: 20_000 });
    expect(store.rules.list()).toHaveLength(20_000);
  });

  it('formats paths for people', () => {
    expect(formatPath(['rules', 3, 'destination', 'kind'])).toBe('rules[3].destination.kind');
    expect(formatPath(['a b', 0])).toBe('["a b"][0]');
    expect(formatPath([])).toBe('(the file)');
  });
});
