//! What the fuzz targets share: a seeded generator, the environment
//! variables that pick a seed, and hex dumps for reproductions.

use std::cell::Cell;

/// SplitMix64: small, fast, and the same sequence on every platform and
/// version, so that a seed reproduces a failure. A `Cell`, so that one
/// call's arguments may draw numbers too.
pub struct Rng(Cell<u64>);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(Cell::new(seed))
    }
    pub fn next(&self) -> u64 {
        let s = self.0.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.0.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// True with probability `permille`/1000.
    pub fn chance(&self, permille: u32) -> bool {
        permille > 0 && self.below(1000) < permille as usize
    }
    /// 0..n (0 when n is 0).
    pub fn below(&self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    /// lo..=hi.
    pub fn range(&self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn one_in(&self, n: usize) -> bool {
        self.below(n) == 0
    }
    pub fn u8(&self) -> u8 {
        self.next() as u8
    }
    pub fn u16(&self) -> u16 {
        self.next() as u16
    }
    pub fn u32(&self) -> u32 {
        self.next() as u32
    }
    pub fn pick<T: Copy>(&self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
    pub fn bytes(&self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
    pub fn shuffle<T>(&self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// A number from the environment, decimal or 0x hexadecimal.
pub fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

/// Bytes as hex, for a failure's report.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
