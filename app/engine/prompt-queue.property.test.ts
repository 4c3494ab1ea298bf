import { describe, expect, it } from 'vitest';
import type { ConnectionRequest, DriverVerdict } from '../contract/driver-events.ts';
import type { RuleAction, RuleDuration } from '../contract/rules.ts';
import { Engine } from './engine.ts';
import type { PromptScope } from './prompt-scope.ts';
import { Random } from './random.ts';
import { MemoryRepository, makeRequest, makeRule } from './testing.ts';

// Random event sequences through the whole engine, checking the prompt queue's promises:
// every request id is answered exactly once by the end, and a default verdict is sent only
// for a reason (hold timeout, process exit, mode change, shutdown, holding switched off),
// never because another prompt is open.

type Phase = 'handle' | 'tick' | 'answer' | 'exit' | 'mode' | 'rules' | 'shutdown';
const PLAIN = new Set<DriverVerdict>(['accept', 'block', 'drop']);
const APPS = ['/usr/bin/curl', '/usr/bin/git', '']; // '': a process the driver could not name
const IPS = ['1.1.1.1', '1.0.0.1', '10.0.0.5', '2001:db8::1', '93.184.216.34'];
const NAMES = ['one.example.com', 'api.example.com', 'cdn.net'];

function run(seed: number, steps: number): void {
  const random = new Random(seed);
  let phase: Phase = 'handle';
  let now = 0;
  let holdTimeoutMs = random.pick([0, 500, 30_000]);
  const sent = new Map<bigint, Array<{ verdict: DriverVerdict; phase: Phase; at: number }>>();
  const requests = new Map<bigint, { request: ConnectionRequest; at: number }>();
  let exitedPid = -1;
  const engine = new Engine({
    verdicts: {
      send: (requestId, verdict) => {
        const list = sent.get(requestId) ?? [];
        list.push({ verdict, phase, at: now });
        sent.set(requestId, list);
        const origin = requests.get(requestId);
        expect(origin, `verdict for an unknown request ${requestId}`).toBeDefined();
        if (!PLAIN.has(verdict) || origin === undefined) return;
        const mode = engine.getMode(now).mode;
        if (phase === 'handle') expect(mode !== 'ask' || holdTimeoutMs === 0).toBe(true);
        if (phase === 'tick') expect(now - origin.at).toBeGreaterThanOrEqual(holdTimeoutMs);
        if (phase === 'exit') expect(origin.request.pid).toBe(exitedPid);
        expect(phase).not.toBe('answer');
      },
    },
    repository: new MemoryRepository(),
    prompts: {
      holdTimeoutMs,
      defaultAction: random.pick(['allow', 'block', 'drop'] as const),
      // Small inbox limits make prompts leave the inbox often: held connections must not care.
      maxInboxPrompts: random.pick([1, 3, 1_000]),
    },
  });
  let nextId = 1n;
  for (let step = 0; step < steps; step++) {
    const roll = random.next();
    if (roll < 0.45) {
      phase = 'handle';
      const held = [...requests.keys()].filter((id) => !sent.has(id)); // a driver repeats only unanswered ids
      const duplicate = random.next() < 0.05 && held.length > 0;
      const id = duplicate ? random.pick(held) : nextId++;
      const path = random.pick(APPS);
      const request = makeRequest({
        id,
        ...(path === '' ? {} : { path }),
        pid: random.pick([10, 11, 12, 13]),
        remoteIp: random.pick(IPS),
        remotePort: random.pick([53, 80, 443]),
        protocol: random.pick([6, 17]),
        direction: random.pick(['outbound', 'inbound'] as const),
      });
      if (!duplicate) requests.set(id, { request, at: now });
      engine.handle(duplicate ? (requests.get(id)?.request ?? request) : request, now);
    } else if (roll < 0.55) {
      phase = 'handle';
      engine.handle({ kind: 'dns', name: random.pick(NAMES), address: random.pick(IPS), ttlSeconds: 30 }, now);
    } else if (roll < 0.7) {
      phase = 'tick';
      now += random.pick([1, 100, 400, 5_000, 40_000]);
      engine.tick(now);
    } else if (roll < 0.85) {
      phase = 'answer';
      const prompts = engine.listPrompts().flatMap((g) => g.prompts);
      if (prompts.length === 0) continue;
      const prompt = random.pick(prompts);
      const scopes: PromptScope[] = [{ kind: 'exact' }, { kind: 'host' }, { kind: 'app' }];
      const suffix = prompt.domainChoices[0];
      if (suffix !== undefined) scopes.push({ kind: 'domain', suffix });
      const durations: RuleDuration[] = [{ kind: 'once' }, { kind: 'forever' }, { kind: 'until-restart' }];
      const action: RuleAction = random.pick(['allow', 'block', 'drop']);
      engine.answerPrompt(prompt.id, { action, duration: random.pick(durations), scope: random.pick(scopes) }, now);
    } else if (roll < 0.9) {
      phase = 'exit';
      exitedPid = random.pick([10, 11, 12, 13]);
      engine.processExited(exitedPid, now);
    } else if (roll < 0.94) {
      phase = 'mode';
      const mode = random.pick(['ask', 'ask', 'allow-all', 'block-all', 'pause'] as const);
      engine.setMode(mode === 'pause' ? { mode, minutes: 1 } : { mode }, now);
    } else if (roll < 0.97) {
      phase = 'rules';
      const ip = random.pick(IPS);
      const rule = makeRule({ id: 'x', destination: { kind: 'ip', address: ip }, direction: 'any' });
      engine.addRule({ ...rule, duration: { kind: 'forever' } }, now);
      const existing = engine.listRules();
      if (existing.length > 3) engine.removeRule(random.pick(existing).id);
    } else {
      phase = 'tick';
      holdTimeoutMs = random.pick([0, 500, 30_000]);
      engine.configurePrompts({ holdTimeoutMs });
    }
  }
  phase = 'shutdown';
  engine.shutdown(now);
  for (const id of requests.keys()) expect(sent.get(id)?.length, `request ${id} (seed ${seed})`).toBe(1);
  expect(sent.size).toBe(requests.size);
}

describe('prompt queue properties (random event sequences through the engine)', () => {
  it('answers every request exactly once, and defaults only for a reason', () => {
    for (let seed = 1; seed <= 300; seed++) run(seed, 300);
  });

  it('holds up under long sequences', () => {
    for (let seed = 1000; seed < 1005; seed++) run(seed, 5000);
  });
});
