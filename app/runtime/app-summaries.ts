import type { AppSummary, ConnectionRow } from '../contract/views.ts';

/** Per-app totals over the connections the engine keeps (live and recently ended). */
export function summarizeApps(rows: readonly ConnectionRow[]): AppSummary[] {
  const byApp = new Map<string, { connections: number; sent: number; received: number; lastSeenAt: number }>();
  for (const row of rows) {
    const total = byApp.get(row.app) ?? { connections: 0, sent: 0, received: 0, lastSeenAt: 0 };
    total.connections += 1;
    total.sent += row.bytesSent;
    total.received += row.bytesReceived;
    total.lastSeenAt = Math.max(total.lastSeenAt, row.endedAt ?? row.startedAt);
    byApp.set(row.app, total);
  }
  return [...byApp.entries()]
    .map(([app, total]) => ({ app, ...total }))
    .sort((a, b) => b.sent + b.received - (a.sent + a.received));
}
