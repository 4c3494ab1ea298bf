//! A small seeded generator (xorshift64*) for the property tests: no crates registry here, and a
//! printed seed makes every failure reproducible with `ZF_SEED=<seed> cargo test`.
#![allow(dead_code)]

pub(crate) struct Rng(u64);

impl Rng {
    /// Seeded from `ZF_SEED`, or from the clock; prints the seed.
    pub(crate) fn from_env(test: &str) -> Rng {
        let seed = std::env::var("ZF_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            });
        eprintln!("{test}: ZF_SEED={seed}");
        Rng(seed | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `0..bound` (bound > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    pub(crate) fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.byte()).collect()
    }

    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.iter_mut().for_each(|b| *b = self.byte());
        out
    }

    pub(crate) fn text(&mut self, max: usize) -> String {
        const ALPHABET: [char; 8] = ['a', 'z', '/', '.', ' ', 'é', '✓', '0'];
        let len = self.below(max as u64 + 1) as usize;
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize])
            .collect()
    }
}
