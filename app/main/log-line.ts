/** The levels a main.log line carries. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** A line longer than this (a logged object, a huge stack) is cut: one line must not fill the file. */
export const MAX_LINE_CHARS = 8192;

/**
 * One main.log entry: ISO time (UTC), level, text, newline. Continuation lines of a multi-line
 * text (a stack) are indented, so every entry starts with its timestamp at the line's start and
 * a reader (or grep) can tell where one ends.
 */
export function formatLogLine(level: LogLevel, text: string, at: Date): string {
  const cut =
    text.length > MAX_LINE_CHARS
      ? `${text.slice(0, MAX_LINE_CHARS)}… (${String(text.length - MAX_LINE_CHARS)} more characters cut)`
      : text;
  const body = cut.replace(/\r?\n$/, '').replace(/\r?\n/g, '\n    ');
  return `${at.toISOString()} ${level.padEnd(5)} ${body}\n`;
}
