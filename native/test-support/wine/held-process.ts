// A real Windows process in the Wine prefix for a held connection to belong to: Node for Windows
// run from a file on the prefix's C: drive (a hard link to the cache's node.exe, so nothing large
// is copied), so its path is a DOS path `C:\...` whose NT form the test builds from what
// QueryDosDeviceW reports for C: in the prefix (programs/held-process.ts).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { windowsPath, wineEnvironment, type WineSetup } from './wine-env.ts';

/** What the process reported about itself, and how to end it. */
export interface HeldProcess {
  readonly pid: bigint;
  /** Its image as Windows names it: `C:\zenithfence-tests\<dir>\<exeName>`. */
  readonly dosPath: string;
  /** The same file in NT form, built from QueryDosDeviceW('C:'): `\Device\HarddiskVolumeN\...`. */
  readonly ntPath: string;
  /** What QueryDosDeviceW('C:') gave in the prefix. */
  readonly driveDevice: string;
  /** Its image path as QueryFullProcessImageNameW reports it in NT form (a cross-check). */
  readonly nativeImage: string;
  /** Its creation time, a raw FILETIME (what the Windows driver reports as the start time). */
  readonly startTime: bigint;
  /** Kills it and removes its image from the prefix. */
  stop(): void;
}

interface Report {
  readonly pid: number;
  readonly execPath: string;
  readonly driveDevice: string | null;
  readonly nativeImage: string;
  readonly startTime: string;
}

let counter = 0;

/** Starts the process as `exeName` on C: and waits (up to `timeoutMs`) for its report. */
export async function startHeldProcess(
  setup: WineSetup,
  workDir: string,
  exeName: string,
  timeoutMs = 60_000,
): Promise<HeldProcess> {
  counter += 1;
  const dirName = `held-${String(process.pid)}x${String(counter)}`;
  const dir = path.join(setup.prefix, 'drive_c', 'zenithfence-tests', dirName);
  mkdirSync(dir, { recursive: true });
  const image = path.join(dir, exeName);
  try {
    linkSync(setup.nodeExe, image);
  } catch {
    // Another file system (a cache moved elsewhere): a copy does as well.
    copyFileSync(setup.nodeExe, image);
  }
  const report = path.join(workDir, `${dirName}.json`);
  const program = windowsPath(path.join(import.meta.dirname, 'programs', 'held-process.ts'));
  const child = spawn('wine', [`C:\\zenithfence-tests\\${dirName}\\${exeName}`, program, windowsPath(report)], {
    env: wineEnvironment(setup),
    stdio: 'ignore',
  });
  const stop = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(report, { force: true });
    rmSync(`${report}.partial`, { force: true });
  };
  const deadline = Date.now() + timeoutMs;
  // The program renames its report into place, so one that exists is whole.
  while (!existsSync(report)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stop();
      throw new Error(`the held process ${exeName} reported nothing (exit ${String(child.exitCode)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const got = JSON.parse(readFileSync(report, 'utf8')) as Report;
  if (got.driveDevice === null) {
    stop();
    throw new Error(`QueryDosDeviceW gave nothing for ${got.execPath.slice(0, 2)}`);
  }
  return {
    pid: BigInt(got.pid),
    dosPath: got.execPath,
    ntPath: `${got.driveDevice}${got.execPath.slice(2)}`,
    driveDevice: got.driveDevice,
    nativeImage: got.nativeImage,
    startTime: BigInt(got.startTime),
    stop,
  };
}
