import { describe, expect, it } from 'vitest';
import { envFor, setprivPrefix, sudoInvoker } from './engine-user.ts';
import { accountOf, type GetEnt, groupNameOf } from './system-users.ts';

const ENTRIES: Readonly<Record<string, string>> = {
  'passwd 1000': 'ann:x:1000:1000:Ann:/home/ann:/bin/bash',
  'group 1000': 'ann:x:1000:',
  'passwd 1001': 'bob:x:1001:4242::/srv/bob:/bin/sh',
};
const lookup: GetEnt = (database, key) => ENTRIES[`${database} ${key}`]?.split(':') ?? null;

describe('sudoInvoker', () => {
  it('is the user who typed sudo, with their home and group', () => {
    expect(sudoInvoker({ SUDO_UID: '1000', SUDO_USER: 'ann', HOME: '/root' }, 0, lookup)).toEqual({
      uid: 1000,
      gid: 1000,
      name: 'ann',
      home: '/home/ann',
      groupName: 'ann',
    });
    // A primary group without an entry is named by its number.
    expect(sudoInvoker({ SUDO_UID: '1001' }, 0, lookup)).toMatchObject({ name: 'bob', gid: 4242, groupName: '4242' });
  });

  it('is nobody without sudo, under sudo from root, when not root, or for an unknown or odd id', () => {
    expect(sudoInvoker({}, 0, lookup)).toBeNull();
    expect(sudoInvoker({ SUDO_UID: '0' }, 0, lookup)).toBeNull();
    expect(sudoInvoker({ SUDO_UID: '1000' }, 1000, lookup)).toBeNull();
    expect(sudoInvoker({ SUDO_UID: '7777' }, 0, lookup)).toBeNull();
    expect(sudoInvoker({ SUDO_UID: '1000; rm' }, 0, lookup)).toBeNull();
  });
});

describe('the engine as that user', () => {
  const ann = { uid: 1000, gid: 1000, name: 'ann', home: '/home/ann', groupName: 'ann' };

  it('gets their HOME and names, the rest of the environment kept', () => {
    expect(envFor(ann, { HOME: '/root', USER: 'root', DISPLAY: ':0' })).toEqual({
      HOME: '/home/ann',
      USER: 'ann',
      LOGNAME: 'ann',
      DISPLAY: ':0',
    });
  });

  it('runs through setpriv with all their groups, and a parent-death signal where asked', () => {
    expect(setprivPrefix(ann, true)).toEqual([
      '/usr/bin/setpriv',
      '--reuid=1000',
      '--regid=1000',
      '--init-groups',
      '--pdeathsig=TERM',
      '--',
    ]);
    expect(setprivPrefix(ann, false)).toEqual([
      '/usr/bin/setpriv',
      '--reuid=1000',
      '--regid=1000',
      '--init-groups',
      '--',
    ]);
    expect(setprivPrefix(null, true)).toEqual(['/usr/bin/setpriv', '--pdeathsig=TERM', '--']);
    expect(setprivPrefix(null, false)).toEqual([]);
  });
});

describe('the system user database (getent)', () => {
  it('knows root and nobody', () => {
    expect(accountOf(0)).toMatchObject({ uid: 0, gid: 0, name: 'root', groupName: 'root' });
    expect(accountOf(65534)).toMatchObject({ name: 'nobody' });
    expect(groupNameOf(0)).toBe('root');
    expect(accountOf(2_000_000_000)).toBeNull();
  });
});
