// electron-builder's beforePack hook (electron-builder.yml): refuses to package without the real
// driver or daemon, so that no installer ships without what it installs. electron-builder itself
// only warns about a missing extraResources source. Plain JavaScript: electron-builder loads it
// with whatever Node runs it. Types: before-pack.d.mts; tests: electron-builder-config.test.ts.
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';

/** The Windows driver package, as electron-builder.yml's win.extraResources takes it. */
export const WINDOWS_DRIVER_FILES = ['ZenithFence.sys', 'ZenithFence.inf', 'ZenithFence.cat'];
/** The Linux daemon, as electron-builder.yml's linux.extraResources takes it. */
export const LINUX_DAEMON = 'driver/target/release/zenithfenced';

/** The first bytes of a file, or null when it cannot be read. */
function head(file, length) {
  let fd;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * What keeps a Windows build from packaging the driver, or null. `env.ZF_WINDOWS_DRIVER_DIR` is the
 * folder with the signed package, relative to the repository; a .sys that is not a PE image (the
 * tests' PLACEHOLDER files) is refused unless `env.ZF_ALLOW_PLACEHOLDER_DRIVER` is "1".
 */
export function windowsDriverProblem(projectDir, env) {
  const dir = env.ZF_WINDOWS_DRIVER_DIR;
  if (dir === undefined || dir === '') {
    return 'ZF_WINDOWS_DRIVER_DIR is not set: set it to the folder (relative to the repository) that holds the Microsoft-signed ZenithFence.sys, ZenithFence.inf and ZenithFence.cat (resources/README.md, "Release").';
  }
  if (path.isAbsolute(dir)) {
    return `ZF_WINDOWS_DRIVER_DIR must be relative to the repository (electron-builder joins it to the project folder), not ${dir}.`;
  }
  for (const name of WINDOWS_DRIVER_FILES) {
    const file = path.resolve(projectDir, dir, name);
    const bytes = head(file, 2);
    if (bytes === null) return `The Windows driver package is incomplete: ${file} is missing.`;
    if (name.endsWith('.sys') && bytes.toString('latin1') !== 'MZ' && env.ZF_ALLOW_PLACEHOLDER_DRIVER !== '1') {
      return `${file} is not a driver image (no MZ header; a PLACEHOLDER?): only the packaging tests, with ZF_ALLOW_PLACEHOLDER_DRIVER=1, may package one.`;
    }
  }
  return null;
}

/** What keeps a Linux build from packaging zenithfenced, or null. */
export function linuxDaemonProblem(projectDir) {
  const file = path.resolve(projectDir, LINUX_DAEMON);
  const bytes = head(file, 4);
  if (bytes === null) return `zenithfenced is missing at ${file}: run \`npm install\` (it builds the Rust workspace).`;
  if (!bytes.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return `${file} is not an ELF executable.`;
  return null;
}

/** The hook: electron-builder calls it before packing each platform and architecture. */
export async function beforePack(context) {
  const projectDir = context.packager.projectDir;
  const problem =
    context.electronPlatformName === 'win32'
      ? windowsDriverProblem(projectDir, process.env)
      : context.electronPlatformName === 'linux'
        ? linuxDaemonProblem(projectDir)
        : null;
  if (problem !== null) throw new Error(`ZenithFence packaging: ${problem}`);
}
