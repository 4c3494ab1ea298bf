import { describe, expect, it } from 'vitest';
import { learningChoices, parseMinutes, spanText } from './learning-menu.ts';
import { formatFor } from './locale-format.ts';
import { learningStatus } from './test-rows.ts';

const gb = formatFor('en-GB');
const now = new Date(2024, 4, 2, 14, 17).getTime();

describe('learningChoices', () => {
  it('offers 15 minutes and an hour with their end, and another time', () => {
    expect(learningChoices(learningStatus(), now, gb)).toEqual([
      { kind: 'start', minutes: 15, label: 'Learn for 15 minutes (until 14:32)' },
      { kind: 'start', minutes: 60, label: 'Learn for 1 hour (until 15:17)' },
      { kind: 'custom', label: 'Learn for another time…' },
    ]);
  });

  it('adds Stop while anything learns, and the review while proposals wait', () => {
    const learning = learningChoices(learningStatus({ apps: ['/usr/bin/curl'], proposals: 20 }), now, gb);
    expect(learning.slice(3)).toEqual([
      { kind: 'stop', label: 'Stop learning' },
      { kind: 'review', label: 'Review 20 proposals…' },
    ]);
    // A window that ran out has nothing to stop; what it learned still waits.
    const ended = learningChoices(learningStatus({ until: now - 1, proposals: 1 }), now, gb);
    expect(ended.slice(3)).toEqual([{ kind: 'review', label: 'Review 1 proposal…' }]);
  });
});

describe('spanText', () => {
  it('says whole hours in hours, the rest in minutes', () => {
    expect(spanText(60, gb)).toBe('1 hour');
    expect(spanText(90, gb)).toBe('90 minutes');
  });
});

describe('parseMinutes', () => {
  it('takes a whole number of minutes within the limit', () => {
    expect(parseMinutes(' 90 ', 1440)).toBe(90);
    expect(parseMinutes('1440', 1440)).toBe(1440);
    expect(parseMinutes('1441', 1440)).toBeNull();
    expect(parseMinutes('0', 1440)).toBeNull();
    expect(parseMinutes('1.5', 1440)).toBeNull();
    expect(parseMinutes('', 1440)).toBeNull();
  });
});
