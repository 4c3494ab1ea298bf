// Adversarial review (issue 12): every app path a rule may hold (app/contract/app-path.ts accepts
// `C:\…`, `\\?\C:\…`, `\\server\share\…` and `\Device\…`) must reach the driver in the NT form
// the ALE layers report, or the rule matches nothing there and a less specific rule decides the
// connection instead (a block for one program silently lost).
import { describe, expect, it } from 'vitest';
import type { DriverPolicy, DriverPolicyRule } from '../contract/driver-policy.ts';
import { appPathProblem } from '../contract/app-path.ts';
import { ntPathPolicy } from './windows.ts';
import { createDosPathConverter } from './windows-paths.ts';

const VOLUME3 = '\\Device\\HarddiskVolume3';
const CURL_NT = '\\device\\harddiskvolume3\\tools\\curl.exe';

function rule(appPath: string): DriverPolicyRule {
  return {
    tag: 1,
    action: 'block',
    appDecides: false,
    direction: 'any',
    protocol: null,
    portFrom: 0,
    portTo: 65535,
    updatedAt: 1,
    expiresAt: null,
    appPath,
    destination: { kind: 'any' },
  };
}

/** The app path the driver gets for a rule written as `written`, with drives `map`. */
function sent(written: string, map: Record<string, string> = { 'C:': VOLUME3 }): string | null {
  // The rule must be one the rule editor accepts, or the case would be moot.
  expect(appPathProblem(written)).toBeNull();
  const paths = createDosPathConverter(
    () => new Map(Object.entries(map)),
    () => 0,
  );
  const policy: DriverPolicy = {
    generation: 1n,
    noAppAction: 'allow',
    caseInsensitivePaths: true,
    rules: [rule(written)],
  };
  return ntPathPolicy(policy, paths).rules[0]?.appPath ?? null;
}

describe('rule paths the driver gets (review)', () => {
  it('converts a \\\\?\\C:\\ path (the validator accepts it as a kernel form) to the volume path', () => {
    expect(sent('\\\\?\\C:\\Tools\\curl.exe')).toBe(CURL_NT);
  });

  it('converts a \\??\\C:\\ path to the volume path', () => {
    expect(sent('\\??\\C:\\Tools\\curl.exe')).toBe(CURL_NT);
  });

  it('converts a \\\\?\\UNC\\ path to the redirector path', () => {
    expect(sent('\\\\?\\UNC\\srv\\share\\app.exe')).toBe('\\device\\mup\\srv\\share\\app.exe');
  });

  it('converts a path on a SUBST drive (QueryDosDevice gives \\??\\C:\\dir) to the volume path', () => {
    expect(sent('S:\\curl.exe', { 'C:': VOLUME3, 'S:': '\\??\\C:\\Tools' })).toBe(CURL_NT);
  });
});
