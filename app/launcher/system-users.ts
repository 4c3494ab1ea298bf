import { spawnSync } from 'node:child_process';

/** An account as the system's user database (NSS, through getent) has it. */
export interface Account {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
  readonly home: string;
  /** The name of the primary group (its number as text when the group has no entry). */
  readonly groupName: string;
}

/** One `getent DATABASE KEY` entry split at ':'; null when there is none. */
export type GetEnt = (database: 'passwd' | 'group', key: string) => string[] | null;

/** getent(1): sees the same accounts as the rest of the system (files, LDAP, systemd-homed). */
export const getent: GetEnt = (database, key) => {
  const result = spawnSync('getent', [database, key], { encoding: 'utf8', timeout: 5000 });
  if (result.status !== 0) return null;
  const line = result.stdout.split('\n')[0] ?? '';
  return line === '' ? null : line.split(':');
};

/** The account with user id `uid`, or null when the user database has none. */
export function accountOf(uid: number, lookup: GetEnt = getent): Account | null {
  const entry = lookup('passwd', String(uid));
  const [name, , uidText, gidText, , home] = entry ?? [];
  if (name === undefined || home === undefined || uidText !== String(uid) || gidText === undefined) return null;
  const gid = Number(gidText);
  if (!Number.isInteger(gid) || gid < 0) return null;
  return { uid, gid, name, home, groupName: groupNameOf(gid, lookup) };
}

/** The name of group `gid` (its number as text when it has no entry). */
export function groupNameOf(gid: number, lookup: GetEnt = getent): string {
  return lookup('group', String(gid))?.[0] ?? String(gid);
}
