import { describe, expect, it } from 'vitest';
import type { ConnectionRequest, DriverVerdict } from '../contract/driver-events.ts';
import type { RuleAction, RuleDuration } from '../contract/rules.ts';
import { Engine } from './engine.ts';
import type { PromptScope } from './prompt-scope.ts';
import { Random } from './random.ts';
import { makeRequest, makeRule, MemoryRepository } from './testing.ts';

// Random event sequences through the whole engine, checking the prompt queue's promises:
// every request is answered exactly once by the end, and a default verdict is sent only
// for a reason (hold timeout, process exit, mode change, shutdown, holding switched off),
// never because another prompt is open. The driver link is lost now and then: the driver then
// answers what was held itself, the engine must send nothing more for those, and the next link
// numbers its requests from 1 again, so a verdict for an old id would land on a new request.

type Phase = 'handle' | 'tick' | 'answer' | 'exit' | 'mode' | 'rules' | 'lost' | 'shutdown';
const PLAIN = new Set<DriverVerdict>(['accept', 'block', 'drop']);
const APPS = ['/usr/bin/curl', '/usr/bin/git', '']; // '': a process the driver could not name
const IPS = ['1.1.1.1', '1.0.0.1', '10.0.0.5', '2001:db8::1', '93.184.216.34'];
const NAMES = ['one.example.com', 'api.example.com', 'cdn.net'];

function run(seed: number, steps: number): void {
  const random = new Random(seed);
  let phase: Phase = 'handle';
  let now = 0;
  let holdTimeoutMs = random.pick([0, 500, 30_000]);
  // Requests by link and id ("2:7"): a verdict names an id only, and means the current link's.
  let link = 1;
  const key = (id: bigint): string => `${String(link)}:${String(id)}`;
  const sent = new Map<string, Array<{ verdict: DriverVerdict; phase: Phase; at: number }>>();
  const requests = new Map<string, { request: ConnectionRequest; at: number }>();
  /** Requests the driver answered itself when its link was lost. */
  const byDriver = new Set<string>();
  let exitedPid = -1;
  const engine = new Engine({
    verdicts: {
      send: (requestId, verdict) => {
        const list = sent.get(key(requestId)) ?? [];
        list.push({ verdict, phase, at: now });
        sent.set(key(requestId), list);
        const origin = requests.get(key(requestId));
        expect(origin, `verdict for an unknown request ${requestId} on link ${link} (seed ${seed})`).toBeDefined();
        expect(phase, `a verdict as the link was lost (seed ${seed})`).not.toBe('lost');
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
      // A driver repeats only ids of its own link that it has not had an answer for.
      const held = [...requests.entries()]
        .filter(([k]) => k.startsWith(`${String(link)}:`) && !sent.has(k) && !byDriver.has(k))
        .map(([, { request }]) => request.requestId);
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
      if (!duplicate) requests.set(key(id), { request, at: now });
      engine.handle(duplicate ? (requests.get(key(id))?.request ?? request) : request, now);
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
    } else if (roll < 0.985) {
      phase = 'lost';
      const waiting = [...requests.keys()].filter((k) => !sent.has(k) && !byDriver.has(k));
      expect(engine.driverLost(0), `forgotten at a driver loss (seed ${seed})`).toBe(waiting.length);
      for (const k of waiting) byDriver.add(k);
      expect(engine.listPrompts().flatMap((g) => g.prompts.filter((p) => p.held > 0))).toEqual([]);
      // The next link: its ids start at 1 again.
      link += 1;
      nextId = 1n;
    } else {
      phase = 'tick';
      holdTimeoutMs = random.pick([0, 500, 30_000]);
      engine.configurePrompts({ holdTimeoutMs });
    }
  }
  phase = 'shutdown';
  engine.shutdown(now);
  for (const k of requests.keys()) {
    const answers = (sent.get(k)?.length ?? 0) + (byDriver.has(k) ? 1 : 0);
    expect(answers, `request ${k} (seed ${seed})`).toBe(1);
  }
  expect(sent.size + byDriver.size).toBe(requests.size);
}

describe('prompt queue properties (random event sequences through the engine)', () => {
  it('answers every request exactly once, and defaults only for a reason', () => {
    for (let seed = 1; seed <= 300; seed++) run(seed, 300);
  });

  it('holds up under long sequences', () => {
    for (let seed = 1000; seed < 1005; seed++) run(seed, 5000);
  });
});
