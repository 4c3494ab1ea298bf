import { describe, expect, it } from 'vitest';
import type { PromptGroup, PromptView } from '../contract/views.ts';
import { timedOutMessage, TimedOutPrompts } from './timed-out-prompts.ts';

function prompt(id: string, held: number): PromptView {
  return {
    id,
    app: '/usr/bin/curl',
    appPath: '/usr/bin/curl',
    pids: [7],
    uid: 1000,
    direction: 'outbound',
    protocol: 6,
    remoteIp: '10.0.0.2',
    host: 'example.org',
    remotePort: 443,
    count: 1,
    held,
    firstSeenAt: 0,
    lastSeenAt: 0,
    holdDeadline: held > 0 ? 30_000 : null,
    expiresAt: 600_000,
    domainChoices: ['example.org'],
  };
}

const groups = (...prompts: PromptView[]): PromptGroup[] => [
  { app: '/usr/bin/curl', appPath: '/usr/bin/curl', count: prompts.length, prompts },
];

describe('TimedOutPrompts', () => {
  it('reports a prompt once, when its held connections got the default', () => {
    const tracker = new TimedOutPrompts();
    expect(tracker.update(groups(prompt('a', 2), prompt('b', 1)))).toEqual([]);
    expect(tracker.update(groups(prompt('a', 0), prompt('b', 1))).map((p) => p.id)).toEqual(['a']);
    expect(tracker.update(groups(prompt('a', 0), prompt('b', 1)))).toEqual([]);
    // Answered prompts disappear: not a timeout.
    expect(tracker.update(groups(prompt('a', 0)))).toEqual([]);
  });

  it('names the app, the destination and the action applied', () => {
    expect(timedOutMessage(prompt('a', 0), 'block')).toEqual({
      title: 'curl: no answer, connection blocked',
      body: 'curl wanted to connect to example.org port 443. Click to answer; your answer decides its next try.',
    });
  });
});
