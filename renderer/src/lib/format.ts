import type { Direction } from '../../../app/contract/driver-events.ts';

/** Display formatting shared by every view. Pure: no DOM, no clock (callers pass `now`). */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Bytes in SI units with three significant digits: 999 B, 1.00 kB, 12.3 MB, 456 GB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 999.5 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = value >= 99.95 ? 0 : value >= 9.995 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit] ?? 'B'}`;
}

/** A transfer rate: 1.20 MB/s. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** An IANA protocol number as users know it: TCP, UDP, ICMP; others by number. */
export function protocolName(protocol: number | 'any'): string {
  if (protocol === 'any') return 'Any';
  return PROTOCOL_NAMES[protocol] ?? `Protocol ${protocol}`;
}

/** The short name of an app label: the executable's file name, or the label itself. */
export function appName(label: string): string {
  if (!label.includes('/') && !label.includes('\\')) return label === '' ? 'unknown' : label;
  const parts = label.split(/[/\\]/).filter((part) => part !== '');
  return parts.at(-1) ?? label;
}

export function directionLabel(direction: Direction | 'any'): string {
  if (direction === 'outbound') return 'Out';
  if (direction === 'inbound') return 'In';
  return 'Any';
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** A clock time (HH:MM:SS, local), with the date in front when it is not today. */
export function formatTime(at: number | null, now: number): string {
  if (at === null) return '—';
  const date = new Date(at);
  const today = new Date(now);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  if (date.toDateString() === today.toDateString()) return time;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

/** A clock time without seconds (for pauses): 14:35. */
export function formatClock(at: number): string {
  const date = new Date(at);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** How long ago, coarse: "just now", "5 s ago", "3 min ago", "2 h ago", "4 d ago"; "never" for null. */
export function formatAgo(at: number | null, now: number): string {
  if (at === null) return 'never';
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** Whole seconds left until `deadline` (never negative). */
export function secondsLeft(deadline: number, now: number): number {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** Log severities as the driver sends them (1 trace … 6 critical). */
export function severityName(severity: number): string {
  return ['trace', 'debug', 'info', 'warning', 'error', 'critical'][severity - 1] ?? `level ${severity}`;
}

/** Naive plural: "1 connection", "3 connections". */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}
