// Runs under Node for Windows in Wine (service-control.wine.test.ts): the real service helpers
// (installAndStartDriver, stopAndRemoveDriver over advapi32 through ffi-rs) against Wine's service
// control manager, and the real device transport against the driver they start. The input is a
// list of steps; each step's outcome (or its typed error) goes to the output file, in order.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  DriverError,
  installAndStartDriver,
  openAdvapiServiceControlManager,
  openDriver,
  ServiceControlError,
  stopAndRemoveDriver,
} from '../../../src/index.ts';
import { toJson } from './json-safe.ts';

type Step =
  /** installAndStartDriver with this binary; `timeoutMs` bounds its wait for running. */
  | { readonly do: 'install'; readonly name: string; readonly binaryPath: string; readonly timeoutMs?: number }
  /** stopAndRemoveDriver. */
  | { readonly do: 'remove'; readonly name: string }
  /** Opens the service and reports its state (or the open's error). */
  | { readonly do: 'query'; readonly name: string }
  /** Opens `\\.\<name>` through the transport and asks the version IOCTL. */
  | { readonly do: 'device'; readonly name: string };

interface Outcome {
  readonly step: Step;
  readonly ok?: unknown;
  readonly error?: { name: string; message: string; retryable: boolean; operation?: string; win32Code?: number };
  /** Wall time of the step, to show that a failing start does not hang. */
  readonly ms: number;
}

const [inputFile, outputFile] = process.argv.slice(2);
if (inputFile === undefined || outputFile === undefined) throw new Error('usage: service-check IN OUT');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as { readonly steps: readonly Step[] };
const outcomes: Outcome[] = [];
const result: Record<string, unknown> = { outcomes };

function describeError(error: unknown): NonNullable<Outcome['error']> {
  if (error instanceof ServiceControlError) {
    const { name, message, retryable, operation, win32Code } = error;
    return { name, message, retryable, operation, win32Code };
  }
  if (error instanceof DriverError) return { name: error.name, message: error.message, retryable: error.retryable };
  throw error;
}

async function perform(scm: ReturnType<typeof openAdvapiServiceControlManager>, step: Step): Promise<unknown> {
  switch (step.do) {
    case 'install':
      await installAndStartDriver(
        scm,
        { name: step.name, displayName: `ZenithFence test ${step.name}`, binaryPath: step.binaryPath },
        { timeoutMs: step.timeoutMs ?? 20_000 },
      );
      return 'installed';
    case 'remove':
      return await stopAndRemoveDriver(scm, step.name, { timeoutMs: 20_000 });
    case 'query': {
      const service = scm.open(step.name);
      try {
        return scm.query(service);
      } finally {
        scm.close(service);
      }
    }
    case 'device': {
      const handle = await openDriver({ kind: 'windows', devicePath: `\\\\.\\${step.name}` });
      try {
        return await handle.version();
      } finally {
        await handle.close();
      }
    }
  }
}

try {
  const scm = openAdvapiServiceControlManager();
  try {
    for (const step of input.steps) {
      const started = Date.now();
      try {
        const ok = await perform(scm, step);
        outcomes.push({ step, ok, ms: Date.now() - started });
      } catch (error) {
        outcomes.push({ step, error: describeError(error), ms: Date.now() - started });
      }
    }
  } finally {
    scm.dispose();
  }
} catch (error) {
  result['error'] = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}
writeFileSync(outputFile, toJson(result));
