import type { RuleAction } from './rules.ts';

/**
 * The no-app action: what the driver does with a connection no rule covers while ZenithFence is
 * not running (before login, after a quit or a crash). The driver enforces the user's lasting
 * rules itself then; this decides the rest. The Settings view and the tray menu show the same
 * sentence, so the user knows the consequence of the choice.
 */

/**
 * Block is the default: a firewall that lets everything through the moment its window is closed
 * (or crashes) protects nothing, and the user expects the rules they made to keep holding.
 * Block rather than drop, so that programs fail at once with a refusal instead of hanging.
 */
export const DEFAULT_NO_APP_ACTION: RuleAction = 'block';

const CONSEQUENCE: Readonly<Record<RuleAction, string>> = {
  allow: 'While ZenithFence is closed, connections no rule covers are allowed.',
  block: 'While ZenithFence is closed, connections no rule covers are blocked (programs see a refusal).',
  drop: 'While ZenithFence is closed, connections no rule covers are dropped (programs see a timeout).',
};

/** The consequence of `action`, in one sentence. */
export function noAppActionConsequence(action: RuleAction): string {
  return CONSEQUENCE[action];
}

/** The choices as the Settings view and the tray menu label them. */
export const NO_APP_ACTION_LABELS: Readonly<Record<RuleAction, string>> = {
  allow: 'Allow',
  block: 'Block (programs see a refusal)',
  drop: 'Drop (programs see a timeout)',
};
