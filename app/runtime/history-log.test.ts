import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../contract/dispatch.ts';
import { historyRow } from '../store/test-support/fixtures.ts';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { HistoryLog } from './history-log.ts';
import { connection, CURL, startRuntime } from './test-support/harness.ts';

const lines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('HistoryLog', () => {
  it('logs each connection when stored and its end once, as JSON lines', async () => {
    const file = path.join(testTempDir('zf-connlog-'), 'connections.jsonl');
    const problems: string[] = [];
    const log = new HistoryLog({ onProblem: (m) => problems.push(m) });
    log.setPath(file);
    log.record([historyRow('a', { startedAt: 1_000 }), historyRow('b', { startedAt: 2_000, endedAt: 2_500 })], []);
    log.record([], [{ id: 'a', bytesSent: 10, bytesReceived: 20 }]); // bytes only: not an end
    log.record([], [{ id: 'a', endedAt: 3_000, bytesSent: 11, bytesReceived: 22 }]);
    log.record([], [{ id: 'a', endedAt: 3_000, bytesSent: 12, bytesReceived: 22 }]); // logged already
    log.record([], [{ id: 'b', endedAt: 2_500 }]); // stored ended: its end came with it
    await log.drain();
    const logged = lines(file);
    expect(logged.map((l) => [l['event'], l['id']])).toEqual([
      ['connection', 'a'],
      ['connection', 'b'],
      ['end', 'a'],
    ]);
    expect(logged[0]).toMatchObject({ app_path: '/usr/bin/curl', started_at_ms: 1_000, verdict: 'allow' });
    expect(logged[2]).toEqual({
      event: 'end',
      id: 'a',
      ended_at: new Date(3_000).toISOString(),
      ended_at_ms: 3_000,
      bytes_sent: 11,
      bytes_received: 22,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(problems).toEqual([]);
  });

  it('logs an end again when a connection taken as ended ends later, however the updates come', async () => {
    const file = path.join(testTempDir('zf-connlog-'), 'connections.jsonl');
    const log = new HistoryLog({ onProblem: () => undefined });
    log.setPath(file);
    log.record([historyRow('a', { startedAt: 1_000 }), historyRow('b', { startedAt: 1_000 })], []);
    // Both taken as ended when the driver link was lost (2 000).
    log.record(
      [],
      [
        { id: 'a', endedAt: 2_000, bytesSent: 1, bytesReceived: 0 },
        { id: 'b', endedAt: 2_000, bytesSent: 1, bytesReceived: 0 },
      ],
    );
    // a ends for real with no byte since (no update of it as open); b moved bytes and ended
    // within one write (one update).
    log.record(
      [],
      [
        { id: 'a', endedAt: 9_000, bytesSent: 1, bytesReceived: 0 },
        { id: 'b', endedAt: 9_500, bytesSent: 8, bytesReceived: 0 },
      ],
    );
    // Later updates of the same end add nothing.
    log.record([], [{ id: 'a', endedAt: 9_000, bytesSent: 1, bytesReceived: 5 }]);
    await log.drain();
    expect(
      lines(file)
        .filter((l) => l['event'] === 'end')
        .map((l) => [l['id'], l['ended_at_ms'], l['bytes_sent']]),
    ).toEqual([
      ['a', 2_000, 1],
      ['b', 2_000, 1],
      ['a', 9_000, 1],
      ['b', 9_500, 8],
    ]);
  });

  it('rotates by size, keeping the newest files', async () => {
    const file = path.join(testTempDir('zf-connlog-'), 'c.jsonl');
    const log = new HistoryLog({ maxBytes: 2_000, keep: 2, onProblem: () => undefined });
    log.setPath(file);
    for (let i = 0; i < 20; i++) {
      log.record([historyRow(`r${i}`)], []);
      await log.drain();
    }
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const f of [file, `${file}.1`, `${file}.2`]) expect(statSync(f).size).toBeLessThanOrEqual(2_000);
    // The newest line is in the current file, the one before it in .1 or the current file.
    expect(lines(file).at(-1)?.['id']).toBe('r19');
  });

  it('says when it cannot write, never throws, and writes again once it can', async () => {
    const dir = testTempDir('zf-connlog-');
    const problems: string[] = [];
    const log = new HistoryLog({ onProblem: (m) => problems.push(m) });
    log.setPath(path.join(dir, 'missing', 'c.jsonl'));
    log.record([historyRow('lost')], []);
    await log.drain();
    expect(problems.join('\n')).toMatch(/ENOENT[\s\S]*1 lines could not be written and were dropped/);
    const file = path.join(dir, 'c.jsonl');
    log.setPath(file);
    log.record([historyRow('kept')], []);
    await log.drain();
    expect(lines(file).map((l) => l['id'])).toEqual(['kept']);
  });

  it('drops lines beyond what may wait in memory, and says how many', async () => {
    const file = path.join(testTempDir('zf-connlog-'), 'c.jsonl');
    const problems: string[] = [];
    const log = new HistoryLog({ maxPendingBytes: 1_000, onProblem: (m) => problems.push(m) });
    log.setPath(file);
    log.record(
      Array.from({ length: 50 }, (_, i) => historyRow(`r${i}`)),
      [],
    );
    await log.drain();
    const written = lines(file).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(50);
    expect(problems.join('\n')).toContain(`${String(50 - written)} lines could not be written`);
  });

  it('logs nothing when off', async () => {
    const file = path.join(testTempDir('zf-connlog-'), 'c.jsonl');
    const log = new HistoryLog({ onProblem: () => undefined });
    log.setPath(file);
    log.setPath('');
    log.record([historyRow('x')], []);
    await log.drain();
    expect(existsSync(file)).toBe(false);
  });
});

describe('the connection log setting', () => {
  it('logs what the runtime decides once switched on, to the file the host names, and takes no path', async () => {
    const file = path.join(testTempDir('zf-connlog-'), 'connections.jsonl');
    const h = startRuntime({ connectionLogPath: file });
    h.clock.now = 2_000;
    // The renderer is untrusted: a path is not a setting it can send.
    expect((await dispatch(h.handlers, 'settings:set', { connectionLog: '/etc/passwd' })).ok).toBe(false);
    expect((await dispatch(h.handlers, 'settings:set', { connectionLogFile: '/tmp/x' })).ok).toBe(false);
    expect(await dispatch(h.handlers, 'settings:set', { connectionLog: true })).toMatchObject({
      ok: true,
      value: { connectionLog: true },
    });
    await dispatch(h.handlers, 'rules:create', {
      app: { kind: 'path', path: CURL },
      destination: { kind: 'any' },
      action: 'allow',
    });
    h.runtime.handleEvent(connection(1n, 40_001, 443, '192.0.2.7'), 2_001);
    h.runtime.tick(3_000);
    await h.runtime.drainConnectionLog();
    expect(lines(file)).toEqual([
      expect.objectContaining({ event: 'connection', app_path: CURL, remote_ip: '192.0.2.7', verdict: 'allow' }),
    ]);
  });
});
