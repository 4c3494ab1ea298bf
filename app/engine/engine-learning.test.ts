import { describe, expect, it } from 'vitest';
import { MAX_PROPOSALS } from '../contract/learning.ts';
import { Engine } from './engine.ts';
import type { LearningSettings } from './learning.ts';
import { makeRequest, MemoryRepository, RecordingVerdicts } from './testing.ts';

const CURL = '/usr/bin/curl';
const WGET = '/usr/bin/wget';
const MINUTE = 60_000;

function setup() {
  const verdicts = new RecordingVerdicts();
  const saved: LearningSettings[] = [];
  let n = 0;
  const engine = new Engine({
    verdicts,
    repository: new MemoryRepository(),
    newRuleId: () => `n${String(++n)}`,
    learning: { settings: { until: null, apps: [], alwaysAsk: [] }, proposals: [], save: (s) => saved.push(s) },
  });
  return { engine, verdicts, saved };
}

/** Connection `id` of `path` to 198.51.100.<host>:<port>. */
function conn(id: number, path: string, host: number, port = 443) {
  return makeRequest({ id: BigInt(id), path, remoteIp: `198.51.100.${String(host)}`, remotePort: port });
}

const prompts = (engine: Engine): number => engine.listPrompts().reduce((n, g) => n + g.prompts.length, 0);

describe('Engine: learning', () => {
  it('allows and records what would prompt, grouped per app and destination, without prompting', () => {
    const { engine, verdicts, saved } = setup();
    engine.startLearning({ kind: 'minutes', minutes: 10 }, 0);
    expect(saved.at(-1)?.until).toBe(10 * MINUTE);
    for (let i = 1; i <= 20; i++) engine.handle(conn(i, i % 2 === 0 ? CURL : WGET, i % 3), i);
    expect(verdicts.sent).toHaveLength(20);
    expect(new Set(verdicts.sent.map((s) => s.verdict))).toEqual(new Set(['accept']));
    expect(prompts(engine)).toBe(0);
    const groups = engine.listProposals();
    expect(groups.map((g) => g.app).sort()).toEqual(['curl', 'wget']);
    const curl = groups.find((g) => g.appPath === CURL);
    expect(curl?.proposals.map((p) => p.rule.destination)).toEqual([
      { kind: 'ip', address: '198.51.100.2' },
      { kind: 'ip', address: '198.51.100.1' },
      { kind: 'ip', address: '198.51.100.0' },
    ]);
    expect(curl?.proposals.reduce((n, p) => n + p.connections, 0)).toBe(10);
    expect(curl?.proposals[0]?.rule).toMatchObject({
      app: { kind: 'path', path: CURL },
      port: { kind: 'port', port: 443 },
      protocol: 6,
      direction: 'outbound',
      action: 'allow',
      duration: { kind: 'forever' },
    });
    // Nothing learned is a rule yet.
    expect(engine.listRules()).toEqual([]);
    expect(engine.learningStatus(20)).toMatchObject({ until: 10 * MINUTE, proposals: 6 });
  });

  it('still prompts for apps marked "always ask", for unknown apps, and after the window ends', () => {
    const { engine, verdicts } = setup();
    engine.startLearning({ kind: 'minutes', minutes: 1 }, 0);
    engine.setAlwaysAsk(CURL, true, 0);
    engine.handle(conn(1, CURL, 1), 1);
    engine.handle({ ...conn(2, '', 1), process: null, pid: 0 }, 2);
    engine.handle(conn(3, WGET, 1), 3);
    expect(verdicts.for(1n)).toEqual([]);
    expect(verdicts.for(2n)).toEqual([]);
    expect(verdicts.for(3n)).toEqual(['accept']);
    engine.tick(MINUTE);
    expect(engine.takeLearningChanged()).toBe(true);
    engine.handle(conn(4, WGET, 9), MINUTE + 1);
    expect(verdicts.for(4n)).toEqual([]);
    expect(prompts(engine)).toBe(3);
  });

  it('learns one app until it quits, and no other', () => {
    const { engine, verdicts } = setup();
    engine.startLearning({ kind: 'until-app-quits', appPath: CURL }, 0);
    engine.handle(conn(1, CURL, 1), 1);
    engine.handle(conn(2, WGET, 1), 2);
    expect(verdicts.for(1n)).toEqual(['accept']);
    expect(verdicts.for(2n)).toEqual([]);
    engine.appQuit(CURL);
    expect(engine.learningStatus(3).apps).toEqual([]);
    engine.handle(conn(3, CURL, 2), 3);
    expect(verdicts.for(3n)).toEqual([]);
  });

  it('learns the connections held when it starts, and their prompts leave the inbox', () => {
    const { engine, verdicts } = setup();
    engine.handle(conn(1, CURL, 1), 1);
    expect(prompts(engine)).toBe(1);
    engine.startLearning({ kind: 'minutes', minutes: 5 }, 2);
    expect(verdicts.for(1n)).toEqual(['accept']);
    expect(prompts(engine)).toBe(0);
    expect(engine.listProposals()).toHaveLength(1);
  });

  it('review: kept rules decide without prompts, a narrowed one as edited, discarded apps prompt again', () => {
    const { engine, verdicts } = setup();
    engine.startLearning({ kind: 'minutes', minutes: 10 }, 0);
    for (let i = 1; i <= 20; i++) engine.handle(conn(i, i <= 10 ? CURL : WGET, i % 2, 443), i);
    engine.stopLearning(30);
    const groups = engine.listProposals();
    const curl = groups.find((g) => g.appPath === CURL)?.proposals ?? [];
    const wget = groups.find((g) => g.appPath === WGET)?.proposals ?? [];
    expect(curl).toHaveLength(2);
    const [first, second] = curl;
    if (first === undefined || second === undefined) throw new Error('proposals missing');
    const result = engine.review(
      [
        { proposalId: first.id, action: 'keep' },
        // Narrowed: only this address's network, and only port 443 stays as it was.
        {
          proposalId: second.id,
          action: 'keep',
          rule: { ...second.rule, destination: { kind: 'cidr', cidr: '198.51.100.0/24' } },
        },
        ...wget.map((p) => ({ proposalId: p.id, action: 'discard' as const })),
      ],
      40,
    );
    expect(result).toMatchObject({ ok: true, kept: 2, discarded: 2 });
    expect(engine.listProposals()).toEqual([]);
    engine.handle(conn(100, CURL, 0), 50);
    engine.handle(conn(101, CURL, 77), 51); // covered by the narrowed (wider) rule
    engine.handle(conn(102, WGET, 0), 52);
    expect(verdicts.for(100n)).toEqual(['permanent-accept']);
    expect(verdicts.for(101n)).toEqual(['permanent-accept']);
    expect(verdicts.for(102n)).toEqual([]);
    expect(prompts(engine)).toBe(1);
  });

  it('refuses a review naming an unknown proposal, changing nothing', () => {
    const { engine } = setup();
    engine.startLearning({ kind: 'minutes', minutes: 10 }, 0);
    engine.handle(conn(1, CURL, 1), 1);
    const [proposal] = engine.listProposals()[0]?.proposals ?? [];
    if (proposal === undefined) throw new Error('no proposal');
    const result = engine.review(
      [
        { proposalId: proposal.id, action: 'keep' },
        { proposalId: 'nope', action: 'discard' },
      ],
      2,
    );
    expect(result).toEqual({ ok: false, error: 'no proposal nope' });
    expect(engine.listRules()).toEqual([]);
    expect(engine.listProposals()[0]?.proposals).toHaveLength(1);
  });

  it('prompts once the proposals are full, and counts what it did not learn', () => {
    const { engine, verdicts } = setup();
    engine.startLearning({ kind: 'minutes', minutes: 60 }, 0);
    for (let i = 0; i < MAX_PROPOSALS; i++) engine.handle(conn(i + 1, CURL, 1, 1 + i), 1);
    expect(verdicts.sent).toHaveLength(MAX_PROPOSALS);
    engine.handle(conn(MAX_PROPOSALS + 1, CURL, 2, 443), 2);
    expect(verdicts.for(BigInt(MAX_PROPOSALS + 1))).toEqual([]);
    expect(engine.learningStatus(3)).toMatchObject({ proposals: MAX_PROPOSALS, overflow: 1 });
    // A destination already proposed is still learned (it takes no room).
    engine.handle(conn(MAX_PROPOSALS + 2, CURL, 1, 1), 3);
    expect(verdicts.for(BigInt(MAX_PROPOSALS + 2))).toEqual(['accept']);
  });
});
