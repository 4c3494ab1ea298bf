import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { browserCommand, onPath, openDetached } from './browser.ts';

const URL = 'http://127.0.0.1:5000/#token=abc';
const always = (): boolean => true;
const never = (): boolean => false;

describe('browserCommand', () => {
  it('opens nothing without a desktop session', () => {
    expect(browserCommand(URL, { BROWSER: 'firefox' }, always)).toBeNull();
    expect(browserCommand(URL, { DISPLAY: '' }, always)).toBeNull();
  });

  it('uses xdg-open in an X11 or Wayland session, when it is there', () => {
    expect(browserCommand(URL, { DISPLAY: ':0' }, always)).toEqual({ program: 'xdg-open', args: [URL] });
    expect(browserCommand(URL, { WAYLAND_DISPLAY: 'wayland-0' }, always)).toEqual({ program: 'xdg-open', args: [URL] });
    expect(browserCommand(URL, { DISPLAY: ':0' }, never)).toBeNull();
  });

  it('respects BROWSER: the first of its list, %s for the URL or the URL appended', () => {
    expect(browserCommand(URL, { DISPLAY: ':0', BROWSER: 'firefox' }, never)).toEqual({
      program: 'firefox',
      args: [URL],
    });
    expect(browserCommand(URL, { DISPLAY: ':0', BROWSER: 'chromium --new-window %s:firefox' }, never)).toEqual({
      program: 'chromium',
      args: ['--new-window', URL],
    });
    expect(browserCommand(URL, { DISPLAY: ':0', BROWSER: '' }, always)).toEqual({ program: 'xdg-open', args: [URL] });
  });
});

describe('openDetached', () => {
  it('starts the browser without waiting for it', async () => {
    const dir = testTempDir('zf-browser-');
    const script = path.join(dir, 'browser');
    const seen = path.join(dir, 'seen');
    writeFileSync(script, `#!/bin/sh\necho "$@" "$HOME" "$DISPLAY" > ${seen}\n`, { mode: 0o755 });
    // The environment given (under sudo: the invoking user's), not this process's.
    openDetached({ program: script, args: [URL] }, [], { PATH: '/usr/bin:/bin', HOME: '/home/ann', DISPLAY: ':7' });
    const deadline = Date.now() + 10_000;
    let text = '';
    while (text === '' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      try {
        text = readFileSync(seen, 'utf8');
      } catch {
        // Not yet written.
      }
    }
    expect(text).toBe(`${URL} /home/ann :7\n`);
  });

  it('never throws for a browser that cannot start', () => {
    expect(() => openDetached({ program: '/nonexistent/browser', args: [URL] })).not.toThrow();
    expect(() => openDetached({ program: '', args: [] })).not.toThrow();
  });
});

describe('onPath', () => {
  it('finds executables on PATH and by path', () => {
    expect(onPath('sh', '/usr/bin:/bin')).toBe(true);
    expect(onPath('/bin/sh', '')).toBe(true);
    expect(onPath('no-such-program-zf', '/usr/bin:/bin')).toBe(false);
  });
});
