import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import type { PromptGroup } from '../contract/views.ts';
import { openStore, type Store } from '../store/index.ts';
import { RateLimitedLog } from './rate-limited-log.ts';
import { Runtime } from './runtime.ts';
import { connection, CURL, type Harness, startRuntime, tempDbPath } from './test-support/harness.ts';

// Faults inside the runtime's steps must stay there: the firewall keeps deciding.

let open: Store[] = [];
afterEach(() => {
  for (const store of open) store.close();
  open = [];
});

function harness(options: Parameters<typeof startRuntime>[0] = {}): Harness {
  const h = startRuntime(options);
  open.push(h.store);
  return h;
}

async function blockCurl(h: Harness): Promise<void> {
  const created = await dispatch(h.handlers, 'rules:create', {
    app: { kind: 'path', path: CURL },
    destination: { kind: 'any' },
    port: { kind: 'port', port: 443 },
    action: 'block',
  });
  expect(created.ok).toBe(true);
}

function firstPromptId(h: Harness): string {
  const groups: readonly PromptGroup[] = h.runtime.engine.listPrompts();
  const id = groups[0]?.prompts[0]?.id;
  if (id === undefined) throw new Error('no prompt');
  return id;
}

describe('a runtime whose store throws', () => {
  it('keeps answering connections tick after tick, says so once, and shows it in the status', async () => {
    const h = harness();
    await blockCurl(h);
    // A real store whose database went away under it: every call throws.
    h.store.close();
    for (let i = 1; i <= 5; i += 1) {
      h.clock.now = 2_000 + i * 1000;
      h.runtime.handleEvent(connection(BigInt(i), 40_000 + i), h.clock.now);
      expect(() => h.runtime.tick(h.clock.now)).not.toThrow();
    }
    expect(h.verdicts).toEqual([1n, 2n, 3n, 4n, 5n].map((id) => [id, 'permanent-block']));
    expect(h.bandwidthRequests).toBe(5);
    expect(h.runtime.status(h.clock.now)).toMatchObject({ storage: 'failed' });
    expect(h.runtime.status(h.clock.now).storageMessage).toMatch(/database cannot be written \(database is not open\)/);
    expect(h.lines.filter((line) => line.includes('database is not open'))).toHaveLength(1);
  });

  it('answers every held connection at shutdown and does not throw', () => {
    const h = harness();
    h.runtime.handleEvent(connection(1n, 40_001), 1_500);
    h.runtime.handleEvent(connection(2n, 40_002, 80), 1_500);
    expect(h.verdicts).toEqual([]);
    h.store.close();
    let answered = 0;
    expect(() => (answered = h.runtime.shutdown(1_600))).not.toThrow();
    expect(answered).toBe(2);
    expect(h.verdicts.map(([id, verdict]) => [id, verdict]).sort()).toEqual([
      [1n, 'block'],
      [2n, 'block'],
    ]);
  });
});

describe('a push that throws', () => {
  it('stops neither the event nor the tick: prompts are held, bytes asked for, history written', async () => {
    const h = harness({
      push: () => {
        throw new Error('the window is gone');
      },
    });
    await blockCurl(h);
    expect(() => h.runtime.handleEvent(connection(1n, 40_001), 2_000)).not.toThrow();
    expect(() => h.runtime.handleEvent(connection(2n, 40_002, 80), 2_000)).not.toThrow();
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    expect(h.runtime.engine.listPrompts()).toHaveLength(1);
    expect(() => h.runtime.tick(3_000)).not.toThrow();
    expect(h.bandwidthRequests).toBe(1);
    expect(h.store.history.count()).toBe(1);
    expect(h.lines.some((line) => line.startsWith('push prompts:changed: the window is gone'))).toBe(true);
  });
});

describe('reverse lookups', () => {
  it('that throw or reject leave the connection to its prompt, with no unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const store = openStore(tempDbPath());
      open.push(store);
      const lines: string[] = [];
      const verdicts: bigint[] = [];
      const runtime = new Runtime(
        {
          store,
          driver: { verdict: (id) => verdicts.push(id), requestBandwidth: () => undefined },
          push: () => undefined,
          log: new RateLimitedLog((line) => lines.push(line)),
          system: {
            processAlive: () => true,
            reverseLookup: (ip) => {
              if (ip === '93.184.216.34') throw new Error('resolver broke');
              return Promise.reject(new Error('no answer'));
            },
          },
        },
        1_000,
      );
      runtime.handleEvent(connection(1n, 40_001), 1_500);
      runtime.handleEvent(connection(2n, 40_002, 443, '198.51.100.7'), 1_500);
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Held for the user, not answered at once with the default action.
      expect(verdicts).toEqual([]);
      expect(runtime.engine.listPrompts().flatMap((group) => group.prompts)).toHaveLength(2);
      expect(lines).toEqual([expect.stringMatching(/^reverse lookup: resolver broke/)]);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('a prompt answer whose rule the store refuses', () => {
  /** Makes every rule insert fail, through a second connection to the same real database. */
  function refuseRuleWrites(h: Harness, dbPath: string): void {
    const saboteur = new DatabaseSync(dbPath);
    saboteur.exec(`CREATE TRIGGER refuse BEFORE INSERT ON rules BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    saboteur.close();
    expect(h.store.rules.list()).toEqual([]);
  }

  it('still answers the held connections; a lasting rule is kept until restart, and the UI is told', async () => {
    const dbPath = tempDbPath();
    const h = harness({ store: openStore(dbPath) });
    refuseRuleWrites(h, dbPath);
    h.runtime.handleEvent(connection(1n, 40_001), 1_500);
    h.runtime.handleEvent(connection(2n, 40_002), 1_600);
    const answer = await dispatch(h.handlers, 'prompts:answer', {
      promptId: firstPromptId(h),
      action: 'allow',
      duration: { kind: 'forever' },
      scope: { kind: 'exact' },
    });
    expect(answer).toMatchObject({
      ok: true,
      value: { released: 2, rule: { action: 'allow', duration: { kind: 'until-restart' } } },
    });
    const warning = answer.ok ? (answer.value as { warning?: string }).warning : undefined;
    expect(warning).toBe(
      'The waiting connections were allowed, but the rule could not be saved (disk full): it applies until ZenithFence restarts.',
    );
    expect(h.verdicts).toEqual([
      [1n, 'permanent-accept'],
      [2n, 'permanent-accept'],
    ]);
    expect(h.store.rules.list()).toEqual([]);
    // The rule decides the next one in this run.
    h.runtime.handleEvent(connection(3n, 40_003), 1_700);
    expect(h.verdicts.at(-1)).toEqual([3n, 'permanent-accept']);
  });

  it('answers a rule of minutes once, and says the user will be asked again', async () => {
    const dbPath = tempDbPath();
    const h = harness({ store: openStore(dbPath) });
    refuseRuleWrites(h, dbPath);
    h.runtime.handleEvent(connection(1n, 40_001), 1_500);
    const answer = await dispatch(h.handlers, 'prompts:answer', {
      promptId: firstPromptId(h),
      action: 'block',
      duration: { kind: 'minutes', minutes: 5 },
      scope: { kind: 'exact' },
    });
    expect(answer).toMatchObject({ ok: true, value: { released: 1, rule: null } });
    expect(answer.ok ? (answer.value as { warning?: string }).warning : '').toMatch(/blocked.*asked again next time/);
    expect(h.verdicts).toEqual([[1n, 'permanent-block']]);
    expect(h.runtime.engine.listRules()).toEqual([]);
  });
});
