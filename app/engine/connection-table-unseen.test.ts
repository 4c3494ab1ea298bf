import { describe, expect, it } from 'vitest';
import { ConnectionTable } from './connection-table.ts';
import { makeRequest } from './testing.ts';

// Rows live when the link to the driver is lost: the driver reports no end meanwhile, so each
// waits for a sign of life once the link is back, and is ended as of the loss if none comes.

const APP = { path: '/usr/bin/curl', label: '/usr/bin/curl', uid: 1000 };
const NAMES = { ip: '93.184.216.34', host: null };
const GRACE = 30_000;

function tableWith(ids: readonly bigint[]): { table: ConnectionTable; rows: number[] } {
  const table = new ConnectionTable({ unseenGraceMs: GRACE });
  const rows = ids.map((id) => table.open(makeRequest({ id }), APP, NAMES, 100));
  for (const row of rows) table.setVerdict(row, 'permanent-accept', null);
  return { table, rows };
}

function endedAt(table: ConnectionTable, row: number): number | null | undefined {
  return table.list().find((r) => r.id === row)?.endedAt;
}

describe('ConnectionTable rows unseen since the driver link was lost', () => {
  it('ends a row that gives no sign of life within the grace after the link is back, as of the loss', () => {
    const { table, rows } = tableWith([1n]);
    const [row = 0] = rows;
    table.linkLost(1_000);
    // Nothing is ended while the link is down, however long.
    expect(table.endUnseen(500_000)).toBe(0);
    table.linkUp(600_000);
    expect(table.endUnseen(600_000 + GRACE - 1)).toBe(0);
    expect(endedAt(table, row)).toBeNull();
    table.takeChanges();
    expect(table.endUnseen(600_000 + GRACE)).toBe(1);
    expect(endedAt(table, row)).toBe(1_000);
    expect(table.liveCount).toBe(0);
    expect(table.takeChanges().upserted).toEqual([expect.objectContaining({ id: row, endedAt: 1_000 })]);
    // Once done, the next ticks end nothing more.
    expect(table.endUnseen(700_000)).toBe(0);
  });

  it('keeps the rows that move bytes, are held again, or end meanwhile, each as it is', () => {
    const { table, rows } = tableWith([1n, 2n, 3n, 4n, 5n]);
    const [bytes = 0, held = 0, ended = 0, zero = 0, idle = 0] = rows;
    table.linkLost(1_000);
    table.linkUp(2_000);
    table.addBytes(bytes, 10, 0);
    table.open({ ...makeRequest({ id: 2n }), requestId: 77n }, APP, NAMES, 2_500);
    table.end(makeRequest({ id: 3n }).flow, 3_000);
    // A sample of no bytes is no sign of life.
    table.addBytes(zero, 0, 0);
    expect(table.endUnseen(2_000 + GRACE)).toBe(2);
    expect(endedAt(table, bytes)).toBeNull();
    expect(endedAt(table, held)).toBeNull();
    expect(endedAt(table, ended)).toBe(3_000);
    expect(endedAt(table, zero)).toBe(1_000);
    expect(endedAt(table, idle)).toBe(1_000);
  });

  it('opens a row ended so again at its next byte or hold, and takes a later end as the real one', () => {
    const { table, rows } = tableWith([1n, 2n, 3n]);
    const [bytes = 0, held = 0, late = 0] = rows;
    table.linkLost(1_000);
    table.linkUp(2_000);
    expect(table.endUnseen(2_000 + GRACE)).toBe(3);

    table.addBytes(bytes, 0, 500);
    const again = table.open({ ...makeRequest({ id: 2n }), requestId: 9n }, APP, NAMES, 40_000);
    expect(again).toBe(held);
    table.end(makeRequest({ id: 3n }).flow, 45_000);

    const list = table.list();
    expect(list.find((r) => r.id === bytes)).toMatchObject({ endedAt: null, bytesReceived: 500, startedAt: 100 });
    expect(list.find((r) => r.id === held)).toMatchObject({ endedAt: null, verdict: 'pending' });
    expect(list.find((r) => r.id === late)).toMatchObject({ endedAt: 45_000 });
    expect(table.liveCount).toBe(2);
    // Open again, they end as any row does.
    table.end(makeRequest({ id: 1n }).flow, 50_000);
    expect(endedAt(table, bytes)).toBe(50_000);
    // A real end is kept: later bytes of the flow count on the row and leave it ended.
    table.addBytes(late, 5, 5);
    expect(endedAt(table, late)).toBe(45_000);
  });

  it("gives another process's connection on the same addresses a row of its own", () => {
    const { table, rows } = tableWith([1n]);
    const [old = 0] = rows;
    table.linkLost(1_000);
    table.linkUp(2_000);
    table.endUnseen(2_000 + GRACE);
    const other = table.open({ ...makeRequest({ id: 1n, pid: 555 }), requestId: 8n }, APP, NAMES, 40_000);
    expect(other).not.toBe(old);
    expect(endedAt(table, old)).toBe(1_000);
    expect(endedAt(table, other)).toBeNull();
  });

  it('keeps the time of the first loss when the link drops again before the grace is over', () => {
    const { table, rows } = tableWith([1n]);
    const [row = 0] = rows;
    table.linkLost(1_000);
    table.linkUp(2_000);
    table.linkLost(10_000);
    // Down again: the first grace no longer ends anything.
    expect(table.endUnseen(2_000 + GRACE)).toBe(0);
    // A row opened before the second loss waits as of that one.
    table.linkUp(11_000);
    const later = table.open(makeRequest({ id: 2n }), APP, NAMES, 12_000);
    table.linkLost(13_000);
    table.linkUp(14_000);
    expect(table.endUnseen(14_000 + GRACE)).toBe(2);
    expect(endedAt(table, row)).toBe(1_000);
    expect(endedAt(table, later)).toBe(13_000);
  });

  it('opens a row again in a full live ring without dropping the row itself', () => {
    const table = new ConnectionTable({ unseenGraceMs: GRACE, maxLive: 2 });
    const a = table.open(makeRequest({ id: 1n }), APP, NAMES, 100);
    table.open(makeRequest({ id: 2n }), APP, NAMES, 100);
    table.linkLost(1_000);
    table.linkUp(2_000);
    expect(table.endUnseen(2_000 + GRACE)).toBe(2);
    const c = table.open(makeRequest({ id: 3n }), APP, NAMES, 40_000);
    table.open(makeRequest({ id: 4n }), APP, NAMES, 40_000);
    table.takeChanges();
    table.addBytes(a, 10, 0);
    const changes = table.takeChanges();
    // The oldest live row makes room; the one that came back is live, once, and not removed.
    expect(changes.removed).toEqual([c]);
    expect(changes.upserted).toEqual([expect.objectContaining({ id: a, endedAt: null, bytesSent: 10 })]);
    expect(table.liveCount).toBe(2);
    expect(table.liveRowForFlow(makeRequest({ id: 1n }).flow)?.id).toBe(a);
  });

  it('takes a hold the driver found no process for as the row’s, and one of another process as a new row', () => {
    const table = new ConnectionTable({ unseenGraceMs: GRACE });
    const known = table.open(makeRequest({ id: 1n, pid: 700 }), APP, NAMES, 100);
    const unknown = table.open(makeRequest({ id: 2n, pid: 0 }), APP, NAMES, 100);
    table.linkLost(1_000);
    table.linkUp(2_000);
    expect(table.endUnseen(2_000 + GRACE)).toBe(2);
    const nobody = { path: '', label: 'unknown (uid 1000)', uid: 1000 };
    expect(table.open({ ...makeRequest({ id: 1n, pid: 0 }), requestId: 8n }, nobody, NAMES, 40_000)).toBe(known);
    const wget = { path: '/usr/bin/wget', label: '/usr/bin/wget', uid: 1001 };
    expect(table.open({ ...makeRequest({ id: 2n, pid: 701 }), requestId: 9n }, wget, NAMES, 40_000)).toBe(unknown);
    // The process found now names the row that had none; a known one stays.
    const rows = table.list();
    expect(rows.find((row) => row.id === known)).toMatchObject({ pid: 700, app: '/usr/bin/curl' });
    expect(rows.find((row) => row.id === unknown)).toMatchObject({
      pid: 701,
      uid: 1001,
      appPath: '/usr/bin/wget',
      app: '/usr/bin/wget',
    });
  });

  it('keeps the rows that really ended when thousands are taken as ended at once, within bounds', () => {
    const table = new ConnectionTable({ unseenGraceMs: GRACE, maxLive: 5, maxEnded: 2 });
    const real = table.open(makeRequest({ id: 100n }), APP, NAMES, 10);
    table.end(makeRequest({ id: 100n }).flow, 20);
    const open = [1n, 2n, 3n, 4n].map((id) => table.open(makeRequest({ id }), APP, NAMES, 100));
    table.linkLost(1_000);
    table.linkUp(2_000);
    expect(table.endUnseen(2_000 + GRACE)).toBe(4);
    // The row that really ended is still there beside the four.
    expect(table.list().map((row) => row.id)).toEqual([real, ...open]);
    // Each still opens again at its next byte.
    for (const id of open) table.addBytes(id, 1, 0);
    expect(table.liveCount).toBe(4);
    // A guessed row that really ends joins the ring of ended rows, and its bound.
    for (const id of open) table.end(makeRequest({ id: BigInt(open.indexOf(id) + 1) }).flow, 50_000);
    expect(table.list().map((row) => row.id)).toEqual(open.slice(2));
    // At most maxLive guessed rows are kept, over several losses, the oldest dropped first.
    const first = [5n, 6n, 7n, 8n, 9n].map((id) => table.open(makeRequest({ id }), APP, NAMES, 60_000));
    table.linkLost(61_000);
    table.linkUp(62_000);
    expect(table.endUnseen(62_000 + GRACE)).toBe(5);
    const second = [10n, 11n, 12n].map((id) => table.open(makeRequest({ id }), APP, NAMES, 100_000));
    table.linkLost(101_000);
    table.linkUp(102_000);
    expect(table.endUnseen(102_000 + GRACE)).toBe(3);
    const guessed = table.list().filter((row) => row.endedAt === 61_000 || row.endedAt === 101_000);
    expect(guessed.map((row) => row.id)).toEqual([...first.slice(3), ...second]);
  });

  it('bounds the rows that really ended apart from those taken as ended, and counts a real end of one among them', () => {
    const table = new ConnectionTable({ unseenGraceMs: GRACE, maxEnded: 2 });
    const kept = (): number[][] =>
      table
        .list()
        .map((row) => [row.id, row.endedAt ?? 0])
        .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    const guessed = [1n, 2n, 3n].map((id) => table.open(makeRequest({ id }), APP, NAMES, 100));
    table.linkLost(1_000);
    table.linkUp(2_000);
    expect(table.endUnseen(2_000 + GRACE)).toBe(3);
    const [g1 = 0, g2 = 0, g3 = 0] = guessed;
    // Rows that end now are kept beside the three, up to maxEnded.
    const endNew = (id: bigint, at: number): number => {
      const row = table.open(makeRequest({ id }), APP, NAMES, at - 500);
      table.end(makeRequest({ id }).flow, at);
      return row;
    };
    const e1 = endNew(20n, 41_000);
    const e2 = endNew(21n, 41_500);
    expect(kept()).toEqual([
      [g1, 1_000],
      [g2, 1_000],
      [g3, 1_000],
      [e1, 41_000],
      [e2, 41_500],
    ]);
    // The first of the three really ends: it is the newest ended row, and the oldest goes.
    table.end(makeRequest({ id: 1n }).flow, 42_000);
    expect(kept()).toEqual([
      [g1, 42_000],
      [g2, 1_000],
      [g3, 1_000],
      [e2, 41_500],
    ]);
    // And it goes in its turn, by its real end.
    const e3 = endNew(22n, 44_000);
    expect(kept()).toEqual([
      [g1, 42_000],
      [g2, 1_000],
      [g3, 1_000],
      [e3, 44_000],
    ]);
    const e4 = endNew(23n, 46_000);
    expect(kept()).toEqual([
      [g2, 1_000],
      [g3, 1_000],
      [e3, 44_000],
      [e4, 46_000],
    ]);
  });

  it('forgets an unseen row the ring drops', () => {
    const table = new ConnectionTable({ unseenGraceMs: GRACE, maxLive: 2 });
    table.open(makeRequest({ id: 1n }), APP, NAMES, 100);
    table.open(makeRequest({ id: 2n }), APP, NAMES, 100);
    table.linkLost(1_000);
    table.linkUp(2_000);
    // A third live row drops the oldest, which waited to be seen.
    table.open(makeRequest({ id: 3n }), APP, NAMES, 3_000);
    expect(table.endUnseen(2_000 + GRACE)).toBe(1);
    expect(table.list().map((r) => [r.localPort, r.endedAt])).toEqual([
      [40_003, null],
      [40_002, 1_000],
    ]);
  });
});
