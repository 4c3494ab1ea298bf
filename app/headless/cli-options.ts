import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_CONNECTION_LIMITS, MAX_CONNECTIONS_RANGE } from './connection-limits.ts';

export const HEADLESS_USAGE = `Usage: npm run headless -- [--driver-socket PATH] [--data-dir DIR] [--port N] [--import-rules FILE] [--max-connections N]

Runs the ZenithFence engine without Electron and serves its UI on 127.0.0.1 only.
  --driver-socket PATH  where the driver is: zenithfenced's client socket on Linux (default
                        $ZENITHFENCE_DRIVER_SOCKET or /run/zenithfence/driver.sock), the device on
                        Windows (default \\\\.\\ZenithFence)
  --data-dir DIR        where the database lives, created if missing (default
                        $XDG_DATA_HOME/zenithfence or ~/.local/share/zenithfence on Linux,
                        %LOCALAPPDATA%\\ZenithFence on Windows)
  --port N              the port to listen on (default: a free one)
  --import-rules FILE   import a rule file at start (all or nothing)
  --renderer DIR        the built renderer (default: renderer/dist)
  --max-connections N   sockets peers without the token may hold at once, ${String(MAX_CONNECTIONS_RANGE.min)} to ${String(MAX_CONNECTIONS_RANGE.max)}
                        (default ${String(DEFAULT_CONNECTION_LIMITS.maxConnections)}; a new one drops the oldest; UI clients count apart)`;

const optionsSchema = z
  .object({
    // Absent: the platform's (app/platform).
    driverSocket: z.string().min(1).optional(),
    dataDir: z.string().min(1).optional(),
    port: z.coerce.number().int().min(0).max(65535).default(0),
    importRules: z.string().min(1).optional(),
    renderer: z.string().min(1),
    maxConnections: z.coerce
      .number()
      .int()
      .min(MAX_CONNECTIONS_RANGE.min)
      .max(MAX_CONNECTIONS_RANGE.max)
      .default(DEFAULT_CONNECTION_LIMITS.maxConnections),
  })
  .strict();
export type HeadlessOptions = z.infer<typeof optionsSchema>;

const FLAGS: Readonly<Record<string, keyof HeadlessOptions>> = {
  '--driver-socket': 'driverSocket',
  '--data-dir': 'dataDir',
  '--port': 'port',
  '--import-rules': 'importRules',
  '--renderer': 'renderer',
  '--max-connections': 'maxConnections',
};

/** Parses the arguments; throws an Error whose message is one sentence for the user. */
export function parseHeadlessArgs(args: readonly string[], repoRoot: string): HeadlessOptions | 'help' {
  const raw: Record<string, string> = { renderer: path.join(repoRoot, 'renderer', 'dist') };
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i] ?? '';
    if (flag === '--help' || flag === '-h') return 'help';
    const key = FLAGS[flag];
    const value = args[i + 1];
    if (key === undefined) throw new Error(`unknown option '${flag}' (see --help)`);
    if (value === undefined) throw new Error(`${flag} needs a value`);
    raw[key] = value;
    i += 1;
  }
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = Object.entries(FLAGS).find(([, key]) => key === issue?.path[0])?.[0] ?? 'an option';
    throw new Error(`${flag}: ${issue?.message ?? 'invalid'} (see --help)`);
  }
  return parsed.data;
}
