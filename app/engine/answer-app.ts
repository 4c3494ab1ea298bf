import type { PromptAnswer } from './prompt-scope.ts';
import type { PromptGroup } from './prompt-view.ts';

/** Answers one prompt; what the engine's answerPrompt says, as far as this loop needs it. */
export type AnswerOne = (
  promptId: string,
  answer: PromptAnswer,
) => { readonly ok: true; readonly released: number } | { readonly ok: false };

export interface AppAnswered {
  /** Prompts answered. */
  readonly answered: number;
  /** Held connections those answers released. */
  readonly released: number;
}

/**
 * "Allow all" / "Block all" for one app: each of its prompts is answered for this time only
 * (`once`, no rule), so one click cannot make a rule wider than the prompts the user saw. The
 * ids are taken from `groups` first, then answered: an answer changes the list it came from.
 * A prompt that is gone by its turn (refused) is skipped; the others are still answered.
 */
export function answerAllOfApp(
  groups: readonly PromptGroup[],
  appPath: string,
  action: PromptAnswer['action'],
  answerOne: AnswerOne,
): AppAnswered {
  const ids = groups.filter((group) => group.appPath === appPath).flatMap((group) => group.prompts.map((p) => p.id));
  let answered = 0;
  let released = 0;
  for (const id of ids) {
    const result = answerOne(id, { action, duration: { kind: 'once' }, scope: { kind: 'exact' } });
    if (!result.ok) continue;
    answered += 1;
    released += result.released;
  }
  return { answered, released };
}
