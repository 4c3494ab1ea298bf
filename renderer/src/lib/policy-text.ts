import type { PolicyStatus } from '../../../app/contract/views.ts';

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
      return { label: 'Driver enforces your rules', tone: 'ok' };
    case 'unsaved':
      return { label: 'Driver enforces your rules (not saved)', tone: 'warn' };
    case 'sending':
      return { label: 'Sending your rules to the driver', tone: 'warn' };
    case 'behind':
      return { label: 'Driver is not enforcing your latest rules', tone: 'bad' };
    case 'unsupported':
      return { label: 'Driver without policy support', tone: 'warn' };
    case 'unknown':
      return null;
  }
}
