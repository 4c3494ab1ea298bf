import type { StatusView } from '../../../app/contract/views.ts';
import { SHELL } from '../strings/shell-strings.ts';

/**
 * The status bar's driver text. A failure the app will not retry by itself (run elevated, another
 * protocol version) says what to do in the bar itself, not only in a tooltip: it is said once
 * and stays until the user acts.
 */
export function driverStatusText(driver: StatusView['driver'], message: string): string {
  const label = SHELL.drivers[driver];
  const detail = message.trim();
  return driver === 'failed' && detail !== '' ? SHELL.driverFailed(label, detail) : label;
}
