import { describe, expect, it } from 'vitest';
import {
  appListed,
  isLearning,
  learnedLine,
  learnedTotals,
  learningLabel,
  learningSummary,
  learningUntil,
  ruleLine,
} from './learning-text.ts';
import { formatFor } from './locale-format.ts';
import { learningStatus, proposal, proposalGroup } from './test-rows.ts';

const gb = formatFor('en-GB');
const now = new Date(2024, 4, 2, 14, 17).getTime();
const at1432 = new Date(2024, 4, 2, 14, 32).getTime();

describe('learningUntil and isLearning', () => {
  it('count a window only while it lasts, and apps until they quit', () => {
    expect(learningUntil(learningStatus({ until: at1432 }), now)).toBe(at1432);
    // A status pushed before the window ran out says nothing learns once it has.
    expect(learningUntil(learningStatus({ until: now }), now)).toBeNull();
    expect(isLearning(learningStatus({ until: now - 1 }), now)).toBe(false);
    expect(isLearning(learningStatus({ apps: ['/usr/bin/curl'] }), now)).toBe(true);
    expect(isLearning(learningStatus(), now)).toBe(false);
  });
});

describe('learningLabel', () => {
  it('says Learn when off, and until when and which apps otherwise', () => {
    expect(learningLabel(learningStatus(), now, gb)).toBe('Learn');
    expect(learningLabel(learningStatus({ until: at1432 }), now, gb)).toBe('Learning until 14:32');
    expect(learningLabel(learningStatus({ apps: ['/usr/bin/curl'] }), now, gb)).toBe('Learning curl until it quits');
    expect(learningLabel(learningStatus({ until: at1432, apps: ['/usr/bin/curl', '/usr/bin/git'] }), now, gb)).toBe(
      'Learning until 14:32, 2 apps until they quit',
    );
  });
});

describe('learningSummary', () => {
  it('tells what learns until when, what waits, what asked instead and what always asks', () => {
    expect(learningSummary(learningStatus(), now, gb)).toBe('Not learning.');
    expect(
      learningSummary(
        learningStatus({
          until: at1432,
          apps: ['/usr/bin/curl', '/usr/bin/git'],
          alwaysAsk: ['/usr/bin/ssh'],
          proposals: 1,
          overflow: 3,
        }),
        now,
        gb,
      ),
    ).toBe(
      'Learning every app until 14:32. Learning until they quit: curl, git. 1 learned destination waits for your review. ' +
        '3 connections asked instead: too many proposals wait. Always asking: ssh.',
    );
    expect(learningSummary(learningStatus({ proposals: 1234 }), now, gb)).toBe(
      'Not learning. 1,234 learned destinations wait for your review.',
    );
  });
});

describe('learnedTotals and learnedLine', () => {
  const groups = [
    proposalGroup('/usr/bin/curl', [proposal('a', 'example.org', { connections: 12 }), proposal('b', 'example.net')]),
    proposalGroup('/usr/bin/git', [proposal('c', 'github.com', { connections: 7 })]),
  ];

  it('add up the connections each proposal covered, per app', () => {
    expect(learnedTotals(groups)).toEqual({ connections: 20, apps: 2, proposals: 3 });
    expect(learnedLine(groups, gb)).toBe('20 connections of 2 apps learned');
    expect(learnedLine([proposalGroup('/usr/bin/git', [proposal('c', 'github.com')])], gb)).toBe(
      '1 connection of 1 app learned',
    );
  });

  it('has no line when nothing waits', () => {
    expect(learnedLine([], gb)).toBeNull();
  });
});

describe('appListed', () => {
  it('finds a path among the engine keys, Windows paths case-blind', () => {
    expect(appListed(['/usr/bin/curl'], '/usr/bin/curl')).toBe(true);
    expect(appListed(['/usr/bin/curl'], '/usr/bin/Curl')).toBe(false);
    expect(appListed(['c:\\tools\\curl.exe'], 'C:\\Tools\\curl.exe')).toBe(true);
  });
});

describe('ruleLine', () => {
  const rule = proposal('a', 'www.mozilla.org').rule;
  const names = (id: string): string => (id === 'home' ? 'Home' : id);

  it('says what a narrowed rule allows', () => {
    expect(ruleLine(rule, '/usr/bin/curl', names)).toBe('allow www.mozilla.org, port 443, TCP');
    const wider = {
      ...rule,
      destination: { kind: 'domain', pattern: '*.mozilla.org' },
      port: { kind: 'any' },
    } as const;
    expect(ruleLine({ ...wider, protocol: 'any' }, '/usr/bin/curl', names)).toBe(
      'allow *.mozilla.org, any port, any protocol',
    );
  });

  it('names the app when the rule is no longer for the one that learned it, and its one profile', () => {
    expect(ruleLine({ ...rule, app: { kind: 'any' }, action: 'block' }, '/usr/bin/curl', names)).toBe(
      'block www.mozilla.org, port 443, TCP, for Any app',
    );
    expect(ruleLine({ ...rule, profile: 'home' }, '/usr/bin/curl', names)).toBe(
      'allow www.mozilla.org, port 443, TCP, only in Home',
    );
  });
});
