import { describe, expect, it } from 'vitest';
import { dispatch, HandlerError, type Handlers } from './dispatch.ts';
import type { Rule } from './rules.ts';

const rule: Rule = {
  id: 'r1',
  app: { kind: 'path', path: '/usr/bin/curl' },
  destination: { kind: 'host', name: 'example.org' },
  port: { kind: 'any' },
  protocol: 'any',
  direction: 'outbound',
  action: 'allow',
  duration: { kind: 'forever' },
  enabled: true,
  notes: '',
  createdAt: 1,
  updatedAt: 1,
  expiresAt: null,
  hitCount: 0,
  lastHitAt: null,
};

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  const unused = (): never => {
    throw new Error('not used in this test');
  };
  const base = Object.fromEntries(
    [
      'status:get',
      'mode:set',
      'prompts:list',
      'prompts:answer',
      'prompts:hold',
      'prompts:answer-app',
      'connections:list',
      'apps:list',
      'apps:series',
      'rules:list',
      'rules:create',
      'rules:update',
      'rules:delete',
      'rules:import',
      'rules:import-preview',
      'rules:import-picked',
      'rules:delete-many',
      'rules:export',
      'settings:get',
      'settings:set',
      'logs:list',
      'history:page',
      'history:count',
      'history:export',
      'blocklists:list',
      'blocklists:add',
      'blocklists:set-enabled',
      'blocklists:remove',
      'blocklists:reload',
    ].map((c) => [c, unused]),
  ) as unknown as Handlers;
  return { ...base, ...overrides };
}

describe('dispatch', () => {
  it('runs the handler with the validated payload and defaults filled in', async () => {
    let seen: unknown;
    const result = await dispatch(
      handlers({
        'rules:create': (input) => {
          seen = input;
          return rule;
        },
      }),
      'rules:create',
      { app: { kind: 'any' }, destination: { kind: 'any' }, action: 'block' },
    );
    expect(result).toEqual({ ok: true, value: rule });
    expect(seen).toMatchObject({ direction: 'outbound', enabled: true, port: { kind: 'any' } });
  });

  it('passes a rule patch on without filling in defaults (that would widen the rule)', async () => {
    let seen: unknown;
    await dispatch(
      handlers({
        'rules:update': (request) => {
          seen = request;
          return rule;
        },
      }),
      'rules:update',
      { id: 'r1', patch: { enabled: false } },
    );
    expect(seen).toEqual({ id: 'r1', patch: { enabled: false } });
  });

  it.each([
    ['an unknown channel', 'rules:drop-table', {}, "unknown channel 'rules:drop-table'"],
    ['a prototype key as channel', '__proto__', {}, "unknown channel '__proto__'"],
    ['a wrong type', 'connections:list', { limit: 'all' }, 'connections:list: limit'],
    ['an extra key', 'rules:delete', { id: 'r1', cascade: true }, 'rules:delete: payload'],
    ['a payload where none is taken', 'status:get', { x: 1 }, 'status:get: payload'],
    ['an oversized id', 'rules:delete', { id: 'x'.repeat(65) }, 'rules:delete: id'],
    [
      'a hostile rule',
      'rules:create',
      { app: { kind: 'path', path: '' }, destination: { kind: 'any' }, action: 'allow' },
      'rules:create: app.path',
    ],
  ])('rejects %s without calling a handler', async (_what, channel, payload, message) => {
    const result = await dispatch(handlers(), channel, payload);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('bad-request');
      expect(result.error.message).toContain(message);
    }
  });

  it('turns handler failures into error values', async () => {
    const failing = handlers({
      'rules:delete': () => {
        throw new HandlerError('not-found', 'no rule r9');
      },
      'rules:list': () => {
        throw new Error('disk full');
      },
    });
    expect(await dispatch(failing, 'rules:delete', { id: 'r9' })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no rule r9' },
    });
    expect(await dispatch(failing, 'rules:list', undefined)).toEqual({
      ok: false,
      error: { code: 'internal', message: 'disk full' },
    });
  });
});
