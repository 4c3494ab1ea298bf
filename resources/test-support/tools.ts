// The system tools the packaging tests run, and one sentence for each that is missing. The tests
// fail with that sentence; `.ci/test.mjs` runs this file as its own step first, so the summary
// names the missing tool. `.ci/run` installs them (apt: nsis, shellcheck, systemd, help2man,
// lintian; lintian brings dpkg-dev).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** systemd-analyze may be skipped knowingly where it cannot be installed (it is printed). */
export const SKIP_SYSTEMD_ANALYZE_ENV = 'ZF_SKIP_SYSTEMD_ANALYZE';

export interface Tool {
  readonly command: string;
  readonly versionArgs: readonly string[];
  readonly debianPackage: string;
  readonly usedFor: string;
}

export const MAKENSIS: Tool = {
  command: 'makensis',
  versionArgs: ['-VERSION'],
  debianPackage: 'nsis',
  usedFor: 'compiles the NSIS include',
};
export const SHELLCHECK: Tool = {
  command: 'shellcheck',
  versionArgs: ['--version'],
  debianPackage: 'shellcheck',
  usedFor: 'checks the deb maintainer scripts',
};
export const SYSTEMD_ANALYZE: Tool = {
  command: 'systemd-analyze',
  versionArgs: ['--version'],
  debianPackage: 'systemd',
  usedFor: 'verifies the zenithfenced unit',
};
export const HELP2MAN: Tool = {
  command: 'help2man',
  versionArgs: ['--version'],
  debianPackage: 'help2man',
  usedFor: 'makes the zenithfenced man page',
};
export const LINTIAN: Tool = {
  command: 'lintian',
  versionArgs: ['--version'],
  debianPackage: 'lintian',
  usedFor: 'checks the zenithfenced deb',
};
export const DPKG_SHLIBDEPS: Tool = {
  command: 'dpkg-shlibdeps',
  versionArgs: ['--version'],
  debianPackage: 'dpkg-dev',
  usedFor: "computes the zenithfenced deb's library dependencies",
};
export const PACKAGING_TOOLS = [MAKENSIS, SHELLCHECK, SYSTEMD_ANALYZE, HELP2MAN, LINTIAN, DPKG_SHLIBDEPS] as const;

/** Whether `tool` runs here. */
export function hasTool(tool: Tool): boolean {
  const result = spawnSync(tool.command, tool.versionArgs, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

/** The sentence that says what is missing and how to install it. */
export function missingToolSentence(tool: Tool): string {
  const optOut =
    tool === SYSTEMD_ANALYZE ? `, or set ${SKIP_SYSTEMD_ANALYZE_ENV}=1 to skip the unit check knowingly` : '';
  return (
    `${tool.command} is missing (it ${tool.usedFor}): install it with ` +
    `\`sudo apt-get install -y ${tool.debianPackage}\` (.ci/run does)${optOut}.`
  );
}

/** Whether the systemd-analyze checks are skipped on purpose. */
export function systemdAnalyzeSkipped(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SKIP_SYSTEMD_ANALYZE_ENV] === '1';
}

/** Throws the sentence when `tool` is missing. */
export function requireTool(tool: Tool): void {
  if (!hasTool(tool)) throw new Error(missingToolSentence(tool));
}

function main(): number {
  let missing = 0;
  for (const tool of PACKAGING_TOOLS) {
    if (tool === SYSTEMD_ANALYZE && systemdAnalyzeSkipped()) {
      console.log(`packaging tools: ${SKIP_SYSTEMD_ANALYZE_ENV}=1 is set, so the systemd unit is NOT verified.`);
      continue;
    }
    if (hasTool(tool)) {
      console.log(`packaging tools: ${tool.command} found.`);
    } else {
      console.error(`packaging tools: ${missingToolSentence(tool)}`);
      missing += 1;
    }
  }
  return missing === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
