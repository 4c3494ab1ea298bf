import { MAX_RULE_FILE_BYTES } from '../contract/ipc.ts';
import type { Rule, RuleFile, RuleInput } from '../contract/rules.ts';
import { RULE_FILE_FORMAT, ruleFileSchema } from '../contract/rules.ts';
import { findJsonSyntaxError } from './json-syntax.ts';
import type { Store } from './store.ts';

/**
 * Rule files longer than this are refused before parsing (100 000 rules fit easily): the
 * contract's limit, which the UI checks before sending and `rules:import` checks on arrival.
 */
export const MAX_RULE_FILE_CHARS = MAX_RULE_FILE_BYTES;
/** Keys that could reach an object's prototype if some later code merged the parsed value. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const LISTED_PROBLEMS = 10;
/** A rule file is 4 levels deep (rules[0].port.from); anything far deeper is not one. */
const MAX_DEPTH = 32;

/** One thing wrong with a rule file. `path` looks like `rules[3].destination.kind`. */
export interface RuleFileProblem {
  readonly path: string;
  /** Index into `rules` of the rule at fault, when the problem is inside one. */
  readonly ruleIndex: number | null;
  readonly message: string;
}

/** A rule file was refused; nothing was imported. */
export class RuleFileError extends Error {
  readonly problems: readonly RuleFileProblem[];

  constructor(summary: string, problems: readonly RuleFileProblem[]) {
    const listed = problems.slice(0, LISTED_PROBLEMS).map(describe);
    const more = problems.length > LISTED_PROBLEMS ? [`...and ${problems.length - LISTED_PROBLEMS} more`] : [];
    super([summary, ...listed, ...more].join('\n'));
    this.name = 'RuleFileError';
    this.problems = problems;
  }
}

/** All rules in the rule file format (bookkeeping such as ids and hit counts is left out). */
export function exportRules(store: Store): RuleFile {
  return { format: RULE_FILE_FORMAT, version: 1, rules: store.rules.list().map(toInput) };
}

/** The text of a rule file: pretty-printed JSON. */
export function formatRuleFile(file: RuleFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Imports a rule file's text: every rule or none. Throws RuleFileError naming the line and
 * column of a JSON syntax error, or the path and rule index of each invalid field.
 */
export function importRules(store: Store, text: string, now: number): { imported: number } {
  const file = parseRuleFile(text);
  // One transaction: a failure on the last rule leaves the rules exactly as they were.
  store.transaction(() => {
    for (const rule of file.rules) store.rules.create(rule, now);
  });
  return { imported: file.rules.length };
}

/** Parses and validates a rule file's text without storing anything. */
export function parseRuleFile(text: string): RuleFile {
  if (text.length > MAX_RULE_FILE_CHARS) {
    throw new RuleFileError(`The rule file is too large (over ${MAX_RULE_FILE_CHARS} characters).`, []);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const problem = findJsonSyntaxError(text);
    const where = problem === null ? 'somewhere' : `line ${problem.line}, column ${problem.column}`;
    throw new RuleFileError(`The rule file is not valid JSON: ${where}: ${problem?.reason ?? 'unknown error'}.`, []);
  }
  const forbidden = findForbiddenKey(json);
  if (forbidden !== null) throw new RuleFileError('The rule file was refused; nothing was imported:', [forbidden]);
  const result = ruleFileSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      ruleIndex: issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : null,
      message: issue.message,
    }));
    throw new RuleFileError('The rule file is invalid; nothing was imported:', problems);
  }
  return result.data;
}

function toInput(rule: Rule): RuleInput {
  const { app, destination, port, protocol, direction, action, duration, enabled, notes, profile } = rule;
  const input = { app, destination, port, protocol, direction, action, duration, enabled, notes };
  // Only a profile's rule says so: an always-on rule's file reads as it did before profiles.
  return profile === undefined || profile === null ? input : { ...input, profile };
}

interface Node {
  readonly value: unknown;
  readonly key: PropertyKey | null;
  readonly parent: Node | null;
  readonly depth: number;
}

/**
 * Finds a forbidden key or absurd nesting. Iterative (the nesting depth is the sender's choice)
 * and linear: nodes point at their parent, so paths are built only for the one reported.
 */
function findForbiddenKey(root: unknown): { path: string; ruleIndex: number | null; message: string } | null {
  const stack: Node[] = [{ value: root, key: null, parent: null, depth: 0 }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { value } = node;
    if (typeof value !== 'object' || value === null) continue;
    if (node.depth >= MAX_DEPTH) return { ...located(node), message: `nested deeper than ${MAX_DEPTH} levels` };
    for (const [key, child] of Object.entries(value)) {
      const childNode = {
        value: child,
        key: Array.isArray(value) ? Number(key) : key,
        parent: node,
        depth: node.depth + 1,
      };
      if (FORBIDDEN_KEYS.has(key)) return { ...located(childNode), message: `the key "${key}" is not allowed` };
      stack.push(childNode);
    }
  }
  return null;
}

function located(node: Node): { path: string; ruleIndex: number | null } {
  const path: PropertyKey[] = [];
  for (let at: Node | null = node; at !== null; at = at.parent) if (at.key !== null) path.unshift(at.key);
  return { path: formatPath(path), ruleIndex: path[0] === 'rules' && typeof path[1] === 'number' ? path[1] : null };
}

/** ['rules', 3, 'destination', 'kind'] -> 'rules[3].destination.kind'. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment))
      text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text === '' ? '(the file)' : text;
}

function describe(problem: RuleFileProblem): string {
  const rule = problem.ruleIndex === null ? '' : ` (rule index ${problem.ruleIndex})`;
  return `  ${problem.path}${rule}: ${problem.message}`;
}
