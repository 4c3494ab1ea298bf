import type { DriverVerdict } from '../contract/driver-events.ts';
import type { Rule } from '../contract/rules.ts';

/**
 * The engine's ports: interfaces it calls, implemented outside the engine (the driver client,
 * the store, the shell). The engine never awaits them; each call is fire-and-forget.
 */

/** Sends a verdict to the driver. The engine calls it exactly once per request id. */
export interface VerdictPort {
  send(requestId: bigint, verdict: DriverVerdict): void;
}

/**
 * Persists rules that outlive a restart (durations 'forever' and 'minutes'). Memory-only
 * rules ('until-restart', 'until-app-quits') never reach it. Hit totals are not saved through
 * it: the shell writes Engine.takeHits() in batches.
 */
export interface RuleRepository {
  /** A rule was created or changed (insert or replace by id). */
  save(rule: Rule): void;
  /** A rule was deleted or expired. */
  remove(id: string): void;
}

/**
 * Asks for a reverse (PTR) lookup of `ip`; the shell answers later with
 * Engine.reverseLookupAnswered(ip, names, now) (names empty when none was found).
 */
export interface ReverseLookupPort {
  lookup(ip: string): void;
}
