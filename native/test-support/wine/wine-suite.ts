// What a *.wine.test.ts needs at its top: the prepared Wine setup, or the reason to skip.
import { inject } from 'vitest';
import type { WineSetup } from './wine-env.ts';

/** The prepared setup (undefined when skipped) and the printed skip reason (undefined when not). */
export function wineSuite(): { readonly setup: WineSetup | undefined; readonly skipReason: string | undefined } {
  const wine = inject('wine');
  if ('skip' in wine) return { setup: undefined, skipReason: wine.skip };
  return { setup: wine.setup, skipReason: undefined };
}

/** The setup, for use inside tests that only run when it exists. */
export function requireSetup(setup: WineSetup | undefined): WineSetup {
  if (setup === undefined) throw new Error('the Windows suite is skipped here');
  return setup;
}
