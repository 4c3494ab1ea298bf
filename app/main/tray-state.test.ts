import { describe, expect, it } from 'vitest';
import type { ProfileStatus } from '../contract/profiles.ts';
import type { StatusView } from '../contract/views.ts';
import { OK_STATUS } from '../headless/test-support/status-handlers.ts';
import { countLabel, trayState } from './tray-state.ts';

const home: ProfileStatus = {
  active: { id: 'home', name: 'Home', mode: 'ask', noAppAction: 'block', builtIn: true },
  reason: 'network',
  pinned: false,
  network: null,
  question: null,
};
const base: StatusView = { ...OK_STATUS, profile: home };

const time = (ms: number): string => `T${String(ms)}`;

describe('trayState', () => {
  it('shows attention with the pending count first', () => {
    expect(trayState({ ...base, pendingPrompts: 1 }, 'dark', time)).toEqual({
      image: 'attention-1-dark',
      tooltip: 'ZenithFence (Home): 1 connection waits for your answer',
    });
    expect(trayState({ ...base, pendingPrompts: 12 }, 'light', time).image).toBe('attention-9plus-light');
    expect(countLabel(9)).toBe('9');
  });

  it('shows a pause with its resume time, and a missing driver', () => {
    const paused = { ...base, mode: { mode: 'pause' as const, resumesAt: 5000, resumesTo: 'ask' as const } };
    expect(trayState(paused, 'light', time)).toEqual({
      image: 'paused-light',
      tooltip: 'ZenithFence (Home): paused until T5000',
    });
    expect(trayState({ ...base, driver: 'reconnecting', driverMessage: 'no daemon' }, 'light', time).tooltip).toBe(
      'ZenithFence (Home): driver reconnecting (no daemon)',
    );
  });

  it('says what the mode does when all is well', () => {
    expect(trayState(base, 'light', time)).toEqual({
      image: 'active-light',
      tooltip: 'ZenithFence (Home): asking for new connections',
    });
  });

  it('names the active profile, pinned or on an unknown network', () => {
    const work = { ...home.active, id: 'work', name: 'Work' };
    expect(
      trayState({ ...base, profile: { ...home, active: work, pinned: true, reason: 'pinned' } }, 'light', time).tooltip,
    ).toBe('ZenithFence (Work, pinned): asking for new connections');
    const pub = { ...home.active, id: 'public', name: 'Public' };
    const unknown = { ...home, active: pub, reason: 'unknown-network' as const, question: { key: 'k', label: 'Café' } };
    expect(trayState({ ...base, profile: unknown, pendingPrompts: 2 }, 'dark', time).tooltip).toBe(
      'ZenithFence (Public, unknown network): 2 connections wait for your answer',
    );
  });
});

describe('trayState: learning', () => {
  const learning = { until: null, apps: [], alwaysAsk: [], proposals: 0, overflow: 0 };

  it('says learning is on, until when, and for which apps, in every state', () => {
    expect(trayState({ ...base, learning: { ...learning, until: 7000 } }, 'light', time)).toEqual({
      image: 'active-light',
      tooltip: 'ZenithFence (Home): asking for new connections; learning until T7000',
    });
    expect(
      trayState({ ...base, pendingPrompts: 1, learning: { ...learning, apps: ['/usr/bin/curl'] } }, 'dark', time)
        .tooltip,
    ).toBe('ZenithFence (Home): 1 connection waits for your answer; learning curl until it quits');
    const both = { ...learning, until: 7000, apps: ['/usr/bin/curl', 'c:\\tools\\git.exe'] };
    expect(trayState({ ...base, learning: both }, 'light', time).tooltip).toBe(
      'ZenithFence (Home): asking for new connections; learning until T7000, 2 apps until they quit',
    );
  });

  it('says how many proposals wait for review, after learning stopped too', () => {
    expect(trayState({ ...base, learning: { ...learning, proposals: 1 } }, 'light', time).tooltip).toBe(
      'ZenithFence (Home): asking for new connections; 1 proposal to review',
    );
    expect(trayState({ ...base, learning: { ...learning, until: 7000, proposals: 20 } }, 'light', time).tooltip).toBe(
      'ZenithFence (Home): asking for new connections; learning until T7000; 20 proposals to review',
    );
  });
});
