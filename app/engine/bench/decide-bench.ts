// Decisions per second for rule-matched ConnectionRequests against 1 000 rules of mixed kinds,
// through decide() alone and through the whole Engine.handle() (connection table, verdict port).
// Prints numbers and asserts nothing (goal: >= 100 000 decisions/s on one core).
// Run: node_modules/.bin/node app/engine/bench/decide-bench.ts
import type { ConnectionRequest, DriverVerdict } from '../../contract/driver-events.ts';
import type { Rule } from '../../contract/rules.ts';
import { decide } from '../decide.ts';
import { Engine } from '../engine.ts';
import { parseIp } from '../ip-address.ts';
import { Random } from '../random.ts';
import { RuleSet } from '../rule-set.ts';
import type { ConnectionFacts } from '../rule-matcher.ts';
import { MemoryRepository, makeRequest, makeRule } from '../testing.ts';

const RULES = 1000;
const REQUESTS = 20_000;
const SECONDS = 2;
const random = new Random(7);
const apps = Array.from({ length: 100 }, (_, i) => `/usr/lib/app-${i}/bin/app-${i}`);
const hosts = Array.from({ length: 400 }, (_, i) => `h${i}.svc${i % 40}.example${i % 7}.com`);
const ipOf = (i: number) => `203.0.${(i >> 8) & 255}.${i & 255}`;

function ruleAt(i: number): Rule {
  const kind = i % 10;
  const app = random.next() < 0.8 ? { kind: 'path' as const, path: random.pick(apps) } : { kind: 'any' as const };
  const destination: Rule['destination'] =
    kind < 3
      ? { kind: 'host', name: random.pick(hosts) }
      : kind < 5
        ? { kind: 'ip', address: ipOf(random.int(600)) }
        : kind < 7
          ? { kind: 'domain', pattern: `*.svc${random.int(40)}.example${random.int(7)}.com` }
          : kind < 9
            ? { kind: 'cidr', cidr: `198.${random.int(256)}.${random.int(256)}.0/${random.pick([16, 20, 24])}` }
            : random.pick([{ kind: 'lan' }, { kind: 'localhost' }, { kind: 'any' }] as const);
  return makeRule({
    id: `r${i}`,
    app,
    destination,
    port: random.pick([{ kind: 'any' }, { kind: 'port', port: 443 }, { kind: 'range', from: 1, to: 1024 }] as const),
    protocol: random.pick(['any', 6] as const),
    action: random.pick(['allow', 'block', 'drop'] as const),
  });
}

const rules = Array.from({ length: RULES }, (_, i) => ruleAt(i));
// A catch-all so every request is rule-matched (the bench measures matching, not prompting).
rules.push(makeRule({ id: 'catch-all', destination: { kind: 'any' }, direction: 'any' }));

// Requests: a third to named hosts, a third to indexed ips, a third to cidr ranges.
const names: Array<[string, string]> = hosts.map((h, i) => [h, ipOf(1000 + i)]);
const requests: ConnectionRequest[] = Array.from({ length: REQUESTS }, (_, i) => {
  const third = i % 3;
  const remoteIp =
    third === 0
      ? random.pick(names)[1]
      : third === 1
        ? ipOf(random.int(600))
        : `198.${random.int(256)}.${random.int(256)}.9`;
  return makeRequest({
    id: BigInt(i + 1),
    path: random.pick(apps),
    pid: 1000 + random.int(100),
    remoteIp,
    localPort: 1024 + (i % 60000),
  });
});

function measure(label: string, body: (i: number) => void): void {
  for (let i = 0; i < REQUESTS; i++) body(i); // warm-up
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    for (let i = 0; i < 1000; i++) body(done++ % REQUESTS);
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(44)} ${Math.round(done / seconds)
      .toLocaleString('en-US')
      .padStart(12)} /s`,
  );
}

// decide() alone, with facts prepared as the engine prepares them.
const ruleSet = new RuleSet({ caseInsensitivePaths: false });
for (const rule of rules) ruleSet.put(rule);
const nameOf = new Map(names.map(([h, ip]) => [ip, [h]]));
const facts: ConnectionFacts[] = requests.map((r) => ({
  appKey: r.process?.path ?? '',
  direction: r.direction,
  protocol: r.flow.protocol,
  remoteIp: r.flow.remoteIp,
  remoteBytes: parseIp(r.flow.remoteIp),
  remotePort: r.flow.remotePort,
  hostNames: nameOf.get(r.flow.remoteIp) ?? [],
}));
let catchAll = 0;
measure(`decide() against ${rules.length} rules`, (i) => {
  const decision = decide(facts[i] as ConnectionFacts, ruleSet, 'ask', 0);
  if (decision.kind === 'rule' && decision.rule.id === 'catch-all') catchAll++;
});
ruleSet.takeHits();

// The whole engine: app lookup, names, table row, decision, verdict port.
const counts = new Map<DriverVerdict, number>();
const engine = new Engine({
  verdicts: { send: (_id, verdict) => counts.set(verdict, (counts.get(verdict) ?? 0) + 1) },
  repository: new MemoryRepository(),
});
engine.attachRules(rules);
for (const [name, address] of names) engine.handle({ kind: 'dns', name, address, ttlSeconds: 3600 }, 0);
measure('Engine.handle(ConnectionRequest)', (i) => engine.handle(requests[i] as ConnectionRequest, 1));

const total = [...counts.values()].reduce((a, b) => a + b, 0);
console.log(`verdicts: ${[...counts].map(([v, n]) => `${v} ${((100 * n) / total).toFixed(1)}%`).join(', ')}`);
console.log(`decided by the catch-all rule (no other match): ${catchAll}`);
