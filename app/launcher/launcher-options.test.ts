import { describe, expect, it } from 'vitest';
import { UsageError } from '../headless/exit-codes.ts';
import { parseLauncherArgs } from './launcher-options.ts';

describe('parseLauncherArgs', () => {
  it('opens the browser unless --no-browser, and keeps the daemon policy file', () => {
    expect(parseLauncherArgs([], '/repo')).toMatchObject({
      openBrowser: true,
      policyFile: undefined,
      headlessArgs: [],
    });
    expect(parseLauncherArgs(['--no-browser', '--policy-file', '/tmp/p'], '/repo')).toMatchObject({
      openBrowser: false,
      policyFile: '/tmp/p',
    });
    expect(parseLauncherArgs(['--policy-file=/tmp/q'], '/repo')).toMatchObject({ policyFile: '/tmp/q' });
  });

  it("hands headless mode's options on as --name=value, checked as headless mode checks them", () => {
    const parsed = parseLauncherArgs(['--driver-socket', '/s', '--port=8080', '--data-dir=-d'], '/repo');
    expect(parsed).toMatchObject({
      headless: { driverSocket: '/s', port: 8080, dataDir: '-d' },
      headlessArgs: ['--driver-socket=/s', '--data-dir=-d', '--port=8080'],
    });
    expect(() => parseLauncherArgs(['--port=70000'], '/')).toThrow(/^--port: /);
    expect(() => parseLauncherArgs(['--max-connections', '7'], '/')).toThrow(/^--max-connections: /);
  });

  it('answers --help and --version', () => {
    expect(parseLauncherArgs(['--help'], '/')).toBe('help');
    expect(parseLauncherArgs(['--version', '--no-browser'], '/')).toBe('version');
  });

  it('refuses a wrong command line with a UsageError of one sentence', () => {
    for (const [args, sentence] of [
      [['--frobnicate'], "unknown option '--frobnicate' (see --help)"],
      [['--no-browser=yes'], '--no-browser takes no value (see --help)'],
      [['--policy-file'], '--policy-file needs a value'],
      [['--policy-file='], '--policy-file needs a path (see --help)'],
      [['app'], "unexpected argument 'app' (see --help)"],
    ] as const) {
      expect(() => parseLauncherArgs(args, '/')).toThrow(new UsageError(sentence));
    }
  });
});
