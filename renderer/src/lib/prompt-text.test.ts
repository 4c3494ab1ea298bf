import { describe, expect, it } from 'vitest';
import {
  answerProfile,
  defaultDurationId,
  DURATION_CHOICES,
  durationChoices,
  orderPrompts,
  pendingCount,
  promptAddress,
  promptHeadline,
  scopeChoices,
  unknownAppNote,
} from './prompt-text.ts';
import { prompt } from './test-rows.ts';

describe('promptHeadline', () => {
  it('is one sentence naming app, destination, protocol and port', () => {
    expect(promptHeadline(prompt('p'))).toBe('curl wants to connect to example.org on TCP port 443');
    expect(promptHeadline(prompt('p', { host: null, protocol: 17, remotePort: 53 }))).toBe(
      'curl wants to connect to 93.184.216.34 on UDP port 53',
    );
    expect(
      promptHeadline(prompt('p', { direction: 'inbound', app: '/usr/sbin/sshd', host: null, remotePort: 22 })),
    ).toBe('sshd wants to accept a connection from 93.184.216.34 on TCP port 22');
    expect(promptHeadline(prompt('p', { protocol: 1, host: null }))).toBe(
      'curl wants to connect to 93.184.216.34 using ICMP',
    );
  });
  it('shows a name that hides characters with them visible, so it cannot pass for another app', () => {
    // "\u202Ehsab" would render as "bash", and reverse the rest of the sentence too.
    expect(promptHeadline(prompt('p', { app: '/home/u/bin/\u202Ehsab', host: null }))).toBe(
      '\\u202Ehsab wants to connect to 93.184.216.34 on TCP port 443',
    );
    expect(promptHeadline(prompt('p', { app: 'cu\u200Brl', host: null }))).toBe(
      'cu\\u200Brl wants to connect to 93.184.216.34 on TCP port 443',
    );
  });
  it('brackets IPv6 addresses', () => {
    expect(promptAddress(prompt('p', { remoteIp: '2001:db8::1' }))).toBe('[2001:db8::1]:443');
    expect(promptAddress(prompt('p'))).toBe('93.184.216.34:443');
  });
});

describe('scopeChoices', () => {
  it('names the address, not a name that is no host name, since the rule is made by address', () => {
    const choices = scopeChoices(prompt('p', { host: 'odd\\226name.test', domainChoices: [] }));
    expect(choices.map((c) => c.label).slice(0, 2)).toEqual(
      scopeChoices(prompt('p', { host: null, domainChoices: [] }))
        .map((c) => c.label)
        .slice(0, 2),
    );
  });

  it('offers exact, host, each domain, then the whole app', () => {
    const choices = scopeChoices(prompt('p', { domainChoices: ['cdn.example.org', 'example.org'] }));
    expect(choices.map((c) => c.scope)).toEqual([
      { kind: 'exact' },
      { kind: 'host' },
      { kind: 'domain', suffix: 'cdn.example.org' },
      { kind: 'domain', suffix: 'example.org' },
      { kind: 'app' },
    ]);
    expect(choices.map((c) => c.label)).toContain('*.example.org');
  });
});

describe('an unknown app (the driver could not tell the program)', () => {
  const unknown = prompt('p', { app: 'unknown', appPath: '', pids: [], uid: null });

  it('offers only "Once", selected from the start, and says why in one sentence', () => {
    expect(durationChoices(unknown).map((c) => c.duration)).toEqual([{ kind: 'once' }]);
    expect(defaultDurationId(unknown)).toBe('once');
    const note = unknownAppNote(unknown) ?? '';
    expect(note).toMatch(/unknown.*only answer it once.*every program/);
    expect(note.match(/[.!?](\s|$)/g)).toHaveLength(1);
  });

  it('offers no whole-app scope (it would be every app)', () => {
    expect(scopeChoices(unknown).map((c) => c.scope.kind)).not.toContain('app');
  });

  it('a known app keeps every duration, forever selected, and no note', () => {
    const known = prompt('p');
    expect(durationChoices(known)).toEqual(DURATION_CHOICES);
    expect(defaultDurationId(known)).toBe('forever');
    expect(unknownAppNote(known)).toBeNull();
    expect(scopeChoices(known).map((c) => c.scope.kind)).toContain('app');
  });
});

describe('orderPrompts', () => {
  it('puts held prompts first by deadline, then the inbox newest first', () => {
    const groups = [
      {
        app: 'a',
        appPath: 'a',
        count: 3,
        prompts: [
          prompt('late', { holdDeadline: 9000 }),
          prompt('inbox-old', { held: 0, holdDeadline: null, lastSeenAt: 1 }),
        ],
      },
      {
        app: 'b',
        appPath: 'b',
        count: 2,
        prompts: [
          prompt('soon', { holdDeadline: 5000 }),
          prompt('inbox-new', { held: 0, holdDeadline: null, lastSeenAt: 2 }),
        ],
      },
    ];
    expect(orderPrompts(groups).map((p) => p.id)).toEqual(['soon', 'late', 'inbox-new', 'inbox-old']);
    expect(pendingCount(groups)).toBe(4);
  });
});

describe('answerProfile', () => {
  it('gives the rule the active profile only when asked and the answer makes a rule', () => {
    expect(answerProfile(true, { kind: 'forever' }, 'home')).toBe('home');
    expect(answerProfile(true, { kind: 'minutes', minutes: 60 }, 'work')).toBe('work');
    // Off by default: the rule is always on.
    expect(answerProfile(false, { kind: 'forever' }, 'home')).toBeNull();
    // 'Once' makes no rule, so there is no profile to give it.
    expect(answerProfile(true, { kind: 'once' }, 'home')).toBeNull();
    expect(answerProfile(true, { kind: 'forever' }, null)).toBeNull();
  });
});
