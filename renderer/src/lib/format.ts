import type { Direction } from '../../../app/contract/driver-events.ts';
import { COMMON, STRINGS_LANGUAGE } from '../strings/common-strings.ts';
import { type LocaleFormat, type PluralText, sameDay, userFormat } from './locale-format.ts';
import { visibleText } from './visible-text.ts';

/**
 * Display formatting shared by every view. No clock (callers pass `now`); the locale is the
 * user's unless a test passes another formatter (lib/locale-format.ts).
 */

/** Bytes in SI units with three significant digits: 999 bytes, 1.00 kB, 12.3 MB, 456 GB. */
export function formatBytes(bytes: number, format: LocaleFormat = userFormat()): string {
  return format.bytes(bytes);
}

/** A transfer rate: 1.20 MB/s. */
export function formatRate(bytesPerSecond: number, format: LocaleFormat = userFormat()): string {
  return format.rate(bytesPerSecond);
}

/** A count with the locale's digits and grouping: 1,234. */
export function formatCount(count: number, format: LocaleFormat = userFormat()): string {
  return format.integer(count);
}

/** `count` and its noun, by the locale's plural rules: "1 connection", "3 connections". */
export function plural(count: number, text: PluralText, format: LocaleFormat = userFormat()): string {
  return format.plural(count, text, STRINGS_LANGUAGE);
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** An IANA protocol number as users know it: TCP, UDP, ICMP; others by number. */
export function protocolName(protocol: number | 'any'): string {
  if (protocol === 'any') return COMMON.any;
  return PROTOCOL_NAMES[protocol] ?? COMMON.protocol(protocol);
}

/**
 * The short name of an app label: the executable's file name, or the label itself, with hidden
 * characters shown (`visibleText`).
 */
export function appName(label: string): string {
  if (!label.includes('/') && !label.includes('\\')) return label === '' ? COMMON.unknown : visibleText(label);
  const parts = label.split(/[/\\]/).filter((part) => part !== '');
  return visibleText(parts.at(-1) ?? label);
}

export function directionLabel(direction: Direction | 'any'): string {
  if (direction === 'outbound') return COMMON.outbound;
  if (direction === 'inbound') return COMMON.inbound;
  return COMMON.any;
}

/** A clock time (local, with seconds), with the date in front when it is not today. */
export function formatTime(at: number | null, now: number, format: LocaleFormat = userFormat()): string {
  return at === null ? COMMON.none : format.timeOrDate(at, now);
}

/**
 * A time for a column as wide as a clock time (the Connections table's Started and Ended): the
 * clock time today, else only the day ("Jan 14"), with the whole date and time as `full` for a
 * tooltip. Cut to fit, the date and time would show only its time and read as today.
 */
export function formatTimeInColumn(
  at: number,
  now: number,
  format: LocaleFormat = userFormat(),
): { readonly text: string; readonly full: string | null } {
  // One format for today's rows (most of them): this runs for every row that scrolls in.
  if (sameDay(new Date(at), new Date(now))) return { text: format.time(at), full: null };
  return { text: format.day(at), full: format.timeOrDate(at, now) };
}

/** An address and its port as people write them: "93.184.216.34:443", "[2001:db8::1]:443". */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${String(port)}` : `${ip}:${String(port)}`;
}

/** A clock time without seconds (for pauses): 14:35. */
export function formatClock(at: number, format: LocaleFormat = userFormat()): string {
  return format.clock(at);
}

/** How long ago, coarse: "just now", "5 sec. ago", "3 min. ago", "2 hr. ago", "4 days ago"; "never" for null. */
export function formatAgo(at: number | null, now: number, format: LocaleFormat = userFormat()): string {
  if (at === null) return COMMON.never;
  if (now - at < 1500) return COMMON.justNow;
  return format.ago(at, now);
}

/** Whole seconds left until `deadline` (never negative). */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/**
 * Log severities as the driver sends them (1 trace … 6 critical), as a key: it names CSS classes
 * and is shown through the Logs view's strings.
 */
export function severityName(severity: number): string {
  return ['trace', 'debug', 'info', 'warning', 'error', 'critical'][severity - 1] ?? `level ${severity}`;
}
