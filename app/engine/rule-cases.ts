import { appPathProblem } from '../contract/app-path.ts';
import { domainPatternProblem, hostNameProblem } from '../contract/dns-name.ts';
import type { Direction } from '../contract/driver-events.ts';
import { addressProblem, networkProblem } from '../contract/ip-address.ts';
import type { AppMatch, Destination, PortMatch, RuleAction } from '../contract/rules.ts';

/**
 * Parser of driver/protocol/testdata/rule_cases.txt, the meaning of a rule as a table of cases
 * shared with the driver core's matcher (the grammar is the file's header). Every value is
 * checked here with the contract's own checks, so a case the parser accepts is one the rule
 * schema accepts too; a malformed line stops the parse with its line number.
 */

export type CaseDuration = 'forever' | 'minutes' | 'until-restart' | 'until-app-quits';

export interface CaseRule {
  readonly line: number;
  readonly id: string;
  readonly app: AppMatch;
  readonly destination: Destination;
  readonly port: PortMatch;
  readonly protocol: number | 'any';
  readonly direction: Direction | 'any';
  readonly action: RuleAction;
  readonly duration: CaseDuration;
  readonly enabled: boolean;
  readonly updatedAt: number;
  /** Set exactly when duration is 'minutes'. */
  readonly expiresAt: number | null;
}

export interface CaseConnection {
  readonly line: number;
  /** null: the app is unknown (`app=-`). */
  readonly appPath: string | null;
  readonly direction: Direction;
  readonly protocol: number;
  /** The address as written (any text form). */
  readonly remote: string;
  readonly port: number;
  /** As written: the file tests their normalization. */
  readonly names: readonly string[];
  readonly at: number;
  /** The id of the winning rule, or null for none. */
  readonly winner: string | null;
  /** The winner when only forever and minutes rules exist. */
  readonly awayWinner: string | null;
}

export interface CaseSet {
  readonly line: number;
  readonly name: string;
  readonly caseInsensitivePaths: boolean;
  readonly rules: readonly CaseRule[];
  readonly connections: readonly CaseConnection[];
}

/** A malformed line; `line` is 1-based. */
export class RuleCaseError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'RuleCaseError';
    this.line = line;
  }
}

/** The default `at` of a connection (ms). */
export const DEFAULT_AT = 1_000_000;

const MEMORY_ONLY: ReadonlySet<CaseDuration> = new Set(['until-restart', 'until-app-quits']);

/** True for the durations that live in the app's memory only (gone while it does not run). */
export function isMemoryOnly(duration: CaseDuration): boolean {
  return MEMORY_ONLY.has(duration);
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const RULE_KEYS = ['app', 'dest', 'port', 'proto', 'dir', 'action', 'duration', 'enabled', 'updated', 'expires'];
const CONN_KEYS = ['app', 'dir', 'proto', 'remote', 'port', 'names', 'at'];

/** Parses the whole file; throws RuleCaseError at the first malformed line. */
export function parseRuleCases(text: string): CaseSet[] {
  const sets: SetBuilder[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const tokens = trimmed.split(/ +/);
    const head = tokens[0];
    const current = sets.at(-1);
    if (head === 'set') {
      sets.push(parseSet(tokens, line, sets));
      return;
    }
    if (current === undefined) throw new RuleCaseError(line, `"${head}" before the first "set" line`);
    if (head === 'paths') setPaths(current, tokens, line);
    else if (head === 'rule') current.rules.push(parseRule(tokens, line, current));
    else if (head === 'conn') current.connections.push(parseConnection(tokens, line, current));
    else throw new RuleCaseError(line, `unknown line kind "${head}": expected set, paths, rule or conn`);
  });
  return sets;
}

interface SetBuilder {
  line: number;
  name: string;
  caseInsensitivePaths: boolean;
  rules: CaseRule[];
  connections: CaseConnection[];
}

function parseSet(tokens: string[], line: number, sets: readonly SetBuilder[]): SetBuilder {
  const name = tokens[1];
  if (tokens.length !== 2 || name === undefined) throw new RuleCaseError(line, 'expected "set <name>"');
  if (!NAME.test(name)) throw new RuleCaseError(line, `set name "${name}": 1-64 of A-Z a-z 0-9 . _ -`);
  if (sets.some((s) => s.name === name)) throw new RuleCaseError(line, `set "${name}" is defined twice`);
  return { line, name, caseInsensitivePaths: false, rules: [], connections: [] };
}

function setPaths(set: SetBuilder, tokens: string[], line: number): void {
  if (tokens.length !== 2 || tokens[1] !== 'insensitive') throw new RuleCaseError(line, 'expected "paths insensitive"');
  if (set.caseInsensitivePaths || set.rules.length > 0 || set.connections.length > 0) {
    throw new RuleCaseError(line, '"paths insensitive" belongs right after its "set" line, once');
  }
  set.caseInsensitivePaths = true;
}

function parseRule(tokens: string[], line: number, set: SetBuilder): CaseRule {
  const id = tokens[1];
  if (id === undefined || id.includes('=')) throw new RuleCaseError(line, 'expected "rule <id> key=value..."');
  if (!NAME.test(id) || id === 'none') {
    throw new RuleCaseError(line, `rule id "${id}": 1-64 of A-Z a-z 0-9 . _ -, and not "none"`);
  }
  if (set.rules.some((r) => r.id === id)) throw new RuleCaseError(line, `rule id "${id}" is used twice in this set`);
  const fields = keyValues(tokens.slice(2), RULE_KEYS, line);
  const duration = optional(fields, 'duration', 'forever', (v) => durationOf(v, line));
  const expires = fields.get('expires');
  if (duration === 'minutes' && expires === undefined) throw new RuleCaseError(line, 'duration=minutes needs expires=');
  if (duration !== 'minutes' && expires !== undefined) {
    throw new RuleCaseError(line, 'expires= is written only with duration=minutes');
  }
  const expiresAt = expires === undefined ? null : integer(expires, 'expires', 1, Number.MAX_SAFE_INTEGER, line);
  return {
    line,
    id,
    app: appOf(required(fields, 'app', line), line),
    destination: destinationOf(required(fields, 'dest', line), line),
    port: optional(fields, 'port', { kind: 'any' }, (v) => portMatchOf(v, line)),
    protocol: optional(fields, 'proto', 'any', (v) => (v === 'any' ? 'any' : integer(v, 'proto', 0, 255, line))),
    direction: optional(fields, 'dir', 'outbound', (v) => directionOf(v, true, line)),
    action: actionOf(required(fields, 'action', line), line),
    duration,
    enabled: optional(fields, 'enabled', true, (v) => yesNo(v, line)),
    updatedAt: optional(fields, 'updated', 0, (v) => integer(v, 'updated', 0, Number.MAX_SAFE_INTEGER, line)),
    expiresAt,
  };
}

function parseConnection(tokens: string[], line: number, set: SetBuilder): CaseConnection {
  const arrow = tokens.indexOf('=>');
  if (arrow < 0) throw new RuleCaseError(line, 'a conn line needs "=> <rule id|none>"');
  const fields = keyValues(tokens.slice(1, arrow), CONN_KEYS, line);
  const after = tokens.slice(arrow + 1);
  const winnerText = after[0];
  if (winnerText === undefined || winnerText.includes('=')) {
    throw new RuleCaseError(line, 'expected a rule id or "none" after "=>"');
  }
  if (after.length > 2) throw new RuleCaseError(line, 'after "=> <winner>" only "away=<rule id|none>" may follow');
  const awayFields = keyValues(after.slice(1), ['away'], line);
  const winner = ruleRef(winnerText, set, line);
  const awayText = awayFields.get('away');
  const awayWinner = awayText === undefined ? winner : ruleRef(awayText, set, line);
  const winnerRule = set.rules.find((r) => r.id === winner);
  if (winnerRule !== undefined && isMemoryOnly(winnerRule.duration) && awayText === undefined) {
    throw new RuleCaseError(line, `the winner "${winner}" lives in memory only: write away=<rule id|none>`);
  }
  const awayRule = set.rules.find((r) => r.id === awayWinner);
  if (awayRule !== undefined && isMemoryOnly(awayRule.duration)) {
    throw new RuleCaseError(line, `away=${awayWinner} names a memory-only rule, which does not exist away`);
  }
  const app = required(fields, 'app', line);
  return {
    line,
    appPath: app === '-' ? null : appPathOf(app, line),
    direction: directionOf(required(fields, 'dir', line), false, line),
    protocol: integer(required(fields, 'proto', line), 'proto', 0, 255, line),
    remote: addressOf(required(fields, 'remote', line), line),
    port: integer(required(fields, 'port', line), 'port', 0, 65535, line),
    names: optional(fields, 'names', [], (v) => namesOf(v, line)),
    at: optional(fields, 'at', DEFAULT_AT, (v) => integer(v, 'at', 0, Number.MAX_SAFE_INTEGER, line)),
    winner,
    awayWinner,
  };
}

/** key=value tokens (split at the first '='), each key known and written once. */
function keyValues(tokens: readonly string[], known: readonly string[], line: number): Map<string, string> {
  const fields = new Map<string, string>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq <= 0) throw new RuleCaseError(line, `"${token}" is not key=value`);
    const key = token.slice(0, eq);
    if (!known.includes(key)) throw new RuleCaseError(line, `unknown key "${key}" (known: ${known.join(', ')})`);
    if (fields.has(key)) throw new RuleCaseError(line, `key "${key}" is written twice`);
    fields.set(key, token.slice(eq + 1));
  }
  return fields;
}

function required(fields: Map<string, string>, key: string, line: number): string {
  const value = fields.get(key);
  if (value === undefined) throw new RuleCaseError(line, `missing ${key}=`);
  return value;
}

function optional<T>(fields: Map<string, string>, key: string, fallback: T, parse: (value: string) => T): T {
  const value = fields.get(key);
  return value === undefined ? fallback : parse(value);
}

function ruleRef(text: string, set: SetBuilder, line: number): string | null {
  if (text === 'none') return null;
  if (!set.rules.some((r) => r.id === text)) {
    throw new RuleCaseError(line, `no rule "${text}" above this line in set "${set.name}"`);
  }
  return text;
}

function integer(text: string, key: string, min: number, max: number, line: number): number {
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RuleCaseError(line, `${key}=${text}: expected a plain decimal number ${min}-${max}`);
  }
  return value;
}

function appPathOf(text: string, line: number): string {
  const problem = text.startsWith('/') ? appPathProblem(text) : 'an app path starts with "/"';
  if (problem !== null) throw new RuleCaseError(line, `app=${text}: ${problem}`);
  return text;
}

function appOf(text: string, line: number): AppMatch {
  return text === 'any' ? { kind: 'any' } : { kind: 'path', path: appPathOf(text, line) };
}

function addressOf(text: string, line: number): string {
  const problem = addressProblem(text);
  if (problem !== null) throw new RuleCaseError(line, `address ${text}: ${problem}`);
  return text;
}

function namesOf(text: string, line: number): string[] {
  return text.split(',').map((name) => {
    const problem = hostNameProblem(name);
    if (problem !== null) throw new RuleCaseError(line, `name "${name}": ${problem}`);
    return name;
  });
}

function destinationOf(text: string, line: number): Destination {
  if (text === 'any' || text === 'lan' || text === 'localhost') return { kind: text };
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const value = text.slice(colon + 1);
  const check = (problem: string | null): void => {
    if (problem !== null) throw new RuleCaseError(line, `dest=${text}: ${problem}`);
  };
  switch (colon < 0 ? '' : kind) {
    case 'ip':
      check(addressProblem(value));
      return { kind: 'ip', address: value };
    case 'cidr':
      check(networkProblem(value));
      return { kind: 'cidr', cidr: value };
    case 'host':
      check(hostNameProblem(value));
      return { kind: 'host', name: value };
    case 'domain':
      check(domainPatternProblem(value));
      return { kind: 'domain', pattern: value };
    default:
      throw new RuleCaseError(line, `dest=${text}: expected any, lan, localhost, ip:, cidr:, host: or domain:`);
  }
}

function portMatchOf(text: string, line: number): PortMatch {
  if (text === 'any') return { kind: 'any' };
  const dash = text.indexOf('-');
  if (dash < 0) return { kind: 'port', port: integer(text, 'port', 0, 65535, line) };
  const from = integer(text.slice(0, dash), 'port', 0, 65535, line);
  const to = integer(text.slice(dash + 1), 'port', 0, 65535, line);
  if (from > to) throw new RuleCaseError(line, `port=${text}: a range runs from low to high`);
  return { kind: 'range', from, to };
}

function directionOf(text: string, anyAllowed: true, line: number): Direction | 'any';
function directionOf(text: string, anyAllowed: false, line: number): Direction;
function directionOf(text: string, anyAllowed: boolean, line: number): Direction | 'any' {
  if (text === 'out') return 'outbound';
  if (text === 'in') return 'inbound';
  if (text === 'any' && anyAllowed) return 'any';
  throw new RuleCaseError(line, `dir=${text}: expected ${anyAllowed ? 'out, in or any' : 'out or in'}`);
}

function actionOf(text: string, line: number): RuleAction {
  if (text === 'allow' || text === 'block' || text === 'drop') return text;
  throw new RuleCaseError(line, `action=${text}: expected allow, block or drop`);
}

function durationOf(text: string, line: number): CaseDuration {
  if (text === 'forever' || text === 'minutes' || text === 'until-restart' || text === 'until-app-quits') return text;
  throw new RuleCaseError(line, `duration=${text}: expected forever, minutes, until-restart or until-app-quits`);
}

function yesNo(text: string, line: number): boolean {
  if (text === 'yes' || text === 'no') return text === 'yes';
  throw new RuleCaseError(line, `enabled=${text}: expected yes or no`);
}
