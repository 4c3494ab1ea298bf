// The binding against the real zenithfenced, in two network namespaces (needs root): hello,
// a held curl connection with its Process info, a verdict through send(), close and reopen,
// one client at a time, and PermissionDenied for a user outside the socket's group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asUser } from '../test-support/as-user.ts';
import { TestNet } from '../test-support/netns.ts';
import type { Background } from '../test-support/processes.ts';
import { rootGate } from '../test-support/root-gate.ts';
import type { ConnectionInfo, Info, InfoProblem, ProcessInfo } from './codec/index.ts';
import { DRIVER_KIND, FEATURE, VERDICT } from './codec/index.ts';
import type { DriverHandle } from './driver-handle.ts';
import { DriverError, DriverGone } from './errors.ts';
import { openDriver } from './open-driver.ts';

const SUITE = 'The zenithfenced integration tests';
const gate = rootGate(SUITE);
const BODY = 'hello from namespace b\n';
// The socket's group: one that uid 65534 (nobody/nogroup) is not in.
const SOCKET_GROUP = 'adm';

// Reads infos until `done` is satisfied; returns every item seen. Fails after `timeoutMs`.
async function readUntil(
  infos: AsyncIterator<Info | InfoProblem>,
  done: (seen: readonly (Info | InfoProblem)[]) => boolean,
  timeoutMs = 10_000,
): Promise<(Info | InfoProblem)[]> {
  const seen: (Info | InfoProblem)[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(seen)) {
    const left = deadline - Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(left, 0));
    });
    const next = await Promise.race([infos.next(), timeout]);
    clearTimeout(timer);
    if (next === 'timeout')
      throw new Error(`no matching info within ${timeoutMs} ms; saw ${JSON.stringify(seen, bigints)}`);
    if (next.done === true) throw new Error(`the info stream ended; saw ${JSON.stringify(seen, bigints)}`);
    seen.push(next.value);
  }
  return seen;
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}

function isCurlConnection(net: TestNet): (item: Info | InfoProblem) => item is ConnectionInfo {
  return (item): item is ConnectionInfo =>
    item.kind === 'connection' && dottedQuad(item.remoteIp) === net.ipB && item.remotePort === 8080;
}

/** IPv4 bytes as the dotted quad TestNet names its addresses with (the codec has no address text). */
function dottedQuad(bytes: Uint8Array): string {
  return bytes.length === 4 ? bytes.join('.') : `(${bytes.length} bytes)`;
}

describe.skipIf(gate.skip)('zenithfenced through openDriver (network namespaces, root)', () => {
  let net: TestNet | undefined;
  let socketPath = '';
  let daemon: Background | undefined;
  const handles: DriverHandle[] = [];

  beforeAll(async () => {
    gate.assertRoot();
    net = TestNet.create();
    await net.httpServer(BODY);
    ({ socketPath, daemon } = await net.startDaemon(5000 + (process.pid % 1000), ['--group', SOCKET_GROUP]));
  }, 30_000);

  afterAll(async () => {
    await Promise.all(handles.map((handle) => handle.close()));
    await net?.cleanup();
  }, 30_000);

  // Runs curl in `a` in the background, decides its connection with `verdict`, returns curl's result.
  async function curlThroughVerdict(
    handle: DriverHandle,
    infos: AsyncIterator<Info | InfoProblem>,
    verdict: (typeof VERDICT)[keyof typeof VERDICT],
  ): Promise<{ seen: (Info | InfoProblem)[]; code: number | null; stdout: string }> {
    if (net === undefined) throw new Error('no test network');
    const curl = net.spawn(net.a, 'curl', 'curl', ['-s', '-g', '--max-time', '8', `http://${net.ipB}:8080/`]);
    const seen = await readUntil(infos, (items) => items.some(isCurlConnection(net as TestNet)));
    const connection = seen.find(isCurlConnection(net));
    if (connection === undefined) throw new Error('unreachable');
    await handle.send({ kind: 'verdict', id: connection.id, verdict });
    const { code, stdout } = await curl.exited;
    return { seen, code, stdout };
  }

  it('says hello, gets Process + ConnectionV4 for curl, and a PermanentAccept lets curl fetch the page', async () => {
    const handle = await openDriver({ kind: 'linux', socketPath });
    handles.push(handle);
    const reply = await handle.hello(FEATURE.process | FEATURE.dns | FEATURE.counters);
    expect(reply.version[0]).toBe(2);
    expect(reply.driverKind).toBe(DRIVER_KIND.linuxDaemon);
    expect(reply.features).toBe(FEATURE.process | FEATURE.dns | FEATURE.counters);
    expect(await handle.version()).toEqual(reply.version);

    const infos = handle.infos();
    const { seen, code, stdout } = await curlThroughVerdict(handle, infos, VERDICT.permanentAccept);
    expect(code, `curl failed; daemon said: ${daemon?.output ?? ''}`).toBe(0);
    expect(stdout).toBe(BODY);

    const connection = seen.find(isCurlConnection(net as TestNet));
    expect(connection).toMatchObject({ ipVersion: 4, protocol: 6, direction: 0 });
    expect(connection && dottedQuad(connection.localIp)).toBe(net?.ipA);
    const processInfo = seen.find(
      (item): item is ProcessInfo => item.kind === 'process' && item.processId === connection?.processId,
    );
    expect(processInfo, 'a Process info precedes the connection').toBeDefined();
    expect(seen.indexOf(processInfo as ProcessInfo)).toBeLessThan(seen.indexOf(connection as ConnectionInfo));
    expect(processInfo?.path).toMatch(/\/curl$/);
    expect(processInfo?.commandLine[0]).toBe('curl');

    const started = performance.now();
    await handle.close();
    expect(performance.now() - started, 'close wakes the pending read at once').toBeLessThan(1000);
    expect(await handle.ended).toEqual({ reason: 'closed' });
    // Infos read before the close are still delivered; then the iterator ends without an error.
    for (let next = await infos.next(); next.done !== true; next = await infos.next()) {
      expect(next.value.kind).not.toBe('problem');
    }
  }, 30_000);

  it('after close, a second client connects; a third is turned away while it is connected', async () => {
    // The daemon frees its one client slot shortly after the first leaves: retry until hello works
    // (the app's DriverSession does the same with back-off).
    const second = await helloWithRetry(socketPath, 20);
    handles.push(second);

    const third = await openDriver({ kind: 'linux', socketPath });
    handles.push(third);
    await expect(third.hello(FEATURE.process, { timeoutMs: 3000 })).rejects.toBeInstanceOf(DriverGone);
    await third.close();

    const infos = second.infos();
    const { code, stdout } = await curlThroughVerdict(second, infos, VERDICT.accept);
    expect(code).toBe(0);
    expect(stdout).toBe(BODY);
    await second.close();
  }, 30_000);

  it(`a user outside group ${SOCKET_GROUP} gets PermissionDenied naming that group`, async () => {
    if (net === undefined) throw new Error('no test network');
    // uid/gid 65534 (nobody:nogroup), without root's supplementary groups.
    const outcome = await asUser(65534, 65534, () =>
      openDriver({ kind: 'linux', socketPath }).then(
        async (handle) => {
          await handle.close();
          return { opened: true };
        },
        (error: unknown) => ({
          opened: false,
          name: error instanceof Error ? error.name : 'unknown',
          code: error instanceof DriverError ? error.code : undefined,
          group: error instanceof DriverError && 'group' in error ? error.group : undefined,
          message: error instanceof Error ? error.message : String(error),
        }),
      ),
    );
    expect(outcome).toMatchObject({
      opened: false,
      name: 'PermissionDenied',
      code: 'permission-denied',
      group: SOCKET_GROUP,
    });
    expect((outcome as { message: string }).message).toContain(`add your user to group ${SOCKET_GROUP}`);
  }, 30_000);
});

/** Opens and says hello until the daemon takes the client, at most `attempts` times, 100 ms apart. */
async function helloWithRetry(socketPath: string, attempts: number): Promise<DriverHandle> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const handle = await openDriver({ kind: 'linux', socketPath });
    try {
      await handle.hello(FEATURE.process, { timeoutMs: 3000 });
      return handle;
    } catch (error) {
      last = error;
      await handle.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the daemon refused ${String(attempts)} hellos`, { cause: last });
}
