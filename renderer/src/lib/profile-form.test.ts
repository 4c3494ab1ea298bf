import { describe, expect, it } from 'vitest';
import { MAX_PROFILES } from '../../../app/contract/profiles.ts';
import { addProfileProblem, checkProfileName } from './profile-form.ts';
import { profile } from './test-rows.ts';

const profiles = [profile('home', 'Home'), profile('p1', 'Café')];

describe('checkProfileName', () => {
  it('takes a trimmed name no other profile has', () => {
    expect(checkProfileName('  Hotel ', profiles)).toEqual({ ok: true, name: 'Hotel' });
  });

  it('says what is wrong in the UI’s words', () => {
    expect(checkProfileName('   ', profiles)).toEqual({ ok: false, error: 'A profile needs a name.' });
    expect(checkProfileName('x'.repeat(65), profiles)).toEqual({
      ok: false,
      error: 'A profile name is at most 64 characters.',
    });
    expect(checkProfileName('tab\there', profiles)).toEqual({
      ok: false,
      error: 'A profile name holds no control characters.',
    });
  });

  it('refuses another profile’s name, whatever its case, but not the profile’s own', () => {
    expect(checkProfileName('café', profiles)).toEqual({ ok: false, error: 'There is a profile named Café already.' });
    expect(checkProfileName('CAFÉ', profiles, 'p1')).toEqual({ ok: true, name: 'CAFÉ' });
  });
});

describe('addProfileProblem', () => {
  it('says when no more profiles can be added', () => {
    expect(addProfileProblem(profiles)).toBeNull();
    const full = Array.from({ length: MAX_PROFILES }, (_, i) => profile(`p${String(i)}`, `P${String(i)}`));
    expect(addProfileProblem(full)).toMatch(/at most 32 profiles/);
  });
});
