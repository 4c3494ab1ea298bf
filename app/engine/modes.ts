/**
 * Firewall modes. A mode decides only what happens to a connection that NO rule matches
 * (rules always apply first; README.md, "Modes"):
 *
 * - 'ask' (default): hold it and prompt;
 * - 'allow-all': allow it without prompting;
 * - 'block-all': block it without prompting;
 * - 'pause': like 'allow-all' until a time, then back to the mode before the pause.
 */

export type { Mode, ModeRequest, ModeStatus } from '../contract/views.ts';
export { MODES } from '../contract/views.ts';
import type { Mode, ModeRequest, ModeStatus } from '../contract/views.ts';

/** The longest pause accepted (one day): a forgotten pause must not last for ever. */
export const MAX_PAUSE_MINUTES = 24 * 60;

/** The current mode and a pending auto-resume. Time comes in as `now`; call tick(now). */
export class ModeState {
  #mode: Exclude<Mode, 'pause'> = 'ask';
  #pausedUntil: number | null = null;

  /** Switches mode. Pausing while paused moves the resume time and keeps the mode to resume to. */
  set(request: ModeRequest, now: number): void {
    if (request.mode === 'pause') {
      const minutes = Math.min(MAX_PAUSE_MINUTES, Math.max(1, Math.floor(request.minutes)));
      this.#pausedUntil = now + minutes * 60_000;
    } else {
      this.#mode = request.mode;
      this.#pausedUntil = null;
    }
  }

  /**
   * The mode to be in from now on (a profile switch): a pause in force goes on, and returns to
   * this mode when it ends.
   */
  setBase(mode: Exclude<Mode, 'pause'>): void {
    this.#mode = mode;
  }

  /** Ends an elapsed pause; true when it did (the mode changed). */
  tick(now: number): boolean {
    if (this.#pausedUntil === null || now < this.#pausedUntil) return false;
    this.#pausedUntil = null;
    return true;
  }

  /** The mode in force at `now` (a pause past its end no longer counts, even before tick). */
  current(now: number): Mode {
    return this.#pausedUntil !== null && now < this.#pausedUntil ? 'pause' : this.#mode;
  }

  status(now: number): ModeStatus {
    const paused = this.current(now) === 'pause';
    return {
      mode: this.current(now),
      resumesAt: paused ? this.#pausedUntil : null,
      resumesTo: paused ? this.#mode : null,
    };
  }
}
