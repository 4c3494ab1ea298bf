import type { ParseArgsOptionsConfig } from 'node:util';
import {
  HEADLESS_EXIT_CODES_HELP,
  HEADLESS_OPTIONS,
  HEADLESS_OPTIONS_HELP,
  type HeadlessOptions,
  parseHeadlessArgs,
  strictParse,
} from '../headless/cli-options.ts';
import { UsageError } from '../headless/exit-codes.ts';

export const LAUNCHER_USAGE = `Usage: npm start -- [--no-browser] [--policy-file PATH] [headless mode's options]

Runs ZenithFence: the desktop app where an Electron binary is installed; otherwise headless mode,
which serves the same UI on 127.0.0.1 and opens it in your browser. On Linux it uses zenithfenced
when its socket answers; otherwise, as root, it starts the daemon itself and stops it on exit
(without root it prints the one command that starts it). Ctrl-C or SIGTERM answer every held
connection and stop what it started. Under sudo, the engine and the browser run as the user who
typed sudo, with that user's data directory; only the daemon runs as root.
  --no-browser          only print the URL (it is printed in any case)
  --policy-file PATH    where a daemon started here stores your permanent rules (default: the
                        daemon's, /var/lib/zenithfence/policy)
${HEADLESS_OPTIONS_HELP}

${HEADLESS_EXIT_CODES_HELP} Here 3 also means: the driver is not running and
cannot be started without root (the command that starts it is printed), or it failed to start.`;

const LAUNCHER_OPTIONS = {
  ...HEADLESS_OPTIONS,
  'no-browser': { type: 'boolean' },
  'policy-file': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

/** The string options `npm start` hands on to headless mode as they were given. */
const HANDED_ON = ['driver-socket', 'data-dir', 'port', 'import-rules', 'renderer', 'max-connections'] as const;

export interface LauncherOptions {
  readonly openBrowser: boolean;
  readonly policyFile: string | undefined;
  /** Headless mode's options, checked as headless mode checks them. */
  readonly headless: HeadlessOptions;
  /** Headless mode's arguments as given, each as --name=value. */
  readonly headlessArgs: readonly string[];
}

/** Parses `npm start`'s arguments; throws a UsageError (one sentence) when they are wrong. */
export function parseLauncherArgs(args: readonly string[], repoRoot: string): LauncherOptions | 'help' | 'version' {
  const values = strictParse(args, LAUNCHER_OPTIONS);
  if (values.help === true) return 'help';
  if (values.version === true) return 'version';
  const headlessArgs = HANDED_ON.flatMap((name) => {
    const value = values[name];
    return value === undefined ? [] : [`--${name}=${value}`];
  });
  // Checked here, before a daemon is started, with headless mode's own sentences.
  const headless = parseHeadlessArgs(headlessArgs, repoRoot);
  if (typeof headless === 'string') throw new Error('unreachable: no --help or --version handed on');
  if (values['policy-file'] === '') throw new UsageError('--policy-file needs a path (see --help)');
  return {
    openBrowser: values['no-browser'] !== true,
    policyFile: values['policy-file'],
    headless,
    headlessArgs,
  };
}
