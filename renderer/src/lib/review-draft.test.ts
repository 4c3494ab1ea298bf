import { describe, expect, it } from 'vitest';
import type { RuleInput } from '../../../app/contract/rules.ts';
import { formatFor } from './locale-format.ts';
import {
  decide,
  decideGroup,
  EMPTY_DRAFT,
  pruneDraft,
  reviewDecisions,
  tallyDraft,
  tallyText,
  withoutProposals,
} from './review-draft.ts';
import { proposal, proposalGroup } from './test-rows.ts';

const curl = proposalGroup('/usr/bin/curl', [proposal('a', 'example.org'), proposal('b', 'example.net')]);
const git = proposalGroup('/usr/bin/git', [proposal('c', 'github.com')]);
const groups = [curl, git];
const narrowed: RuleInput = {
  ...proposal('a', 'example.org').rule,
  destination: { kind: 'domain', pattern: '*.example.org' },
};

describe('review draft', () => {
  it('sends every decision made, in list order, and nothing for a proposal left open', () => {
    let draft = decide(EMPTY_DRAFT, ['c'], { action: 'discard' });
    draft = decide(draft, ['a'], { action: 'keep', rule: narrowed });
    expect(reviewDecisions(draft, groups)).toEqual([
      { proposalId: 'a', action: 'keep', rule: narrowed },
      { proposalId: 'c', action: 'discard' },
    ]);
    expect(tallyDraft(draft, groups)).toEqual({ keep: 1, narrowed: 1, discard: 1, undecided: 1 });
  });

  it('keeps a proposal as proposed without a rule of its own', () => {
    const draft = decide(EMPTY_DRAFT, ['b'], { action: 'keep' });
    expect(reviewDecisions(draft, groups)).toEqual([{ proposalId: 'b', action: 'keep' }]);
    expect(reviewDecisions(decide(draft, ['b'], null), groups)).toEqual([]);
  });

  it('keeps all of an app without undoing a narrowed one, and discards all of it', () => {
    const draft = decideGroup(decide(EMPTY_DRAFT, ['a'], { action: 'keep', rule: narrowed }), curl, 'keep');
    expect(draft.get('a')).toEqual({ action: 'keep', rule: narrowed });
    expect(draft.get('b')).toEqual({ action: 'keep' });
    const discarded = decideGroup(draft, curl, 'discard');
    expect(reviewDecisions(discarded, groups)).toEqual([
      { proposalId: 'a', action: 'discard' },
      { proposalId: 'b', action: 'discard' },
    ]);
  });

  it('drops the decisions of proposals the engine no longer lists', () => {
    const draft = decide(EMPTY_DRAFT, ['a', 'c'], { action: 'discard' });
    const pruned = pruneDraft(draft, [curl]);
    expect([...pruned.keys()]).toEqual(['a']);
    expect(pruneDraft(pruned, groups)).toBe(pruned);
  });
});

describe('withoutProposals', () => {
  it('takes reviewed proposals out, and an app with none left', () => {
    expect(withoutProposals(groups, new Set(['a', 'c']))).toEqual([{ ...curl, proposals: [curl.proposals[1]] }]);
  });
});

describe('tallyText', () => {
  const en = formatFor('en-US');

  it('says what Apply will do, the parts that are not zero', () => {
    expect(tallyText({ keep: 3, narrowed: 1, discard: 2, undecided: 1 }, en)).toBe(
      '3 to keep (1 narrowed), 2 to discard, 1 not decided (it stays for later).',
    );
    expect(tallyText({ keep: 0, narrowed: 0, discard: 2, undecided: 0 }, en)).toBe('2 to discard.');
    expect(tallyText({ keep: 0, narrowed: 0, discard: 0, undecided: 5 }, en)).toBe('Nothing decided yet.');
  });
});
