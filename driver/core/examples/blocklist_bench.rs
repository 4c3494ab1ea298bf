//! The cost of a policy's blocklists in the driver: building the lookups for 1 000 000 names and
//! 100 000 networks (decoding the document, then compiling), the heap they hold and the peak
//! while they are built, and lookups per second on one core.
//! `cargo run --release -p zenithfence-core --example blocklist_bench -- [names] [networks]`
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use zenithfence_core::flow::IpAddress;
use zenithfence_core::policy::{CompiledBlocklist, PreparedPolicy, RuleNames};
use zenithfence_protocol::policy::{
    BlockedNames, BlockedNetwork, PolicyBlocklist, PolicyDocument, MAX_POLICY_LEN,
};

/// The system allocator, counting the bytes in use and their peak (the memory numbers below).
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = IN_USE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed to the system allocator with the caller's arguments unchanged;
// the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract for `layout`.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through us) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller upholds the rest.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            grew(new_size);
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn label(&mut self, shortest: u64, longest: u64) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-";
        let len = shortest + self.next() % (longest - shortest + 1);
        (0..len)
            .map(|i| {
                // No '-' first or last, as in DNS.
                let pick = self.next() as usize % if i == 0 || i + 1 == len { 36 } else { 37 };
                CHARS[pick] as char
            })
            .collect()
    }

    /// A name like those of ad and tracker lists, about 15 bytes long, so a million fit the
    /// 16 MiB of a document.
    fn name(&mut self) -> String {
        const TLDS: [&str; 5] = ["com", "net", "io", "de", "org"];
        let tld = TLDS[self.next() as usize % TLDS.len()];
        format!("{}.{}.{tld}", self.label(3, 8), self.label(3, 6))
    }
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Lookups of `probes` per second over about a second, and the share of them that were listed.
fn rate(probes: &[String], lookup: impl Fn(&str) -> bool) -> (f64, f64) {
    let start = Instant::now();
    let (mut done, mut hits) = (0usize, 0usize);
    while start.elapsed().as_secs_f64() < 1.0 {
        for probe in probes {
            hits += usize::from(black_box(lookup(probe)));
        }
        done += probes.len();
    }
    let seconds = start.elapsed().as_secs_f64();
    (done as f64 / seconds, hits as f64 / done as f64)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name_count: usize = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let network_count: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let mut rng = Rng(0x5EED_B10C_1157_0001);
    let names: Vec<String> = (0..name_count).map(|_| rng.name()).collect();
    let networks: Vec<BlockedNetwork> = (0..network_count)
        .map(|i| {
            let r = rng.next();
            if i % 4 == 3 {
                let mut network = [0u8; 16];
                network[..8].copy_from_slice(&r.to_be_bytes());
                network[0] = 0x2a;
                BlockedNetwork::V6 {
                    network,
                    prefix: 64,
                }
            } else {
                let prefix = [24, 32, 32, 16][(r >> 40) as usize % 4];
                let address = (r as u32) & (u32::MAX << (32 - prefix));
                BlockedNetwork::V4 {
                    network: address.to_be_bytes(),
                    prefix,
                }
            }
        })
        .collect();
    let list = PolicyBlocklist {
        names: names.iter().map(String::as_str).collect::<BlockedNames>(),
        networks,
    };
    let text: usize = names.iter().map(String::len).sum();
    println!(
        "blocklists in the driver core, one core: {name_count} names (average {:.1} bytes), {network_count} networks",
        text as f64 / name_count as f64
    );

    let document = PolicyDocument {
        flags: 0,
        generation: 1,
        no_app_action: 2,
        rules: Vec::new(),
        blocklist: list.clone(),
    };
    let bytes = document.encode();
    drop(document);
    println!(
        "  document: {:.1} MiB (limit {:.0} MiB)",
        mib(bytes.len()),
        mib(MAX_POLICY_LEN)
    );

    // Building, as the driver does: decode and check, then compile (PreparedPolicy::from_bytes).
    if bytes.len() <= MAX_POLICY_LEN {
        let before = IN_USE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let started = Instant::now();
        let decoded = PolicyDocument::decode(&bytes).unwrap();
        let decode_ms = started.elapsed().as_secs_f64() * 1000.0;
        drop(decoded);
        let started = Instant::now();
        let prepared = PreparedPolicy::from_bytes(&bytes).unwrap();
        let prepare_ms = started.elapsed().as_secs_f64() * 1000.0;
        let peak = PEAK.load(Ordering::Relaxed) - before;
        let held = IN_USE.load(Ordering::Relaxed) - before;
        println!(
            "  decode and check: {decode_ms:.0} ms; from_bytes (decode + compile): {prepare_ms:.0} ms"
        );
        println!(
            "  memory: {:.1} MiB held once built, {:.1} MiB peak while building (beside the document's bytes)",
            mib(held),
            mib(peak)
        );
        drop(prepared);
    } else {
        println!("  (over the document limit: decoding skipped, compiling measured alone)");
    }

    let started = Instant::now();
    let lists = CompiledBlocklist::new(&list);
    let compile_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "  compile alone: {compile_ms:.0} ms, lookups hold {:.1} MiB ({:.1} bytes a name)",
        mib(lists.heap_bytes()),
        lists.heap_bytes() as f64 / (name_count + network_count) as f64
    );

    // Probes: names below listed ones (found at the second suffix), exact listed names, and
    // names not listed (every suffix looked up in vain).
    let below: Vec<String> = names
        .iter()
        .step_by(97)
        .map(|n| format!("www.{n}"))
        .collect();
    let exact: Vec<String> = names.iter().step_by(89).cloned().collect();
    let mut other = Rng(0x0DD_BA11);
    let unlisted: Vec<String> = (0..10_000)
        .map(|_| format!("cdn-{}.{}", other.label(3, 8), other.name()))
        .collect();
    for (what, probes) in [
        ("names below a listed name", &below),
        ("listed names", &exact),
        ("names not listed (4 labels)", &unlisted),
    ] {
        let (per_second, listed) = rate(probes, |n| lists.lists_name(n));
        println!(
            "  {what:<30} {:>6.2} million lookups/s ({:.0}% listed)",
            per_second / 1e6,
            listed * 100.0
        );
    }
    let addresses: Vec<IpAddress> = (0..10_000)
        .map(|_| IpAddress::V4((other.next() as u32).to_be_bytes()))
        .collect();
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed().as_secs_f64() < 1.0 {
        for address in &addresses {
            black_box(lists.lists(*address, RuleNames::Unseen));
        }
        done += addresses.len();
    }
    println!(
        "  {:<30} {:>6.2} million lookups/s",
        "random IPv4 addresses",
        done as f64 / start.elapsed().as_secs_f64() / 1e6
    );
    println!("  goal: >= 1 million name lookups/s (the app's engine: 1.1-1.7 million/s)");
}
