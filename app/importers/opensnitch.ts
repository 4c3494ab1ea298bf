import { z } from 'zod';
import type { RuleInput } from '../contract/rules.ts';
import {
  checkedRule,
  type ImportFile,
  type ImportPreview,
  MAX_IMPORT_CHARS,
  type PreviewRule,
  type SkippedRule,
} from './import-preview.ts';

/**
 * OpenSnitch rules (one JSON file per rule, as its daemon keeps them in its rules directory) to
 * ZenithFence rules. The fields are those of OpenSnitch's rule format: `name`, `description`,
 * `enabled`, `precedence`, `action` (allow, deny, reject), `duration` (once, until restart, always,
 * or a Go duration) and one `operator` ({type, operand, data, sensitive, list}) whose type is
 * simple, regexp, network, range, list (all of `list` must match) or lists (directories of lists).
 * What a rule needs and ZenithFence cannot express is skipped, whole, with the reason: dropping
 * a condition would widen the rule.
 */
export const OPENSNITCH_FORMAT = 'OpenSnitch rules';

const operatorSchema: z.ZodType<Operator> = z.lazy(() =>
  z.object({
    type: z.string().max(32),
    operand: z.string().max(256),
    data: z.string().max(65_536).default(''),
    sensitive: z.boolean().optional(),
    list: z.array(operatorSchema).max(64).nullish(),
  }),
);

interface Operator {
  type: string;
  operand: string;
  data: string;
  sensitive?: boolean | undefined;
  list?: Operator[] | null | undefined;
}

const ruleSchema = z.object({
  name: z.string().max(1024),
  description: z.string().max(4096).optional(),
  enabled: z.boolean().default(true),
  precedence: z.boolean().optional(),
  action: z.string().max(32),
  duration: z.string().max(64),
  operator: operatorSchema,
});

/** The parts of a ZenithFence rule that conditions fill in. */
interface Conditions {
  app?: RuleInput['app'];
  destination?: RuleInput['destination'];
  port?: RuleInput['port'];
  protocol?: RuleInput['protocol'];
}

/** Why a condition cannot be imported, or what it sets. */
type Mapped = { readonly set: Conditions; readonly caveat?: string } | { readonly refuse: string };

const PROTOCOLS: Record<string, { readonly number: number; readonly caveat?: string }> = {
  tcp: { number: 6 },
  udp: { number: 17 },
  udplite: { number: 136 },
  icmp: { number: 1 },
  sctp: { number: 132 },
  tcp6: { number: 6, caveat: 'protocol tcp6 becomes TCP over IPv4 and IPv6' },
  udp6: { number: 17, caveat: 'protocol udp6 becomes UDP over IPv4 and IPv6' },
  udplite6: { number: 136, caveat: 'protocol udplite6 becomes UDP-Lite over IPv4 and IPv6' },
  icmp6: { number: 58 },
};

/** Operands ZenithFence has no field for, and what to tell the user. */
const NOT_EXPRESSIBLE: Record<string, string> = {
  'process.command': 'ZenithFence matches the program, not its command line',
  'process.id': 'a process id changes with every start',
  'process.parent.path': 'ZenithFence matches the program, not its parent',
  'user.id': 'ZenithFence rules do not name a user',
  'user.name': 'ZenithFence rules do not name a user',
  'source.ip': 'ZenithFence rules do not match the local address',
  'source.port': 'ZenithFence rules do not match the local port',
  'source.network': 'ZenithFence rules do not match the local address',
  'iface.in': 'ZenithFence rules do not name a network interface',
  'iface.out': 'ZenithFence rules do not name a network interface',
};

function simple(operand: string, data: string): Mapped {
  const value = data.trim();
  switch (operand) {
    case 'true':
      return { set: {} };
    case 'process.path':
      return { set: { app: { kind: 'path', path: value } } };
    case 'dest.ip':
      return { set: { destination: { kind: 'ip', address: value } } };
    case 'dest.host':
      return { set: { destination: { kind: 'host', name: value } } };
    case 'dest.network':
      return { set: { destination: { kind: 'cidr', cidr: value } } };
    case 'dest.port': {
      const port = Number(value);
      if (!/^\d{1,5}$/.test(value) || port > 65535) return { refuse: `dest.port "${value}" is not a port number` };
      return { set: { port: { kind: 'port', port } } };
    }
    case 'protocol': {
      const protocol = PROTOCOLS[value.toLowerCase()];
      if (protocol === undefined) return { refuse: `protocol "${value}" is not one ZenithFence knows` };
      return {
        set: { protocol: protocol.number },
        ...(protocol.caveat === undefined ? {} : { caveat: protocol.caveat }),
      };
    }
    default: {
      const why =
        NOT_EXPRESSIBLE[operand] ??
        (operand.startsWith('process.env.') ? 'ZenithFence rules do not match environment variables' : undefined);
      if (operand.startsWith('process.hash.'))
        return { refuse: `${operand}: ZenithFence matches the program by its path, not its hash` };
      return { refuse: `${operand}: ${why ?? 'an operand ZenithFence does not know'}` };
    }
  }
}

/** One condition (an operator that is not a list). */
function condition(op: Operator): Mapped {
  switch (op.type) {
    case 'simple':
      return simple(op.operand, op.data);
    case 'network':
      if (op.operand !== 'dest.network') return simple(op.operand, op.data);
      return { set: { destination: { kind: 'cidr', cidr: op.data.trim() } } };
    case 'range': {
      const match = /^(\d{1,5})-(\d{1,5})$/.exec(op.data.trim());
      if (op.operand !== 'dest.port' || match === null) {
        return { refuse: `a range on ${op.operand} ("${op.data}") is not a destination port range` };
      }
      return { set: { port: { kind: 'range', from: Number(match[1]), to: Number(match[2]) } } };
    }
    case 'regexp':
      return {
        refuse: `${op.operand} matched by a regular expression ("${op.data}"): ZenithFence rules match exact values`,
      };
    case 'lists':
      return { refuse: `${op.operand} from list files in ${op.data}: subscribe to such lists as blocklists instead` };
    default:
      return { refuse: `an operator of type "${op.type}" is not one ZenithFence knows` };
  }
}

/** All conditions of a rule, merged (a list means every one of them must hold). */
function conditions(op: Operator): { conditions: Conditions; caveats: string[] } | { refuse: string } {
  const parts = op.type === 'list' ? (op.list ?? []) : [op];
  if (op.type === 'list' && parts.length === 0) return { refuse: 'an empty list of conditions' };
  const merged: Conditions = {};
  const caveats: string[] = [];
  for (const part of parts) {
    if (part.type === 'list') return { refuse: 'a list inside a list' };
    const mapped = condition(part);
    if ('refuse' in mapped) return { refuse: mapped.refuse };
    for (const key of Object.keys(mapped.set) as Array<keyof Conditions>) {
      // Two values for one field must both hold: only one connection could, or none.
      if (merged[key] !== undefined) return { refuse: `two conditions on the same field (${key}) in one rule` };
    }
    Object.assign(merged, mapped.set);
    if (mapped.caveat !== undefined) caveats.push(mapped.caveat);
  }
  return { conditions: merged, caveats };
}

/** A Go duration ("90s", "5m", "1h30m") in whole minutes, rounded up; null when it is not one. */
export function goDurationMinutes(text: string): number | null {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return null;
  const seconds = parts.reduce((sum, [, number, unit]) => sum + Number(number) * (units[unit ?? ''] ?? 0), 0);
  return seconds > 0 ? Math.ceil(seconds / 60) : null;
}

function duration(text: string): { value: RuleInput['duration']; caveat?: string } | { refuse: string } {
  switch (text) {
    case 'always':
      return { value: { kind: 'forever' } };
    case 'until restart':
      return { value: { kind: 'until-restart' } };
    case 'once':
      return { refuse: 'a rule for one connection only (duration "once") has nothing left to decide' };
    default: {
      const minutes = goDurationMinutes(text);
      if (minutes === null) return { refuse: `duration "${text}" is neither always, until restart nor a time span` };
      // From the import on: OpenSnitch counted from when the rule was made.
      return {
        value: { kind: 'minutes', minutes: Math.min(minutes, 525_600) },
        caveat: `lasts ${String(minutes)} minutes from the import, not from when OpenSnitch made it`,
      };
    }
  }
}

function action(text: string): RuleInput['action'] | null {
  // OpenSnitch's deny drops the packets silently; reject answers with a reset or an ICMP error.
  if (text === 'allow') return 'allow';
  if (text === 'deny') return 'drop';
  if (text === 'reject') return 'block';
  return null;
}

/** One rule file. */
function fromFile(file: ImportFile): { rule: PreviewRule } | { skipped: SkippedRule } {
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch {
    return { skipped: { source: file.name, reason: 'not JSON: an OpenSnitch rule file is one JSON object' } };
  }
  const parsed = ruleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      skipped: {
        source: file.name,
        reason: `not an OpenSnitch rule: ${issue === undefined ? 'unknown shape' : `${issue.path.join('.')}: ${issue.message}`}`,
      },
    };
  }
  const rule = parsed.data;
  const source = `${file.name} (${rule.name})`;
  const verdict = action(rule.action);
  if (verdict === null) return { skipped: { source, reason: `action "${rule.action}" is not allow, deny or reject` } };
  const lasting = duration(rule.duration);
  if ('refuse' in lasting) return { skipped: { source, reason: lasting.refuse } };
  const matched = conditions(rule.operator);
  if ('refuse' in matched) return { skipped: { source, reason: matched.refuse } };
  const caveats = [...matched.caveats];
  if (lasting.caveat !== undefined) caveats.push(lasting.caveat);
  if (rule.precedence === true) {
    caveats.push(
      '"precedence" has no counterpart: ZenithFence orders rules by its own precedence (app/engine/README.md)',
    );
  }
  if (rule.operator.sensitive === false && matched.conditions.app !== undefined) {
    caveats.push('the program path is compared exactly (OpenSnitch ignored its case)');
  }
  const candidate: RuleInput = {
    app: matched.conditions.app ?? { kind: 'any' },
    destination: matched.conditions.destination ?? { kind: 'any' },
    port: matched.conditions.port ?? { kind: 'any' },
    protocol: matched.conditions.protocol ?? 'any',
    direction: 'outbound',
    action: verdict,
    duration: lasting.value,
    enabled: rule.enabled,
    notes: [`From OpenSnitch: ${rule.name}`, rule.description ?? ''].filter((t) => t !== '').join('. '),
  };
  return checkedRule(source, candidate, caveats);
}

/** Every file of an OpenSnitch rules directory (`.json` files; others are named and skipped). */
export function previewOpenSnitch(files: readonly ImportFile[]): ImportPreview {
  const rules: PreviewRule[] = [];
  const skipped: SkippedRule[] = [];
  const size = files.reduce((sum, file) => sum + file.text.length, 0);
  if (size > MAX_IMPORT_CHARS) {
    const reason = `the files hold ${String(size)} characters, over the ${String(MAX_IMPORT_CHARS)} one import reads`;
    return { format: OPENSNITCH_FORMAT, rules, skipped: [{ source: `${String(files.length)} files`, reason }] };
  }
  // OpenSnitch evaluates its rules in name order: keep it, so the preview reads the same.
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const file of sorted) {
    if (!file.name.toLowerCase().endsWith('.json')) {
      skipped.push({ source: file.name, reason: 'not a .json file: OpenSnitch keeps each rule in one' });
      continue;
    }
    const result = fromFile(file);
    if ('rule' in result) rules.push(result.rule);
    else skipped.push(result.skipped);
  }
  return { format: OPENSNITCH_FORMAT, rules, skipped };
}
