import type { StatusView } from '../contract/views.ts';

/** Which tray image to show and what its tooltip says. */
export interface TrayState {
  /** Image name under resources/icons/tray (see resources/README.md). */
  readonly image: string;
  readonly tooltip: string;
}

/** The count shown in the attention image: 1 to 9, then "9+". */
export function countLabel(pending: number): string {
  return pending > 9 ? '9plus' : String(pending);
}

/**
 * The tray reflects what needs the user: attention (with the pending count) first, then a
 * pause (with its resume time), then normal operation; a driver that is not connected says so.
 */
export function trayState(status: StatusView, theme: 'light' | 'dark', formatTime: (ms: number) => string): TrayState {
  const suffix = `-${theme}`;
  if (status.pendingPrompts > 0) {
    const noun = status.pendingPrompts === 1 ? 'connection waits' : 'connections wait';
    return {
      image: `attention-${countLabel(status.pendingPrompts)}${suffix}`,
      tooltip: `ZenithFence: ${String(status.pendingPrompts)} ${noun} for your answer`,
    };
  }
  if (status.mode.mode === 'pause' && status.mode.resumesAt !== null) {
    return { image: `paused${suffix}`, tooltip: `ZenithFence: paused until ${formatTime(status.mode.resumesAt)}` };
  }
  if (status.driver !== 'connected') {
    return { image: `paused${suffix}`, tooltip: `ZenithFence: driver ${status.driver} (${status.driverMessage})` };
  }
  const mode = { ask: 'asking for new connections', 'allow-all': 'allowing all', 'block-all': 'blocking all' }[
    status.mode.mode === 'pause' ? 'ask' : status.mode.mode
  ];
  return { image: `active${suffix}`, tooltip: `ZenithFence: ${mode}` };
}
