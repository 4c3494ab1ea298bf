import {
  type Destination,
  type PortMatch,
  type Rule,
  type RuleAction,
  type RuleDuration,
  type RuleInput,
  ruleInputSchema,
} from '../../../app/contract/rules.ts';
import type { ConnectionRow } from '../../../app/contract/views.ts';
import { COMMON } from '../strings/common-strings.ts';
import { RULES } from '../strings/rules-strings.ts';
import { appName, protocolName } from './format.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/** The rule editor's fields as strings (what inputs hold) and their conversion to a RuleInput. */

export type DestinationKind = Destination['kind'];
export type DurationKind = RuleDuration['kind'];

export interface RuleForm {
  /** '' = any app. */
  readonly appPath: string;
  readonly destinationKind: DestinationKind;
  /** Host name, *.domain pattern, address or CIDR, by kind. */
  readonly destinationValue: string;
  /** '' = any port; '443' or '8000-8080'. */
  readonly port: string;
  /** 'any' or a protocol number as text. */
  readonly protocol: string;
  readonly direction: RuleInput['direction'];
  readonly action: RuleAction;
  readonly durationKind: DurationKind;
  readonly minutes: string;
  readonly enabled: boolean;
  readonly notes: string;
  /** The profile the rule belongs to; '' = always on. */
  readonly profile: string;
}

export const EMPTY_RULE_FORM: RuleForm = {
  appPath: '',
  destinationKind: 'any',
  destinationValue: '',
  port: '',
  protocol: 'any',
  direction: 'outbound',
  action: 'allow',
  durationKind: 'forever',
  minutes: '60',
  enabled: true,
  notes: '',
  profile: '',
};

/** The destination kinds the editor offers; a placeholder (an example value) where one is typed. */
export const DESTINATION_KINDS: readonly { kind: DestinationKind; label: string; placeholder: string }[] = (
  [
    ['any', ''],
    ['host', 'example.org'],
    ['domain', '*.example.org'],
    ['ip', '192.0.2.10'],
    ['cidr', '192.0.2.0/24'],
    ['lan', ''],
    ['localhost', ''],
  ] as const
).map(([kind, placeholder]) => ({ kind, label: RULES.destinationKinds[kind], placeholder }));

// Not 'once': it answers one prompt and is never a rule (the engine refuses such a rule).
export const DURATION_KINDS: readonly { kind: DurationKind; label: string }[] = (
  ['forever', 'until-restart', 'until-app-quits', 'minutes'] as const
).map((kind) => ({ kind, label: RULES.durationKinds[kind] }));

export const PROTOCOL_CHOICES: readonly { value: string; label: string }[] = [
  { value: 'any', label: COMMON.any },
  { value: '6', label: 'TCP' },
  { value: '17', label: 'UDP' },
  { value: '1', label: 'ICMP' },
  { value: '58', label: 'ICMPv6' },
];

export type FormResult =
  { readonly ok: true; readonly input: RuleInput } | { readonly ok: false; readonly error: string };

function parsePort(text: string): PortMatch | string {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'any') return { kind: 'any' };
  const single = /^\d{1,5}$/.exec(trimmed);
  if (single !== null) {
    const port = Number(trimmed);
    return port <= 65535 ? { kind: 'port', port } : RULES.errors.portNumber;
  }
  const range = /^(\d{1,5})\s*[-–]\s*(\d{1,5})$/.exec(trimmed);
  if (range !== null) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    if (from > 65535 || to > 65535) return RULES.errors.portNumber;
    if (from > to) return RULES.errors.portRange;
    return { kind: 'range', from, to };
  }
  return RULES.errors.port;
}

function buildDestination(kind: DestinationKind, value: string): Destination | string {
  const v = value.trim();
  switch (kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      return { kind };
    case 'host':
      return v === '' ? RULES.errors.host : { kind, name: v.toLowerCase() };
    case 'domain': {
      if (v === '') return RULES.errors.domain;
      const pattern = v.startsWith('*.') ? v.toLowerCase() : `*.${v.replace(/^\.+/, '').toLowerCase()}`;
      return { kind, pattern };
    }
    case 'ip':
      return v === '' ? RULES.errors.ip : { kind, address: v };
    case 'cidr':
      return v === '' ? RULES.errors.cidr : { kind, cidr: v };
  }
}

function buildDuration(kind: DurationKind, minutes: string): RuleDuration | string {
  if (kind !== 'minutes') return { kind };
  const n = Number(minutes.trim());
  if (!Number.isInteger(n) || n < 1 || n > 525_600) return RULES.errors.minutes;
  return { kind, minutes: n };
}

/** Turns the form into a RuleInput the contract accepts, or one sentence saying what to fix. */
export function formToRuleInput(form: RuleForm): FormResult {
  const destination = buildDestination(form.destinationKind, form.destinationValue);
  if (typeof destination === 'string') return { ok: false, error: destination };
  const port = parsePort(form.port);
  if (typeof port === 'string') return { ok: false, error: port };
  const duration = buildDuration(form.durationKind, form.minutes);
  if (typeof duration === 'string') return { ok: false, error: duration };
  const appPath = form.appPath.trim();
  const candidate = {
    app: appPath === '' ? { kind: 'any' } : { kind: 'path', path: appPath },
    destination,
    port,
    protocol: form.protocol === 'any' ? 'any' : Number(form.protocol),
    direction: form.direction,
    action: form.action,
    duration,
    enabled: form.enabled,
    notes: form.notes,
    profile: form.profile === '' ? null : form.profile,
  };
  const parsed = ruleInputSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    const message = issue?.message ?? RULES.errors.invalid;
    return { ok: false, error: typeof field === 'string' ? RULES.errors.field(field, message) : message };
  }
  return { ok: true, input: parsed.data };
}

function destinationValue(destination: Destination): string {
  switch (destination.kind) {
    case 'host':
      return destination.name;
    case 'domain':
      return destination.pattern;
    case 'ip':
      return destination.address;
    case 'cidr':
      return destination.cidr;
    default:
      return '';
  }
}

function portText(port: PortMatch): string {
  if (port.kind === 'port') return String(port.port);
  if (port.kind === 'range') return `${port.from}-${port.to}`;
  return '';
}

/** The form for editing a stored rule. */
export function ruleToForm(rule: RuleInput | Rule): RuleForm {
  return {
    appPath: rule.app.kind === 'path' ? rule.app.path : '',
    destinationKind: rule.destination.kind,
    destinationValue: destinationValue(rule.destination),
    port: portText(rule.port),
    protocol: String(rule.protocol),
    direction: rule.direction,
    action: rule.action,
    durationKind: rule.duration.kind,
    minutes: rule.duration.kind === 'minutes' ? String(rule.duration.minutes) : '60',
    enabled: rule.enabled,
    notes: rule.notes,
    profile: rule.profile ?? '',
  };
}

/** A new rule's form from a connection row: this app, this host (or address), port and protocol. */
export function connectionToForm(row: ConnectionRow): RuleForm {
  return {
    ...EMPTY_RULE_FORM,
    appPath: row.appPath,
    destinationKind: row.host === null ? 'ip' : 'host',
    destinationValue: row.host ?? row.remoteIp,
    port: String(row.remotePort),
    protocol: String(row.protocol),
    direction: row.direction,
    action: row.verdict === 'pending' || row.verdict.includes('accept') ? 'allow' : 'block',
  };
}

/** "example.org", "*.example.org", "192.0.2.0/24", "Local network", "Any". */
export function describeDestination(destination: Destination): string {
  switch (destination.kind) {
    case 'any':
    case 'lan':
    case 'localhost':
      return RULES.destinations[destination.kind];
    default:
      return destinationValue(destination);
  }
}

export function describePort(port: PortMatch): string {
  if (port.kind === 'any') return RULES.anyPort;
  return portText(port);
}

export function describeApp(app: RuleInput['app']): string {
  return app.kind === 'any' ? RULES.anyApp : appName(app.path);
}

export function describeProtocol(protocol: RuleInput['protocol']): string {
  return protocolName(protocol);
}

/** "Forever", "Until restart"; a span in whole hours or else minutes: "2 hr", "90 min". */
export function describeDuration(duration: RuleDuration, format: LocaleFormat = userFormat()): string {
  if (duration.kind !== 'minutes') return RULES.durations[duration.kind];
  const { minutes } = duration;
  return minutes % 60 === 0 ? format.duration(minutes / 60, 'hour') : format.duration(minutes, 'minute');
}

/** Does the rule mention `needle` (app, destination, port, action, notes)? */
export function ruleMatchesSearch(rule: Rule, needle: string): boolean {
  const n = needle.trim().toLowerCase();
  if (n === '') return true;
  const text = [
    rule.app.kind === 'path' ? rule.app.path : 'any app',
    describeDestination(rule.destination),
    describePort(rule.port),
    describeProtocol(rule.protocol),
    rule.direction,
    rule.action,
    rule.notes,
  ]
    .join(' ')
    .toLowerCase();
  return text.includes(n);
}
