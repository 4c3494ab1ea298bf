import { describe, expect, it } from 'vitest';
import { driverStartCommand, shellWord, systemdUnitInstalled } from './start-command.ts';

const BASE = {
  daemon: '/home/ann/zenithfence/driver/target/release/zenithfenced',
  socket: '/run/zenithfence/driver.sock',
  defaultSocket: '/run/zenithfence/driver.sock',
  group: 'ann',
};

describe('driverStartCommand', () => {
  it('names the installed service when there is one', () => {
    expect(driverStartCommand({ ...BASE, unitInstalled: true })).toBe('sudo systemctl start zenithfenced');
  });

  it('otherwise names the built daemon, letting the user group connect', () => {
    expect(driverStartCommand({ ...BASE, unitInstalled: false })).toBe(
      'sudo /home/ann/zenithfence/driver/target/release/zenithfenced --group ann',
    );
  });

  it('names the socket the app uses when it is not the default, even with a service installed', () => {
    expect(driverStartCommand({ ...BASE, unitInstalled: true, socket: '/tmp/my sock' })).toBe(
      "sudo /home/ann/zenithfence/driver/target/release/zenithfenced --group ann --socket '/tmp/my sock'",
    );
  });

  it('quotes what a shell would split or expand', () => {
    expect(shellWord('plain/path-1.2')).toBe('plain/path-1.2');
    expect(shellWord("it's")).toBe("'it'\\''s'");
    expect(shellWord('$HOME')).toBe("'$HOME'");
  });
});

describe('systemdUnitInstalled', () => {
  it('looks for a unit file in each place', () => {
    expect(systemdUnitInstalled(['/a', '/b'], (p) => p === '/b')).toBe(true);
    expect(systemdUnitInstalled(['/a', '/b'], () => false)).toBe(false);
  });
});
