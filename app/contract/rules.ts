import { z } from 'zod';
import { appPathProblem } from './app-path.ts';
import { domainPatternProblem, hostNameProblem, MAX_NAME } from './dns-name.ts';
import { addressProblem, networkProblem } from './ip-address.ts';
import { LEGACY_NAME, LEGACY_NAME_MAX, upgradeLegacyDestination } from './legacy-destination.ts';

/**
 * Firewall rules: who (an application), where (a destination), what (allow, block, drop) and
 * for how long. This module is the one definition used by the engine, the store, the rule
 * file import/export and the UI. Precedence is documented in app/engine/README.md.
 */

const MAX_TEXT = 4096;

export const ACTIONS = ['allow', 'block', 'drop'] as const;
export type RuleAction = (typeof ACTIONS)[number];

/**
 * A string schema whose refusal is the sentence `problem` gives (null when the text is fine).
 * `maxLength` is a cheap cap checked first: no valid text is longer.
 */
function checkedText(maxLength: number, problem: (text: string) => string | null) {
  return z
    .string()
    .max(maxLength)
    .superRefine((text, ctx) => {
      const message = problem(text);
      if (message !== null) ctx.addIssue({ code: 'custom', message });
    });
}

/** Which application a rule is for. `publisher` is reserved for signed-binary identities. */
export const appMatchSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('any') }).strict(),
  z.object({ kind: z.literal('path'), path: checkedText(MAX_TEXT, appPathProblem) }).strict(),
]);
export type AppMatch = z.infer<typeof appMatchSchema>;

/** With one trailing dot: the longest name DNS can carry and that dot. */
const hostName = checkedText(MAX_NAME + 1, hostNameProblem);
const domainPattern = checkedText(MAX_NAME + 1, domainPatternProblem);

/**
 * An IPv4 dotted quad (no leading zeros) or IPv6 text per RFC 4291 (an IPv4 tail allowed), no
 * zone id (app/contract/ip-address.ts says why). 64 is a cap above the longest valid text (45).
 */
const ipAddress = checkedText(64, addressProblem);

/**
 * A network: an address, '/', and a prefix length of 0–32 (IPv4) or 0–128 (IPv6) in plain
 * decimal. Host bits may be set and are ignored, as the engine's compile step masks them off
 * (`10.1.2.3/8` means `10.0.0.0/8`, as in iptables and nftables).
 */
const network = checkedText(68, networkProblem);

/** Where the connection goes (outbound) or comes from (inbound). */
export const destinationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('any') }).strict(),
  z.object({ kind: z.literal('host'), name: hostName }).strict(),
  z.object({ kind: z.literal('domain'), pattern: domainPattern }).strict(),
  z.object({ kind: z.literal('ip'), address: ipAddress }).strict(),
  z.object({ kind: z.literal('cidr'), cidr: network }).strict(),
  z.object({ kind: z.literal('lan') }).strict(),
  z.object({ kind: z.literal('localhost') }).strict(),
]);
export type Destination = z.infer<typeof destinationSchema>;

const port = z.number().int().min(0).max(65535);
export const portMatchSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('any') }).strict(),
  z.object({ kind: z.literal('port'), port }).strict(),
  z
    .object({ kind: z.literal('range'), from: port, to: port })
    .strict()
    .refine((r) => r.from <= r.to, 'a port range runs from low to high'),
]);
export type PortMatch = z.infer<typeof portMatchSchema>;

/** 'any' or an IANA protocol number. */
export const protocolMatchSchema = z.union([z.literal('any'), z.number().int().min(0).max(255)]);
export const directionMatchSchema = z.enum(['any', 'outbound', 'inbound']);

export const durationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('once') }).strict(),
  z.object({ kind: z.literal('until-app-quits') }).strict(),
  z.object({ kind: z.literal('minutes'), minutes: z.number().int().min(1).max(525_600) }).strict(),
  z.object({ kind: z.literal('until-restart') }).strict(),
  z.object({ kind: z.literal('forever') }).strict(),
]);
export type RuleDuration = z.infer<typeof durationSchema>;

/** What a user writes (or a rule file holds): everything but the bookkeeping fields. */
export const ruleInputSchema = z
  .object({
    app: appMatchSchema,
    destination: destinationSchema,
    port: portMatchSchema.default({ kind: 'any' }),
    protocol: protocolMatchSchema.default('any'),
    direction: directionMatchSchema.default('outbound'),
    action: z.enum(ACTIONS),
    duration: durationSchema.default({ kind: 'forever' }),
    enabled: z.boolean().default(true),
    notes: z.string().max(MAX_TEXT).default(''),
    /**
     * The profile the rule belongs to (app/contract/profiles.ts): it applies only while that
     * profile is active. null or absent: always on, whatever the profile.
     */
    profile: z.string().min(1).max(64).nullable().optional(),
  })
  .strict();
export type RuleInput = z.infer<typeof ruleInputSchema>;

/**
 * A change to a rule: any of the user's fields, none filled in by default (`.partial()` of the
 * input schema would apply its defaults and silently widen the rule).
 */
export const rulePatchSchema = z
  .object({
    app: appMatchSchema.optional(),
    destination: destinationSchema.optional(),
    port: portMatchSchema.optional(),
    protocol: protocolMatchSchema.optional(),
    direction: directionMatchSchema.optional(),
    action: z.enum(ACTIONS).optional(),
    duration: durationSchema.optional(),
    enabled: z.boolean().optional(),
    notes: z.string().max(MAX_TEXT).optional(),
    profile: z.string().min(1).max(64).nullable().optional(),
  })
  .strict();
export type RulePatch = z.infer<typeof rulePatchSchema>;

/**
 * A stored rule's destination: the strict schema, after old text of the same meaning is
 * rewritten, or an old name that can match nothing (legacy-destination.ts says why).
 */
const storedDestinationSchema = z.preprocess(
  upgradeLegacyDestination,
  z.union([
    destinationSchema,
    z.object({ kind: z.literal('host'), name: z.string().max(LEGACY_NAME_MAX).regex(LEGACY_NAME) }).strict(),
    z
      .object({
        kind: z.literal('domain'),
        pattern: z
          .string()
          .max(LEGACY_NAME_MAX)
          .refine((p) => p.startsWith('*.') && LEGACY_NAME.test(p.slice(2))),
      })
      .strict(),
  ]),
);

/** A stored rule. Times are milliseconds since the epoch. */
export const ruleSchema = ruleInputSchema.extend({
  destination: storedDestinationSchema,
  id: z.string().min(1).max(64),
  createdAt: z.number().int().nonnegative(),
  updatedAt: z.number().int().nonnegative(),
  /** For 'minutes' durations: when the rule stops applying. */
  expiresAt: z.number().int().nonnegative().nullable(),
  hitCount: z.number().int().nonnegative(),
  lastHitAt: z.number().int().nonnegative().nullable(),
});
export type Rule = z.infer<typeof ruleSchema>;

/**
 * The most rules ZenithFence keeps in force at once (stored and memory-only alike). Every rule
 * costs memory and index time, and the Rules view lists them all: `rules:create` refuses a rule
 * at this count, and `rules:import` refuses (whole) a file whose new rules would pass it. A rule
 * file holds at most this many rules too. Prompt answers are not refused (app/engine/README.md).
 */
export const MAX_RULES = 100_000;

/** The rule file format for import and export (documented in app/store/README.md). */
export const RULE_FILE_FORMAT = 'zenithfence-rules';
export const ruleFileSchema = z
  .object({
    format: z.literal(RULE_FILE_FORMAT),
    version: z.literal(1),
    rules: z.array(ruleInputSchema).max(MAX_RULES),
  })
  .strict();
export type RuleFile = z.infer<typeof ruleFileSchema>;
