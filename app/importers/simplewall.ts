import type { RuleInput } from '../contract/rules.ts';
import {
  checkedRule,
  type ImportFile,
  type ImportPreview,
  MAX_IMPORT_CHARS,
  type PreviewRule,
  type SkippedRule,
} from './import-preview.ts';
import { readXmlItems, XmlItemsError } from './xml-items.ts';

/**
 * simplewall's `profile.xml` (the plain XML form; its compressed and encrypted forms are not
 * read) to ZenithFence rules: `<root version>` with `<apps><item path hash comment timestamp timer
 * is_enabled .../>` (the programs allowed to connect) and `<rules_custom><item name rule
 * rule_local dir protocol version apps is_block is_enabled .../>` (the user's rules: `rule` is a
 * `;`-separated list of addresses, networks, ranges and ports, `dir` 0 out, 1 in, 2 both, `apps`
 * a `|`-separated list of paths). A rule listing several entries or programs becomes one rule of
 * ours for each combination (simplewall matches any of them).
 */
export const SIMPLEWALL_FORMAT = 'simplewall profile';

const MAX_EXPANSION = 1000;

interface Target {
  readonly destination: RuleInput['destination'];
  readonly port: RuleInput['port'];
}

/** One entry of a `rule` attribute. */
function target(entry: string): Target | { refuse: string } {
  const any: RuleInput['destination'] = { kind: 'any' };
  if (/^\d{1,5}$/.test(entry)) return { destination: any, port: { kind: 'port', port: Number(entry) } };
  const ports = /^(\d{1,5})-(\d{1,5})$/.exec(entry);
  if (ports !== null)
    return { destination: any, port: { kind: 'range', from: Number(ports[1]), to: Number(ports[2]) } };
  if (entry.includes('/')) return { destination: { kind: 'cidr', cidr: entry }, port: { kind: 'any' } };
  const v6WithPort = /^\[([^\]]+)\]:(\d{1,5})$/.exec(entry);
  if (v6WithPort !== null) {
    return {
      destination: { kind: 'ip', address: v6WithPort[1] ?? '' },
      port: { kind: 'port', port: Number(v6WithPort[2]) },
    };
  }
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(entry);
  if (v4WithPort !== null) {
    return {
      destination: { kind: 'ip', address: v4WithPort[1] ?? '' },
      port: { kind: 'port', port: Number(v4WithPort[2]) },
    };
  }
  if (/^[\d.]+-[\d.]+$/.test(entry) || /^[\da-fA-F:]+-[\da-fA-F:]+$/.test(entry)) {
    return { refuse: `address range "${entry}": write it as networks (CIDR)` };
  }
  return { destination: { kind: 'ip', address: entry }, port: { kind: 'any' } };
}

function direction(value: string | undefined): RuleInput['direction'] {
  if (value === '1') return 'inbound';
  if (value === '2') return 'any';
  return 'outbound';
}

function protocol(value: string | undefined): RuleInput['protocol'] | null {
  if (value === undefined || value === '' || value === '0') return 'any';
  if (!/^\d{1,3}$/.test(value) || Number(value) > 255) return null;
  return Number(value);
}

function apps(value: string | undefined): RuleInput['app'][] {
  const paths = (value ?? '')
    .split('|')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return paths.length === 0 ? [{ kind: 'any' }] : paths.map((path) => ({ kind: 'path', path }));
}

function windowsCaveat(app: RuleInput['app']): string[] {
  return app.kind === 'path' && /^[A-Za-z]:\\/.test(app.path)
    ? ['a Windows program path: it matches only on Windows']
    : [];
}

/** One custom rule: the rules of ours it becomes, or why none. */
function customRule(
  item: ReadonlyMap<string, string>,
  source: string,
): { rules: PreviewRule[]; skipped: SkippedRule[] } {
  const skip = (reason: string) => ({ rules: [], skipped: [{ source, reason }] });
  if ((item.get('rule_local') ?? '').trim() !== '')
    return skip('a local address or port (rule_local): ZenithFence rules do not match them');
  const proto = protocol(item.get('protocol'));
  if (proto === null) return skip(`protocol "${item.get('protocol') ?? ''}" is not a protocol number`);
  const entries = (item.get('rule') ?? '')
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const targets: Target[] = [];
  for (const entry of entries.length === 0 ? ['*'] : entries) {
    if (entry === '*') {
      targets.push({ destination: { kind: 'any' }, port: { kind: 'any' } });
      continue;
    }
    const found = target(entry);
    if ('refuse' in found) return skip(found.refuse);
    targets.push(found);
  }
  const programs = apps(item.get('apps'));
  const count = targets.length * programs.length;
  if (count > MAX_EXPANSION)
    return skip(`${String(count)} combinations of programs and addresses, over ${String(MAX_EXPANSION)}`);
  const name = item.get('name') ?? '';
  const result: { rules: PreviewRule[]; skipped: SkippedRule[] } = { rules: [], skipped: [] };
  for (const app of programs) {
    for (const { destination, port } of targets) {
      const caveats = [...windowsCaveat(app)];
      if (count > 1) caveats.push(`one simplewall rule becomes ${String(count)} rules`);
      const candidate: RuleInput = {
        app,
        destination,
        port,
        protocol: proto,
        direction: direction(item.get('dir')),
        action: item.get('is_block') === 'true' ? 'block' : 'allow',
        duration: { kind: 'forever' },
        enabled: item.get('is_enabled') !== 'false',
        notes: ['From simplewall', name].filter((t) => t !== '').join(': '),
      };
      const checked = checkedRule(source, candidate, caveats);
      if ('rule' in checked) result.rules.push(checked.rule);
      else result.skipped.push(checked.skipped);
    }
  }
  return result;
}

/** One program of the allowed list. */
function allowedApp(
  item: ReadonlyMap<string, string>,
  source: string,
): { rule: PreviewRule } | { skipped: SkippedRule } {
  const path = (item.get('path') ?? '').trim();
  if (path === '') return { skipped: { source, reason: 'a program without a path' } };
  const timer = item.get('timer') ?? '';
  if (timer !== '' && timer !== '0') {
    return { skipped: { source, reason: 'allowed only until a time (timer): ZenithFence asks again instead' } };
  }
  const comment = item.get('comment') ?? '';
  const candidate: RuleInput = {
    app: { kind: 'path', path },
    destination: { kind: 'any' },
    port: { kind: 'any' },
    protocol: 'any',
    direction: 'outbound',
    action: 'allow',
    duration: { kind: 'forever' },
    enabled: item.get('is_enabled') !== 'false',
    notes: ['From simplewall (allowed program)', comment].filter((t) => t !== '').join(': '),
  };
  return checkedRule(source, candidate, windowsCaveat(candidate.app));
}

/** A profile file. */
export function previewSimplewall(file: ImportFile): ImportPreview {
  const preview = (rules: PreviewRule[], skipped: SkippedRule[]): ImportPreview => ({
    format: SIMPLEWALL_FORMAT,
    rules,
    skipped,
  });
  const whole = (reason: string) => preview([], [{ source: file.name, reason }]);
  if (file.text.length > MAX_IMPORT_CHARS)
    return whole(`over the ${String(MAX_IMPORT_CHARS)} characters one import reads`);
  if (!file.text.trimStart().startsWith('<')) {
    return whole("not plain XML: simplewall's compressed or encrypted profile is not read; export it as plain XML");
  }
  let xml;
  try {
    xml = readXmlItems(file.text);
  } catch (error) {
    if (error instanceof XmlItemsError) return whole(`not readable XML: ${error.message}`);
    throw error;
  }
  if (xml.root?.name !== 'root') return whole('not a simplewall profile (its root element is not <root>)');
  const rules: PreviewRule[] = [];
  const skipped: SkippedRule[] = [];
  (xml.sections.get('apps') ?? []).forEach((item, index) => {
    const done = allowedApp(item, `${file.name} apps item ${String(index + 1)}`);
    if ('rule' in done) rules.push(done.rule);
    else skipped.push(done.skipped);
  });
  (xml.sections.get('rules_custom') ?? []).forEach((item, index) => {
    const done = customRule(item, `${file.name} rules_custom item ${String(index + 1)} (${item.get('name') ?? ''})`);
    rules.push(...done.rules);
    skipped.push(...done.skipped);
  });
  for (const [section, items] of xml.sections) {
    if (section === 'apps' || section === 'rules_custom') continue;
    skipped.push({
      source: `${file.name} ${section}`,
      reason: `${String(items.length)} entries of simplewall's own ${section}: not imported (its built-in rules and lists)`,
    });
  }
  return preview(rules, skipped);
}
