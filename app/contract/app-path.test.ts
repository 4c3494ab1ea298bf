import { describe, expect, it } from 'vitest';
import { appPathProblem } from './app-path.ts';
import { appMatchSchema } from './rules.ts';

describe('application paths in rules', () => {
  it('takes absolute paths as the systems report them', () => {
    for (const path of [
      '/usr/bin/curl',
      '/opt/My App/bin/app (deleted)',
      'C:\\Tools\\curl.exe',
      '\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe',
      '\\\\?\\C:\\Tools\\curl.exe',
    ])
      expect(appPathProblem(path), path).toBeNull();
  });

  it('refuses what would be stored and shown like a rule and never match', () => {
    expect(appPathProblem('curl')).toMatch(/^"curl" is not an absolute path/);
    expect(appPathProblem('./bin/curl')).toMatch(/not an absolute path/);
    expect(appPathProblem('/usr/bin//curl')).toMatch(/has an empty, "\." or "\.\." part/);
    expect(appPathProblem('/usr/bin/./curl')).toMatch(/has an empty/);
    expect(appPathProblem('/usr/lib/../bin/curl')).toMatch(/has an empty/);
    expect(appPathProblem('/usr/bin/')).toMatch(/ends with "\/"/);
    expect(appPathProblem('/usr/bin/cu\0rl')).toMatch(/NUL/);
  });

  it('is what the rule schema checks', () => {
    const app = (path: string) => appMatchSchema.safeParse({ kind: 'path', path });
    expect(app('/usr/bin/curl').success).toBe(true);
    const refused = app('curl');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/^"curl" is not an absolute path/);
  });
});
