import { describe, expect, it } from 'vitest';
import { row } from './test-rows.ts';
import { verdictOrigin } from './verdict-origin.ts';

const label = (ruleId: string): string => (ruleId === 'r1' ? '“curl to example.org”' : '');

describe('verdictOrigin', () => {
  it('says the driver decided by the policy, naming the rule when it is known', () => {
    expect(verdictOrigin(row(1, { byPolicy: true, ruleId: 'r1', verdict: 'permanent-block' }), label)).toBe(
      'Decided in the driver by your rule “curl to example.org”',
    );
    expect(verdictOrigin(row(2, { byPolicy: true, ruleId: null, verdict: 'permanent-accept' }), label)).toBe(
      'Decided in the driver by its policy (by a rule this window does not know: one sent before ZenithFence last started)',
    );
  });

  it('tells the app’s own decisions, a wait and a lost link apart', () => {
    expect(verdictOrigin(row(3, { ruleId: 'r1' }), label)).toBe('Decided by your rule “curl to example.org”');
    expect(verdictOrigin(row(4, { ruleId: null }), label)).toBe(
      'Decided without a rule (an answer, the mode or a timeout)',
    );
    expect(verdictOrigin(row(5, { verdict: 'pending' }), label)).toBe('Waiting for an answer');
    expect(verdictOrigin(row(6, { verdict: 'driver' }), label)).toMatch(/^Answered by the driver alone/);
  });
});
