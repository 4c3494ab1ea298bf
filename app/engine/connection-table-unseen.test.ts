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
