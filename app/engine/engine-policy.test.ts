import { describe, expect, it } from 'vitest';
import type { DriverVerdict } from '../contract/driver-events.ts';
import type { PolicyStateReport, RuleDecidedReport } from '../contract/driver-policy.ts';
import { Engine } from './engine.ts';
import { makeRequest, makeRule, makeRuleInput, MemoryRepository, RecordingVerdicts } from './testing.ts';

const CURL = '/usr/bin/curl';

function setup() {
  const verdicts = new RecordingVerdicts();
  let n = 0;
  const engine = new Engine({ verdicts, repository: new MemoryRepository(), newRuleId: () => `n${String(++n)}` });
  return { engine, verdicts };
}

/** What the driver client makes of a RuleDecided info: curl (pid 100) to 93.184.216.34:443. */
function decided(generation: bigint, ruleTag: number, verdict: DriverVerdict = 'permanent-block'): RuleDecidedReport {
  const { direction, flow, ipVersion, pid, process } = makeRequest({ id: 1n, path: CURL, localPort: 40001 });
  return { kind: 'rule-decided', direction, flow, ipVersion, pid, process, verdict, generation, ruleTag };
}

function state(generation: bigint): PolicyStateReport {
  return {
    kind: 'policy-state',
    generation,
    ruleCount: 1,
    noAppAction: 'block',
    origin: 'client',
    problem: null,
    problemGeneration: 0n,
  };
}

describe('Engine: connections the driver decided by its policy', () => {
  it('lists the connection as decided by its rule, counts the hit, and answers nothing', () => {
    const { engine, verdicts } = setup();
    engine.attachRules([makeRule({ id: 'r1', app: { kind: 'path', path: CURL }, action: 'block' })]);
    const { ruleIds } = engine.compilePolicy(5n, 'block', 0);
    expect(ruleIds).toEqual(['r1']);
    engine.handle(decided(5n, 1), 10);
    expect(verdicts.sent).toEqual([]);
    expect(engine.listConnections()).toEqual([
      expect.objectContaining({ verdict: 'permanent-block', ruleId: 'r1', byPolicy: true, app: CURL, endedAt: null }),
    ]);
    expect(engine.takeHits()).toEqual([{ ruleId: 'r1', hitCount: 1, lastHitAt: 10 }]);
  });

  it('closes the row at its ConnectionEnd and gives it its bytes', () => {
    const { engine } = setup();
    engine.attachRules([makeRule({ id: 'r1' })]);
    engine.compilePolicy(5n, 'block', 0);
    const report = decided(5n, 1, 'permanent-accept');
    engine.handle(report, 10);
    engine.handle({ kind: 'bandwidth', samples: [{ flow: report.flow, transmitted: 300n, received: 7000n }] }, 11);
    engine.handle({ kind: 'connection-ended', direction: report.direction, flow: report.flow, pid: report.pid }, 12);
    expect(engine.listConnections()).toEqual([
      expect.objectContaining({ ruleId: 'r1', bytesSent: 300, bytesReceived: 7000, endedAt: 12 }),
    ]);
    expect(engine.takeAppBuckets()).toEqual([expect.objectContaining({ app: CURL, transmitted: 300, received: 7000 })]);
  });

  it('shows a tag it does not know as decided by the driver’s policy, without a rule', () => {
    const { engine } = setup();
    engine.attachRules([makeRule({ id: 'r1' })]);
    engine.compilePolicy(5n, 'block', 0);
    engine.handle(decided(5n, 2), 10); // no tag 2 in generation 5
    engine.handle({ ...decided(4n, 1), flow: { ...decided(4n, 1).flow, localPort: 40002 } }, 11); // a generation never sent here
    expect(engine.listConnections().map((row) => [row.ruleId, row.byPolicy, row.verdict])).toEqual([
      [null, true, 'permanent-block'],
      [null, true, 'permanent-block'],
    ]);
    expect(engine.takeHits()).toEqual([]);
  });

  it('keeps the map of the previous generations, and of the one the driver enforces', () => {
    const { engine } = setup();
    engine.attachRules([makeRule({ id: 'a' })]);
    engine.compilePolicy(1n, 'block', 0);
    engine.handle(state(1n), 1);
    engine.attachRules([makeRule({ id: 'b' })]); // 'a' is tag 1, 'b' tag 2 from now on
    engine.compilePolicy(2n, 'block', 2);
    for (const generation of [3n, 4n, 5n]) engine.compilePolicy(generation, 'block', 3);
    // Four sent since; 1 is still what the driver enforces, 2 is too old to be kept.
    engine.handle(decided(1n, 1), 10);
    engine.handle({ ...decided(2n, 2), flow: { ...decided(2n, 2).flow, localPort: 40002 } }, 10);
    engine.handle({ ...decided(5n, 2), flow: { ...decided(5n, 2).flow, localPort: 40003 } }, 10);
    expect(engine.listConnections().map((row) => row.ruleId)).toEqual(['a', null, 'b']);
  });

  it('a new connection on the flow of a policy-decided row is asked about as the engine’s own', () => {
    const { engine, verdicts } = setup();
    engine.handle(decided(9n, 1), 10);
    engine.handle(makeRequest({ id: 7n, path: CURL, localPort: 40001 }), 11);
    expect(verdicts.for(7n)).toEqual([]); // held: no rule in the engine
    expect(engine.listConnections()).toEqual([expect.objectContaining({ verdict: 'pending', byPolicy: false })]);
  });
});

describe('Engine: the rules version', () => {
  it('grows with every change of the rules in force, not with hits', () => {
    const { engine } = setup();
    const versions = [engine.rulesVersion];
    const created = engine.addRule(makeRuleInput({ app: { kind: 'path', path: CURL } }), 0);
    versions.push(engine.rulesVersion);
    if (!created.ok) throw new Error(created.error);
    engine.handle(makeRequest({ id: 1n, path: CURL }), 1); // a hit
    versions.push(engine.rulesVersion);
    engine.updateRule(created.rule.id, makeRuleInput({ action: 'block' }), 2);
    versions.push(engine.rulesVersion);
    engine.removeRule(created.rule.id);
    versions.push(engine.rulesVersion);
    // Counted from the start (putting the first profile in force at construction is a change too).
    expect(versions.map((v) => v - (versions[0] ?? 0))).toEqual([0, 1, 1, 2, 3]);
  });

  it('grows when a rule expires', () => {
    const { engine } = setup();
    engine.addRule(makeRuleInput({ duration: { kind: 'minutes', minutes: 1 } }), 0);
    const before = engine.rulesVersion;
    engine.tick(59_999);
    expect(engine.rulesVersion).toBe(before);
    engine.tick(60_000);
    expect(engine.rulesVersion).toBe(before + 1);
  });
});
