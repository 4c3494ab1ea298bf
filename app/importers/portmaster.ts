import { CORE_SCHEMA, load } from 'js-yaml';
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
 * A Portmaster profile export (JSON or YAML) to ZenithFence rules. The
 * fields are those of the export: `name`, `fingerprints[]` ({type, key, operation, value}: which
 * program the profile is for) and `config`, whose `filter/defaultAction` (permit, block, ask)
 * and `filter/endpoints` (outgoing) and `filter/serviceEndpoints` (incoming) lists hold entries
 * such as `+ example.com TCP/443`, `- *`, `+ 10.0.0.0/8`: `+` permits, `-` blocks, the first
 * matching entry wins. `config` may be flat (`"filter/endpoints"`) or nested (`filter.endpoints`).
 */
export const PORTMASTER_FORMAT = 'Portmaster profile';

const fingerprintSchema = z.object({
  type: z.string().max(64),
  key: z.string().max(256).optional(),
  operation: z.string().max(64),
  value: z.string().max(4096),
});

const profileSchema = z.object({
  name: z.string().max(1024).optional(),
  fingerprints: z.array(fingerprintSchema).max(1000).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

const PROTOCOLS: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1, ICMP6: 58, ICMPV6: 58, UDPLITE: 136 };

/** A config value by its Portmaster key, flat (`filter/endpoints`) or nested. */
function setting(config: Record<string, unknown>, key: string): unknown {
  if (key in config) return config[key];
  let at: unknown = config;
  for (const part of key.split('/')) {
    if (typeof at !== 'object' || at === null || !(part in at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

interface Entry {
  readonly allow: boolean;
  readonly destinations: RuleInput['destination'][];
  readonly port: RuleInput['port'];
  readonly protocol: RuleInput['protocol'];
  readonly matchesAll: boolean;
}

function entity(text: string): RuleInput['destination'][] | { refuse: string } {
  if (text === '*') return [{ kind: 'any' }];
  const lower = text.toLowerCase();
  if (lower === 'localhost') return [{ kind: 'localhost' }];
  if (lower === 'lan') return [{ kind: 'lan' }];
  if (lower === 'internet') return { refuse: '"Internet" (every address that is not local) has no counterpart' };
  if (/^AS\d+$/i.test(text))
    return { refuse: `autonomous system ${text}: ZenithFence rules do not match networks by AS` };
  if (/^[A-Z]{2}$/.test(text)) return { refuse: `country ${text}: ZenithFence rules do not match by country` };
  if (/^[\d.]+-[\d.]+$/.test(text) || /^[\da-fA-F:]+-[\da-fA-F:]+$/.test(text)) {
    return { refuse: `address range "${text}": write it as networks (CIDR)` };
  }
  if (text.includes('/')) return [{ kind: 'cidr', cidr: text }];
  if (/^[\d.]+$/.test(text) || text.includes(':')) return [{ kind: 'ip', address: text }];
  if (text.startsWith('*.')) return [{ kind: 'domain', pattern: text }];
  // A leading dot: the domain and every name under it.
  if (text.startsWith('.')) {
    return [
      { kind: 'host', name: text.slice(1) },
      { kind: 'domain', pattern: `*${text}` },
    ];
  }
  if (text.includes('*'))
    return { refuse: `"${text}": a wildcard other than a leading "*." is not a pattern ZenithFence knows` };
  return [{ kind: 'host', name: text }];
}

/** `TCP/443`, `UDP/53-60`, `*\/443`, `TCP`: protocol and port. */
function scope(
  text: string | undefined,
): { protocol: RuleInput['protocol']; port: RuleInput['port'] } | { refuse: string } {
  if (text === undefined) return { protocol: 'any', port: { kind: 'any' } };
  const [protocolText = '', portText] = text.split('/');
  const protocol = protocolText === '*' ? 'any' : PROTOCOLS[protocolText.toUpperCase()];
  if (protocol === undefined) return { refuse: `protocol "${protocolText}" is not one ZenithFence knows` };
  if (portText === undefined || portText === '*') return { protocol, port: { kind: 'any' } };
  const range = /^(\d{1,5})-(\d{1,5})$/.exec(portText);
  if (range !== null) return { protocol, port: { kind: 'range', from: Number(range[1]), to: Number(range[2]) } };
  if (/^\d{1,5}$/.test(portText)) return { protocol, port: { kind: 'port', port: Number(portText) } };
  return { refuse: `port "${portText}" is neither a number nor a range` };
}

function entry(text: string): Entry | { refuse: string } {
  const parts = text.trim().split(/\s+/);
  const [sign, target, scopeText, ...extra] = parts;
  if ((sign !== '+' && sign !== '-') || target === undefined || extra.length > 0) {
    return { refuse: `"${text}" is not an entry of the form "+ example.com TCP/443"` };
  }
  const destinations = entity(target);
  if ('refuse' in destinations) return destinations;
  const where = scope(scopeText);
  if ('refuse' in where) return where;
  return {
    allow: sign === '+',
    destinations,
    ...where,
    matchesAll: target === '*' && scopeText === undefined,
  };
}

/** The program the profile is for: one exact path fingerprint, or none. */
function program(fingerprints: z.infer<typeof fingerprintSchema>[]): RuleInput['app'] | { refuse: string } {
  const paths = fingerprints.filter((f) => f.type === 'path');
  const exact = paths.filter((f) => f.operation === 'equals');
  if (fingerprints.length === 0) return { refuse: 'the profile names no program (no fingerprints)' };
  if (exact.length !== 1 || fingerprints.length !== 1) {
    const kinds = fingerprints.map((f) => `${f.type} ${f.operation}`).join(', ');
    return {
      refuse: `the profile is for programs matched by ${kinds}: ZenithFence rules name one program by its exact path`,
    };
  }
  return { kind: 'path', path: exact[0]?.value ?? '' };
}

/** A profile export. */
/**
 * The export as JSON, else as YAML (Portmaster writes both), or undefined. YAML is read with the
 * core schema only (no tags that build objects, no timestamps): a profile is strings, lists and
 * maps. Aliases are kept as shared references by the reader, so a document of nested aliases
 * does not grow in memory, and only the fields the schema below names are walked.
 */
function readDocument(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: YAML is a superset of most of it, so this is the second try, not a guess.
  }
  try {
    const document = load(text, { schema: CORE_SCHEMA, json: true });
    return typeof document === 'object' && document !== null ? document : undefined;
  } catch {
    return undefined;
  }
}

export function previewPortmaster(file: ImportFile): ImportPreview {
  const preview = (rules: PreviewRule[], skipped: SkippedRule[]): ImportPreview => ({
    format: PORTMASTER_FORMAT,
    rules,
    skipped,
  });
  const whole = (reason: string) => preview([], [{ source: file.name, reason }]);
  if (file.text.length > MAX_IMPORT_CHARS)
    return whole(`over the ${String(MAX_IMPORT_CHARS)} characters one import reads`);
  const document = readDocument(file.text);
  if (document === undefined) return whole('neither JSON nor YAML: not a Portmaster profile export');
  const parsed = profileSchema.safeParse(document);
  if (!parsed.success) return whole('not a Portmaster profile export (name, fingerprints, config)');
  const profile = parsed.data;
  const app = program(profile.fingerprints ?? []);
  if ('refuse' in app) return whole(app.refuse);
  const config = profile.config ?? {};
  const rules: PreviewRule[] = [];
  const skipped: SkippedRule[] = [];
  const label = profile.name ?? file.name;
  for (const [key, direction] of [
    ['filter/endpoints', 'outbound'],
    ['filter/serviceEndpoints', 'inbound'],
  ] as const) {
    const value = setting(config, key);
    if (value === undefined) continue;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      skipped.push({ source: `${file.name} ${key}`, reason: 'not a list of entries' });
      continue;
    }
    let reachable = true;
    const actionsBefore = new Set<boolean>();
    (value as string[]).forEach((text, index) => {
      const source = `${file.name} ${key}[${String(index)}] "${text}"`;
      if (!reachable) {
        skipped.push({ source, reason: 'never reached in Portmaster: an earlier entry matches everything' });
        return;
      }
      const parsedEntry = entry(text);
      if ('refuse' in parsedEntry) {
        skipped.push({ source, reason: parsedEntry.refuse });
        return;
      }
      const caveats: string[] = [];
      // First match there, most specific here: the same, unless an earlier entry of the other
      // action already covered some of what this one matches.
      if (actionsBefore.has(!parsedEntry.allow)) {
        caveats.push(
          'Portmaster takes the first matching entry, ZenithFence the most specific rule: check it against the entries before it',
        );
      }
      actionsBefore.add(parsedEntry.allow);
      if (parsedEntry.matchesAll) reachable = false;
      for (const destination of parsedEntry.destinations) {
        const candidate: RuleInput = {
          app,
          destination,
          port: parsedEntry.port,
          protocol: parsedEntry.protocol,
          direction,
          action: parsedEntry.allow ? 'allow' : 'block',
          duration: { kind: 'forever' },
          enabled: true,
          notes: `From Portmaster: ${label}: ${text.trim()}`,
        };
        const checked = checkedRule(source, candidate, caveats);
        if ('rule' in checked) rules.push(checked.rule);
        else skipped.push(checked.skipped);
      }
    });
  }
  const fallback = setting(config, 'filter/defaultAction');
  if (fallback === 'permit' || fallback === 'block') {
    const candidate: RuleInput = {
      app,
      destination: { kind: 'any' },
      port: { kind: 'any' },
      protocol: 'any',
      direction: 'outbound',
      action: fallback === 'permit' ? 'allow' : 'block',
      duration: { kind: 'forever' },
      enabled: true,
      notes: `From Portmaster: ${label}: default action ${fallback}`,
    };
    const checked = checkedRule(`${file.name} filter/defaultAction`, candidate, []);
    if ('rule' in checked) rules.push(checked.rule);
    else skipped.push(checked.skipped);
  } else if (fallback !== undefined && fallback !== 'ask') {
    skipped.push({
      source: `${file.name} filter/defaultAction`,
      reason: `"${String(fallback)}" is not permit, block or ask`,
    });
  }
  return preview(rules, skipped);
}
