import { describe, expect, it } from 'vitest';
import { domainChoices, type PromptSubject, ruleInputForAnswer, SCOPE_ERROR_TEXT } from './prompt-scope.ts';

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

  it('a name that is no host name (an escaped answer) makes the rule by address, and offers no domain', () => {
    const odd = { ...SUBJECT, host: 'webrtl\\226\\128\\174moc.knab.test' };
    for (const kind of ['exact', 'host'] as const) {
      const result = ruleInputForAnswer(odd, { action: 'block', duration: FOREVER, scope: { kind } });
      expect(result).toMatchObject({ ok: true, input: { destination: { kind: 'ip', address: '93.184.216.34' } } });
    }
    expect(
      ruleInputForAnswer(odd, { action: 'block', duration: FOREVER, scope: { kind: 'domain', suffix: 'knab.test' } }),
    ).toEqual({
      ok: false,
      error: 'scope-needs-host',
    });
    expect(domainChoices(odd.host)).toEqual([]);
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

  it('an unknown app: a lasting answer is refused, whatever its action and scope; once gives no rule', () => {
    const unknown = { ...SUBJECT, appPath: '' };
    const lasting = [
      FOREVER,
      { kind: 'until-restart' },
      { kind: 'until-app-quits' },
      { kind: 'minutes', minutes: 60 },
    ] as const;
    const scopes = [{ kind: 'exact' }, { kind: 'host' }, { kind: 'domain', suffix: 'example.com' }] as const;
    for (const duration of lasting) {
      for (const scope of scopes) {
        for (const action of ['allow', 'block', 'drop'] as const) {
          expect(ruleInputForAnswer(unknown, { action, duration, scope })).toEqual({
            ok: false,
            error: 'lasting-needs-app',
          });
        }
      }
    }
    expect(SCOPE_ERROR_TEXT['lasting-needs-app']).toMatch(/unknown.*every app.*once/);
    for (const scope of scopes) {
      expect(ruleInputForAnswer(unknown, { action: 'allow', duration: { kind: 'once' }, scope })).toEqual({
        ok: true,
        input: null,
      });
    }
  });

  it('once gives no rule; a known app gets a rule for its own path only', () => {
    expect(
      ruleInputForAnswer(SUBJECT, { action: 'allow', duration: { kind: 'once' }, scope: { kind: 'exact' } }),
    ).toEqual({
      ok: true,
      input: null,
    });
    for (const scope of [{ kind: 'exact' }, { kind: 'host' }, { kind: 'app' }] as const) {
      expect(ruleInputForAnswer(SUBJECT, { action: 'allow', duration: FOREVER, scope })).toMatchObject({
        ok: true,
        input: { app: { kind: 'path', path: '/usr/bin/curl' } },
      });
    }
  });

  it('offers every parent domain but the top-level one', () => {
    expect(domainChoices('api.eu.example.com')).toEqual(['eu.example.com', 'example.com']);
    expect(domainChoices('localhost')).toEqual([]);
    expect(domainChoices(null)).toEqual([]);
  });
});
