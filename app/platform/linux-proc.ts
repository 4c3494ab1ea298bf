// The parts of /proc/<pid>/stat and /proc/<pid>/status the Linux system port reads (pure, so the
// odd cases are tested: a command name with spaces or parentheses, a missing field).

/**
 * Field 22 of /proc/<pid>/stat (starttime, clock ticks after boot), as zenithfenced reports it.
 * The command name (field 2) may hold spaces and ')', so fields are counted after the last ')'.
 */
export function statStartTime(stat: string): bigint | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After the name come fields 3, 4, …: starttime (22) is the 20th of them.
  const field = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/)[19];
  return field !== undefined && /^\d+$/.test(field) ? BigInt(field) : undefined;
}

/** The real uid (first number of the `Uid:` line) of /proc/<pid>/status. */
export function statusUid(status: string): number | undefined {
  const match = /^Uid:\s+(\d+)/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
