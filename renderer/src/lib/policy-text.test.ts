import { describe, expect, it } from 'vitest';
import type { PolicyStatus } from '../../../app/contract/views.ts';
import { policyBadge } from './policy-text.ts';

const status = (state: PolicyStatus['state']): PolicyStatus => ({
  state,
  message: 'a sentence',
  enforcedGeneration: null,
  ruleCount: null,
});

describe('policyBadge', () => {
  it('says whether the driver enforces the latest rules', () => {
    expect(policyBadge(status('enforced'))).toEqual({ label: 'Driver enforces your rules', tone: 'ok' });
    expect(policyBadge(status('behind'))).toEqual({ label: 'Driver is not enforcing your latest rules', tone: 'bad' });
    expect(policyBadge(status('unsupported'))).toEqual({ label: 'Driver without policy support', tone: 'warn' });
    expect(policyBadge(status('unsaved'))?.tone).toBe('warn');
    expect(policyBadge(status('sending'))?.tone).toBe('warn');
  });

  it('shows nothing while no driver is connected (the driver item says so)', () => {
    expect(policyBadge(status('unknown'))).toBeNull();
  });
});
