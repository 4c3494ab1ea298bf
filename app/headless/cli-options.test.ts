import { describe, expect, it } from 'vitest';
import { parseHeadlessArgs } from './cli-options.ts';

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
    expect(parseHeadlessArgs(['--help'], '/')).toBe('help');
  });

  it('leaves the driver and the data directory to the platform when they are not given', () => {
    expect(parseHeadlessArgs([], '/repo')).toEqual({ port: 0, renderer: '/repo/renderer/dist', maxConnections: 256 });
  });

  it('says what is wrong in one sentence', () => {
    expect(() => parseHeadlessArgs(['--data-dir', ''], '/')).toThrow(/--data-dir/);
    expect(() => parseHeadlessArgs(['--driver-socket', 's', '--data-dir', 'd', '--port', '70000'], '/')).toThrow(
      /--port/,
    );
    for (const bad of ['0', '7', '4097', '12.5', 'many']) {
      expect(() =>
        parseHeadlessArgs(['--driver-socket', 's', '--data-dir', 'd', '--max-connections', bad], '/'),
      ).toThrow(/--max-connections/);
    }
    expect(() => parseHeadlessArgs(['--frobnicate'], '/')).toThrow(/unknown option/);
    expect(() => parseHeadlessArgs(['--port'], '/')).toThrow(/needs a value/);
  });
});
