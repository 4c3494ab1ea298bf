import { describe, expect, it } from 'vitest';
import { autostartEntry } from './login-item.ts';
import { opensMainWindow, STARTED_AT_LOGIN } from './startup.ts';

describe('opensMainWindow', () => {
  it('opens the window for a start by the user, with or without Chromium switches', () => {
    expect(opensMainWindow(['C:\\Program Files\\ZenithFence\\ZenithFence.exe'])).toBe(true);
    expect(opensMainWindow(['/opt/ZenithFence/zenithfence', '--no-sandbox', 'file.txt'])).toBe(true);
  });

  it('stays in the tray when the login item started the app (or starts it again)', () => {
    expect(opensMainWindow(['C:\\Program Files\\ZenithFence\\ZenithFence.exe', STARTED_AT_LOGIN])).toBe(false);
    expect(opensMainWindow(['/usr/lib/electron', '/repo', '--allow-file-access', STARTED_AT_LOGIN])).toBe(false);
  });

  it('understands the XDG autostart entry the login item writes', () => {
    const exec = /^Exec=(.*)$/m.exec(autostartEntry('/opt/ZenithFence/zenithfence'))?.[1] ?? '';
    expect(opensMainWindow(exec.split(' '))).toBe(false);
  });
});
