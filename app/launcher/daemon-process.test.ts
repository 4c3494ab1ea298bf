import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from '../test-support/temp-dirs.ts';
import { daemonArgs, DaemonStartError, startDaemon } from './daemon-process.ts';

// Stand-ins for zenithfenced (which needs root and a namespace: e2e/first-run.spec.ts runs the
// real one): real processes that listen on a SEQPACKET socket as it does, or fail.
const dir = testTempDir('zf-daemon-');

function fakeDaemon(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/usr/bin/env python3\n${body}\n`, { mode: 0o755 });
  return file;
}

const LISTENS = fakeDaemon(
  'listens',
  [
    'import socket, sys, time',
    'args = sys.argv[1:]',
    "sock = args[args.index('--socket') + 1]",
    "open(sock + '.args', 'w').write(' '.join(args))",
    "import json, os; open(sock + '.env', 'w').write(json.dumps(dict(os.environ)))",
    // Some time before it listens, as the real one installs its rules first.
    'time.sleep(0.3)',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sock); s.listen(1)',
    'time.sleep(60)',
  ].join('\n'),
);
const NEVER_LISTENS = fakeDaemon(
  'never-listens',
  [
    'import sys, time',
    'args = sys.argv[1:]',
    "open(args[args.index('--socket') + 1] + '.pid', 'w').write(str(__import__('os').getpid()))",
    'time.sleep(60)',
  ].join('\n'),
);
const FAILS = fakeDaemon(
  'fails',
  'import sys\nprint("zenithfenced: error: cannot install rules", file=sys.stderr)\nsys.exit(1)',
);

describe('daemonArgs', () => {
  it('passes the socket, and the group and policy file when given', () => {
    expect(daemonArgs({ binary: 'd', socket: '/s' })).toEqual(['--socket', '/s']);
    expect(daemonArgs({ binary: 'd', socket: '/s', group: 'ann', policyFile: '/p' })).toEqual([
      '--socket',
      '/s',
      '--group',
      'ann',
      '--policy-file',
      '/p',
    ]);
  });
});

describe('startDaemon', () => {
  it('resolves once the socket listens, and stops the daemon', async () => {
    const socket = path.join(dir, 'ok.sock');
    const daemon = await startDaemon({ binary: LISTENS, socket, group: 'ann', policyFile: '/p' });
    expect(existsSync(socket)).toBe(true);
    expect(readFileSync(`${socket}.args`, 'utf8')).toBe(`--socket ${socket} --group ann --policy-file /p`);
    expect(() => process.kill(daemon.pid, 0)).not.toThrow();
    // python dies of the SIGTERM (code null).
    expect(await daemon.stop()).toBeNull();
    expect(() => process.kill(daemon.pid, 0)).toThrow();
  });

  it('runs it after a prefix (setpriv --pdeathsig in the launcher)', async () => {
    const socket = path.join(dir, 'prefixed.sock');
    const daemon = await startDaemon({ binary: LISTENS, socket, prefix: ['/usr/bin/env', '--'] });
    expect(readFileSync(`${socket}.args`, 'utf8')).toBe(`--socket ${socket}`);
    await daemon.stop();
  });

  it("gives the root daemon none of the invoker's environment", async () => {
    const socket = path.join(dir, 'env.sock');
    process.env['LD_PRELOAD'] = '/home/eve/evil.so';
    process.env['NOTIFY_SOCKET'] = '/run/user/1000/notify';
    try {
      const daemon = await startDaemon({ binary: LISTENS, socket });
      await daemon.stop();
    } finally {
      delete process.env['LD_PRELOAD'];
      delete process.env['NOTIFY_SOCKET'];
    }
    const env = JSON.parse(readFileSync(`${socket}.env`, 'utf8')) as Record<string, string>;
    // python adds LC_CTYPE when no locale is set.
    delete env['LC_CTYPE'];
    expect(env).toEqual({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
  });

  it('stops the daemon and fails as cancelled when the start is aborted', async () => {
    const socket = path.join(dir, 'aborted.sock');
    const controller = new AbortController();
    const started = startDaemon({ binary: NEVER_LISTENS, socket, signal: controller.signal });
    // Aborted once the daemon runs (it wrote its pid).
    while (!existsSync(`${socket}.pid`)) await new Promise((resolve) => setTimeout(resolve, 20));
    const pid = Number(readFileSync(`${socket}.pid`, 'utf8'));
    controller.abort();
    await expect(started).rejects.toMatchObject({ name: 'DaemonStartError', cancelled: true });
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('says so when the daemon exits before it listens', async () => {
    await expect(startDaemon({ binary: FAILS, socket: path.join(dir, 'never.sock') })).rejects.toThrow(
      new DaemonStartError(`zenithfenced exited with code 1 before it listened on ${path.join(dir, 'never.sock')}`),
    );
  });

  it('says so when the binary cannot be run', async () => {
    await expect(startDaemon({ binary: path.join(dir, 'missing'), socket: path.join(dir, 'x.sock') })).rejects.toThrow(
      DaemonStartError,
    );
  });
});
