// Vitest global setup of the Windows suite (.ci/vitest.wine.config.ts): prepares Wine once for
// every *.wine.test.ts, or says why the suite is skipped, and stops the prefix's processes at the
// end (they would otherwise outlive the run and keep its private TMPDIR busy).
import type { TestProject } from 'vitest/node';
import { prepareWine, stopWine, wineMissingReason, type WineSetup } from './wine-env.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** The prepared Wine environment, or why the Windows suite cannot run here. */
    wine: { readonly setup: WineSetup } | { readonly skip: string };
  }
}

export function setup(project: TestProject): (() => void) | undefined {
  const reason = wineMissingReason();
  if (reason !== null) {
    console.log(`Windows suite skipped: ${reason}.`);
    project.provide('wine', { skip: reason });
    return undefined;
  }
  const started = Date.now();
  const prepared = prepareWine();
  console.log(`Wine ready for the Windows suite in ${String(Date.now() - started)} ms (prefix ${prepared.prefix}).`);
  project.provide('wine', { setup: prepared });
  return () => stopWine(prepared);
}
