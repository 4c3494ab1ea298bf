import type { PolicyStatus } from '../../../app/contract/views.ts';
import { SHELL } from '../strings/shell-strings.ts';

/** How the status bar shows whether the driver enforces the rules by itself. */
export interface PolicyBadge {
  readonly label: string;
  /** The dot's colour: ok, warn or bad. */
  readonly tone: 'ok' | 'warn' | 'bad';
}

/**
 * The status bar's short label for the driver's policy; null when no driver is connected (the
 * driver item beside it says so already). The full sentence (`policy.message`) is its tooltip and
 * stands in the Settings view.
 */
export function policyBadge(policy: PolicyStatus): PolicyBadge | null {
  switch (policy.state) {
    case 'enforced':
      return { label: SHELL.policy.enforced, tone: 'ok' };
    case 'unsaved':
      return { label: SHELL.policy.unsaved, tone: 'warn' };
    case 'sending':
      return { label: SHELL.policy.sending, tone: 'warn' };
    case 'behind':
      return { label: SHELL.policy.behind, tone: 'bad' };
    case 'unsupported':
      return { label: SHELL.policy.unsupported, tone: 'warn' };
    case 'unknown':
      return null;
  }
}
