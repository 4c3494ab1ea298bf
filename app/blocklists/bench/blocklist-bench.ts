// Blocklist benchmark: prints numbers, asserts nothing.
// Run: node_modules/.bin/node --expose-gc app/blocklists/bench/blocklist-bench.ts [--names N]
//
// A hosts-format list of N names (default 1 000 000; three to five labels, as real lists have)
// and 100 000 IPv4 networks is parsed and built into a BlockSet. Printed: the time of each step,
// the memory the finished set holds (heap and array buffers after a full GC, the parsed text
// and lists let go), and lookups per second for names (half listed or under a listed name, half
// not) and for addresses. Goal (issue 15): at most 100 MB and at least 1 million lookups/s.
import { BlockSet } from '../block-set.ts';
import { parseList, parseListInSlices } from '../parse-list.ts';

const namesFlag = process.argv.indexOf('--names');
const NAMES = namesFlag > 0 ? Number(process.argv[namesFlag + 1]) : 1_000_000;
const NETWORKS = 100_000;
const LOOKUPS = 2_000_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) console.log('(run with --expose-gc for the memory figure)');
const held = (): number => {
  // Twice: the first full collection leaves some of a large release to the next.
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

let seed = 1;
const next = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const WORDS = ['ads', 'cdn', 'track', 'metrics', 'pixel', 'beacon', 'stats', 'img', 'api', 'static'];
const nameOf = (i: number): string =>
  `${WORDS[i % 10] ?? 'x'}${String(i)}.${WORDS[(i >> 4) % 10] ?? 'y'}-${String(i % 977)}.example${i % 3 === 0 ? '.co.uk' : '.com'}`;

/** The list's text. */
function listText(): string {
  const lines: string[] = [];
  for (let i = 0; i < NAMES; i++) lines.push(`0.0.0.0 ${nameOf(i)}`);
  for (let i = 0; i < NETWORKS; i++) lines.push(`${String(next(224))}.${String(next(256))}.${String(next(256))}.0/24`);
  return lines.join('\n');
}

/** Makes the list's text, parses and builds it, printing each step; only the set outlives it. */
function build(): BlockSet {
  const text = listText();
  console.log(
    `node ${process.version}; list of ${String(NAMES)} names + ${String(NETWORKS)} networks: ${mb(text.length)} of text`,
  );
  let started = performance.now();
  const parsed = parseList(text);
  console.log(
    `parse: ${(performance.now() - started).toFixed(0)} ms, ${String(parsed.names.length)} names, ${String(parsed.networks.length)} networks`,
  );
  started = performance.now();
  const built = new BlockSet([parsed]);
  console.log(`build: ${(performance.now() - started).toFixed(0)} ms`);
  return built;
}

const before = held();
const set = build();
console.log(
  `memory held by the set: ${mb(held() - before)} of heap after a full GC (goal ≤ 100 MB); its own arrays and text ${mb(set.byteSize)}`,
);

const probes: string[] = [];
for (let i = 0; i < 100_000; i++) {
  const n = next(NAMES * 2);
  // Half listed (some as a subdomain of a listed name), half not.
  probes.push(n < NAMES ? (n % 2 === 0 ? nameOf(n) : `www.${nameOf(n)}`) : `www.unlisted${String(n)}.example.org`);
}
let hits = 0;
let started = performance.now();
for (let i = 0; i < LOOKUPS; i++) if (set.matchName(probes[i % probes.length] ?? '') >= 0) hits += 1;
let seconds = (performance.now() - started) / 1000;
console.log(
  `name lookups: ${(LOOKUPS / seconds / 1e6).toFixed(2)} M/s (${String(hits)} of ${String(LOOKUPS)} blocked; goal ≥ 1 M/s)`,
);
const addresses = Array.from({ length: 100_000 }, () => new Uint8Array([next(256), next(256), next(256), next(256)]));
hits = 0;
started = performance.now();
for (let i = 0; i < LOOKUPS; i++)
  if (set.matchAddress(addresses[i % addresses.length] ?? new Uint8Array(4)) >= 0) hits += 1;
seconds = (performance.now() - started) / 1000;
console.log(
  `address lookups: ${(LOOKUPS / seconds / 1e6).toFixed(2)} M/s (${String(hits)} of ${String(LOOKUPS)} blocked)`,
);

// The same list read and built as the app does it, in slices with the event loop served between
// them (setImmediate): the longest stretch of work between two turns of the event loop (what a
// connection arriving meanwhile waits for its decision at most, garbage collection included),
// against the whole work at once above.
{
  const text = listText();
  const stretches: number[] = [];
  let resumed = performance.now();
  const pause = (): Promise<void> => {
    stretches.push(performance.now() - resumed);
    return new Promise((resolve) =>
      setImmediate(() => {
        resumed = performance.now();
        resolve();
      }),
    );
  };
  const started = performance.now();
  const parsed = await parseListInSlices(text, pause);
  const parsedAt = performance.now();
  resumed = performance.now();
  await BlockSet.build([parsed], pause);
  stretches.push(performance.now() - resumed);
  const builtAt = performance.now();
  stretches.sort((a, b) => a - b);
  const at = (q: number): string =>
    (stretches[Math.min(stretches.length - 1, Math.floor(q * stretches.length))] ?? 0).toFixed(1);
  console.log(
    `in slices: parse ${(parsedAt - started).toFixed(0)} ms + build ${(builtAt - parsedAt).toFixed(0)} ms in ${String(stretches.length)} stretches; longest ${at(1)} ms, p99 ${at(0.99)} ms, median ${at(0.5)} ms`,
  );
}
