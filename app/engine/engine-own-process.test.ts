import { describe, expect, it } from 'vitest';
import { Engine } from './engine.ts';
import { makeRequest, MemoryRepository, RecordingVerdicts } from './testing.ts';

describe('Engine: its own process', () => {
  const OWN = 4321;
  const SELF = '/usr/lib/zenithfence/zenithfence';

  it('allows its own outbound connections where it would ask, this once, with no rule made', () => {
    const verdicts = new RecordingVerdicts();
    const engine = new Engine({ verdicts, repository: new MemoryRepository(), ownProcess: { pid: OWN, path: SELF } });
    engine.handle(makeRequest({ id: 1n, pid: OWN, path: SELF }), 0);
    expect(verdicts.for(1n)).toEqual(['accept']);
    expect(engine.listPrompts()).toEqual([]);
    expect(engine.listRules()).toEqual([]);
    // Another process's connection to the same place is asked about as ever; so is an inbound one of ours.
    engine.handle(makeRequest({ id: 2n, pid: OWN + 1, path: '/usr/bin/curl' }), 1);
    engine.handle(makeRequest({ id: 3n, pid: OWN, path: SELF, direction: 'inbound' }), 2);
    expect(verdicts.for(2n)).toEqual([]);
    expect(verdicts.for(3n)).toEqual([]);
    expect(engine.listPrompts()).toHaveLength(2);
  });

  it('our pid with another executable is not ours (a pid counted in another pid namespace)', () => {
    const verdicts = new RecordingVerdicts();
    const engine = new Engine({ verdicts, repository: new MemoryRepository(), ownProcess: { pid: 1, path: SELF } });
    engine.handle(makeRequest({ id: 1n, pid: 1, path: '/sbin/init' }), 0);
    engine.handle(makeRequest({ id: 2n, pid: 1 }), 0);
    expect(verdicts.for(1n)).toEqual([]);
    expect(verdicts.for(2n)).toEqual([]);
    // Both asked about (one app: pid 1's path is remembered from the first).
    expect(engine.listPrompts()[0]?.app).toBe('/sbin/init');
  });

  it('a rule or the block-all mode still decides its connections', () => {
    const verdicts = new RecordingVerdicts();
    const engine = new Engine({ verdicts, repository: new MemoryRepository(), ownProcess: { pid: OWN, path: SELF } });
    engine.setMode({ mode: 'block-all' }, 0);
    engine.handle(makeRequest({ id: 1n, pid: OWN, path: SELF }), 1);
    expect(verdicts.for(1n)).toEqual(['block']);
  });

  it('pid 0 (unknown) is never taken for its own', () => {
    const verdicts = new RecordingVerdicts();
    const engine = new Engine({ verdicts, repository: new MemoryRepository(), ownProcess: { pid: 0, path: SELF } });
    engine.handle(makeRequest({ id: 1n, pid: 0, path: SELF }), 0);
    expect(verdicts.for(1n)).toEqual([]);
  });
});
