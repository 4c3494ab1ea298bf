// Runs under Node for Windows in Wine (network-facts.wine.test.ts; not part of the app): reads the
// network facts for real, many times over, with every raw table beside them, and what wlanapi does
// with a real and a missing DLL. Writes what it observed as JSON to the file named second.
// (It lives here, not in native/test-support/wine/programs, only because of who may edit what.)
import { readFileSync, writeFileSync } from 'node:fs';
import { win32NetworkCalls } from '../../../src/windows/network-calls.ts';
import { readWindowsNetworkFacts } from '../../../src/windows/network-facts.ts';
import { wlanapi } from '../../../src/windows/network-ffi.ts';
import { AF_INET, AF_INET6, WLAN_CLIENT_VERSION } from '../../../src/windows/network-layout.ts';

interface Input {
  /** How many times to read the facts (each read allocates and frees every table). */
  readonly repeats: number;
  /** A DLL name that does not exist, for the missing-wlanapi case. */
  readonly missingWlanapi: string;
}

/** JSON for what the reads return: bigints as decimal strings, byte arrays as number arrays. */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item === 'bigint') return item.toString();
      if (item instanceof Uint8Array) return Array.from(item);
      if (item instanceof Map) return Object.fromEntries(item);
      return item;
    },
    2,
  );
}

function wlanProbe(): Record<string, unknown> {
  const api = wlanapi();
  const handleOut = Buffer.alloc(8);
  const open = api.WlanOpenHandle(WLAN_CLIENT_VERSION, Buffer.alloc(4), handleOut);
  if (open !== 0) return { open };
  const handle = handleOut.readBigUInt64LE(0);
  const listOut = Buffer.alloc(8);
  const enumerate = api.WlanEnumInterfaces(handle, listOut);
  const list = listOut.readBigUInt64LE(0);
  if (enumerate === 0 && list !== 0n) api.WlanFreeMemory(list);
  return { open, enumerate, listWasAllocated: list !== 0n, close: api.WlanCloseHandle(handle) };
}

const [inputFile, outputFile] = process.argv.slice(2);
if (inputFile === undefined || outputFile === undefined) throw new Error('usage: network-facts.wine-program IN OUT');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as Input;
const result: Record<string, unknown> = {};

try {
  const calls = win32NetworkCalls();
  const first = readWindowsNetworkFacts(calls);
  result['facts'] = first;
  let same = 0;
  const started = performance.now();
  for (let i = 0; i < input.repeats; i += 1) {
    if (toJson(readWindowsNetworkFacts(calls)) === toJson(first)) same += 1;
  }
  result['repeatsSame'] = same;
  result['msPerRead'] = input.repeats === 0 ? null : (performance.now() - started) / input.repeats;
  result['routes'] = calls.routes();
  result['neighboursV4'] = calls.neighbours(AF_INET);
  result['neighboursV6'] = calls.neighbours(AF_INET6);
  result['metricsV4'] = calls.interfaceMetrics(AF_INET);
  result['metricsV6'] = calls.interfaceMetrics(AF_INET6);
  result['adapterSuffixes'] = calls.adapterSuffixes();
  const interfaces = calls.interfaces();
  result['interfaces'] = interfaces;
  result['luidNames'] = interfaces.ok
    ? Object.fromEntries(interfaces.value.map((row) => [row.luid.toString(), calls.luidName(row.luid)]))
    : {};
  result['wlan'] = wlanProbe();
  const guid = new Uint8Array(16).fill(0x5a);
  result['ssidReal'] = calls.ssid(guid);
  result['ssidMissing'] = win32NetworkCalls({ wlanapiPath: input.missingWlanapi }).ssid(guid);
  try {
    wlanapi(input.missingWlanapi);
    result['missingOpen'] = 'opened';
  } catch (error) {
    result['missingOpen'] = error instanceof Error ? error.message : String(error);
  }
} catch (error) {
  result['error'] = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}
writeFileSync(outputFile, toJson(result));
