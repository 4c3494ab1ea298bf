import type { BrowserContext, Page } from '@playwright/test';
import { dispatch, HandlerError, type Handlers } from '../../app/contract/dispatch.ts';
import type { DnsLogFilter, DnsLogRow } from '../../app/contract/dns-log.ts';
import { DNS_LOG_COUNT_CAP, dnsOutcomeOf } from '../../app/contract/dns-log.ts';
import type { PushChannel, PushMap, RequestChannel } from '../../app/contract/ipc.ts';
import type { Result } from '../../app/contract/result.ts';
import type { Rule, RuleInput } from '../../app/contract/rules.ts';
import type {
  AppSummary,
  ConnectionRow,
  LogView,
  PromptGroup,
  PromptView,
  Settings,
  StatusView,
} from '../../app/contract/views.ts';
import {
  learnConnection,
  type LearnedConnection,
  learningHandlers,
  type LearningScene,
  learningScene,
  learningStatus,
} from './fake-learning.ts';
import {
  type JoinedNetwork,
  joinNetwork,
  profileHandlers,
  type ProfileScene,
  profileScene,
  profileStatus,
  setActiveMode,
} from './fake-profiles.ts';

/**
 * A stand-in for the Electron preload: `window.zenithfence` with `invoke` answered by handlers
 * in the test process and `onPush` fed by `push()`. It exercises the renderer's preload path
 * (the real engine is covered by ui.spec.ts over the headless WebSocket) and gives screenshots a
 * busy, repeatable scene.
 *
 * Its handlers are the contract's `Handlers`, one per request channel, and requests go through
 * the contract's own `dispatch` (schema check, Result envelope): a channel the contract adds,
 * drops or changes and this stand-in does not follow fails `tsc -b`, and a payload the real
 * engine would refuse is refused here too. Like the engine, a handler that changes the prompts
 * pushes the new list (`prompts:changed`) before its reply, once per request, and one that changes
 * the active profile or learning pushes the status (`status:changed`). Profiles and networks live
 * in support/fake-profiles.ts; `joinNetwork` makes the machine join one, as the driver's facts
 * would. Learning lives in support/fake-learning.ts; `learn` makes the engine see connections
 * that would prompt, as the driver would bring them.
 */
export class FakeEngine {
  readonly calls: Array<{ channel: string; payload: unknown }> = [];
  readonly handlers: Handlers;
  /** Pushes the current request made; sent to the page before its reply. */
  readonly #outbox: Array<{ channel: PushChannel; payload: unknown }> = [];
  /** Channels that refuse every request (see {@link FakeEngine.refuse}). */
  readonly #refusals = new Map<string, { readonly message: string; readonly afterMs: number }>();

  readonly #scene: Scene;

  constructor(scene: Scene) {
    this.#scene = scene;
    const promptsChanged = (): void => this.#queue('prompts:changed', scene.prompts);
    const statusChanged = (): void => this.#queue('status:changed', this.status());
    let nextRule = scene.rules.length + 1;
    const makeRule = (input: RuleInput): Rule => {
      const now = Date.now();
      return {
        ...input,
        id: `r${String(nextRule++)}`,
        createdAt: now,
        updatedAt: now,
        expiresAt: null,
        hitCount: 0,
        lastHitAt: null,
      };
    };
    this.handlers = {
      'status:get': () => this.status(),
      'mode:set': (request) => {
        // The stand-in does not pause; a mode chosen is the active profile's, as in the engine.
        if (request.mode !== 'pause') setActiveMode(scene.profiles, request.mode);
        return this.status();
      },
      'prompts:list': () => scene.prompts,
      'prompts:answer': ({ promptId }) => {
        const before = scene.prompts;
        scene.prompts = before
          .map((g) => ({ ...g, prompts: g.prompts.filter((p) => p.id !== promptId) }))
          .filter((g) => g.prompts.length > 0);
        if (count(scene.prompts) === count(before)) throw new HandlerError('not-found', 'unknown-prompt');
        promptsChanged();
        return { released: 1, rule: null };
      },
      'prompts:hold': () => ({ holding: true }),
      'prompts:answer-app': ({ appPath }) => {
        const answered = scene.prompts.filter((g) => g.appPath === appPath);
        scene.prompts = scene.prompts.filter((g) => g.appPath !== appPath);
        if (answered.length > 0) promptsChanged();
        return { released: count(answered) };
      },
      'connections:list': ({ limit }) => scene.connections.slice(-limit),
      'apps:list': () => scene.apps,
      'apps:series': () => scene.series(),
      'rules:list': () => scene.rules,
      'rules:create': (input) => {
        // As the engine: a rule belongs to a profile it knows, or to none.
        if (input.profile != null && !scene.profiles.profiles.some((p) => p.id === input.profile)) {
          throw new HandlerError('not-found', `no profile ${input.profile}`);
        }
        const rule = makeRule(input);
        scene.rules.push(rule);
        return rule;
      },
      'rules:update': ({ id, patch }) => {
        const index = scene.rules.findIndex((r) => r.id === id);
        const current = scene.rules[index];
        if (current === undefined) throw new HandlerError('not-found', `no rule ${id}`);
        const rule: Rule = { ...over(current, patch), updatedAt: Date.now() };
        scene.rules[index] = rule;
        return rule;
      },
      'rules:delete': ({ id }) => {
        const index = scene.rules.findIndex((r) => r.id === id);
        if (index !== -1) scene.rules.splice(index, 1);
        return { deleted: index !== -1 };
      },
      // The scene has no rule file parser; the import path is covered against the real engine.
      'rules:import': () => {
        throw new HandlerError('bad-request', 'the stand-in engine imports no rule files');
      },
      'rules:import-preview': () => {
        throw new HandlerError('bad-request', 'the stand-in engine reads no other firewall');
      },
      'rules:import-picked': () => {
        throw new HandlerError('bad-request', 'the stand-in engine imports no rules');
      },
      'rules:delete-many': () => {
        throw new HandlerError('bad-request', 'the stand-in engine deletes rules one at a time');
      },
      'rules:export': () => ({ text: '{}' }),
      'settings:get': () => scene.settings,
      'settings:set': (patch) => {
        scene.settings = over(scene.settings, patch);
        // As the engine does: switching the DNS history off deletes what was kept.
        if (!scene.settings.keepDnsHistory) scene.dnsLog.length = 0;
        return scene.settings;
      },
      'logs:list': () => scene.logs,
      // The stand-in keeps no history; the History view runs on the real engine in ui.spec.ts.
      'history:page': () => [],
      'history:count': () => ({ count: 0, capped: false }),
      // The DNS log is a small scene filtered as the contract says, so the view's filters count.
      'dns:page': ({ filter, offset, limit }) => dnsSelect(scene.dnsLog, filter).slice(offset, offset + limit),
      'dns:count': (filter) => {
        const count = dnsSelect(scene.dnsLog, filter).length;
        return { count: Math.min(count, DNS_LOG_COUNT_CAP), capped: count > DNS_LOG_COUNT_CAP };
      },
      // The stand-in keeps no blocklists; they run on the real engine in the runtime's tests.
      'blocklists:list': () => [],
      'blocklists:add': () => {
        throw new HandlerError('bad-request', 'the stand-in engine keeps no blocklists');
      },
      'blocklists:set-enabled': () => {
        throw new HandlerError('not-found', 'the stand-in engine keeps no blocklists');
      },
      'blocklists:remove': () => ({ removed: false }),
      'blocklists:reload': () => {
        throw new HandlerError('not-found', 'the stand-in engine keeps no blocklists');
      },
      'blocklists:set-interval': () => {
        throw new HandlerError('not-found', 'the stand-in engine keeps no blocklists');
      },
      'history:export': () => {
        throw new HandlerError('bad-request', 'the stand-in engine keeps no history to export');
      },
      ...profileHandlers(scene.profiles, scene.rules, statusChanged),
      ...learningHandlers({
        scene: scene.learning,
        rules: scene.rules,
        makeRule,
        prompts: () => scene.prompts,
        setPrompts: (groups) => {
          scene.prompts = groups;
          promptsChanged();
        },
        changed: statusChanged,
        now: () => Date.now(),
      }),
    } satisfies Handlers;
  }

  /**
   * The status as the engine reports it: the scene's, with the active profile, whose mode is the
   * engine's mode (a pause aside: it is a moment, not a profile's setting).
   */
  status(): StatusView {
    const profile = profileStatus(this.#scene.profiles);
    const { mode } = this.#scene.status;
    return {
      ...this.#scene.status,
      mode: mode.mode === 'pause' ? mode : { mode: profile.active.mode, resumesAt: null, resumesTo: null },
      profile,
      learning: learningStatus(this.#scene.learning, Date.now()),
    };
  }

  /**
   * The engine sees `connections` that would prompt (as the driver would bring them): those
   * learning covers are recorded as proposals, and the page hears of it (`status:changed`, as
   * the engine pushes once per flush). Returns how many were learned; the others would prompt.
   */
  async learn(page: Page, connections: readonly LearnedConnection[]): Promise<number> {
    const now = Date.now();
    const learned = connections.filter((c) => learnConnection(this.#scene.learning, c, now)).length;
    await pushTo(page, 'status:changed', this.status());
    return learned;
  }

  /** The machine joins a network (as the driver's network facts would say): the page hears of it. */
  async joinNetwork(page: Page, network: JoinedNetwork): Promise<void> {
    joinNetwork(this.#scene.profiles, network, Date.now());
    await pushTo(page, 'status:changed', this.status());
  }

  #queue<C extends PushChannel>(channel: C, payload: PushMap[C]): void {
    this.#outbox.push({ channel, payload });
  }

  /**
   * Makes `channel` refuse every request from now on, after `afterMs` (an engine that is slow to
   * say its disk is full), with `message` as its reason.
   */
  refuse(channel: RequestChannel, message: string, afterMs = 0): void {
    this.#refusals.set(channel, { message, afterMs });
  }

  /** Installs the fake preload into every page of `context` (before any page script runs). */
  async install(context: BrowserContext): Promise<void> {
    await context.exposeBinding(
      '__zfInvoke',
      async ({ page }, channel: string, payload: unknown): Promise<Result<unknown>> => {
        this.calls.push({ channel, payload });
        const refusal = this.#refusals.get(channel);
        if (refusal !== undefined) {
          await new Promise((resolve) => setTimeout(resolve, refusal.afterMs));
          // Through dispatch, so the refusal has the envelope the engine's would have.
          const refusing = (): never => {
            throw new Error(refusal.message);
          };
          return dispatch({ ...this.handlers, [channel]: refusing } as Handlers, channel, payload);
        }
        const result = await dispatch(this.handlers, channel, payload);
        for (const pushed of this.#outbox.splice(0)) await pushTo(page, pushed.channel, pushed.payload);
        return result;
      },
    );
    await context.addInitScript(() => {
      type Listener = (channel: string, payload: unknown) => void;
      const listeners = new Set<Listener>();
      const w = window as unknown as Record<string, unknown>;
      const invoke = w['__zfInvoke'] as (channel: string, payload: unknown) => Promise<unknown>;
      w['__zfPush'] = (channel: string, payload: unknown) => {
        for (const listener of listeners) listener(channel, payload);
      };
      w['zenithfence'] = Object.freeze({
        invoke: (channel: string, payload: unknown) => invoke(channel, payload),
        onPush: (listener: Listener) => {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      });
    });
  }

  /** Sends a push to the page, as the main process would. */
  async push<C extends PushChannel>(page: Page, channel: C, payload: PushMap[C]): Promise<void> {
    await pushTo(page, channel, payload);
  }

  callsOf(channel: RequestChannel): unknown[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.payload);
  }
}

async function pushTo(page: Page, channel: PushChannel, payload: unknown): Promise<void> {
  await page.evaluate(([c, p]) => (window as unknown as { __zfPush: (c: string, p: unknown) => void }).__zfPush(c, p), [
    channel,
    payload,
  ] as const);
}

/** `current` with the fields `patch` gives a value (an absent or undefined field keeps its own). */
function over<T extends object>(current: T, patch: { readonly [K in keyof T]?: T[K] | undefined }): T {
  const merged = { ...current };
  for (const key of Object.keys(patch) as Array<keyof T>) {
    const value = patch[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * The answers `filter` selects, newest first: in [since, until), exactly its app, any of its
 * outcomes, and its text as a case-insensitive part of the name, an address or the app's path.
 */
function dnsSelect(rows: readonly DnsLogRow[], filter: DnsLogFilter): DnsLogRow[] {
  const text = filter.text?.toLowerCase();
  return rows
    .filter(
      (row) =>
        row.at >= filter.since &&
        row.at < filter.until &&
        (filter.appPath === undefined || row.appPath === filter.appPath) &&
        (filter.outcomes === undefined || filter.outcomes.includes(row.outcome)) &&
        (text === undefined ||
          row.name.toLowerCase().includes(text) ||
          row.appPath.toLowerCase().includes(text) ||
          row.addresses.some((address) => address.toLowerCase().includes(text))),
    )
    .sort((a, b) => b.at - a.at || b.id - a.id);
}

/** How many prompts the groups hold. */
function count(groups: readonly PromptGroup[]): number {
  return groups.reduce((n, g) => n + g.prompts.length, 0);
}

const APPS = [
  '/usr/lib/firefox/firefox',
  '/usr/bin/curl',
  '/usr/bin/ssh',
  '/opt/spotify/spotify',
  '/usr/lib/systemd/systemd-resolved',
  '/usr/bin/git',
  '/usr/bin/python3.12',
  '/usr/lib/slack/slack',
];
const HOSTS = [
  'www.mozilla.org',
  'example.org',
  'github.com',
  'api.spotify.com',
  'dns.quad9.net',
  'objects.githubusercontent.com',
  'pypi.org',
  'edgeapi.slack.com',
  null,
];

/** Deterministic pseudo-random numbers, so screenshots repeat. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface Scene {
  /** The status but its profile and learning parts, which the scenes below make (FakeEngine.status()). */
  readonly status: Omit<StatusView, 'profile' | 'learning'>;
  prompts: PromptGroup[];
  readonly connections: ConnectionRow[];
  readonly apps: AppSummary[];
  readonly rules: Rule[];
  /** Replaced by `settings:set`, as the engine keeps what it was given. */
  settings: Settings;
  /** The DNS log, oldest first; emptied when the DNS history is switched off. */
  readonly dnsLog: DnsLogRow[];
  /** Profiles and networks (support/fake-profiles.ts). */
  readonly profiles: ProfileScene;
  /** Learning and its proposals (support/fake-learning.ts): off, none, at first. */
  readonly learning: LearningScene;
  readonly logs: LogView[];
  series(): { timestamps: number[]; sent: number[]; received: number[] };
}

export function makeConnection(id: number, now: number, rnd: () => number): ConnectionRow {
  const appIndex = Math.floor(rnd() * APPS.length);
  const app = APPS[appIndex] ?? '/usr/bin/curl';
  const host = HOSTS[Math.floor(rnd() * HOSTS.length)] ?? null;
  const v = rnd();
  const verdict = v < 0.72 ? 'permanent-accept' : v < 0.85 ? 'accept' : v < 0.95 ? 'permanent-block' : 'drop';
  const started = now - Math.floor(rnd() * 3_600_000);
  const ended = rnd() < 0.6 ? started + Math.floor(rnd() * 120_000) : null;
  return {
    id,
    protocol: host === 'dns.quad9.net' ? 17 : 6,
    localIp: '192.168.1.23',
    localPort: 30000 + (id % 30000),
    remoteIp: `${93 + (id % 7)}.${184 + (id % 3)}.${(id * 7) % 255}.${(id * 13) % 255}`,
    remotePort: host === 'dns.quad9.net' ? 53 : host === 'github.com' && appIndex === 2 ? 22 : 443,
    direction: id % 29 === 0 ? 'inbound' : 'outbound',
    pid: 1000 + appIndex * 37,
    uid: 1000,
    appPath: app,
    app,
    host,
    verdict,
    ruleId: null,
    byPolicy: false,
    bytesSent: verdict.includes('accept') ? Math.floor(rnd() ** 3 * 2_000_000) : 0,
    bytesReceived: verdict.includes('accept') ? Math.floor(rnd() ** 3 * 40_000_000) : 0,
    startedAt: started,
    endedAt: ended,
    endUnseen: false,
  };
}

function prompt(id: string, app: string, host: string | null, ip: string, port: number, now: number): PromptView {
  return {
    id,
    app,
    appPath: app,
    pids: [4242],
    uid: 1000,
    direction: 'outbound',
    protocol: 6,
    remoteIp: ip,
    host,
    remotePort: port,
    count: 1,
    held: 1,
    firstSeenAt: now - 3000,
    lastSeenAt: now - 3000,
    holdDeadline: now + 27_000,
    expiresAt: now + 600_000,
    domainChoices:
      host === null ? [] : host.split('.').slice(1).length >= 2 ? [host.split('.').slice(1).join('.')] : [],
  };
}

/** A busy desktop: eight apps, a few hundred connections, rules, logs and two pending prompts. */
export function busyScene(now: number, connections = 400): Scene {
  const rnd = random(7);
  const rows = Array.from({ length: connections }, (_, i) => makeConnection(i + 1, now, rnd));
  const byApp = new Map<string, AppSummary>();
  for (const row of rows) {
    const a = byApp.get(row.app) ?? { app: row.app, connections: 0, sent: 0, received: 0, lastSeenAt: 0 };
    byApp.set(row.app, {
      app: row.app,
      connections: a.connections + 1,
      sent: a.sent + row.bytesSent,
      received: a.received + row.bytesReceived,
      lastSeenAt: Math.max(a.lastSeenAt, row.endedAt ?? now),
    });
  }
  const rule = (id: string, patch: Partial<Rule>): Rule => ({
    id,
    app: { kind: 'path', path: '/usr/lib/firefox/firefox' },
    destination: { kind: 'any' },
    port: { kind: 'any' },
    protocol: 'any',
    direction: 'outbound',
    action: 'allow',
    duration: { kind: 'forever' },
    enabled: true,
    notes: '',
    createdAt: now - 86_400_000,
    updatedAt: now - 86_400_000,
    expiresAt: null,
    hitCount: 0,
    lastHitAt: null,
    ...patch,
  });
  return {
    status: {
      driver: 'connected',
      driverMessage: 'zenithfenced 0.1.0 on nfqueue 2000',
      policy: {
        state: 'enforced',
        message: 'Driver enforces your rules (6 rules).',
        enforcedGeneration: String(now),
        ruleCount: 6,
      },
      mode: { mode: 'ask', resumesAt: null, resumesTo: null },
      pendingPrompts: 2,
      storage: 'ok',
      storageMessage: '',
    },
    prompts: [
      {
        app: '/usr/bin/curl',
        appPath: '/usr/bin/curl',
        count: 1,
        prompts: [prompt('p1', '/usr/bin/curl', 'www.example.org', '93.184.216.34', 443, now)],
      },
      {
        app: '/usr/bin/python3.12',
        appPath: '/usr/bin/python3.12',
        count: 3,
        prompts: [
          { ...prompt('p2', '/usr/bin/python3.12', 'files.pythonhosted.org', '151.101.0.223', 443, now), count: 3 },
        ],
      },
    ],
    connections: rows,
    apps: [...byApp.values()].sort((a, b) => b.received + b.sent - (a.received + a.sent)),
    rules: [
      rule('r1', { hitCount: 1289, lastHitAt: now - 4000 }),
      rule('r2', {
        app: { kind: 'path', path: '/usr/bin/curl' },
        destination: { kind: 'host', name: 'example.org' },
        port: { kind: 'port', port: 443 },
        protocol: 6,
        hitCount: 12,
        lastHitAt: now - 3_600_000,
      }),
      rule('r3', {
        app: { kind: 'path', path: '/opt/spotify/spotify' },
        destination: { kind: 'domain', pattern: '*.doubleclick.net' },
        action: 'block',
        hitCount: 57,
        lastHitAt: now - 120_000,
      }),
      rule('r4', {
        app: { kind: 'any' },
        destination: { kind: 'lan' },
        direction: 'any',
        notes: 'Local network is fine',
        hitCount: 4410,
        lastHitAt: now - 1000,
      }),
      rule('r5', {
        app: { kind: 'path', path: '/usr/bin/ssh' },
        destination: { kind: 'cidr', cidr: '10.0.0.0/8' },
        port: { kind: 'port', port: 22 },
        protocol: 6,
        duration: { kind: 'minutes', minutes: 60 },
        expiresAt: now + 1_800_000,
        // The office's servers: only while at work.
        profile: 'work',
        hitCount: 3,
        lastHitAt: now - 600_000,
      }),
      rule('r6', {
        app: { kind: 'path', path: '/usr/lib/slack/slack' },
        destination: { kind: 'any' },
        action: 'drop',
        enabled: false,
      }),
    ],
    settings: {
      defaultAction: 'block',
      noAppAction: 'block',
      holdTimeoutSeconds: 30,
      promptPosition: 'near-tray',
      startAtLogin: true,
      checkForUpdates: true,
      historyRetentionDays: 30,
      connectionLog: false,
      keepDnsHistory: true,
      dnsRetentionDays: 7,
    },
    dnsLog: dnsScene(now),
    profiles: profileScene(now),
    learning: learningScene(),
    logs: Array.from({ length: 60 }, (_, i) => ({
      at: now - (60 - i) * 17_000,
      severity: i % 17 === 0 ? 5 : i % 7 === 0 ? 4 : 3,
      message:
        i % 17 === 0
          ? 'reading the queue: No buffer space available (os error 105)'
          : i % 7 === 0
            ? 'UDP byte counts: netlink dump interrupted, retrying'
            : `held connection ${1000 + i}: verdict sent after ${(i * 3) % 40} ms`,
    })),
    series: () => {
      const timestamps: number[] = [];
      const sent: number[] = [];
      const received: number[] = [];
      const start = Math.floor(now / 1000) * 1000 - 300_000;
      for (let t = start; t <= now; t += 1000) {
        const k = (t - start) / 1000;
        timestamps.push(t);
        received.push(Math.max(0, 400_000 * Math.sin(k / 19) ** 2 + 250_000 * Math.sin(k / 5) ** 8 + 20_000));
        sent.push(Math.max(0, 40_000 * Math.sin(k / 13) ** 2 + 4000));
      }
      return { timestamps, sent, received };
    },
  };
}

/** One kind of DNS answer the scene repeats: who asked, what, and what came back. */
interface DnsAnswer {
  readonly app: string;
  readonly name: string;
  readonly qtype: number;
  readonly rcode: number;
  readonly addresses: readonly string[];
  readonly ttlSeconds: number;
}

const DNS_ANSWERS: readonly DnsAnswer[] = [
  {
    app: '/usr/lib/firefox/firefox',
    name: 'www.mozilla.org',
    qtype: 1,
    rcode: 0,
    addresses: ['151.101.1.91', '151.101.65.91'],
    ttlSeconds: 60,
  },
  {
    app: '/usr/lib/firefox/firefox',
    name: 'www.mozilla.org',
    qtype: 28,
    rcode: 0,
    addresses: ['2a04:4e42::347'],
    ttlSeconds: 60,
  },
  { app: '/usr/bin/curl', name: 'example.org', qtype: 1, rcode: 0, addresses: ['93.184.216.34'], ttlSeconds: 3600 },
  { app: '/usr/bin/curl', name: 'no-such-host.example.org', qtype: 1, rcode: 3, addresses: [], ttlSeconds: 0 },
  { app: '/opt/spotify/spotify', name: 'api.spotify.com', qtype: 65, rcode: 0, addresses: [], ttlSeconds: 0 },
  { app: '/opt/spotify/spotify', name: 'ads.doubleclick.net', qtype: 1, rcode: 5, addresses: [], ttlSeconds: 0 },
  { app: '/usr/bin/git', name: 'github.com', qtype: 1, rcode: 0, addresses: ['140.82.121.4'], ttlSeconds: 60 },
  { app: '/usr/bin/python3.12', name: 'pypi.org', qtype: 28, rcode: 2, addresses: [], ttlSeconds: 0 },
  {
    app: '/usr/lib/slack/slack',
    name: 'edgeapi.slack.com',
    qtype: 1,
    rcode: 0,
    addresses: ['3.120.0.12', '3.120.0.13', '3.120.0.14'],
    ttlSeconds: 30,
  },
  { app: '', name: 'time.example.net', qtype: 1, rcode: 0, addresses: ['192.0.2.123'], ttlSeconds: 900 },
];

/**
 * A day of DNS answers (the ten kinds above, repeated every few minutes) and a few from three
 * days ago, beyond the default range of 24 hours.
 */
function dnsScene(now: number): DnsLogRow[] {
  const rows: DnsLogRow[] = [];
  const add = (answer: DnsAnswer, at: number): void => {
    const appIndex = APPS.indexOf(answer.app);
    rows.push({
      id: rows.length + 1,
      at,
      pid: answer.app === '' ? 0 : 1000 + appIndex * 37,
      appPath: answer.app,
      uid: answer.app === '' ? null : 1000,
      name: answer.name,
      qtype: answer.qtype,
      rcode: answer.rcode,
      outcome: dnsOutcomeOf(answer.rcode, answer.addresses.length),
      addresses: answer.addresses,
      ttlSeconds: answer.ttlSeconds,
      resolver: '192.168.1.1',
    });
  };
  DNS_ANSWERS.slice(0, 3).forEach((answer, i) => add(answer, now - 3 * 86_400_000 + i * 1000));
  // Sixty answers, one every 997 s up to a minute ago; the newest is the first kind.
  for (let i = 59; i >= 0; i -= 1) {
    const answer = DNS_ANSWERS[i % DNS_ANSWERS.length];
    if (answer !== undefined) add(answer, now - 60_000 - i * 997_000);
  }
  return rows;
}
