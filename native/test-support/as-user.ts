// Runs a piece of the test as another user, inside this (root) process: the effective uid,
// gid and groups change for every thread (glibc applies set*id to all of them, so the libuv
// threadpool, where ffi-rs calls connect(), changes too) and are restored afterwards. A child
// process as that user would need to read the checkout, which a private (0700) checkout denies.

/** What `asUser` needs of the process (Node's, on Linux as root). */
interface Credentials {
  geteuid(): number;
  getegid(): number;
  getgroups(): number[];
  seteuid(id: number): void;
  setegid(id: number): void;
  setgroups(groups: number[]): void;
}

function credentials(): Credentials {
  const p = process as Partial<Credentials>;
  if (
    p.geteuid === undefined ||
    p.getegid === undefined ||
    p.getgroups === undefined ||
    p.seteuid === undefined ||
    p.setegid === undefined ||
    p.setgroups === undefined
  ) {
    throw new Error('changing the effective user needs a POSIX process');
  }
  return p as Credentials;
}

/** Runs `work` with effective uid `uid`, gid `gid` and no other groups; restores root's after. */
export async function asUser<T>(uid: number, gid: number, work: () => Promise<T>): Promise<T> {
  const p = credentials();
  const saved = { uid: p.geteuid(), gid: p.getegid(), groups: p.getgroups() };
  if (saved.uid !== 0) throw new Error('asUser needs root');
  // Groups and gid first: once the uid is not root, they can no longer be changed.
  p.setgroups([gid]);
  p.setegid(gid);
  p.seteuid(uid);
  try {
    return await work();
  } finally {
    // The real uid stayed 0, so root can be taken back; then its groups.
    p.seteuid(saved.uid);
    p.setegid(saved.gid);
    p.setgroups(saved.groups);
  }
}
