// The stored policy's location, ACL and write-then-rename plan (pure).
import { describe, expect, it } from 'vitest';
import {
  MOVEFILE_REPLACE_AND_WRITE_THROUGH,
  POLICY_DIRECTORY_SDDL,
  POLICY_FILE_SDDL,
  policyFilePlan,
} from './policy-file.ts';

describe('policyFilePlan', () => {
  it('writes a new file beside the old one, then renames it over, then names it for the driver', () => {
    const plan = policyFilePlan('C:\\ProgramData', 'a1-b2');
    expect(plan.file).toBe('C:\\ProgramData\\ZenithFence\\policy');
    expect(plan.temporary).toBe('C:\\ProgramData\\ZenithFence\\policy.a1-b2.tmp');
    expect(plan.ntPath).toBe('\\??\\C:\\ProgramData\\ZenithFence\\policy');
    expect(plan.steps.map((s) => s.kind)).toEqual(['secure-directory', 'write-new', 'replace', 'set-registry']);
    expect(plan.steps[2]).toEqual({
      kind: 'replace',
      from: plan.temporary,
      to: plan.file,
      flags: MOVEFILE_REPLACE_AND_WRITE_THROUGH,
    });
    expect(MOVEFILE_REPLACE_AND_WRITE_THROUGH).toBe(9);
    expect(plan.steps[3]).toEqual({
      kind: 'set-registry',
      key: 'SYSTEM\\CurrentControlSet\\Services\\ZenithFence\\Parameters',
      value: 'PolicyPath',
      data: plan.ntPath,
    });
    expect(plan.onFailure).toEqual({ kind: 'delete', path: plan.temporary });
    // A trailing separator on ProgramData changes nothing; another drive is kept.
    expect(policyFilePlan('D:\\Data\\', 'x').ntPath).toBe('\\??\\D:\\Data\\ZenithFence\\policy');
  });

  it('lets SYSTEM and Administrators write and Users read, and inherits nothing', () => {
    for (const sddl of [POLICY_DIRECTORY_SDDL, POLICY_FILE_SDDL]) {
      expect(sddl.startsWith('D:P(')).toBe(true);
      const aces = sddl.slice(3).match(/\(([^)]*)\)/g) ?? [];
      const rights = Object.fromEntries(
        aces.map((ace) => {
          const [type, , access, , , trustee] = ace.slice(1, -1).split(';');
          expect(type).toBe('A');
          return [trustee, access];
        }),
      );
      expect(rights).toEqual({ SY: 'FA', BA: 'FA', BU: 'FR' });
    }
    expect(POLICY_DIRECTORY_SDDL).toContain(';OICI;');
    expect(POLICY_FILE_SDDL).not.toContain('OICI');
    const plan = policyFilePlan('C:\\ProgramData', 'n');
    expect(plan.steps[0]).toEqual({ kind: 'secure-directory', path: plan.directory, sddl: POLICY_DIRECTORY_SDDL });
    expect(plan.steps[1]).toEqual({ kind: 'write-new', path: plan.temporary, sddl: POLICY_FILE_SDDL });
  });

  it('refuses a relative, UNC or climbing ProgramData and a nonce that is not a plain name', () => {
    for (const bad of ['ProgramData', '\\\\server\\share', 'C:ProgramData', 'C:\\x\\..\\Windows', '']) {
      expect(() => policyFilePlan(bad, 'n')).toThrow(/absolute drive path/);
    }
    for (const bad of ['', '..\\x', 'a b', 'x'.repeat(65)]) {
      expect(() => policyFilePlan('C:\\ProgramData', bad)).toThrow(/nonce/);
    }
  });
});
