import { describe, expect, it } from 'vitest';
import type { Command, DecodeResult, HelloReplyInfo, NetworkFactsInfo } from '../../native/src/index.ts';
import { FEATURE } from '../../native/src/index.ts';
import type { DriverEvent } from '../contract/driver-events.ts';
import type { DriverPolicy, DriverPolicyRule } from '../contract/driver-policy.ts';
import { DriverSession, type SessionLink } from './driver-session.ts';
import { ip } from './test-support/address-bytes.ts';
import { FakePolicyDriver } from './test-support/fake-policy-driver.ts';

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

/** A policy driver whose Hello also grants NETWORK when asked (the fake grants it never). */
class NetworkDriver extends FakePolicyDriver {
  /** The feature bits each Hello asked for. */
  readonly asked: number[] = [];

  override async hello(features: number): Promise<HelloReplyInfo> {
    this.asked.push(features);
    const reply = await super.hello(features);
    return { ...reply, features: reply.features | (features & FEATURE.network) };
  }

  // As the binding's handle does: a command it cannot encode is a rejected write, not a throw.
  override async send(command: Command): Promise<void> {
    await super.send(command);
  }
}

const FACTS: NetworkFactsInfo = {
  kind: 'networkFacts',
  epoch: 1,
  flags: 0b011,
  ipVersion: 4,
  gatewayIp: ip('192.168.1.1'),
  gatewayMac: Uint8Array.of(0, 0x11, 0x22, 0x33, 0x44, 0x55),
  interfaceIndex: 2,
  interfaceName: 'eth0',
  dnsSuffix: 'lan',
  ssid: new Uint8Array(0),
};

function rule(tag: number): DriverPolicyRule {
  return {
    tag,
    action: 'block',
    appDecides: false,
    direction: 'outbound',
    protocol: 6,
    portFrom: tag,
    portTo: tag,
    updatedAt: 1_000,
    expiresAt: null,
    // Long paths: a policy of many parts.
    appPath: `/opt/app-${String(tag)}/${'x'.repeat(100)}`,
    destination: { kind: 'ip', ip: '10.0.0.2' },
  };
}

function policy(generation: bigint, rules: number): DriverPolicy {
  const list = Array.from({ length: rules }, (_, i) => rule(i + 1));
  return { generation, noAppAction: 'allow', caseInsensitivePaths: false, rules: list };
}

/** A session over `links` in turn, recording events, states and what it reported through onError. */
function sessionOver(...links: SessionLink[]) {
  const events: DriverEvent[] = [];
  const states: string[] = [];
  const errors: string[] = [];
  const last = links.at(-1);
  const queue = [...links];
  const session = new DriverSession({
    connect: () => Promise.resolve(queue.shift() ?? (last as SessionLink)),
    callbacks: { onEvent: (event) => events.push(event), onStatus: (state) => states.push(state) },
    onError: (where, error) => errors.push(`${where}: ${error instanceof Error ? error.message : String(error)}`),
    // A timer, not at once: a session that keeps dropping its links must not starve the test.
    sleep: () => new Promise((resolve) => setTimeout(resolve, 1)),
  });
  session.start();
  return { session, events, states, errors };
}

const kinds = (commands: readonly Command[]): string[] => commands.map((command) => command.kind);

describe('DriverSession: network facts', () => {
  it('asks for NETWORK in its Hello, with every other extension', async () => {
    const driver = new NetworkDriver();
    const { session } = sessionOver(driver);
    await settle();
    expect(driver.asked).toHaveLength(1);
    const [asked = 0] = driver.asked;
    expect(asked & FEATURE.network).toBe(FEATURE.network);
    const others = FEATURE.process | FEATURE.dns | FEATURE.counters | FEATURE.policy | FEATURE.dnsLog;
    expect(asked & others).toBe(others);
    await session.stop();
  });

  it('hands a NetworkFacts info on as a network event', async () => {
    const driver = new NetworkDriver();
    const { session, events } = sessionOver(driver);
    await settle();
    driver.emit([FACTS]);
    await settle();
    expect(events.filter((event) => event.kind === 'network')).toEqual([
      {
        kind: 'network',
        facts: {
          epoch: 1,
          hasDefaultRoute: true,
          interfaceName: 'eth0',
          interfaceIndex: 2,
          gatewayIp: '192.168.1.1',
          gatewayMac: '00:11:22:33:44:55',
          dnsSuffix: 'lan',
          ssid: '',
          vpnUp: false,
        },
      },
    ]);
    await session.stop();
  });

  it('writes NetworkSeen through its bytes and resolves once it is written', async () => {
    const driver = new NetworkDriver();
    let written: () => void = () => undefined;
    const send = driver.send.bind(driver);
    // The write completes only when the test says so.
    driver.send = (command) => new Promise<void>((resolve) => (written = resolve)).then(() => send(command));
    const { session } = sessionOver(driver);
    await settle();
    let resolved = false;
    const seen = session.networkSeen(0xfffffffe).then(() => (resolved = true));
    await settle();
    expect(resolved).toBe(false);
    written();
    await seen;
    expect(driver.commands).toEqual([{ kind: 'networkSeen', epoch: 0xfffffffe }]);
    await session.stop();
  });

  it('writes NetworkSeen after every part of a policy asked for before it, not between them', async () => {
    const driver = new NetworkDriver();
    const { session } = sessionOver(driver);
    await settle();
    // Neither awaited before the next is asked for: the order of the calls is the order of the writes.
    const first = session.sendPolicy(policy(7n, 400));
    const seen = session.networkSeen(2);
    const second = session.sendPolicy(policy(8n, 400));
    await Promise.all([first, seen, second]);
    const order = kinds(driver.commands);
    const seenAt = order.indexOf('networkSeen');
    const parts = driver.commands.filter((command) => command.kind === 'policyPart');
    expect(parts.length).toBeGreaterThan(4);
    expect(order.slice(0, seenAt).every((kind) => kind === 'policyPart')).toBe(true);
    expect(parts.slice(0, seenAt).every((part) => part.generation === 7n)).toBe(true);
    expect(parts.slice(seenAt).every((part) => part.generation === 8n)).toBe(true);
    expect(driver.documents.map((document) => document.generation)).toEqual([7n, 8n]);
    await session.stop();
  });

  it('rejects clearly, writing nothing, without a link or without the NETWORK grant', async () => {
    const driver = new NetworkDriver();
    const { session } = sessionOver(driver);
    await expect(session.networkSeen(1)).rejects.toThrow('no driver is connected: NetworkSeen 1 was not written');
    await settle();
    await session.stop();
    await expect(session.networkSeen(2)).rejects.toThrow('no driver is connected: NetworkSeen 2 was not written');

    const old = new FakePolicyDriver();
    const withoutGrant = sessionOver(old);
    await settle();
    await expect(withoutGrant.session.networkSeen(3)).rejects.toThrow(
      'the driver did not grant NETWORK: NetworkSeen 3 was not written',
    );
    expect(kinds(old.commands)).toEqual([]);
    expect(driver.commands).toEqual([]);
    await withoutGrant.session.stop();
  });

  it('refuses an epoch outside u32 without counting it as a broken link', async () => {
    const driver = new NetworkDriver();
    // A second link to connect to, should the first be taken for broken.
    const { session, states } = sessionOver(driver, new NetworkDriver());
    await settle();
    await expect(session.networkSeen(2 ** 32)).rejects.toThrow(RangeError);
    await expect(session.networkSeen(-1)).rejects.toThrow(/networkSeen\.epoch/);
    expect(driver.closed).toBe(false);
    expect(states).toEqual(['connected']);
    await session.networkSeen(5);
    expect(driver.commands).toEqual([{ kind: 'networkSeen', epoch: 5 }]);
    await session.stop();
  });

  it('rejects a NetworkSeen waiting behind a policy whose write broke the link, and writes it nowhere', async () => {
    const stuck = new NetworkDriver();
    const fresh = new NetworkDriver();
    const { session, states } = sessionOver(stuck, fresh);
    await settle();
    stuck.failNextPart = new Error('send failed: the driver reads no commands');
    const sent = session.sendPolicy(policy(9n, 1));
    const seen = session.networkSeen(4);
    await expect(sent).rejects.toThrow('the driver reads no commands');
    await expect(seen).rejects.toThrow('the driver link was lost before NetworkSeen 4 was written');
    await settle();
    expect(states).toEqual(['connected', 'reconnecting', 'reconnecting', 'connected']);
    expect(kinds(stuck.commands)).toEqual([]);
    expect(kinds(fresh.commands)).toEqual([]);
    await session.stop();
  });

  it('a write of a closed link rejects NetworkSeen with the link error and connects anew', async () => {
    const closing = new NetworkDriver();
    closing.send = () => Promise.reject(new Error('the driver connection is closed'));
    const fresh = new NetworkDriver();
    const { session, states } = sessionOver(closing, fresh);
    await settle();
    await expect(session.networkSeen(1)).rejects.toThrow('the driver connection is closed');
    await settle();
    expect(closing.closed).toBe(true);
    expect(states).toEqual(['connected', 'reconnecting', 'reconnecting', 'connected']);
    await session.networkSeen(1);
    expect(fresh.commands).toEqual([{ kind: 'networkSeen', epoch: 1 }]);
    await session.stop();
  });

  it('drops a NetworkFacts the contract refuses, says so through onError, and goes on', async () => {
    const driver = new NetworkDriver();
    // A decoded info no codec gives (a negative epoch), as from a defect: only a hand-made link has one.
    const infos = driver.infos.bind(driver);
    const refused: DecodeResult = { ...FACTS, epoch: -1 };
    driver.infos = async function* () {
      yield refused;
      yield* infos();
    };
    const { session, events, errors } = sessionOver(driver);
    await settle();
    driver.emit([{ ...FACTS, epoch: 2 }]);
    await settle();
    expect(errors).toEqual([expect.stringMatching(/^network facts: NetworkFacts epoch -1 was dropped: epoch: /)]);
    expect(events.filter((event) => event.kind === 'network')).toEqual([
      expect.objectContaining({ facts: expect.objectContaining({ epoch: 2 }) }),
    ]);
    await session.stop();
  });
});
