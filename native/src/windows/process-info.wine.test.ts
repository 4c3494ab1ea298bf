// The Windows process facts for real: Node for Windows under Wine asks kernel32 and advapi32
// about itself and about a child it starts and ends (native/test-support/wine).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWindowsProgram } from '../../test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../test-support/wine/wine-suite.ts';

const { setup, skipReason } = wineSuite();

interface Facts {
  readonly pid: number;
  readonly path: string;
  readonly user: string | null;
  readonly startTime: string;
  readonly startedAtMs: number | null;
}

interface Observed {
  readonly error?: string;
  readonly execPath: string;
  readonly username: string;
  readonly startedBefore: number;
  readonly finishedAt: number;
  readonly self: Facts;
  readonly childPid: number;
  readonly child: Facts;
  readonly childAliveWhileRunning: boolean;
  readonly heldAfterTwo: number;
  readonly childAliveAfterExit: boolean;
  readonly heldAfterForget: number;
  readonly childAliveAfterForget: boolean;
  readonly unused: Facts | null;
  readonly unusedAlive: boolean;
  readonly heldAfterClose: number;
}

describe.skipIf(skipReason !== undefined)('Windows process facts under Wine', () => {
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'zf-wine-process-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('describes running processes, sees one end through its handle, and knows no unused pid', async () => {
    const { result } = await runWindowsProgram<Observed>(
      requireSetup(setup),
      'process-check.ts',
      // Wine numbers processes in multiples of 4 from a few hundred: this one is never reached.
      { unusedPid: 0x3ffffffc },
      work,
    );
    expect(result.error).toBeUndefined();
    // The executable's Win32 path, as Windows paths compare: without case.
    expect(result.self.path.toLowerCase()).toBe(result.execPath.toLowerCase());
    expect(result.self.path).toMatch(/^[A-Z]:\\/);
    expect(result.self.user).toMatch(new RegExp(`^[^\\\\]+\\\\${result.username}$`, 'i'));
    // The creation time is a real FILETIME of this process: before the program's first step.
    expect(result.self.startedAtMs).not.toBeNull();
    expect(result.self.startedAtMs ?? 0).toBeLessThanOrEqual(result.startedBefore);
    expect(result.self.startedAtMs ?? 0).toBeGreaterThan(result.startedBefore - 10 * 60_000);

    expect(result.child.pid).toBe(result.childPid);
    expect(result.child.path.toLowerCase()).toBe(result.execPath.toLowerCase());
    expect(BigInt(result.child.startTime.replace(/n$/, ''))).toBeGreaterThan(
      BigInt(result.self.startTime.replace(/n$/, '')),
    );
    expect(result.childAliveWhileRunning).toBe(true);
    expect(result.heldAfterTwo).toBe(2);
    expect(result.childAliveAfterExit).toBe(false);
    expect(result.heldAfterForget).toBe(1);
    expect(result.childAliveAfterForget).toBe(false);

    expect(result.unused).toBeNull();
    expect(result.unusedAlive).toBe(false);
    expect(result.heldAfterClose).toBe(0);
  });
});
