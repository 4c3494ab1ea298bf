// The command line of a benchmark that sets up the machine (namespaces, a daemon, a browser):
// its options checked before anything starts, and its clean-up run however it ends.
//
// A benchmark that took `--help` or a misspelt option for nothing would start as root and set up
// namespaces for a run nobody asked for; one whose output pipe closes (`| head`) would die of the
// write's EPIPE in the middle, without its `finally`, and leave them behind.

/** What a benchmark takes: flags, and options that take a value. */
export interface BenchCliSpec {
  /** One line: how to run it. */
  readonly usage: string;
  readonly flags: readonly string[];
  readonly valued: readonly string[];
}

/** The options given: flags present, and each valued option's value. */
export interface BenchArgs {
  has(flag: string): boolean;
  value(option: string): string | undefined;
}

/** Why a command line is refused (the message says what to do). */
export class BenchUsageError extends Error {}

/**
 * Reads `argv` (the arguments after the script) against `spec`. Undefined when help was asked
 * for; throws {@link BenchUsageError} for an unknown option or a valued option without a value.
 */
export function parseBenchArgs(argv: readonly string[], spec: BenchCliSpec): BenchArgs | undefined {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return undefined;
    if (spec.flags.includes(arg)) {
      flags.add(arg);
    } else if (spec.valued.includes(arg)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new BenchUsageError(`${arg} needs a value; ${spec.usage}`);
      }
      values.set(arg, value);
      i += 1;
    } else {
      throw new BenchUsageError(`unknown option ${JSON.stringify(arg)}; ${spec.usage}`);
    }
  }
  return { has: (flag) => flags.has(flag), value: (option) => values.get(option) };
}

/**
 * The options of this process's command line, or the end of the process: the usage on stdout
 * for `--help` (exit 0), the reason on stderr for a bad command line (exit 2).
 */
export function benchArgs(spec: BenchCliSpec): BenchArgs {
  try {
    const args = parseBenchArgs(process.argv.slice(2), spec);
    if (args !== undefined) return args;
    console.log(spec.usage);
    process.exit(0);
  } catch (error) {
    console.error(error instanceof BenchUsageError ? error.message : error);
    process.exit(2);
  }
}

/**
 * Runs `cleanUp` once before this process ends for any reason but a normal return (whose own
 * `finally` cleans up): SIGINT and SIGTERM, an exception or rejection nobody caught, and an
 * output pipe that closed (EPIPE on stdout or stderr; nothing more is printed then).
 */
export function cleanUpOnAbort(cleanUp: () => Promise<void>): void {
  let ending = false;
  const end = (why: string, code: number): void => {
    if (ending) return;
    ending = true;
    if (why !== '') console.error(`\n${why}: cleaning up`);
    void cleanUp()
      .catch((error: unknown) => console.error('clean-up failed:', error))
      .finally(() => process.exit(code));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => end(signal, 130));
  }
  process.on('uncaughtException', (error) => {
    if (ending) return;
    console.error(error);
    end('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    if (ending) return;
    console.error(reason);
    end('unhandled rejection', 1);
  });
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // The reader left: stay quiet (another write would fail the same way) and clean up.
      if (error.code === 'EPIPE') {
        console.log = () => undefined;
        console.error = () => undefined;
        end('', 1);
      }
    });
  }
}
