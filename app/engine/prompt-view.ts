import { destinationOf } from '../contract/destination.ts';
import type { AppIdentity } from './app-identity.ts';
import { domainChoices, type PromptSubject } from './prompt-scope.ts';
import type { ConnectionFacts } from './rule-matcher.ts';

/** The queue's record of one prompt (mutable inside the queue, read-only outside). */
export interface PromptRecord {
  readonly id: string;
  readonly key: string;
  readonly subject: PromptSubject;
  readonly app: AppIdentity;
  /** The facts of the first connection: a rule that matches them covers the whole prompt. */
  readonly facts: ConnectionFacts;
  /** Processes that asked (pid 0, unknown, is not kept). */
  readonly pids: Set<number>;
  /** Request ids held for this prompt, oldest first. */
  readonly held: Set<bigint>;
  /** Connections asked about, held or not. */
  count: number;
  readonly firstSeenAt: number;
  lastSeenAt: number;
}

export type { PromptGroup, PromptView } from '../contract/views.ts';
import type { PromptGroup, PromptView } from '../contract/views.ts';

/** What the view needs to know of the queue. */
export interface PromptTimes {
  readonly holdTimeoutMs: number;
  readonly inboxTtlMs: number;
  heldAt(requestId: bigint): number | undefined;
}

/** Groups prompts by app, oldest app first, each app's prompts oldest first. */
export function groupPrompts(records: Iterable<PromptRecord>, times: PromptTimes): PromptGroup[] {
  const groups = new Map<string, PromptView[]>();
  const sorted = [...records].sort((a, b) => a.firstSeenAt - b.firstSeenAt);
  for (const record of sorted) {
    const list = groups.get(record.app.label) ?? [];
    list.push(viewOf(record, times));
    groups.set(record.app.label, list);
  }
  return [...groups.values()].flatMap((prompts) => {
    const first = prompts[0];
    if (first === undefined) return [];
    return [{ app: first.app, appPath: first.appPath, count: prompts.reduce((n, p) => n + p.count, 0), prompts }];
  });
}

function viewOf(record: PromptRecord, times: PromptTimes): PromptView {
  const oldest = record.held.values().next();
  const heldAt = oldest.done === true ? undefined : times.heldAt(oldest.value);
  const s = record.subject;
  return {
    id: record.id,
    app: record.app.label,
    appPath: record.app.path,
    pids: [...record.pids],
    uid: record.app.uid,
    ...destinationOf(s),
    count: record.count,
    held: record.held.size,
    firstSeenAt: record.firstSeenAt,
    lastSeenAt: record.lastSeenAt,
    holdDeadline: heldAt === undefined ? null : heldAt + times.holdTimeoutMs,
    expiresAt: record.lastSeenAt + times.inboxTtlMs,
    domainChoices: domainChoices(s.host),
  };
}
