// electron-builder's beforePack hook (electron-builder.yml). It refuses to package Windows without
// the real driver, so that no installer ships without what it installs (electron-builder itself
// only warns about a missing extraResources source), and gives every release build the homepage,
// author and deb maintainer of the release environment, refusing one without them
// (release-metadata.mjs). The Linux packages carry no daemon: the app's deb depends on the
// zenithfenced package (resources/deb/). Plain JavaScript: electron-builder loads it with whatever
// Node runs it. Types: before-pack.d.mts; tests: electron-builder-config.test.ts.
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { readReleaseMetadata } from './release-metadata.mjs';

/** The Windows driver package, as electron-builder.yml's win.extraResources takes it. */
export const WINDOWS_DRIVER_FILES = ['ZenithFence.sys', 'ZenithFence.inf', 'ZenithFence.cat'];
/** Targets whose options carry a package maintainer (electron-builder's FpmTarget). */
const FPM_TARGETS = new Set(['deb', 'rpm', 'pacman', 'apk', 'freebsd', 'p5p', 'sh']);

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

/**
 * Whether electron-builder is making something to publish: any target but `dir`, the unpacked
 * folder the layout tests build (resources/packaging-layout.test.ts).
 */
export function isReleaseBuild(targets) {
  return targets.some((target) => target.name !== 'dir');
}

/**
 * Gives electron-builder the release metadata where it reads it when it writes the packages
 * (app-builder-lib 26.17.0, read after this hook): the merged package.json metadata's `homepage`
 * and `author` (the deb's Homepage, the Windows executable's CompanyName), and the maintainer of
 * each fpm target (the deb's Maintainer; it defaults to the author otherwise).
 */
export function applyReleaseMetadata(context, metadata) {
  const packageMetadata = context.packager.info.metadata;
  packageMetadata.homepage = metadata.homepage;
  packageMetadata.author = { name: metadata.author.name, email: metadata.author.email };
  for (const target of context.targets) {
    if (FPM_TARGETS.has(target.name) && target.options !== undefined) target.options.maintainer = metadata.maintainer;
  }
}

/** What keeps this build from packaging, or null; applies the release metadata when it can. */
export function packagingProblem(context, env) {
  const projectDir = context.packager.projectDir;
  if (context.electronPlatformName === 'win32') {
    const problem = windowsDriverProblem(projectDir, env);
    if (problem !== null) return problem;
  }
  if (!isReleaseBuild(context.targets)) return null;
  const release = readReleaseMetadata(env);
  if (release.problem !== undefined) return release.problem;
  applyReleaseMetadata(context, release.metadata);
  return null;
}

/** The hook: electron-builder calls it before packing each platform and architecture. */
export async function beforePack(context) {
  const problem = packagingProblem(context, process.env);
  if (problem !== null) throw new Error(`ZenithFence packaging: ${problem}`);
}
