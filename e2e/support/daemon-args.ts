import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Whether each daemon binary has --policy-file, asked once per binary. */
const knows = new Map<string, boolean>();

/** Whether `binary` stores the app's policy where --policy-file says (a build with policy support). */
export function hasPolicyFile(binary: string): boolean {
  let known = knows.get(binary);
  if (known === undefined) {
    const help = spawnSync(binary, ['--help'], { encoding: 'utf8' });
    known = `${help.stdout}${help.stderr}`.includes('--policy-file');
    knows.set(binary, known);
  }
  return known;
}

/**
 * Why `spec`, which needs the daemon's policy support, is skipped with `binary`, said once on
 * the console; null when the build has it.
 */
export function policySkipReason(binary: string, spec: string): string | null {
  if (hasPolicyFile(binary)) return null;
  const reason = 'this zenithfenced build has no --policy-file option (no policy support)';
  console.log(`SKIPPED ${spec}: ${reason}`);
  return reason;
}

/**
 * The arguments that keep a test daemon's stored policy in the test's directory `dir`: headless
 * mode sends its rules to the daemon, which otherwise stores them in /var/lib/zenithfence/policy,
 * outside every test (left behind, and loaded by the next daemon a test starts). None for a build
 * without the option (it stores nothing).
 */
export function policyFileArgs(binary: string, dir: string): string[] {
  return hasPolicyFile(binary) ? ['--policy-file', path.join(dir, 'policy')] : [];
}
