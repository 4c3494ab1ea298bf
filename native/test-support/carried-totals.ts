import { rmSync, statSync } from 'node:fs';

/**
 * Removes the byte counts a daemon stopped with connections open left for the next daemon of
 * network namespace `ns` (the daemon's carried_totals.rs, `/run/zenithfence/net-<inode>.totals`),
 * which a test deleting the namespace is not going to start. Nothing happens when `ns` is gone.
 */
export function forgetCarriedTotals(ns: string): void {
  try {
    rmSync(`/run/zenithfence/net-${String(statSync(`/run/netns/${ns}`).ino)}.totals`, { force: true });
  } catch {
    // No such namespace.
  }
}
