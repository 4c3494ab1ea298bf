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
 * Little Snitch rule groups (`.lsrules`, JSON) to ZenithFence rules. The fields are those of the
 * format: top level `name`, `description`, `rules[]` and `denied-remote-domains`,
 * `denied-remote-hosts`, `denied-remote-addresses`; a rule has `process`, `via`, `action` (allow,
 * deny, ask), `direction` (incoming, outgoing), `priority`, `disabled`, `ports`, `protocol`,
 * `remote` (any, local-net, multicast, broadcast, bonjour, dns-servers, bpf), `remote-addresses`,
 * `remote-hosts`, `remote-domains` and `notes`. A rule naming several hosts, domains, addresses
 * or ports becomes one ZenithFence rule for each (Little Snitch matches any of them).
 */
export const LITTLE_SNITCH_FORMAT = 'Little Snitch rule group';

/** One rule of ours for each combination, at most this many from one Little Snitch rule. */
const MAX_EXPANSION = 1000;

const names = z.union([z.string().max(65_536), z.array(z.string().max(1024)).max(100_000)]).optional();

const lsRuleSchema = z.object({
  process: z.string().max(4096).optional(),
  via: z.string().max(4096).optional(),
  action: z.string().max(32),
  direction: z.string().max(32).optional(),
  priority: z.string().max(32).optional(),
  disabled: z.boolean().optional(),
  ports: z.union([z.string().max(4096), z.number()]).optional(),
  protocol: z.string().max(32).optional(),
  remote: z.string().max(64).optional(),
  'remote-addresses': names,
  'remote-hosts': names,
  'remote-domains': names,
  notes: z.string().max(4096).optional(),
});
type LsRule = z.infer<typeof lsRuleSchema>;

const groupSchema = z.object({
  name: z.string().max(1024).optional(),
  description: z.string().max(4096).optional(),
  rules: z.array(z.unknown()).max(100_000).optional(),
  'denied-remote-domains': z.array(z.string().max(1024)).max(1_000_000).optional(),
  'denied-remote-hosts': z.array(z.string().max(1024)).max(1_000_000).optional(),
  'denied-remote-addresses': z.array(z.string().max(1024)).max(1_000_000).optional(),
});

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

/** A field of several values: an array, or a string of values separated by commas. */
function list(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(',') : value;
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

function destinations(rule: LsRule): RuleInput['destination'][] | { refuse: string } {
  const found: RuleInput['destination'][] = [];
  for (const name of list(rule['remote-hosts'])) found.push({ kind: 'host', name });
  // A Little Snitch domain covers the domain and every name under it, as our `*.` pattern with the
  // bare name does: both are listed.
  for (const domain of list(rule['remote-domains'])) {
    found.push({ kind: 'host', name: domain }, { kind: 'domain', pattern: `*.${domain}` });
  }
  for (const address of list(rule['remote-addresses'])) {
    if (address.includes('-')) return { refuse: `address range "${address}": write it as networks (CIDR)` };
    found.push(address.includes('/') ? { kind: 'cidr', cidr: address } : { kind: 'ip', address });
  }
  const remote = rule.remote;
  if (remote !== undefined && remote !== 'any') {
    if (found.length > 0) return { refuse: `"remote": "${remote}" together with hosts or addresses` };
    if (remote === 'local-net') return [{ kind: 'lan' }];
    return { refuse: `"remote": "${remote}" has no counterpart in ZenithFence rules` };
  }
  return found.length > 0 ? found : [{ kind: 'any' }];
}

function ports(value: string | number | undefined): RuleInput['port'][] | { refuse: string } {
  if (value === undefined || value === 'any') return [{ kind: 'any' }];
  const found: RuleInput['port'][] = [];
  for (const item of list(String(value))) {
    const range = /^(\d{1,5})-(\d{1,5})$/.exec(item);
    if (range !== null) found.push({ kind: 'range', from: Number(range[1]), to: Number(range[2]) });
    else if (/^\d{1,5}$/.test(item)) found.push({ kind: 'port', port: Number(item) });
    else return { refuse: `port "${item}" is neither a number nor a range` };
  }
  return found.length > 0 ? found : [{ kind: 'any' }];
}

/** One rule of a group: the rules of ours it becomes, or why none. */
function fromRule(raw: unknown, source: string): { rules: PreviewRule[]; skipped: SkippedRule[] } {
  const skip = (reason: string) => ({ rules: [], skipped: [{ source, reason }] });
  const parsed = lsRuleSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return skip(
      `not a Little Snitch rule: ${issue === undefined ? 'unknown shape' : `${issue.path.join('.')}: ${issue.message}`}`,
    );
  }
  const rule = parsed.data;
  if (rule.action === 'ask') return skip('"ask" is what ZenithFence does without a rule');
  const action = rule.action === 'allow' ? 'allow' : rule.action === 'deny' ? 'block' : null;
  if (action === null) return skip(`action "${rule.action}" is not allow, deny or ask`);
  if (rule.via !== undefined)
    return skip(`"via" (${rule.via}): ZenithFence matches the program that connects, not a helper`);
  const protocolText = rule.protocol?.toLowerCase();
  const protocol = protocolText === undefined || protocolText === 'any' ? 'any' : PROTOCOLS[protocolText];
  if (protocol === undefined) return skip(`protocol "${rule.protocol ?? ''}" is not one ZenithFence knows`);
  const where = destinations(rule);
  if ('refuse' in where) return skip(where.refuse);
  const at = ports(rule.ports);
  if ('refuse' in at) return skip(at.refuse);
  if (where.length * at.length > MAX_EXPANSION) {
    return skip(
      `${String(where.length * at.length)} combinations of destinations and ports, over ${String(MAX_EXPANSION)}`,
    );
  }
  const caveats: string[] = [];
  const app: RuleInput['app'] =
    rule.process === undefined || rule.process === 'any' ? { kind: 'any' } : { kind: 'path', path: rule.process };
  if (app.kind === 'path' && app.path.includes('.app/'))
    caveats.push('a macOS program path: it matches only that path here');
  if (rule.priority === 'high')
    caveats.push('"high" priority has no counterpart: ZenithFence applies its own precedence');
  if (where.length * at.length > 1)
    caveats.push(`one Little Snitch rule becomes ${String(where.length * at.length)} rules`);
  const result: { rules: PreviewRule[]; skipped: SkippedRule[] } = { rules: [], skipped: [] };
  for (const destination of where) {
    for (const port of at) {
      const candidate: RuleInput = {
        app,
        destination,
        port,
        protocol,
        direction: rule.direction === 'incoming' ? 'inbound' : 'outbound',
        action,
        duration: { kind: 'forever' },
        enabled: rule.disabled !== true,
        notes: ['From Little Snitch', rule.notes ?? ''].filter((t) => t !== '').join(': '),
      };
      const checked = checkedRule(source, candidate, caveats);
      if ('rule' in checked) result.rules.push(checked.rule);
      else result.skipped.push(checked.skipped);
    }
  }
  return result;
}

/** A rule group file. */
export function previewLittleSnitch(file: ImportFile): ImportPreview {
  const preview = (rules: PreviewRule[], skipped: SkippedRule[]): ImportPreview => ({
    format: LITTLE_SNITCH_FORMAT,
    rules,
    skipped,
  });
  if (file.text.length > MAX_IMPORT_CHARS) {
    return preview(
      [],
      [{ source: file.name, reason: `over the ${String(MAX_IMPORT_CHARS)} characters one import reads` }],
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(file.text);
  } catch {
    return preview([], [{ source: file.name, reason: 'not JSON: a .lsrules file is one JSON object' }]);
  }
  const group = groupSchema.safeParse(json);
  if (!group.success) {
    return preview(
      [],
      [{ source: file.name, reason: 'not a Little Snitch rule group (no "rules" list of the right shape)' }],
    );
  }
  const rules: PreviewRule[] = [];
  const skipped: SkippedRule[] = [];
  (group.data.rules ?? []).forEach((raw, index) => {
    const done = fromRule(raw, `${file.name} rules[${String(index)}]`);
    rules.push(...done.rules);
    skipped.push(...done.skipped);
  });
  // The group's denied lists: a block for any program.
  const denied: Array<[string, RuleInput['destination'][]]> = [
    ...(group.data['denied-remote-hosts'] ?? []).map((name): [string, RuleInput['destination'][]] => [
      'denied-remote-hosts',
      [{ kind: 'host', name }],
    ]),
    ...(group.data['denied-remote-domains'] ?? []).map((name): [string, RuleInput['destination'][]] => [
      'denied-remote-domains',
      [
        { kind: 'host', name },
        { kind: 'domain', pattern: `*.${name}` },
      ],
    ]),
    ...(group.data['denied-remote-addresses'] ?? []).map((address): [string, RuleInput['destination'][]] => [
      'denied-remote-addresses',
      [address.includes('/') ? { kind: 'cidr', cidr: address } : { kind: 'ip', address }],
    ]),
  ];
  for (const [field, destinations] of denied) {
    for (const destination of destinations) {
      const candidate: RuleInput = {
        app: { kind: 'any' },
        destination,
        port: { kind: 'any' },
        protocol: 'any',
        direction: 'outbound',
        action: 'block',
        duration: { kind: 'forever' },
        enabled: true,
        notes: `From Little Snitch: ${field}`,
      };
      const checked = checkedRule(`${file.name} ${field}`, candidate, []);
      if ('rule' in checked) rules.push(checked.rule);
      else skipped.push(checked.skipped);
    }
  }
  return preview(rules, skipped);
}
