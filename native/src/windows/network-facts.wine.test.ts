// The Windows network facts for real: Node for Windows under Wine reads them through iphlpapi and
// wlanapi (native/test-support/wine/programs/network-facts-check.ts), and they are held against what Linux itself says of the
// same network, since Wine's iphlpapi reports the host's tables.
//
// What Wine 8.0 implements, as measured here and with a probe program while writing network-*.ts:
// - GetIpForwardTable2: the host's IPv4 routes (/proc/net/route), metrics as Linux has them;
//   AF_INET6 and AF_UNSPEC give no IPv6 route, even when the host has an IPv6 default route.
// - GetIfTable2 and GetAdaptersAddresses: the host's interfaces, Linux's index and name (the alias
//   is `eth0`), IF_TYPE_ETHERNET_CSMACD for Ethernet, IF_TYPE_SOFTWARE_LOOPBACK for lo.
//   ConvertInterfaceLuidToNameW: `ethernet_4`, `loopback_1`.
// - GetIpNetTable2(AF_INET): the host's ARP table (a complete entry is NlnsReachable) plus
//   multicast entries without an address; AF_INET6 and AF_UNSPEC fail with ERROR_INVALID_FUNCTION.
// - DnsSuffix: the first `search` domain of the host's resolver configuration, for every adapter,
//   case and trailing dot kept (glibc's LOCALDOMAIN overrides it, which this test uses);
//   FirstDnsSuffix is NULL.
// - GetIpInterfaceTable and GetBestRoute2: ERROR_NOT_SUPPORTED (50). ResolveIpNetEntry2,
//   GetIpNetEntry2, GetIpInterfaceEntry and InitializeIpInterfaceEntry: stubs that abort the
//   process when called (the binding calls none of them).
// - wlanapi: WlanOpenHandle succeeds, WlanEnumInterfaces lists no interface.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWindowsProgram } from '../../test-support/wine/wine-env.ts';
import { requireSetup, wineSuite } from '../../test-support/wine/wine-suite.ts';

const { setup, skipReason } = wineSuite();

/** The program in native/test-support/wine/programs, as runWindowsProgram names it. */
const PROGRAM = 'network-facts-check.ts';
/** Each read takes tens of milliseconds under Wine (its iphlpapi asks nsiproxy for every table). */
const REPEATS = 40;
const ERROR_NOT_SUPPORTED = 50;

interface Facts {
  readonly hasDefaultRoute: boolean;
  readonly interfaceName: string;
  readonly interfaceIndex: number;
  readonly gatewayIp: number[] | null;
  readonly gatewayMac: string | null;
  readonly dnsSuffix: string;
  readonly ssid: string;
  readonly vpnUp: boolean;
}

type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: number };

interface Address {
  readonly family: number;
  readonly bytes: number[];
}

interface Observed {
  readonly error?: string;
  readonly facts: Facts;
  readonly repeatsSame: number;
  readonly routes: Read<
    Array<{ interfaceLuid: string; interfaceIndex: number; destination?: Address; prefixLength: number }>
  >;
  readonly interfaces: Read<Array<{ luid: string; index: number; alias: string; type: number; operStatus: number }>>;
  readonly neighboursV4: Read<unknown[]>;
  readonly neighboursV6: Read<unknown[]>;
  readonly metricsV4: Read<Record<string, number>>;
  readonly adapterSuffixes: Read<Array<{ luid: string; dnsSuffix: string; firstListedSuffix: string }>>;
  readonly luidNames: Record<string, string | undefined>;
  readonly wlan: { readonly open: number; readonly enumerate?: number; readonly listWasAllocated?: boolean };
  readonly ssidReal: string;
  readonly ssidMissing: string;
  readonly missingOpen: string;
}

/** What Linux says of its IPv4 default route: the lowest metric's, when one is lowest. */
interface HostRoute {
  readonly count: number;
  readonly best?: { readonly device: string; readonly gateway: number[]; readonly index: number };
}

function hostDefaultRoute(): HostRoute {
  const rows = readFileSync('/proc/net/route', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(
      (fields) =>
        fields[1] === '00000000' && fields[7] === '00000000' && (Number.parseInt(fields[3] ?? '0', 16) & 1) === 1,
    );
  const metrics = rows.map((fields) => Number(fields[6]));
  const lowest = Math.min(...metrics);
  const best = rows.filter((fields) => Number(fields[6]) === lowest);
  const only = best.length === 1 ? best[0] : undefined;
  if (only === undefined) return { count: rows.length };
  const device = only[0] ?? '';
  return {
    count: rows.length,
    best: {
      device,
      // The u32 in host order, printed as hex: little-endian, so the bytes come reversed.
      gateway: Array.from(Buffer.from(only[2] ?? '', 'hex').reverse()),
      index: Number(readFileSync(`/sys/class/net/${device}/ifindex`, 'utf8')),
    },
  };
}

/** The host's complete ARP entry for `ip` on `device`, as `aa:bb:...`; null when none. */
function hostArpEntry(ip: string, device: string): string | null {
  for (const line of readFileSync('/proc/net/arp', 'utf8').trim().split('\n').slice(1)) {
    const [address, , flags, mac, , dev] = line.trim().split(/\s+/);
    if (address === ip && dev === device && (Number.parseInt(flags ?? '0', 16) & 0x2) !== 0) return mac ?? null;
  }
  return null;
}

/** The constraints of the app's networkFactsSchema (app/contract/network.ts) that a reading must meet. */
function expectContractShape(facts: Facts): void {
  expect(Object.keys(facts).sort()).toEqual(
    [
      'dnsSuffix',
      'gatewayIp',
      'gatewayMac',
      'hasDefaultRoute',
      'interfaceIndex',
      'interfaceName',
      'ssid',
      'vpnUp',
    ].sort(),
  );
  expect(facts.interfaceName.length).toBeLessThanOrEqual(64);
  expect(Number.isInteger(facts.interfaceIndex) && facts.interfaceIndex >= 0).toBe(true);
  if (facts.gatewayIp !== null) expect([4, 16]).toContain(facts.gatewayIp.length);
  if (facts.gatewayMac !== null) expect(facts.gatewayMac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  expect(facts.dnsSuffix.length).toBeLessThanOrEqual(253);
  expect(facts.dnsSuffix).toBe(facts.dnsSuffix.toLowerCase());
  expect(facts.dnsSuffix.endsWith('.')).toBe(false);
  expect(facts.ssid.length).toBeLessThanOrEqual(64);
  if (!facts.hasDefaultRoute) {
    expect(facts).toEqual({
      hasDefaultRoute: false,
      interfaceName: '',
      interfaceIndex: 0,
      gatewayIp: null,
      gatewayMac: null,
      dnsSuffix: '',
      ssid: '',
      vpnUp: false,
    });
  }
}

describe.skipIf(skipReason !== undefined)('Windows network facts under Wine', () => {
  let work = '';
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'zf-wine-network-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Runs the program with LOCALDOMAIN set: glibc's resolver, and so Wine's DnsSuffix, takes it. */
  async function observe(
    localDomain: string,
    repeats: number,
  ): Promise<{ observed: Observed; arpBefore: string | null; host: HostRoute }> {
    const host = hostDefaultRoute();
    const ip = host.best?.gateway.join('.') ?? '';
    const arpBefore = host.best === undefined ? null : hostArpEntry(ip, host.best.device);
    const previous = process.env['LOCALDOMAIN'];
    process.env['LOCALDOMAIN'] = localDomain;
    try {
      const { result } = await runWindowsProgram<Observed>(
        requireSetup(setup),
        PROGRAM,
        { repeats, missingWlanapi: 'zf-no-such-wlanapi.dll' },
        work,
      );
      return { observed: result, arpBefore, host };
    } finally {
      if (previous === undefined) delete process.env['LOCALDOMAIN'];
      else process.env['LOCALDOMAIN'] = previous;
    }
  }

  it('reads the host’s default route, gateway, MAC and DNS suffix, the same way many times over', async () => {
    const { observed, arpBefore, host } = await observe('Office.Example.NET. second.example', REPEATS);
    expect(observed.error).toBeUndefined();
    const { facts } = observed;
    expectContractShape(facts);
    // Every table was allocated, copied and freed REPEATS times more, with the same result.
    expect(observed.repeatsSame).toBe(REPEATS);

    // hasDefaultRoute says what the routing table lists: a default route on an interface that is up.
    expect(observed.routes.ok).toBe(true);
    expect(observed.interfaces.ok).toBe(true);
    if (!observed.routes.ok || !observed.interfaces.ok) return;
    const up = new Set(observed.interfaces.value.filter((row) => row.operStatus === 1).map((row) => row.luid));
    const listed = observed.routes.value.some(
      (route) => route.prefixLength === 0 && route.destination !== undefined && up.has(route.interfaceLuid),
    );
    expect(facts.hasDefaultRoute).toBe(listed);
    // Wine lists no IPv6 route at all.
    expect(observed.routes.value.every((route) => route.destination?.family === 2)).toBe(true);

    // And the routing table is the host's: Linux's default route is the one found.
    expect(facts.hasDefaultRoute).toBe(host.count > 0);
    if (host.best !== undefined) {
      expect(facts.interfaceName).toBe(host.best.device);
      expect(facts.interfaceIndex).toBe(host.best.index);
      expect(facts.gatewayIp).toEqual(host.best.gateway);
      // The gateway's MAC is the host's ARP entry, when it held still while the program ran.
      const arpAfter = hostArpEntry(host.best.gateway.join('.'), host.best.device);
      if (arpBefore === arpAfter) expect(facts.gatewayMac).toBe(arpBefore);
    }
    if (facts.hasDefaultRoute) {
      // Wine gives every adapter the first search domain; the facts give it lowercase, without the dot.
      expect(facts.dnsSuffix).toBe('office.example.net');
      expect(facts.ssid).toBe('');
      expect(facts.vpnUp).toBe(false);
    }
    expect(observed.adapterSuffixes).toMatchObject({ ok: true });
    if (observed.adapterSuffixes.ok) {
      expect(observed.adapterSuffixes.value.length).toBe(observed.interfaces.value.length);
      for (const adapter of observed.adapterSuffixes.value) {
        expect(adapter).toMatchObject({ dnsSuffix: 'Office.Example.NET.', firstListedSuffix: '' });
      }
    }
    for (const row of observed.interfaces.value) {
      expect(observed.luidNames[row.luid]).toMatch(/^[a-z]+_\d+$/);
    }
  });

  it('says what Wine does not implement as failures, and no Wi-Fi without wlanapi, never an exception', async () => {
    const { observed } = await observe('', 0);
    expect(observed.error).toBeUndefined();
    expectContractShape(observed.facts);
    // Without a search domain there is no suffix.
    expect(observed.facts.dnsSuffix).toBe('');
    expect(observed.neighboursV4.ok).toBe(true);
    expect(observed.neighboursV6).toMatchObject({ ok: false });
    // Ranked by route metrics alone under Wine; on Windows the table gives interface metrics.
    expect(observed.metricsV4.ok || observed.metricsV4.code === ERROR_NOT_SUPPORTED).toBe(true);
    // wlanapi is there and answers, with no interface to ask about.
    expect(observed.wlan).toMatchObject({ open: 0, enumerate: 0 });
    expect(observed.ssidReal).toBe('');
    // A missing DLL cannot be opened, and the SSID is then simply unknown.
    expect(observed.missingOpen).not.toBe('opened');
    expect(observed.ssidMissing).toBe('');
  });
});
