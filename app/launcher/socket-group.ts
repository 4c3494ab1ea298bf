import { spawnSync } from 'node:child_process';
import { type Account, type GetEnt, getent } from './system-users.ts';

/** The group the package creates for the users who may use the driver (postinst). */
export const DRIVER_GROUP = 'zenithfence';

/** The group to give the daemon's socket, or why there is none that is safe. */
export type SocketGroup = { readonly group: string } | { readonly refused: string };

/** Every account's name and primary group id (`getent passwd`), for the shared-group check. */
export type ListAccounts = () => readonly { readonly name: string; readonly gid: number }[] | null;

/**
 * The group whose members may connect to the root daemon that `sudo npm start` starts for
 * `account`. The socket gives whoever is in that group the power to decide every connection of
 * the machine, so the user's primary group will do only when it is theirs alone (a user-private
 * group: named like them, with no other members and no other account's primary group, as
 * Debian's adduser makes it). A shared primary group such as `users` would open the firewall to
 * every account in it; then the package's group is used when the user is in it, and otherwise
 * nothing is started.
 */
export function socketGroupFor(
  account: Account,
  lookup: GetEnt = getent,
  accounts: ListAccounts = listAccounts,
): SocketGroup {
  const primary = lookup('group', String(account.gid));
  if (primary !== null && isUserPrivate(account, primary, accounts)) return { group: account.groupName };
  const driverGroup = lookup('group', DRIVER_GROUP);
  if (driverGroup !== null && memberOf(account, driverGroup)) return { group: DRIVER_GROUP };
  return {
    refused:
      `your primary group '${account.groupName}' is not yours alone, so the driver's socket would be open to other accounts; ` +
      `add yourself to the group ${DRIVER_GROUP} (sudo groupadd --system ${DRIVER_GROUP}; sudo usermod -aG ${DRIVER_GROUP} ${account.name}) ` +
      'and run npm start again',
  };
}

/** `group:x:gid:members` is `account`'s own. */
function isUserPrivate(account: Account, entry: readonly string[], accounts: ListAccounts): boolean {
  const [name, , , members = ''] = entry;
  if (name !== account.name) return false;
  if (members.split(',').some((member) => member !== '' && member !== account.name)) return false;
  // Accounts that cannot be listed cannot be shown not to share it.
  const all = accounts();
  return all !== null && all.every((other) => other.name === account.name || other.gid !== account.gid);
}

function memberOf(account: Account, entry: readonly string[]): boolean {
  const [, , gidText, members = ''] = entry;
  return Number(gidText) === account.gid || members.split(',').includes(account.name);
}

/** `getent passwd`: the accounts NSS enumerates (a directory service may list none of its own); null when it fails. */
export const listAccounts: ListAccounts = () => {
  const result = spawnSync('getent', ['passwd'], { encoding: 'utf8', timeout: 5000, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) return null;
  return result.stdout
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length >= 4)
    .map(([name = '', , , gid = '']) => ({ name, gid: Number(gid) }));
};
