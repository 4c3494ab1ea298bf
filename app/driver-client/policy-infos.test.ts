import { describe, expect, it } from 'vitest';
import type { Info } from '../../native/src/index.ts';
import { InfoReader, VERDICT } from '../../native/src/index.ts';
import { encodeInfos } from '../../native/test-support/codec/index.ts';
import type { DriverEvent } from '../contract/driver-events.ts';
import { driverEventOf } from './event-mapper.ts';
import { ip } from './test-support/address-bytes.ts';

/** The driver's infos as bytes, read back and mapped as the session does. */
function throughTheWire(infos: readonly Info[]): Array<DriverEvent | null> {
  return new InfoReader().push(encodeInfos(infos)).map((info) => driverEventOf(info));
}

const curl: Info = {
  kind: 'process',
  processId: 42n,
  startTime: 7n,
  uid: 1000,
  path: '/usr/bin/curl',
  commandLine: ['curl'],
};

function ruleDecided(fields: Partial<Extract<Info, { kind: 'ruleDecided' }>> = {}): Info {
  return {
    kind: 'ruleDecided',
    ipVersion: 4,
    processId: 42n,
    direction: 0,
    protocol: 6,
    localIp: ip('10.0.0.1'),
    localPort: 40000,
    remoteIp: ip('10.0.0.2'),
    remotePort: 443,
    verdict: VERDICT.permanentBlock,
    generation: 1_700_000_000_123n,
    ruleTag: 7,
    ...fields,
  };
}

describe('driverEventOf: the policy infos', () => {
  it('maps a RuleDecided info to a rule-decided event with its pid, generation and tag', () => {
    // The process comes as its own event; the engine's process directory joins them.
    const [processEvent, event] = throughTheWire([curl, ruleDecided()]);
    expect(processEvent).toEqual({
      kind: 'process',
      process: { pid: 42, startTime: 7n, uid: 1000, path: '/usr/bin/curl', commandLine: ['curl'] },
    });
    expect(event).toEqual({
      kind: 'rule-decided',
      direction: 'outbound',
      flow: { protocol: 6, localIp: '10.0.0.1', localPort: 40000, remoteIp: '10.0.0.2', remotePort: 443 },
      ipVersion: 4,
      pid: 42,
      process: null,
      verdict: 'permanent-block',
      generation: 1_700_000_000_123n,
      ruleTag: 7,
    });
  });

  it('maps IPv6, inbound, and each permanent verdict', () => {
    const events = throughTheWire([
      ruleDecided({ ipVersion: 6, localIp: ip('2001:db8::1'), remoteIp: ip('2001:db8::2'), direction: 1 }),
      ruleDecided({ verdict: VERDICT.permanentAccept }),
      ruleDecided({ verdict: VERDICT.permanentDrop }),
    ]);
    expect(events.map((e) => (e?.kind === 'rule-decided' ? [e.direction, e.flow.remoteIp, e.verdict] : e))).toEqual([
      ['inbound', '2001:db8::2', 'permanent-block'],
      ['outbound', '10.0.0.2', 'permanent-accept'],
      ['outbound', '10.0.0.2', 'permanent-drop'],
    ]);
  });

  it('keeps no process state: a pid-0 process is an event of its own, as on the wire', () => {
    const unknown: Info = { ...curl, processId: 0n, startTime: 0n, uid: 1001, path: '', commandLine: [] };
    const [report, first, second] = throughTheWire([
      unknown,
      ruleDecided({ processId: 0n }),
      ruleDecided({ processId: 0n }),
    ]);
    expect(report).toMatchObject({ kind: 'process', process: { pid: 0, uid: 1001, path: '' } });
    expect(first).toMatchObject({ pid: 0, process: null });
    expect(second).toMatchObject({ pid: 0, process: null });
  });

  it('drops a RuleDecided info whose verdict is no decision (a redirect)', () => {
    expect(throughTheWire([ruleDecided({ verdict: VERDICT.redirectNameServer })])).toEqual([null]);
  });

  it('maps a PolicyState info: generation, count, action, origin and problem', () => {
    const [enforced, dropped] = throughTheWire([
      {
        kind: 'policyState',
        generation: 99n,
        ruleCount: 10_000,
        noAppAction: VERDICT.drop,
        origin: 'stored',
        problem: 'none',
        problemGeneration: 0n,
      },
      {
        kind: 'policyState',
        generation: 99n,
        ruleCount: 10_000,
        noAppAction: VERDICT.accept,
        origin: 'client',
        problem: 'checksum',
        problemGeneration: 100n,
      },
    ]);
    expect(enforced).toEqual({
      kind: 'policy-state',
      generation: 99n,
      ruleCount: 10_000,
      noAppAction: 'drop',
      origin: 'stored',
      problem: null,
      problemGeneration: 0n,
    });
    expect(dropped).toMatchObject({ noAppAction: 'allow', origin: 'client', problem: 'bad-checksum' });
  });
});
