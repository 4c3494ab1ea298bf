// The group that owns the daemon's socket, named for a PermissionDenied message: members of it
// may connect (zenithfenced --group), so "add your user to group X" is the fix.
import { readFileSync, statSync } from 'node:fs';

/** A group id and, when /etc/group names it, its name. */
export interface SocketGroup {
  readonly gid: number;
  readonly name: string | undefined;
}

/** The name of `gid` in /etc/group-format text (`name:x:gid:members`), or undefined. */
export function groupNameFromEtcGroup(etcGroup: string, gid: number): string | undefined {
  for (const line of etcGroup.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && fields[2] === String(gid) && fields[0] !== undefined && fields[0] !== '') {
      return fields[0];
    }
  }
  return undefined;
}

/** The group owning `socketPath`, or undefined when the file cannot be inspected. */
export function socketGroup(socketPath: string, etcGroupPath = '/etc/group'): SocketGroup | undefined {
  let gid: number;
  try {
    gid = statSync(socketPath).gid;
  } catch {
    // A directory on the way is not searchable: the message then names the path only.
    return undefined;
  }
  let name: string | undefined;
  try {
    name = groupNameFromEtcGroup(readFileSync(etcGroupPath, 'utf8'), gid);
  } catch {
    name = undefined;
  }
  return { gid, name };
}
