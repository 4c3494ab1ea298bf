import { describe, expect, it } from 'vitest';
import { listAccounts, socketGroupFor } from './socket-group.ts';
import type { Account, GetEnt } from './system-users.ts';

// A user database as getent would give it: group entries by name and by number.
function groups(entries: readonly string[]): GetEnt {
  return (database, key) => {
    if (database !== 'group') return null;
    const line = entries.find((entry) => {
      const [name, , gid] = entry.split(':');
      return name === key || gid === key;
    });
    return line === undefined ? null : line.split(':');
  };
}

const ann: Account = { uid: 1000, gid: 1000, name: 'ann', home: '/home/ann', groupName: 'ann' };
const annInUsers: Account = { ...ann, gid: 100, groupName: 'users' };
const onlyAnn = () => [
  { name: 'root', gid: 0 },
  { name: 'ann', gid: 1000 },
];

describe('socketGroupFor', () => {
  it("takes the user's own group when nobody else is in it", () => {
    expect(socketGroupFor(ann, groups(['ann:x:1000:']), onlyAnn)).toEqual({ group: 'ann' });
    expect(socketGroupFor(ann, groups(['ann:x:1000:ann']), onlyAnn)).toEqual({ group: 'ann' });
  });

  it('does not take a primary group that other accounts share', () => {
    // `users`: another account's primary group too.
    const shared = () => [...onlyAnn(), { name: 'bob', gid: 100 }];
    expect(socketGroupFor(annInUsers, groups(['users:x:100:']), shared)).toHaveProperty('refused');
    // Named like the user but with another member.
    expect(socketGroupFor(ann, groups(['ann:x:1000:bob']), onlyAnn)).toHaveProperty('refused');
    // Named like the user but another account's primary group as well.
    const twin = () => [...onlyAnn(), { name: 'eve', gid: 1000 }];
    expect(socketGroupFor(ann, groups(['ann:x:1000:']), twin)).toHaveProperty('refused');
    // Accounts that cannot be listed: not shown to be hers alone.
    expect(socketGroupFor(ann, groups(['ann:x:1000:']), () => null)).toHaveProperty('refused');
  });

  it("falls back to the package's group when the user is in it", () => {
    const db = groups(['users:x:100:', 'zenithfence:x:990:bob,ann']);
    expect(socketGroupFor(annInUsers, db, onlyAnn)).toEqual({ group: 'zenithfence' });
  });

  it('refuses, saying how to fix it, when there is no safe group', () => {
    const result = socketGroupFor(annInUsers, groups(['users:x:100:', 'zenithfence:x:990:bob']), onlyAnn);
    expect(result).toEqual({ refused: expect.stringContaining("your primary group 'users' is not yours alone") });
    expect(result).toEqual({ refused: expect.stringContaining('sudo usermod -aG zenithfence ann') });
  });
});

describe('listAccounts', () => {
  it("lists this machine's accounts with their primary groups", () => {
    expect(listAccounts()).toContainEqual({ name: 'root', gid: 0 });
  });
});
