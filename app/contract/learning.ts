import { z } from 'zod';
import { appPathProblem } from './app-path.ts';
import { type RuleInput, ruleInputSchema } from './rules.ts';

/**
 * Learning (app/engine/learning.ts has the behaviour, app/engine/README.md "Learning" the rules
 * of it): for a while, connections that would prompt are allowed and recorded as proposed rules,
 * one per app and destination. Nothing learned becomes a rule until the user reviews it.
 */

/** The longest learning window (a day): a forgotten one must not last for ever. */
export const MAX_LEARNING_MINUTES = 24 * 60;
/** The most proposals kept; past it, connections prompt as without learning (nothing is lost). */
export const MAX_PROPOSALS = 10_000;

const appPath = z
  .string()
  .min(1)
  .max(4096)
  .superRefine((path, ctx) => {
    const problem = appPathProblem(path);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

export const learningStartSchema = z.discriminatedUnion('kind', [
  /** Every app, for `minutes`. */
  z.object({ kind: z.literal('minutes'), minutes: z.number().int().min(1).max(MAX_LEARNING_MINUTES) }).strict(),
  /** One app, until its last process quits. */
  z.object({ kind: z.literal('until-app-quits'), appPath }).strict(),
]);
export type LearningStart = z.infer<typeof learningStartSchema>;

/** Apps that prompt even while learning (the user marked them "always ask"). */
export const alwaysAskSchema = z.object({ appPath, alwaysAsk: z.boolean() }).strict();

/** What the status bar, the tray and the inbox show. */
export interface LearningStatus {
  /** When learning for everyone ends (ms since the epoch); null when it is off. */
  readonly until: number | null;
  /** Apps learning until they quit. */
  readonly apps: readonly string[];
  readonly alwaysAsk: readonly string[];
  /** Proposals waiting for review. */
  readonly proposals: number;
  /** Connections not learned because the proposals were full (they prompted instead). */
  readonly overflow: number;
}

/** One proposed rule: what learning saw, and the rule it would make. */
export interface Proposal {
  readonly id: string;
  readonly rule: RuleInput;
  /** Connections it covered. */
  readonly connections: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

/** The proposals of one app, for the review screen. */
export interface ProposalGroup {
  readonly appPath: string;
  /** The app as the UI names it (its file name). */
  readonly app: string;
  readonly proposals: readonly Proposal[];
}

/**
 * The user's review: each proposal kept (as proposed, or as the user narrowed it in the rule
 * editor: `rule`) or discarded. Kept ones are added like picked import rules, all or nothing.
 */
export const reviewSchema = z
  .object({
    decisions: z
      .array(
        z.discriminatedUnion('action', [
          z
            .object({
              proposalId: z.string().min(1).max(128),
              action: z.literal('keep'),
              rule: ruleInputSchema.optional(),
            })
            .strict(),
          z.object({ proposalId: z.string().min(1).max(128), action: z.literal('discard') }).strict(),
        ]),
      )
      .min(1)
      .max(MAX_PROPOSALS),
  })
  .strict();
export type Review = z.infer<typeof reviewSchema>;
