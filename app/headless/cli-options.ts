import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { z } from 'zod';
import { DEFAULT_CONNECTION_LIMITS, MAX_CONNECTIONS_RANGE } from './connection-limits.ts';
import { UsageError } from './exit-codes.ts';

export const HEADLESS_OPTIONS_HELP = `  --driver-socket PATH  where the driver is: zenithfenced's client socket on Linux (default
                        $ZENITHFENCE_DRIVER_SOCKET or /run/zenithfence/driver.sock), the device on
                        Windows (default \\\\.\\ZenithFence)
  --data-dir DIR        where the database lives, created if missing (default
                        $XDG_DATA_HOME/zenithfence or ~/.local/share/zenithfence on Linux,
                        %LOCALAPPDATA%\\ZenithFence on Windows)
  --port N              the port to listen on (default: a free one)
  --import-rules FILE   import a rule file at start (all or nothing)
  --renderer DIR        the built renderer (default: renderer/dist)
  --max-connections N   sockets peers without the token may hold at once, ${String(MAX_CONNECTIONS_RANGE.min)} to ${String(MAX_CONNECTIONS_RANGE.max)}
                        (default ${String(DEFAULT_CONNECTION_LIMITS.maxConnections)}; a new one drops the oldest; UI clients count apart)
  --version             print the version and exit
  --help, -h            print this text and exit
Options take their value as the next argument or after '=' (--port=8080).`;

export const HEADLESS_EXIT_CODES_HELP = `Exit codes: 0 stopped by SIGINT, SIGTERM or SIGHUP (or --help, --version); 2 wrong usage; 3 the driver
refused the connection (no permission on its socket or device, another protocol version);
4 the data directory cannot be used (another ZenithFence runs on it, or its database is of a newer
release); 1 anything else.`;

export const HEADLESS_USAGE = `Usage: npm run headless -- [--driver-socket PATH] [--data-dir DIR] [--port N] [--import-rules FILE] [--max-connections N]

Runs the ZenithFence engine without Electron and serves its UI on 127.0.0.1 only.
${HEADLESS_OPTIONS_HELP}

${HEADLESS_EXIT_CODES_HELP}`;

/**
 * The options of headless mode for node:util's parseArgs; `npm start` (app/launcher) accepts them
 * too and hands them on. Every value is a string here; the schema below checks them.
 */
export const HEADLESS_OPTIONS = {
  'driver-socket': { type: 'string' },
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  'import-rules': { type: 'string' },
  renderer: { type: 'string' },
  'max-connections': { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

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

/** Each schema key and the flag the user types for it (for the error sentences). */
const FLAGS: Readonly<Record<string, keyof HeadlessOptions>> = {
  '--driver-socket': 'driverSocket',
  '--data-dir': 'dataDir',
  '--port': 'port',
  '--import-rules': 'importRules',
  '--renderer': 'renderer',
  '--max-connections': 'maxConnections',
};

/**
 * Runs parseArgs (strict, no positionals) over `args` with `options`; turns its errors into a
 * UsageError of one sentence, as the hand parser before it said them.
 */
export function strictParse<O extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(usageSentence(error));
  }
}

/** parseArgs' error as the sentence this CLI says (its own messages are longer). */
function usageSentence(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  // The long flag the message is about ("Option '-h, --help' ..." names both forms).
  const flag = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted}' (see --help)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}' (see --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('does not take an argument')) return `${flag} takes no value (see --help)`;
      // Missing, or followed by another option: a value that starts with '-' goes after '='.
      return message.includes('ambiguous')
        ? `${flag} needs a value (one that starts with '-' is written ${flag}=VALUE)`
        : `${flag} needs a value`;
    default:
      return `${message} (see --help)`;
  }
}

/**
 * Parses the arguments; throws a UsageError whose message is one sentence for the user.
 * A value that starts with '-' must be given as --flag=value.
 */
export function parseHeadlessArgs(args: readonly string[], repoRoot: string): HeadlessOptions | 'help' | 'version' {
  const values = strictParse(args, HEADLESS_OPTIONS);
  if (values.help === true) return 'help';
  if (values.version === true) return 'version';
  const given = {
    renderer: values.renderer ?? path.join(repoRoot, 'renderer', 'dist'),
    driverSocket: values['driver-socket'],
    dataDir: values['data-dir'],
    port: values.port,
    importRules: values['import-rules'],
    maxConnections: values['max-connections'],
  };
  // Options not given are left out (not undefined): the defaults and the platform's apply.
  const parsed = optionsSchema.safeParse(
    Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = Object.entries(FLAGS).find(([, key]) => key === issue?.path[0])?.[0] ?? 'an option';
    throw new UsageError(`${flag}: ${issue?.message ?? 'invalid'} (see --help)`);
  }
  return parsed.data;
}
