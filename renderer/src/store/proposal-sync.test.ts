import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { learningStatus, proposal, proposalGroup } from '../lib/test-rows.ts';
import { ProposalReader, proposalsStale } from './proposal-sync.ts';

describe('proposalsStale', () => {
  const shown = [proposalGroup('/usr/bin/curl', [proposal('a', 'example.org'), proposal('b', 'example.net')])];
  const now = 10_000;

  it('reads again when the number waiting differs from what is shown', () => {
    expect(proposalsStale(learningStatus({ proposals: 3 }), shown, now)).toBe(true);
    expect(proposalsStale(learningStatus({ proposals: 0 }), shown, now)).toBe(true);
    expect(proposalsStale(learningStatus({ proposals: 2 }), shown, now)).toBe(false);
    expect(proposalsStale(learningStatus(), [], now)).toBe(false);
  });

  it('reads again on every status while learning goes on: connection counts grow', () => {
    expect(proposalsStale(learningStatus({ proposals: 2, until: now + 1 }), shown, now)).toBe(true);
    expect(proposalsStale(learningStatus({ proposals: 2, apps: ['/usr/bin/curl'] }), shown, now)).toBe(true);
    // Nothing learned yet: nothing to read.
    expect(proposalsStale(learningStatus({ until: now + 1 }), [], now)).toBe(false);
  });
});

describe('ProposalReader', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A reader whose reads finish when the test says (`finish` ends the latest). */
  function reader(): { readonly reads: () => number; readonly finish: () => void; readonly reader: ProposalReader } {
    let reads = 0;
    let finish = (): void => undefined;
    const proposals = new ProposalReader(
      () =>
        new Promise<void>((resolve) => {
          reads += 1;
          finish = resolve;
        }),
      1000,
      () => Date.now(),
    );
    return { reads: () => reads, finish: () => finish(), reader: proposals };
  }

  it('reads at once, then at most once a second however often it is asked', async () => {
    const r = reader();
    r.reader.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.reads()).toBe(1);
    r.finish();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 10; i += 1) r.reader.request();
    await vi.advanceTimersByTimeAsync(999);
    expect(r.reads()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.reads()).toBe(2);
  });

  it('reads once more after a read that a request came during, so the last change is seen', async () => {
    const r = reader();
    r.reader.request();
    await vi.advanceTimersByTimeAsync(0);
    r.reader.request();
    r.reader.request();
    await vi.advanceTimersByTimeAsync(5000);
    // Still the first read: none starts while one runs.
    expect(r.reads()).toBe(1);
    r.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.reads()).toBe(2);
    r.finish();
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.reads()).toBe(2);
  });

  it('reads nothing after it stopped', async () => {
    const r = reader();
    r.reader.request();
    r.reader.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(r.reads()).toBe(0);
  });
});
