import { describe, expect, it } from 'vitest';
import { MAX_PAUSE_MINUTES, ModeState } from './modes.ts';

describe('ModeState', () => {
  it('starts in ask mode', () => {
    expect(new ModeState().status(0)).toEqual({ mode: 'ask', resumesAt: null, resumesTo: null });
  });

  it('pauses for N minutes, then resumes the previous mode', () => {
    const modes = new ModeState();
    modes.set({ mode: 'block-all' }, 0);
    modes.set({ mode: 'pause', minutes: 5 }, 1000);
    expect(modes.status(2000)).toEqual({ mode: 'pause', resumesAt: 301_000, resumesTo: 'block-all' });
    expect(modes.tick(300_999)).toBe(false);
    expect(modes.current(301_000)).toBe('block-all'); // even before tick
    expect(modes.tick(301_000)).toBe(true);
    expect(modes.status(301_000).mode).toBe('block-all');
  });

  it('re-pausing moves the resume time but keeps the mode to resume to', () => {
    const modes = new ModeState();
    modes.set({ mode: 'pause', minutes: 1 }, 0);
    modes.set({ mode: 'pause', minutes: 10 }, 30_000);
    expect(modes.status(60_000)).toEqual({ mode: 'pause', resumesAt: 630_000, resumesTo: 'ask' });
  });

  it('a mode set during a pause ends the pause', () => {
    const modes = new ModeState();
    modes.set({ mode: 'pause', minutes: 10 }, 0);
    modes.set({ mode: 'allow-all' }, 1);
    expect(modes.status(2)).toEqual({ mode: 'allow-all', resumesAt: null, resumesTo: null });
  });

  it('clamps the pause length to 1 minute .. one day', () => {
    const modes = new ModeState();
    modes.set({ mode: 'pause', minutes: 0 }, 0);
    expect(modes.status(0).resumesAt).toBe(60_000);
    modes.set({ mode: 'pause', minutes: 1e9 }, 0);
    expect(modes.status(0).resumesAt).toBe(MAX_PAUSE_MINUTES * 60_000);
  });
});
