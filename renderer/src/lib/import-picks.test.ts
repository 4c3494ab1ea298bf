import { describe, expect, it } from 'vitest';
import type { ImportPreview } from '../../../app/contract/import-preview.ts';
import type { RuleInput } from '../../../app/contract/rules.ts';
import { importSizeProblem, initialPicks, pickedRules, togglePick } from './import-picks.ts';
import { formatFor } from './locale-format.ts';

const rule = (address: string): RuleInput =>
  ({ app: { kind: 'any' }, destination: { kind: 'ip', address }, action: 'allow' }) as RuleInput;

const preview: ImportPreview = {
  format: 'Little Snitch',
  rules: [
    { source: 'a', rule: rule('192.0.2.1'), caveats: [] },
    { source: 'b', rule: rule('192.0.2.2'), caveats: [], duplicateOf: 'r1' },
    { source: 'c', rule: rule('192.0.2.3'), caveats: [], conflictsWith: 'r2' },
  ],
  skipped: [],
};

describe('import picks', () => {
  it('picks all but the rules already in force, and sends the picked in order', () => {
    const picks = initialPicks(preview);
    expect([...picks]).toEqual([0, 2]);
    expect(pickedRules(preview, picks)).toEqual([rule('192.0.2.1'), rule('192.0.2.3')]);
    const more = togglePick(togglePick(picks, 1), 0);
    expect(pickedRules(preview, more)).toEqual([rule('192.0.2.2'), rule('192.0.2.3')]);
    expect([...picks]).toEqual([0, 2]); // the old set is unchanged
  });

  it('refuses files far over the limit before reading them', () => {
    const en = formatFor('en-US');
    const say = (size: string, limit: string) => `${size} > ${limit}`;
    expect(importSizeProblem([100, 200], 1_000, say, en)).toBeNull();
    expect(importSizeProblem([3_000, 2_000], 1_000, say, en)).toBe(`${en.bytes(5_000)} > ${en.bytes(1_000)}`);
  });
});
