import { describe, expect, it } from 'vitest';
import type { DriverVerdict } from '../contract/driver-events.ts';
import { parseIp } from '../contract/ip-address.ts';
import type { AppIdentity } from './app-identity.ts';
import { PromptQueue, type PromptQueueOptions } from './prompt-queue.ts';
import type { ConnectionFacts } from './rule-matcher.ts';
import { makeRequest, type RequestSpec } from './testing.ts';

const CURL: AppIdentity = { path: '/usr/bin/curl', label: '/usr/bin/curl', uid: 1000 };
const GIT: AppIdentity = { path: '/usr/bin/git', label: '/usr/bin/git', uid: 1000 };

function setup(options: Partial<PromptQueueOptions> = {}) {
  const released: Array<[bigint, DriverVerdict, string | null]> = [];
  const queue = new PromptQueue(options, (held, verdict, ruleId) => {
    released.push([held.request.requestId, verdict, ruleId]);
  });
  const hold = (spec: RequestSpec, app = CURL, now = 0, hostNames: string[] = []) => {
    const request = makeRequest(spec);
    const facts: ConnectionFacts = {
      appKey: app.path,
      direction: request.direction,
      protocol: request.flow.protocol,
      remoteIp: request.flow.remoteIp,
      remoteBytes: parseIp(request.flow.remoteIp),
      remotePort: request.flow.remotePort,
      hostNames,
    };
    return queue.hold(request, facts, app, null, now);
  };
  return { queue, released, hold };
}

describe('PromptQueue', () => {
  it('coalesces by app, destination, port, protocol and direction; groups by app', () => {
    const { queue, released, hold } = setup();
    const p1 = hold({ id: 1n });
    expect(hold({ id: 2n, localPort: 5 })).toBe(p1);
    expect(hold({ id: 3n, remotePort: 80 })).not.toBe(p1);
    expect(hold({ id: 4n, protocol: 17 })).not.toBe(p1);
    expect(hold({ id: 5n, direction: 'inbound' })).not.toBe(p1);
    expect(hold({ id: 6n }, GIT)).not.toBe(p1);
    expect(hold({ id: 7n, remoteIp: '1.1.1.1' }, CURL, 0, ['one.one'])).not.toBe(p1);
    expect(hold({ id: 8n, remoteIp: '1.0.0.1' }, CURL, 0, ['one.one'])).toBe(
      hold({ id: 9n, remoteIp: '1.1.1.1' }, CURL, 0, ['one.one']),
    );
    const groups = queue.list();
    expect(groups.map((g) => [g.app, g.prompts.length, g.count])).toEqual([
      ['/usr/bin/curl', 5, 8],
      ['/usr/bin/git', 1, 1],
    ]);
    expect(groups[0]?.prompts[0]).toMatchObject({ id: p1, count: 2, held: 2, holdDeadline: 30_000 });
    expect(released).toEqual([]); // nothing answered just because other prompts are open
  });

  it('answering a prompt releases each of its held connections once', () => {
    const { queue, released, hold } = setup();
    const p = hold({ id: 1n });
    hold({ id: 2n });
    hold({ id: 3n, remotePort: 80 });
    expect(queue.releasePrompt(p, 'permanent-accept', 'r1', 1)).toBe(2);
    expect(queue.releasePrompt(p, 'permanent-accept', 'r1', 1)).toBe(0);
    expect(released).toEqual([
      [1n, 'permanent-accept', 'r1'],
      [2n, 'permanent-accept', 'r1'],
    ]);
    expect(queue.heldCount).toBe(1);
  });

  it('a hold timeout gives the default; the prompt stays in the inbox until it expires', () => {
    const { queue, released, hold } = setup({ holdTimeoutMs: 1000, inboxTtlMs: 5000, defaultAction: 'drop' });
    const p = hold({ id: 1n }, CURL, 0);
    hold({ id: 2n }, CURL, 500);
    queue.tick(999);
    expect(released).toEqual([]);
    queue.tick(1000);
    expect(released).toEqual([[1n, 'drop', null]]);
    queue.tick(1500);
    expect(released).toEqual([
      [1n, 'drop', null],
      [2n, 'drop', null],
    ]);
    expect(queue.get(p)).toMatchObject({ count: 2 });
    queue.tick(5499);
    expect(queue.get(p)).toBeDefined();
    queue.tick(5500);
    expect(queue.get(p)).toBeUndefined();
  });

  it('hold timeout 0 answers at once with the default and keeps the prompt', () => {
    const { queue, released, hold } = setup({ holdTimeoutMs: 0, defaultAction: 'allow' });
    const p = hold({ id: 1n });
    expect(released).toEqual([[1n, 'accept', null]]);
    expect(queue.get(p)?.count).toBe(1);
    expect(queue.heldCount).toBe(0);
  });

  it('beyond maxHeld a connection gets the default at once', () => {
    const { queue, released, hold } = setup({ maxHeld: 2 });
    hold({ id: 1n });
    hold({ id: 2n });
    hold({ id: 3n });
    expect(released).toEqual([[3n, 'block', null]]);
    expect(queue.heldCount).toBe(2);
  });

  it('a duplicate request id is held once', () => {
    const { queue, hold } = setup();
    hold({ id: 1n });
    hold({ id: 1n });
    expect(queue.heldCount).toBe(1);
    expect(queue.list()[0]?.count).toBe(1);
  });

  it('a process exit defaults its held connections and drops prompts left empty', () => {
    const { queue, released, hold } = setup();
    const shared = hold({ id: 1n, pid: 10 });
    hold({ id: 2n, pid: 11 });
    const own = hold({ id: 3n, pid: 10, remotePort: 80 });
    queue.processExited(10, 5);
    expect(released).toEqual([
      [1n, 'block', null],
      [3n, 'block', null],
    ]);
    expect(queue.get(own)).toBeUndefined();
    expect(queue.get(shared)?.held.size).toBe(1);
    queue.processExited(11, 6);
    expect(queue.get(shared)).toBeUndefined();
    expect(released).toHaveLength(3);
  });

  it('remove() answers whatever the prompt still holds', () => {
    const { queue, released, hold } = setup();
    const p = hold({ id: 1n });
    queue.remove(p, 0);
    expect(released).toEqual([[1n, 'block', null]]);
    expect(queue.list()).toEqual([]);
  });

  it('reports changes once', () => {
    const { queue, hold } = setup();
    expect(queue.takeChanged()).toBe(false);
    hold({ id: 1n });
    expect(queue.takeChanged()).toBe(true);
    expect(queue.takeChanged()).toBe(false);
  });
});

describe('PromptQueue.extendHold', () => {
  it('restarts the hold on interaction, but never past the total limit', () => {
    const { queue, released, hold } = setup({ holdTimeoutMs: 10_000, maxTotalHoldMs: 25_000 });
    const prompt = hold({ id: 1n }, CURL, 0);
    queue.tick(9_000);
    expect(queue.extendHold(prompt, 9_000)).toBe(true);
    queue.tick(18_000);
    expect(released).toEqual([]);
    // Another interaction at 18 s may restart the hold only up to 15 s (25 s total - 10 s).
    queue.extendHold(prompt, 18_000);
    queue.tick(24_999);
    expect(released).toEqual([]);
    queue.tick(25_000);
    expect(released).toEqual([[1n, 'block', null]]);
    expect(queue.extendHold(prompt, 25_000)).toBe(false);
    expect(queue.extendHold('no-such-prompt', 25_000)).toBe(false);
  });

  it('holds no longer than the total limit when the hold timeout is set longer, and shows that deadline', () => {
    const { queue, released, hold } = setup({ holdTimeoutMs: 120_000, maxTotalHoldMs: 55_000 });
    hold({ id: 1n }, CURL, 0);
    expect(queue.list()[0]?.prompts[0]?.holdDeadline).toBe(55_000);
    queue.tick(54_999);
    expect(released).toEqual([]);
    queue.tick(55_000);
    expect(released).toEqual([[1n, 'block', null]]);
  });

  it('keeps at most maxInboxPrompts prompts holding nothing, the newest, and every prompt that holds', () => {
    const { queue, released, hold } = setup({ maxInboxPrompts: 10, maxHeld: 3 });
    // Three prompts hold a connection each; then a flood of distinct destinations that cannot
    // be held (the limit is reached) leaves only empty prompts behind.
    for (let i = 1; i <= 3; i++) hold({ id: BigInt(i), remotePort: i });
    for (let i = 4; i <= 5_000; i++)
      hold({ id: BigInt(i), remoteIp: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` }, CURL, i);
    const prompts = queue.list().flatMap((group) => group.prompts);
    const holding = prompts.filter((prompt) => prompt.held > 0);
    expect(holding.map((prompt) => prompt.remotePort)).toEqual([1, 2, 3]);
    expect(prompts.length - holding.length).toBeLessThanOrEqual(10);
    expect(prompts.at(-1)?.remoteIp).toBe('10.0.19.136'); // the newest (5 000) is kept
    expect(released).toHaveLength(5_000 - 3); // each flood connection got the default, once
    expect(queue.heldCount).toBe(3);
    // Once the held ones time out their prompts join the inbox, which stays within its limit.
    queue.tick(60_000);
    hold({ id: 9_999n, remoteIp: '192.0.2.1' }, CURL, 60_000);
    expect(queue.list().flatMap((group) => group.prompts).length).toBeLessThanOrEqual(10 + 1);
    expect(new Set(released.map(([id]) => id)).size).toBe(released.length);
  });

  it('forgetAll (a lost driver link) empties every hold without a release, and keeps the inbox bounded', () => {
    const { queue, released, hold } = setup({ maxInboxPrompts: 4 });
    for (let i = 1; i <= 6; i++) hold({ id: BigInt(i), remotePort: i }, CURL, i);
    hold({ id: 7n, remotePort: 1 }, CURL, 7);
    queue.takeChanged();
    const forgotten = queue.forgetAll();
    expect(forgotten.map((held) => held.request.requestId)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(released).toEqual([]);
    expect(queue.heldCount).toBe(0);
    expect(queue.isHeld(1n)).toBe(false);
    expect(queue.takeChanged()).toBe(true);
    const prompts = queue.list().flatMap((group) => group.prompts);
    expect(prompts.every((prompt) => prompt.held === 0 && prompt.holdDeadline === null)).toBe(true);
    expect(prompts.length).toBeLessThanOrEqual(4);
    expect(prompts.at(-1)?.remotePort).toBe(6); // the newest stay
    expect(queue.forgetAll()).toEqual([]);
    // A request with a forgotten id is a new one, held again.
    hold({ id: 1n, remotePort: 9 }, CURL, 8);
    expect(queue.heldCount).toBe(1);
  });
});
