import { HandlerError, type Handlers } from '../../app/contract/dispatch.ts';
import type { Direction } from '../../app/contract/driver-events.ts';
import type { RequestChannel } from '../../app/contract/ipc.ts';
import { type LearningStatus, MAX_PROPOSALS, type Proposal, type ProposalGroup } from '../../app/contract/learning.ts';
import type { Rule, RuleInput } from '../../app/contract/rules.ts';
import type { PromptGroup, PromptView } from '../../app/contract/views.ts';

/**
 * The stand-in engine's learning (support/fake-engine.ts serves it), in memory with the meaning
 * of app/contract/learning.ts and app/engine/README.md, "Learning":
 * - while learning (every app until `until`, or an app until it quits), a connection that would
 *   prompt is allowed and recorded as a proposal, one per app + host or address + port +
 *   protocol + direction, each a proposed allow-forever rule for exactly that;
 * - apps marked "always ask", connections of an unknown app (no path) and new destinations past
 *   MAX_PROPOSALS are not learned (the last are counted as `overflow`): they prompt;
 * - starting learns the prompts held at that moment: they leave the inbox;
 * - nothing becomes a rule until the review, which keeps (as proposed or narrowed) or discards
 *   each proposal, all or nothing; an unknown proposal changes nothing.
 */
export interface LearningScene {
  /** When learning for every app ends (ms since the epoch); null: off. */
  until: number | null;
  /** Apps learning until they quit. */
  readonly apps: string[];
  readonly alwaysAsk: string[];
  /** Oldest first, as the engine lists them. */
  readonly proposals: FakeProposal[];
  overflow: number;
  nextId: number;
}

/** A proposal and whose it is (the engine's StoredProposal, without case folding: the scene is Linux). */
interface FakeProposal extends Proposal {
  readonly appPath: string;
  readonly key: string;
}

/** A connection that would prompt, as a spec makes the stand-in see one. */
export interface LearnedConnection {
  readonly appPath: string;
  readonly host: string | null;
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly protocol: number;
  readonly direction: Direction;
}

export function learningScene(): LearningScene {
  return { until: null, apps: [], alwaysAsk: [], proposals: [], overflow: 0, nextId: 1 };
}

function windowOpen(scene: LearningScene, now: number): boolean {
  return scene.until !== null && now < scene.until;
}

export function learningStatus(scene: LearningScene, now: number): LearningStatus {
  return {
    until: windowOpen(scene, now) ? scene.until : null,
    apps: [...scene.apps],
    alwaysAsk: [...scene.alwaysAsk],
    proposals: scene.proposals.length,
    overflow: scene.overflow,
  };
}

/** Whether a connection of `appPath` that would prompt is learned instead. */
function covers(scene: LearningScene, appPath: string, now: number): boolean {
  if (appPath === '' || scene.alwaysAsk.includes(appPath)) return false;
  return windowOpen(scene, now) || scene.apps.includes(appPath);
}

/** The rule a proposal proposes: what an "exact" prompt answer would make (allow, forever). */
function proposedRule(c: LearnedConnection): RuleInput {
  return {
    app: { kind: 'path', path: c.appPath },
    destination: c.host === null ? { kind: 'ip', address: c.remoteIp } : { kind: 'host', name: c.host },
    port: { kind: 'port', port: c.remotePort },
    protocol: c.protocol,
    direction: c.direction,
    action: 'allow',
    duration: { kind: 'forever' },
    enabled: true,
    notes: 'learned',
    profile: null,
  };
}

/** Records a connection the engine would prompt for; false when it prompts instead (not learned). */
export function learnConnection(scene: LearningScene, c: LearnedConnection, now: number): boolean {
  if (!covers(scene, c.appPath, now)) return false;
  const key = [c.appPath, c.host ?? c.remoteIp, c.remotePort, c.protocol, c.direction].join('\u0000');
  const index = scene.proposals.findIndex((p) => p.key === key);
  const known = scene.proposals[index];
  if (known !== undefined) {
    scene.proposals[index] = { ...known, connections: known.connections + 1, lastAt: now };
    return true;
  }
  if (scene.proposals.length >= MAX_PROPOSALS) {
    scene.overflow += 1;
    return false;
  }
  const id = `l${String(scene.nextId++)}`;
  scene.proposals.push({
    id,
    key,
    appPath: c.appPath,
    rule: proposedRule(c),
    connections: 1,
    firstAt: now,
    lastAt: now,
  });
  return true;
}

/** The proposals per app (apps in the order first seen), as `learning:proposals` answers. */
function groups(scene: LearningScene): ProposalGroup[] {
  const byApp = new Map<string, Proposal[]>();
  for (const { appPath, id, rule, connections, firstAt, lastAt } of scene.proposals) {
    const list = byApp.get(appPath) ?? [];
    list.push({ id, rule, connections, firstAt, lastAt });
    byApp.set(appPath, list);
  }
  return [...byApp].map(([appPath, proposals]) => ({
    appPath,
    app: appPath.split('/').pop() ?? appPath,
    proposals,
  }));
}

/** What makes two rules identical for the engine (rule-identity.ts): match, action, duration and profile. */
function identity(rule: RuleInput): string {
  const { app, destination, port, protocol, direction, action, duration } = rule;
  return JSON.stringify([app, destination, port, protocol, direction, action, duration, rule.profile ?? null]);
}

/** What learning needs of the rest of the stand-in. */
export interface LearningHost {
  readonly scene: LearningScene;
  /** The engine's rules: kept proposals are added to them. */
  readonly rules: Rule[];
  /** Makes a rule of an input, as `rules:create` does (ids, times). */
  readonly makeRule: (input: RuleInput) => Rule;
  /** The held prompts, and a way to replace them (starting learns them: they leave the inbox). */
  readonly prompts: () => PromptGroup[];
  readonly setPrompts: (groups: PromptGroup[]) => void;
  /** After each change of learning, for the engine's `status:changed` push. */
  readonly changed: () => void;
  readonly now: () => number;
}

/** A held prompt as the connection learning would record. */
function promptConnection(prompt: PromptView): LearnedConnection {
  const { appPath, host, remoteIp, remotePort, protocol, direction } = prompt;
  return { appPath, host, remoteIp, remotePort, protocol, direction };
}

/**
 * Starting learns the connections held at that moment that learning covers (one per connection
 * a prompt holds), and their prompts leave the inbox, as the engine's startLearning does.
 */
function learnHeld(host: LearningHost, now: number): void {
  const before = host.prompts();
  const covered = (prompt: PromptView): boolean => covers(host.scene, prompt.appPath, now);
  for (const prompt of before.flatMap((group) => group.prompts).filter(covered)) {
    for (let i = 0; i < prompt.held; i += 1) learnConnection(host.scene, promptConnection(prompt), now);
  }
  const left = before
    .map((group) => {
      const prompts = group.prompts.filter((prompt) => !covered(prompt));
      return { ...group, prompts, count: prompts.reduce((n, p) => n + p.count, 0) };
    })
    .filter((group) => group.prompts.length > 0);
  if (left.reduce((n, g) => n + g.prompts.length, 0) !== before.reduce((n, g) => n + g.prompts.length, 0)) {
    host.setPrompts(left);
  }
}

type LearningChannel = Extract<RequestChannel, `learning:${string}`>;

/** The learning channels over `host.scene`. */
export function learningHandlers(host: LearningHost): Pick<Handlers, LearningChannel> {
  const { scene } = host;
  const settled = (): LearningStatus => {
    host.changed();
    return learningStatus(scene, host.now());
  };
  return {
    'learning:status': () => learningStatus(scene, host.now()),
    'learning:start': (request) => {
      const now = host.now();
      if (request.kind === 'minutes') scene.until = now + request.minutes * 60_000;
      else if (!scene.apps.includes(request.appPath)) scene.apps.push(request.appPath);
      learnHeld(host, now);
      return settled();
    },
    'learning:stop': () => {
      scene.until = null;
      scene.apps.length = 0;
      return settled();
    },
    'learning:always-ask': ({ appPath, alwaysAsk }) => {
      const index = scene.alwaysAsk.indexOf(appPath);
      if (alwaysAsk && index === -1) scene.alwaysAsk.push(appPath);
      if (!alwaysAsk && index !== -1) scene.alwaysAsk.splice(index, 1);
      return settled();
    },
    'learning:proposals': () => groups(scene),
    'learning:review': ({ decisions }) => {
      // All or nothing: every proposal must be known before anything changes.
      const inputs: RuleInput[] = [];
      for (const decision of decisions) {
        const proposal = scene.proposals.find((p) => p.id === decision.proposalId);
        if (proposal === undefined) throw new HandlerError('not-found', `no proposal ${decision.proposalId}`);
        if (decision.action === 'keep') inputs.push(decision.rule ?? proposal.rule);
      }
      // Like a picked import: a rule identical to one in force (or to an earlier one) is not made again.
      const known = new Set(host.rules.map(identity));
      const ruleIds: string[] = [];
      for (const input of inputs) {
        if (known.has(identity(input))) continue;
        known.add(identity(input));
        const rule = host.makeRule(input);
        host.rules.push(rule);
        ruleIds.push(rule.id);
      }
      const reviewed = new Set(decisions.map((d) => d.proposalId));
      const left = scene.proposals.filter((p) => !reviewed.has(p.id));
      scene.proposals.splice(0, scene.proposals.length, ...left);
      host.changed();
      return { kept: inputs.length, discarded: decisions.length - inputs.length, ruleIds };
    },
  };
}
