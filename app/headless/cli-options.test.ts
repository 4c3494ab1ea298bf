import { describe, expect, it } from 'vitest';
import { parseHeadlessArgs } from './cli-options.ts';
import { UsageError } from './exit-codes.ts';

describe('parseHeadlessArgs', () => {
  it('reads every option and defaults the renderer and port', () => {
    expect(parseHeadlessArgs(['--driver-socket', '/run/s', '--data-dir', '/tmp/d'], '/repo')).toEqual({
      driverSocket: '/run/s',
      dataDir: '/tmp/d',
      port: 0,
      renderer: '/repo/renderer/dist',
      maxConnections: 256,
    });
    expect(
      parseHeadlessArgs(['--driver-socket', 's', '--data-dir', 'd', '--port', '8080', '--import-rules', 'r.json'], '/'),
    ).toMatchObject({ port: 8080, importRules: 'r.json' });
    expect(
      parseHeadlessArgs(['--driver-socket', 's', '--data-dir', 'd', '--max-connections', '64'], '/'),
    ).toMatchObject({
      maxConnections: 64,
    });
    expect(parseHeadlessArgs(['--renderer', '/r'], '/')).toMatchObject({ renderer: '/r' });
    expect(parseHeadlessArgs(['--help'], '/')).toBe('help');
    expect(parseHeadlessArgs(['-h'], '/')).toBe('help');
    expect(parseHeadlessArgs(['--version'], '/')).toBe('version');
  });

  it('takes values after "=" too, also values that start with a dash', () => {
    expect(
      parseHeadlessArgs(
        ['--driver-socket=/run/s', '--data-dir=/tmp/d', '--port=8080', '--max-connections=64'],
        '/repo',
      ),
    ).toEqual({
      driverSocket: '/run/s',
      dataDir: '/tmp/d',
      port: 8080,
      renderer: '/repo/renderer/dist',
      maxConnections: 64,
    });
    expect(parseHeadlessArgs(['--data-dir=-odd-name'], '/')).toMatchObject({ dataDir: '-odd-name' });
    // The last of a repeated option counts.
    expect(parseHeadlessArgs(['--port=1', '--port', '2'], '/')).toMatchObject({ port: 2 });
  });

  it('leaves the driver and the data directory to the platform when they are not given', () => {
    expect(parseHeadlessArgs([], '/repo')).toEqual({ port: 0, renderer: '/repo/renderer/dist', maxConnections: 256 });
  });

  it('says what is wrong in one sentence', () => {
    expect(() => parseHeadlessArgs(['--data-dir', ''], '/')).toThrow(/--data-dir/);
    expect(() => parseHeadlessArgs(['--data-dir='], '/')).toThrow(/^--data-dir: /);
    expect(() => parseHeadlessArgs(['--driver-socket', 's', '--data-dir', 'd', '--port', '70000'], '/')).toThrow(
      /--port/,
    );
    expect(() => parseHeadlessArgs(['--port=-1'], '/')).toThrow(/^--port: .* \(see --help\)$/);
    for (const bad of ['0', '7', '4097', '12.5', 'many']) {
      expect(() =>
        parseHeadlessArgs(['--driver-socket', 's', '--data-dir', 'd', '--max-connections', bad], '/'),
      ).toThrow(/--max-connections/);
      expect(() => parseHeadlessArgs([`--max-connections=${bad}`], '/')).toThrow(/^--max-connections: /);
    }
    expect(() => parseHeadlessArgs(['--frobnicate'], '/')).toThrow("unknown option '--frobnicate' (see --help)");
    expect(() => parseHeadlessArgs(['-x'], '/')).toThrow("unknown option '-x' (see --help)");
    expect(() => parseHeadlessArgs(['--port'], '/')).toThrow(/^--port needs a value$/);
    // A flag where the value should be: the value is missing (a value with a dash goes after '=').
    expect(() => parseHeadlessArgs(['--port', '--help'], '/')).toThrow(/^--port needs a value \(one that starts/);
    expect(() => parseHeadlessArgs(['--help=yes'], '/')).toThrow('--help takes no value (see --help)');
    expect(() => parseHeadlessArgs(['stray'], '/')).toThrow("unexpected argument 'stray' (see --help)");
  });

  it('throws a UsageError for every wrong command line (exit code 2)', () => {
    for (const args of [['--frobnicate'], ['--port'], ['--port=x'], ['stray'], ['--version=1']]) {
      expect(() => parseHeadlessArgs(args, '/')).toThrow(UsageError);
    }
  });
});
