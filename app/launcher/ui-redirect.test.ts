import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { browserCommand } from './browser.ts';
import { writeUiRedirect } from './ui-redirect.ts';

const UI = 'http://127.0.0.1:5000/#token=0123456789abcdef';

describe('writeUiRedirect', () => {
  it('gives the browser a private file that forwards to the UI, so no token is on its command line', () => {
    const redirect = writeUiRedirect(UI, null);
    try {
      const file = fileURLToPath(redirect.url);
      expect(redirect.url).not.toContain('token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(fileURLToPath(new URL('.', redirect.url))).mode & 0o777).toBe(0o700);
      expect(readFileSync(file, 'utf8')).toContain(`content="0;url=${UI}"`);
      const command = browserCommand(redirect.url, { DISPLAY: ':0' }, () => true);
      expect(command?.args.join(' ')).not.toContain('token');
    } finally {
      redirect.remove();
    }
    expect(existsSync(fileURLToPath(redirect.url))).toBe(false);
  });

  it('escapes what could end the attribute', () => {
    const redirect = writeUiRedirect('http://127.0.0.1:1/#a"b<c&d', null);
    try {
      expect(readFileSync(fileURLToPath(redirect.url), 'utf8')).toContain(
        'url=http://127.0.0.1:1/#a&quot;b&lt;c&amp;d"',
      );
    } finally {
      redirect.remove();
    }
  });
});
