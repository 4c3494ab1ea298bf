// Runs under Node for Windows in Wine (process-info.wine.test.ts): the real process facts
// (OpenProcess, QueryFullProcessImageNameW, GetProcessTimes, the token's user, WaitForSingleObject)
// for this process and a child it starts and ends. Writes what it observed as JSON.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { openWindowsProcessInfo } from '../../../src/index.ts';
import { toJson } from './json-safe.ts';

interface Input {
  /** A pid no process has. */
  readonly unusedPid: number;
}

const [inputFile, outputFile] = process.argv.slice(2);
if (inputFile === undefined || outputFile === undefined) throw new Error('usage: process-check IN OUT');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as Input;
const result: Record<string, unknown> = { execPath: process.execPath, username: process.env['USERNAME'] };

try {
  const info = openWindowsProcessInfo();
  result['startedBefore'] = Date.now();
  result['self'] = info.describe(process.pid);
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60000)'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const pid = child.pid ?? 0;
  result['childPid'] = pid;
  result['child'] = info.describe(pid);
  result['childAliveWhileRunning'] = info.alive(pid);
  result['heldAfterTwo'] = info.heldHandles;
  child.kill();
  await exited;
  // The held handle is signalled now: no process list is read.
  result['childAliveAfterExit'] = info.alive(pid);
  info.forget(pid);
  result['heldAfterForget'] = info.heldHandles;
  // Re-opened without the held handle: still known to have ended (Node's own handle keeps the
  // exited process object, so OpenProcess succeeds, as on Windows; its wait is signalled).
  result['childAliveAfterForget'] = info.alive(pid);
  result['unused'] = info.describe(input.unusedPid) ?? null;
  result['unusedAlive'] = info.alive(input.unusedPid);
  info.close();
  result['heldAfterClose'] = info.heldHandles;
  result['finishedAt'] = Date.now();
} catch (error) {
  result['error'] = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}
writeFileSync(outputFile, toJson(result));
