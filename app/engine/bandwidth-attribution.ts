import type { BandwidthReport, FlowTuple } from '../contract/driver-events.ts';
import type { ConnectionRow } from './connection-table.ts';

export type { AppBucket } from '../contract/views.ts';
import type { AppBucket } from '../contract/views.ts';

/** What attribution needs of the connection table. */
export interface FlowRows {
  rowForFlow(flow: FlowTuple): ConnectionRow | undefined;
  addBytes(id: number, sent: number, received: number): void;
}

/** Samples of a flow nobody asked about (it started before the engine did). */
export const UNKNOWN_APP = 'unknown';

/**
 * Attributes bandwidth deltas to connections (by flow tuple) and to apps (by the connection's
 * app), summed per app per second until the store takes them. Buckets not taken are capped
 * at `maxSeconds` distinct seconds (oldest dropped) so a stalled store cannot grow memory.
 */
export class BandwidthAttribution {
  readonly #rows: FlowRows;
  readonly #maxSeconds: number;
  /** second → app → [transmitted, received] */
  readonly #buckets = new Map<number, Map<string, [number, number]>>();

  constructor(rows: FlowRows, maxSeconds = 600) {
    this.#rows = rows;
    this.#maxSeconds = maxSeconds;
  }

  /** Attributes one report, received at `now`. */
  add(report: BandwidthReport, now: number): void {
    const second = Math.floor(now / 1000);
    for (const sample of report.samples) {
      const sent = Number(sample.transmitted);
      const received = Number(sample.received);
      if (sent <= 0 && received <= 0) continue;
      const row = this.#rows.rowForFlow(sample.flow);
      if (row !== undefined) this.#rows.addBytes(row.id, sent, received);
      this.#addToApp(second, row?.app ?? UNKNOWN_APP, sent, received);
    }
  }

  /** The per-app per-second totals since the last call, oldest second first. */
  takeAppBuckets(): AppBucket[] {
    const out: AppBucket[] = [];
    for (const [second, apps] of this.#buckets) {
      for (const [app, [transmitted, received]] of apps) out.push({ second, app, transmitted, received });
    }
    this.#buckets.clear();
    return out.sort((a, b) => a.second - b.second);
  }

  #addToApp(second: number, app: string, sent: number, received: number): void {
    let apps = this.#buckets.get(second);
    if (apps === undefined) {
      apps = new Map();
      this.#buckets.set(second, apps);
      while (this.#buckets.size > this.#maxSeconds) this.#dropOldest();
    }
    const totals = apps.get(app);
    if (totals === undefined) apps.set(app, [sent, received]);
    else {
      totals[0] += sent;
      totals[1] += received;
    }
  }

  #dropOldest(): void {
    const oldest = Math.min(...this.#buckets.keys());
    this.#buckets.delete(oldest);
  }
}
