//! The platform under `cargo test`: the standard library's vector, box and
//! `Arc`, with the fallible interface that the kernel's allocator has.
//!
//! The API (the kernel's twin is `rust/linux/platform.rs`):
//! - `Vec<T>`: a growable array whose growth can fail;
//! - `Box<T>`: one heap object whose allocation can fail;
//! - `SharedBuf`: a byte buffer with shared, reference-counted ownership
//!   that only its sole owner may write (mbuf clusters);
//! - `iptime()`: milliseconds since midnight UT, for IP and ICMP timestamps;
//! - `random_u32()`: random bits (ports, IP ids, sequence numbers);
//! - `log()`: a message to the console.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Allocation failed.
#[derive(Debug)]
pub struct AllocError;

/// A growable array whose growth can fail, as in the kernel.
#[derive(Debug)]
pub struct Vec<T>(std::vec::Vec<T>);

impl<T> Vec<T> {
    /// An empty vector; allocates nothing.
    pub const fn new() -> Self {
        Vec(std::vec::Vec::new())
    }

    /// Makes room for `additional` more elements.
    pub fn reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        self.0.try_reserve(additional).map_err(|_| AllocError)
    }

    /// Appends `v`.
    pub fn push(&mut self, v: T) -> Result<(), AllocError> {
        self.reserve(1)?;
        self.0.push(v);
        Ok(())
    }

    /// Removes the last element.
    pub fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }

    /// Removes every element, keeping the allocation.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Inserts `v` at `i` (at most the length), shifting the rest up.
    pub fn insert(&mut self, i: usize, v: T) -> Result<(), AllocError> {
        let i = i.min(self.len());
        self.push(v)?;
        self[i..].rotate_right(1);
        Ok(())
    }

    /// Removes and returns element `i`, shifting the rest down.
    pub fn remove(&mut self, i: usize) -> Option<T> {
        (i < self.0.len()).then(|| self.0.remove(i))
    }
}

impl<T> Default for Vec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for Vec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> DerefMut for Vec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

/// One heap object, like the kernel's `KBox`. The host's allocator aborts
/// rather than fails, so `new` always succeeds here; tests exercise
/// exhaustion through the callers' own limits (the mbuf pool's caps).
#[derive(Debug)]
pub struct Box<T>(std::boxed::Box<T>);

impl<T> Box<T> {
    /// Moves `v` to the heap.
    pub fn new(v: T) -> Result<Self, AllocError> {
        Ok(Box(std::boxed::Box::new(v)))
    }
}

impl<T> Deref for Box<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Box<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// A zero-filled byte buffer with shared ownership: clones share the
/// bytes and a reference count, and only the sole owner may write them,
/// so a writer can never change what another owner sees (mbuf clusters,
/// the book's `mclrefcnt`).
#[derive(Clone, Debug)]
pub struct SharedBuf(Arc<std::vec::Vec<u8>>);

impl SharedBuf {
    /// A buffer of `len` zero bytes, with one owner.
    pub fn new_zeroed(len: usize) -> Result<Self, AllocError> {
        let mut v = std::vec::Vec::new();
        v.try_reserve_exact(len).map_err(|_| AllocError)?;
        v.resize(len, 0);
        Ok(SharedBuf(Arc::new(v)))
    }

    /// The bytes, writable, when `this` is their only owner.
    pub fn get_mut(this: &mut Self) -> Option<&mut [u8]> {
        Arc::get_mut(&mut this.0).map(|v| v.as_mut_slice())
    }

    /// How many owners the bytes have (a snapshot when other threads
    /// hold clones).
    pub fn ref_count(this: &Self) -> usize {
        Arc::strong_count(&this.0)
    }

    /// Whether `a` and `b` share their bytes.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Gives up this owner's share; true when it was the last one and the
    /// bytes are freed. Unlike a `ref_count` check followed by a drop, this
    /// is exact even when clones are released concurrently.
    pub fn release(this: Self) -> bool {
        Arc::into_inner(this.0).is_some()
    }
}

impl Deref for SharedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Milliseconds since midnight UT (the book's `iptime()`).
pub fn iptime() -> u32 {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (now.as_millis() % 86_400_000) as u32
}

/// The time of day as seconds and microseconds since 1970 (the book's
/// `microtime()`, for BPF's time stamps).
pub fn microtime() -> (u32, u32) {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (now.as_secs() as u32, now.subsec_micros())
}

/// The seed every test thread starts with, so that runs repeat.
const DEFAULT_SEED: u64 = 0x0bad_5eed_0bad_5eed;

std::thread_local! {
    static RANDOM: core::cell::Cell<u64> = const { core::cell::Cell::new(DEFAULT_SEED) };
}

/// Restarts this thread's random numbers from `seed`.
pub fn seed_random(seed: u64) {
    RANDOM.with(|r| r.set(seed));
}

/// 32 random bits: a deterministic generator per thread (SplitMix64),
/// seeded by `seed_random`, where the kernel has `get_random_u32`.
pub fn random_u32() -> u32 {
    RANDOM.with(|r| {
        let x = r.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        r.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 32) as u32
    })
}

std::thread_local! {
    static LOG: std::cell::RefCell<std::vec::Vec<String>> = const { std::cell::RefCell::new(std::vec::Vec::new()) };
}

/// The stack's messages to the console (the book's `log()`): kept per
/// thread for tests to read with `take_log`.
pub fn log(args: core::fmt::Arguments<'_>) {
    LOG.with(|l| l.borrow_mut().push(args.to_string()));
}

/// The messages logged by this thread since the last call.
pub fn take_log() -> std::vec::Vec<String> {
    LOG.with(|l| core::mem::take(&mut *l.borrow_mut()))
}
