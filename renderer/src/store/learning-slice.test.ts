import { describe, expect, it } from 'vitest';
import type { StatusView } from '../../../app/contract/views.ts';
import { learningStatus } from '../lib/test-rows.ts';
import { withLearningStatus } from './learning-slice.ts';

describe('withLearningStatus', () => {
  it('replaces the learning part of the status, and leaves no status as none', () => {
    const status = { pendingPrompts: 2, learning: learningStatus() } as unknown as StatusView;
    const on = learningStatus({ until: 5000, proposals: 3 });
    expect(withLearningStatus(status, on)).toEqual({ pendingPrompts: 2, learning: on });
    expect(withLearningStatus(null, on)).toBeNull();
  });
});
