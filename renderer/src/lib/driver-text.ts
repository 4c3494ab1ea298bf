import type { StatusView } from '../../../app/contract/views.ts';

const DRIVER_LABELS: Readonly<Record<StatusView['driver'], string>> = {
  connected: 'Driver connected',
  reconnecting: 'Driver reconnecting',
  installing: 'Installing the driver…',
  disconnected: 'Driver disconnected',
  failed: 'Driver failed',
};

/**
 * The status bar's driver text. A failure the app will not retry by itself (run elevated, another
 * protocol version) says what to do in the bar itself, not only in a tooltip: it is said once
 * and stays until the user acts.
 */
export function driverStatusText(driver: StatusView['driver'], message: string): string {
  const label = DRIVER_LABELS[driver];
  const detail = message.trim();
  return driver === 'failed' && detail !== '' ? `${label}: ${detail}` : label;
}
