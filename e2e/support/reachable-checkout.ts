import { chmodSync, mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './headless-client.ts';

/**
 * The checkout as another user can reach it. A checkout in a private directory (0700; a home
 * directory on Ubuntu is 0750) cannot be read by a user a test runs a process as, such as
 * nobody. That process runs in its own mount namespace where the checkout is bind-mounted under
 * a directory of /run that everyone may enter: nothing is copied, and the mount ends with the
 * namespace's last process. close() removes the (in this namespace empty) directories.
 */
export class ReachableCheckout {
  readonly #dir: string;
  /** Where the checkout is seen inside the wrapped commands. */
  readonly root: string;

  constructor() {
    this.#dir = mkdtempSync('/run/zf-checkout-');
    chmodSync(this.#dir, 0o755);
    this.root = path.join(this.#dir, 'repo');
    mkdirSync(this.root);
  }

  /** A path of the checkout as the wrapped commands see it. */
  map(file: string): string {
    return path.join(this.root, path.relative(REPO, file));
  }

  /**
   * `command args` (as root, or as `user` when given) in a new mount namespace that has the
   * checkout at `root`. Returns what to spawn: the command and its arguments.
   */
  wrap(command: string, args: readonly string[], user?: { uid: number; gid: number }): [string, string[]] {
    const run =
      user === undefined
        ? [command, ...args]
        : ['setpriv', `--reuid=${String(user.uid)}`, `--regid=${String(user.gid)}`, '--clear-groups', command, ...args];
    return [
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$1" "$2" && shift 2 && exec "$@"',
        'sh',
        REPO,
        this.root,
        ...run,
      ],
    ];
  }

  close(): void {
    // Not recursive: should a mount ever be seen here, this fails instead of deleting the checkout.
    rmdirSync(this.root);
    rmdirSync(this.#dir);
  }
}
