import { describe, expect, it } from 'vitest';
import { driverStatusText } from './driver-text.ts';

describe('driverStatusText', () => {
  it('says what to do when the app stopped trying', () => {
    expect(driverStatusText('failed', 'Access was denied: run ZenithFence as administrator.')).toBe(
      'Driver failed: Access was denied: run ZenithFence as administrator.',
    );
  });

  it('keeps the other states short (their message stays in the tooltip)', () => {
    expect(driverStatusText('reconnecting', 'no socket yet')).toBe('Driver reconnecting');
    expect(driverStatusText('connected', 'zenithfenced 2.1')).toBe('Driver connected');
    expect(driverStatusText('failed', '  ')).toBe('Driver failed');
    expect(driverStatusText('installing', 'up to 30 seconds')).toBe('Installing the driver…');
  });
});
