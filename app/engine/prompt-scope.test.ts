import { describe, expect, it } from 'vitest';
import { domainChoices, ruleInputForAnswer, type PromptSubject } from './prompt-scope.ts';

const SUBJECT: PromptSubject = {
  appPath: '/usr/bin/curl',
  direction: 'outbound',
  protocol: 6,
  remoteIp: '93.184.216.34',
  host: 'api.eu.example.com',
  remotePort: 443,
};
const FOREVER = { kind: 'forever' } as const;

describe('ruleInputForAnswer', () => {
  it('exact: this host, port and protocol', () => {
    const result = ruleInputForAnswer(SUBJECT, { action: 'allow', duration: FOREVER, scope: { kind: 'exact' } });
    expect(result).toMatchObject({
      ok: true,
      input: {
        app: { kind: 'path', path: '/usr/bin/curl' },
        destination: { kind: 'host', name: 'api.eu.example.com' },
        port: { kind: 'port', port: 443 },
        protocol: 6,
        direction: 'outbound',
        action: 'allow',
      },
    });
  });

  it('exact without a host name uses the address', () => {
    const result = ruleInputForAnswer(
      { ...SUBJECT, host: null },
      { action: 'block', duration: FOREVER, scope: { kind: 'exact' } },
    );
    expect(result).toMatchObject({ ok: true, input: { destination: { kind: 'ip', address: '93.184.216.34' } } });
  });

  it('host: any port and protocol; domain: the wildcard; app: anything, same direction', () => {
    const host = ruleInputForAnswer(SUBJECT, { action: 'allow', duration: FOREVER, scope: { kind: 'host' } });
    expect(host).toMatchObject({ ok: true, input: { port: { kind: 'any' }, protocol: 'any' } });
    const domain = ruleInputForAnswer(SUBJECT, {
      action: 'allow',
      duration: FOREVER,
      scope: { kind: 'domain', suffix: 'Example.com.' },
    });
    expect(domain).toMatchObject({ ok: true, input: { destination: { kind: 'domain', pattern: '*.example.com' } } });
    const app = ruleInputForAnswer(SUBJECT, { action: 'allow', duration: FOREVER, scope: { kind: 'app' } });
    expect(app).toMatchObject({ ok: true, input: { destination: { kind: 'any' }, direction: 'outbound' } });
  });

  it('refuses scopes that do not fit the prompt', () => {
    const answer = (scope: Parameters<typeof ruleInputForAnswer>[1]['scope']) => ({
      action: 'allow' as const,
      duration: FOREVER,
      scope,
    });
    expect(ruleInputForAnswer({ ...SUBJECT, appPath: '' }, answer({ kind: 'app' }))).toEqual({
      ok: false,
      error: 'scope-needs-app',
    });
    expect(ruleInputForAnswer({ ...SUBJECT, host: null }, answer({ kind: 'domain', suffix: 'example.com' }))).toEqual({
      ok: false,
      error: 'scope-needs-host',
    });
    expect(ruleInputForAnswer(SUBJECT, answer({ kind: 'domain', suffix: 'api.eu.example.com' }))).toEqual({
      ok: false,
      error: 'domain-not-above-host',
    });
  });

  it('an unknown app gets an any-app rule; once gives no rule', () => {
    const unknown = ruleInputForAnswer(
      { ...SUBJECT, appPath: '' },
      { action: 'allow', duration: FOREVER, scope: { kind: 'exact' } },
    );
    expect(unknown).toMatchObject({ ok: true, input: { app: { kind: 'any' } } });
    expect(
      ruleInputForAnswer(SUBJECT, { action: 'allow', duration: { kind: 'once' }, scope: { kind: 'exact' } }),
    ).toEqual({
      ok: true,
      input: null,
    });
  });

  it('offers every parent domain but the top-level one', () => {
    expect(domainChoices('api.eu.example.com')).toEqual(['eu.example.com', 'example.com']);
    expect(domainChoices('localhost')).toEqual([]);
    expect(domainChoices(null)).toEqual([]);
  });
});
