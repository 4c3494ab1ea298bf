// Decisions per second for rule-matched ConnectionRequests, through decide() alone and through
// the whole Engine.handle() (connection table, verdict port), in two cases: 1 000 rules of mixed
// kinds, and 100 000 any-app address rules (cidr of varied lengths, IPv4 and IPv6).
// Prints numbers and asserts nothing (goal: >= 100 000 decisions/s on one core).
// Run: node_modules/.bin/node app/engine/bench/decide-bench.ts
import type { ConnectionRequest, DriverVerdict } from '../../contract/driver-events.ts';
import { parseIp } from '../../contract/ip-address.ts';
import type { Rule } from '../../contract/rules.ts';
import { decide } from '../decide.ts';
import { Engine } from '../engine.ts';
import { Random } from '../random.ts';
import type { ConnectionFacts } from '../rule-matcher.ts';
import { RuleSet } from '../rule-set.ts';
import { makeRequest, makeRule, MemoryRepository } from '../testing.ts';

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
  // Warm-up: every request once, or half a second, whichever comes first.
  const warmUntil = performance.now() + 500;
  for (let i = 0; i < REQUESTS && performance.now() < warmUntil; i++) body(i);
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    for (let i = 0; i < 100; i++) body(done++ % REQUESTS);
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

// Case 2: 100 000 any-app address rules, as a large imported blocklist makes.
const ADDRESS_RULES = 100_000;
const hex = (n: number) => random.int(n).toString(16);
const v4 = () => `${1 + random.int(222)}.${random.int(256)}.${random.int(256)}.${random.int(256)}`;
const v6 = () => `2001:${hex(0x10000)}:${hex(0x10000)}:${hex(0x10000)}:${hex(0x10000)}::${hex(0x10000)}`;
const addressRules: Rule[] = Array.from({ length: ADDRESS_RULES }, (_, i) => {
  const ipv6 = i % 3 === 0;
  const address = ipv6 ? v6() : v4();
  const prefix = ipv6 ? 32 + random.int(97) : 16 + random.int(17);
  return makeRule({
    id: `a${i}`,
    destination: i % 50 === 0 ? { kind: 'ip', address } : { kind: 'cidr', cidr: `${address}/${prefix}` },
    port: random.pick([{ kind: 'any' }, { kind: 'port', port: 443 }, { kind: 'range', from: 1, to: 1024 }] as const),
    action: random.pick(['block', 'drop'] as const),
  });
});
addressRules.push(makeRule({ id: 'catch-all', destination: { kind: 'any' }, direction: 'any' }));
// Half the requests go inside a rule's network (the first bytes of its address), half anywhere.
const addressRequests: ConnectionRequest[] = Array.from({ length: REQUESTS }, (_, i) => {
  const rule = random.pick(addressRules).destination;
  const text = rule.kind === 'cidr' ? rule.cidr.split('/')[0] : rule.kind === 'ip' ? rule.address : undefined;
  const ipv6 = i % 3 === 0;
  let remoteIp = ipv6 ? v6() : v4();
  if (i % 2 === 0 && text !== undefined) {
    remoteIp = text.includes(':')
      ? text.replace(/::[0-9a-f]*$/, `::${hex(0x10000)}`)
      : text.replace(/\.\d+$/, `.${random.int(256)}`);
  }
  return makeRequest({
    id: BigInt(i + 1),
    path: random.pick(apps),
    pid: 1000 + random.int(100),
    remoteIp,
    localPort: 1024 + (i % 60000),
  });
});
const addressSet = new RuleSet({ caseInsensitivePaths: false });
for (const rule of addressRules) addressSet.put(rule);
const addressFacts: ConnectionFacts[] = addressRequests.map((r) => ({
  appKey: r.process?.path ?? '',
  direction: r.direction,
  protocol: r.flow.protocol,
  remoteIp: r.flow.remoteIp,
  remoteBytes: parseIp(r.flow.remoteIp),
  remotePort: r.flow.remotePort,
  hostNames: [],
}));
let addressCatchAll = 0;
console.log('');
measure(`decide() against ${addressRules.length} address rules`, (i) => {
  const decision = decide(addressFacts[i] as ConnectionFacts, addressSet, 'ask', 0);
  if (decision.kind === 'rule' && decision.rule.id === 'catch-all') addressCatchAll++;
});
const addressEngine = new Engine({ verdicts: { send: () => undefined }, repository: new MemoryRepository() });
addressEngine.attachRules(addressRules);
measure('Engine.handle(ConnectionRequest), address rules', (i) =>
  addressEngine.handle(addressRequests[i] as ConnectionRequest, 1),
);
console.log(`decided by the catch-all rule (no other match): ${addressCatchAll}`);
