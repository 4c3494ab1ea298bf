import { describe, expect, it } from 'vitest';
import { formatFor } from './locale-format.ts';
import {
  connectionToForm,
  describeDestination,
  describeDuration,
  DURATION_KINDS,
  EMPTY_RULE_FORM,
  formToRuleInput,
  ruleToForm,
} from './rule-form.ts';
import { row } from './test-rows.ts';

describe('DURATION_KINDS', () => {
  it('offers only durations a rule can have (a "once" rule is refused by the engine)', () => {
    expect(DURATION_KINDS.map((d) => d.kind)).toEqual(['forever', 'until-restart', 'until-app-quits', 'minutes']);
  });
});

describe('formToRuleInput', () => {
  it('builds a rule the contract accepts', () => {
    const result = formToRuleInput({
      ...EMPTY_RULE_FORM,
      appPath: ' /usr/bin/curl ',
      destinationKind: 'ip',
      destinationValue: '10.0.0.2',
      port: '8081',
      protocol: '6',
      action: 'block',
    });
    expect(result).toEqual({
      ok: true,
      input: {
        app: { kind: 'path', path: '/usr/bin/curl' },
        destination: { kind: 'ip', address: '10.0.0.2' },
        port: { kind: 'port', port: 8081 },
        protocol: 6,
        direction: 'outbound',
        action: 'block',
        duration: { kind: 'forever' },
        enabled: true,
        notes: '',
        profile: null,
      },
    });
  });

  it('gives the rule the profile chosen in "Applies in", or none for "Always"', () => {
    const inWork = formToRuleInput({ ...EMPTY_RULE_FORM, profile: 'work' });
    expect(inWork.ok && inWork.input.profile).toBe('work');
    const always = formToRuleInput(EMPTY_RULE_FORM);
    expect(always.ok && always.input.profile).toBeNull();
  });

  it('reads ranges, domains, minutes and an empty app as any app', () => {
    const result = formToRuleInput({
      ...EMPTY_RULE_FORM,
      destinationKind: 'domain',
      destinationValue: 'Example.org',
      port: '8000-8080',
      durationKind: 'minutes',
      minutes: '90',
    });
    expect(result.ok && result.input).toMatchObject({
      app: { kind: 'any' },
      destination: { kind: 'domain', pattern: '*.example.org' },
      port: { kind: 'range', from: 8000, to: 8080 },
      duration: { kind: 'minutes', minutes: 90 },
    });
  });

  it('says what to fix in one sentence', () => {
    const error = (patch: Partial<typeof EMPTY_RULE_FORM>): string | null => {
      const result = formToRuleInput({ ...EMPTY_RULE_FORM, ...patch });
      return result.ok ? null : result.error;
    };
    expect(error({ port: '70000' })).toMatch(/0 to 65535/);
    expect(error({ port: '9-1' })).toMatch(/low to high/);
    expect(error({ port: 'http' })).toMatch(/Write a port/);
    expect(error({ destinationKind: 'host', destinationValue: '' })).toMatch(/host name/);
    expect(error({ destinationKind: 'host', destinationValue: 'bad host!' })).toMatch(/destination/);
    expect(error({ durationKind: 'minutes', minutes: '0' })).toMatch(/Minutes/);
  });
});

describe('forms from rules and connections', () => {
  it('round-trips a rule through the form', () => {
    const input = {
      app: { kind: 'path', path: '/usr/bin/curl' },
      destination: { kind: 'cidr', cidr: '10.0.0.0/8' },
      port: { kind: 'range', from: 1, to: 1024 },
      protocol: 17,
      direction: 'any',
      action: 'drop',
      duration: { kind: 'minutes', minutes: 60 },
      enabled: false,
      notes: 'n',
      profile: 'work',
    } as const;
    expect(formToRuleInput(ruleToForm(input))).toEqual({ ok: true, input });
    // A rule without a profile (or from an engine before profiles) is always on.
    expect(ruleToForm({ ...input, profile: undefined }).profile).toBe('');
    expect(formToRuleInput(ruleToForm({ ...input, profile: null }))).toEqual({
      ok: true,
      input: { ...input, profile: null },
    });
  });

  it('prefills a rule from a connection', () => {
    const form = connectionToForm(row(1, { host: 'example.org', verdict: 'permanent-block' }));
    expect(form).toMatchObject({
      appPath: '/usr/bin/curl',
      destinationKind: 'host',
      destinationValue: 'example.org',
      port: '443',
      protocol: '6',
      action: 'block',
    });
    expect(connectionToForm(row(2)).destinationKind).toBe('ip');
  });

  it('describes destinations and durations', () => {
    expect(describeDestination({ kind: 'lan' })).toBe('Local network');
    expect(describeDestination({ kind: 'domain', pattern: '*.example.org' })).toBe('*.example.org');
    const en = formatFor('en-US');
    expect(describeDuration({ kind: 'minutes', minutes: 120 }, en)).toBe('2 hr');
    expect(describeDuration({ kind: 'minutes', minutes: 5 }, en)).toBe('5 min');
    expect(describeDuration({ kind: 'minutes', minutes: 90 }, formatFor('de-DE'))).toBe('90 Min.');
    expect(describeDuration({ kind: 'forever' })).toBe('Forever');
  });
});
