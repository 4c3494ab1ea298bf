import { describe, expect, it } from 'vitest';
import { autostartEntry, schtasksArgs } from './login-item.ts';

describe('start at login', () => {
  it('switches the installer’s logon task on Windows', () => {
    expect(schtasksArgs(true)).toEqual(['/Change', '/TN', 'ZenithFence', '/ENABLE']);
    expect(schtasksArgs(false)).toEqual(['/Change', '/TN', 'ZenithFence', '/DISABLE']);
  });

  it('writes an XDG autostart entry with the executable quoted', () => {
    const entry = autostartEntry('/opt/Zenith Fence/zenithfence');
    expect(entry).toContain('Exec="/opt/Zenith Fence/zenithfence" --started-at-login');
    expect(entry.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
  });
});
