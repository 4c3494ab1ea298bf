// Desktop notifications (Electron's Notification), for the logic that decides them elsewhere
// (driver-alerts.ts, update-checks.ts).
import { Notification } from 'electron';

export interface Notice {
  readonly title: string;
  readonly body: string;
}

// A notification nobody references may be collected before it is clicked (its click handler
// then never runs); the shown ones are kept until they close. Bounded: old ones are let go.
const shown = new Set<Notification>();
const MAX_KEPT = 20;

/** Shows `notice`; a click runs `onClick`. Does nothing where the desktop has no notifications. */
export function showNotice(notice: Notice, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({ title: notice.title, body: notice.body });
  notification.on('click', onClick);
  notification.on('close', () => shown.delete(notification));
  shown.add(notification);
  for (const old of shown) {
    if (shown.size <= MAX_KEPT) break;
    shown.delete(old);
  }
  notification.show();
}
