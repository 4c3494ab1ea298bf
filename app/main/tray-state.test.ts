import { describe, expect, it } from 'vitest';
import { OK_STATUS as base } from '../headless/test-support/status-handlers.ts';
import { countLabel, trayState } from './tray-state.ts';

const time = (ms: number): string => `T${String(ms)}`;

describe('trayState', () => {
  it('shows attention with the pending count first', () => {
    expect(trayState({ ...base, pendingPrompts: 1 }, 'dark', time)).toEqual({
      image: 'attention-1-dark',
      tooltip: 'ZenithFence: 1 connection waits for your answer',
    });
    expect(trayState({ ...base, pendingPrompts: 12 }, 'light', time).image).toBe('attention-9plus-light');
    expect(countLabel(9)).toBe('9');
  });

  it('shows a pause with its resume time, and a missing driver', () => {
    const paused = { ...base, mode: { mode: 'pause' as const, resumesAt: 5000, resumesTo: 'ask' as const } };
    expect(trayState(paused, 'light', time)).toEqual({
      image: 'paused-light',
      tooltip: 'ZenithFence: paused until T5000',
    });
    expect(trayState({ ...base, driver: 'reconnecting', driverMessage: 'no daemon' }, 'light', time).tooltip).toBe(
      'ZenithFence: driver reconnecting (no daemon)',
    );
  });

  it('says what the mode does when all is well', () => {
    expect(trayState(base, 'light', time)).toEqual({
      image: 'active-light',
      tooltip: 'ZenithFence: asking for new connections',
    });
  });
});
