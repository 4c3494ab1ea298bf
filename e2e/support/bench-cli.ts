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
  // Help wins wherever it is, also after a bad option or in a value's place.
  if (argv.some((arg) => arg === '--help' || arg === '-h')) return undefined;
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
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

/** How long a clean-up may take before the process ends anyway. */
const CLEAN_UP_LIMIT_MS = 60_000;

/**
 * Runs `cleanUp` before this process ends for any reason but a normal return: SIGINT and
 * SIGTERM (exit 128 + the signal's number), an exception or rejection nobody caught, and an
 * output pipe that closed (EPIPE; that stream stays quiet from then on). Returns the clean-up
 * for the benchmark's own `finally`: it runs once, and every caller gets that one run, so an
 * abort during the `finally`'s clean-up waits for it rather than ending the process under it.
 * A clean-up that fails is reported; one that takes over a minute ends the process anyway.
 */
export function cleanUpOnAbort(work: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const cleanUp = (): Promise<void> => (running ??= work());
  let ending = false;
  const end = (why: string, code: number): void => {
    if (ending) return;
    ending = true;
    console.error(`\n${why}: cleaning up`);
    setTimeout(() => {
      console.error(`the clean-up took over ${String(CLEAN_UP_LIMIT_MS / 1000)} s: ending without it`);
      process.exit(code);
    }, CLEAN_UP_LIMIT_MS);
    void cleanUp()
      .catch((error: unknown) => console.error('the clean-up failed:', error))
      .finally(() => process.exit(code));
  };
  process.once('SIGINT', () => end('SIGINT', 130));
  process.once('SIGTERM', () => end('SIGTERM', 143));
  process.on('uncaughtException', (error) => {
    console.error(error);
    end('uncaught exception', 1);
  });
  process.on('unhandledRejection', (reason) => {
    console.error(reason);
    end('unhandled rejection', 1);
  });
  const quiet = (): undefined => undefined;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') return;
    // The reader left: writes to it would fail the same way. Stderr still says what happens.
    console.log = quiet;
    console.info = quiet;
    end('the output pipe closed', 1);
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') return;
    console.error = quiet;
    console.warn = quiet;
    end('the error pipe closed', 1);
  });
  return cleanUp;
}
