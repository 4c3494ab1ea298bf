import { MAX_RULES } from '../contract/rules.ts';

/** The sentences that explain the rule limit (MAX_RULES) when a create or an import meets it. */

// The host's locale (Electron sets ICU's default from the OS); these sentences are made in the
// main process, which has no view of the renderer's language.
const numbers = new Intl.NumberFormat();
const count = (n: number): string => numbers.format(n);
const rules = (n: number): string => `${count(n)} rule${n === 1 ? '' : 's'}`;

/** rules:create at the limit (prompt answers may have taken the count past it). */
export function atTheCap(inForce: number): string {
  return `ZenithFence keeps at most ${rules(MAX_RULES)} and has ${count(inForce)}: delete some before creating another.`;
}

/** rules:import whose new rules would pass the limit (refused whole). */
export function tooManyToImport(refused: {
  readonly adding: number;
  readonly room: number;
  readonly limit: number;
}): string {
  const fit =
    refused.room === 0 ? 'none fits' : `only ${count(refused.room)} more ${refused.room === 1 ? 'fits' : 'fit'}`;
  return (
    `The file has ${rules(refused.adding)} not yet in force, but ${fit} (ZenithFence keeps at most ` +
    `${rules(refused.limit)}): nothing was imported. Delete some rules or import a smaller file.`
  );
}
