import type { LearningStatus } from '../contract/learning.ts';
import type { ProfileStatus } from '../contract/profiles.ts';
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

/** "ZenithFence (Home)", "ZenithFence (Work, pinned)", "ZenithFence (Public, unknown network)". */
export function trayTitle(profile: ProfileStatus): string {
  const note = profile.pinned ? ', pinned' : profile.reason === 'unknown-network' ? ', unknown network' : '';
  return `ZenithFence (${profile.active.name}${note})`;
}

/** The file name of an app path (the engine lists apps by path; Windows ones case-folded). */
function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * What learns, after "learning": "until 14:32", "curl until it quits", "until 14:32, 2 apps
 * until they quit"; null when nothing learns. The engine's status says `until` only while the
 * window lasts.
 */
export function learningPhrase(learning: LearningStatus, formatTime: (ms: number) => string): string | null {
  const [only] = learning.apps;
  const apps =
    learning.apps.length === 0
      ? null
      : learning.apps.length === 1 && only !== undefined
        ? `${fileName(only)} until it quits`
        : `${String(learning.apps.length)} apps until they quit`;
  if (learning.until === null) return apps;
  return `until ${formatTime(learning.until)}${apps === null ? '' : `, ${apps}`}`;
}

/** "1 proposal", "5 proposals". */
export function proposalCount(count: number): string {
  return `${String(count)} ${count === 1 ? 'proposal' : 'proposals'}`;
}

/**
 * The tray reflects what needs the user: attention (with the pending count) first, then a
 * pause (with its resume time), then normal operation; a driver that is not connected says so.
 * Whatever the state, the tooltip then says what learns until when and how many proposals wait.
 */
export function trayState(status: StatusView, theme: 'light' | 'dark', formatTime: (ms: number) => string): TrayState {
  const state = modeState(status, theme, formatTime);
  // Learning in every state: while it lasts, connections that would ask are allowed.
  const { learning } = status;
  const phrase = learningPhrase(learning, formatTime);
  const notes = [
    ...(phrase === null ? [] : [`learning ${phrase}`]),
    ...(learning.proposals === 0 ? [] : [`${proposalCount(learning.proposals)} to review`]),
  ];
  return notes.length === 0 ? state : { ...state, tooltip: `${state.tooltip}; ${notes.join('; ')}` };
}

/** The image and the sentence for what needs the user most, before learning's notes. */
function modeState(status: StatusView, theme: 'light' | 'dark', formatTime: (ms: number) => string): TrayState {
  const suffix = `-${theme}`;
  // The active profile in every tooltip: it decides what the rest of the sentence means.
  const title = trayTitle(status.profile);
  if (status.pendingPrompts > 0) {
    const noun = status.pendingPrompts === 1 ? 'connection waits' : 'connections wait';
    return {
      image: `attention-${countLabel(status.pendingPrompts)}${suffix}`,
      tooltip: `${title}: ${String(status.pendingPrompts)} ${noun} for your answer`,
    };
  }
  if (status.mode.mode === 'pause' && status.mode.resumesAt !== null) {
    return { image: `paused${suffix}`, tooltip: `${title}: paused until ${formatTime(status.mode.resumesAt)}` };
  }
  if (status.driver !== 'connected') {
    return { image: `paused${suffix}`, tooltip: `${title}: driver ${status.driver} (${status.driverMessage})` };
  }
  const mode = { ask: 'asking for new connections', 'allow-all': 'allowing all', 'block-all': 'blocking all' }[
    status.mode.mode === 'pause' ? 'ask' : status.mode.mode
  ];
  return { image: `active${suffix}`, tooltip: `${title}: ${mode}` };
}
