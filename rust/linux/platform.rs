//! The platform inside the kernel: `KVec`, `KBox` and `Arc` with the
//! interface that the protocol code expects (`rust/host/platform.rs` is the
//! host's twin, and lists the API).

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::alloc::flags::{__GFP_NOWARN, __GFP_ZERO, GFP_KERNEL};
use kernel::alloc::{Flags, KBox, KVec};
use kernel::sync::Arc;

/// Allocation failed.
#[derive(Debug)]
pub struct AllocError;

/// The flags of every allocation: a large one that a user can ask for
/// (a table of sockets, a socket buffer) fails quietly with ENOBUFS
/// rather than printing a kernel warning.
fn gfp() -> Flags {
    GFP_KERNEL | __GFP_NOWARN
}

/// A growable array whose growth can fail.
pub struct Vec<T>(KVec<T>);

impl<T> Vec<T> {
    /// An empty vector; allocates nothing.
    pub const fn new() -> Self {
        Vec(KVec::new())
    }

    /// Makes room for `additional` more elements.
    pub fn reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        self.0.reserve(additional, gfp()).map_err(|_| AllocError)
    }

    /// Appends `v`.
    pub fn push(&mut self, v: T) -> Result<(), AllocError> {
        self.0.push(v, gfp()).map_err(|_| AllocError)
    }

    /// Removes every element, keeping the allocation.
    pub fn clear(&mut self) {
        while self.pop().is_some() {}
    }

    /// Removes the last element.
    pub fn pop(&mut self) -> Option<T> {
        let len = self.0.len().checked_sub(1)?;
        // SAFETY: `len` < the old length, so slot `len` holds an
        // initialized element; shortening first hands its ownership to us,
        // and the element is read exactly once.
        unsafe {
            self.0.set_len(len);
            Some(core::ptr::read(self.0.as_ptr().add(len)))
        }
    }
}

impl<T> Vec<T> {
    /// Inserts `v` at `i` (at most the length), shifting the rest up.
    pub fn insert(&mut self, i: usize, v: T) -> Result<(), AllocError> {
        let i = i.min(self.len());
        self.push(v)?;
        self[i..].rotate_right(1);
        Ok(())
    }

    /// Removes and returns element `i`, shifting the rest down.
    pub fn remove(&mut self, i: usize) -> Option<T> {
        let len = self.0.len();
        if i >= len {
            return None;
        }
        // SAFETY: `i` < `len`, so slot `i` holds an initialized element,
        // read once; the `len - i - 1` elements after it move down one slot
        // within the allocation, and the length then drops by one, so every
        // element is owned exactly once.
        unsafe {
            let p = self.0.as_mut_ptr().add(i);
            let v = core::ptr::read(p);
            core::ptr::copy(p.add(1), p, len - i - 1);
            self.0.set_len(len - 1);
            Some(v)
        }
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

/// One heap object whose allocation can fail.
pub struct Box<T>(KBox<T>);

impl<T> Box<T> {
    /// Moves `v` to the heap.
    pub fn new(v: T) -> Result<Self, AllocError> {
        KBox::new(v, gfp()).map(Box).map_err(|_| AllocError)
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

/// What the owners of a `SharedBuf` share. The kernel's `Arc` frees it;
/// `refs` counts the `SharedBuf` handles, because `Arc` cannot tell
/// whether it is unique without giving itself up.
struct SharedInner {
    refs: AtomicUsize,
    bytes: UnsafeCell<KVec<u8>>,
}

// SAFETY: `bytes` is written only through `SharedBuf::get_mut`, which
// needs `&mut` of a handle while `refs` is 1: no other handle exists, so
// no other thread can read or write the bytes meanwhile. Every other
// access is a read (`Deref`) or an atomic operation on `refs`.
unsafe impl Sync for SharedInner {}

/// A zero-filled byte buffer with shared ownership: clones share the
/// bytes, and only the sole owner may write them (mbuf clusters).
pub struct SharedBuf {
    inner: Arc<SharedInner>,
    /// `release` already gave up this handle's count.
    released: bool,
}

impl SharedBuf {
    /// A buffer of `len` zero bytes, with one owner.
    pub fn new_zeroed(len: usize) -> Result<Self, AllocError> {
        // Zeroed by the allocator: `KVec::from_elem` writes byte by byte,
        // which costs milliseconds per cluster under KASAN and emulation.
        let mut bytes =
            KVec::<u8>::with_capacity(len, gfp() | __GFP_ZERO).map_err(|_| AllocError)?;
        // SAFETY: the capacity is at least `len` and __GFP_ZERO zeroed it,
        // and zero is a valid `u8`, so the first `len` elements are
        // initialized.
        unsafe { bytes.set_len(len) };
        let inner = SharedInner { refs: AtomicUsize::new(1), bytes: UnsafeCell::new(bytes) };
        let inner = Arc::new(inner, gfp()).map_err(|_| AllocError)?;
        Ok(SharedBuf { inner, released: false })
    }

    /// The bytes, writable, when `this` is their only owner.
    pub fn get_mut(this: &mut Self) -> Option<&mut [u8]> {
        // Acquire pairs with the Release of other owners' drops: their
        // reads of the bytes happen before our writes.
        if this.inner.refs.load(Ordering::Acquire) != 1 {
            return None;
        }
        // SAFETY: `refs` is 1, so `this` is the only handle, and it is
        // borrowed mutably for the returned lifetime: no other reference
        // to the bytes exists or can be made (cloning needs `&this`).
        Some(unsafe { (*this.inner.bytes.get()).as_mut_slice() })
    }

    /// How many owners the bytes have (a snapshot when other threads
    /// hold clones).
    pub fn ref_count(this: &Self) -> usize {
        this.inner.refs.load(Ordering::Acquire)
    }

    /// Whether `a` and `b` share their bytes.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// Gives up this owner's share; true when it was the last one and the
    /// bytes are freed.
    pub fn release(mut this: Self) -> bool {
        this.released = true;
        this.inner.refs.fetch_sub(1, Ordering::AcqRel) == 1
        // `this` drops here: `Drop` sees `released` and leaves `refs` be,
        // and the `Arc` frees the bytes if it was the last one.
    }
}

impl Clone for SharedBuf {
    fn clone(&self) -> Self {
        // Relaxed suffices to count up: the new handle comes from an
        // existing one, as in `Arc::clone`.
        self.inner.refs.fetch_add(1, Ordering::Relaxed);
        SharedBuf { inner: self.inner.clone(), released: false }
    }
}

impl Drop for SharedBuf {
    fn drop(&mut self) {
        if !self.released {
            self.inner.refs.fetch_sub(1, Ordering::Release);
        }
    }
}

impl Deref for SharedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the bytes are written only through `get_mut`, which
        // needs the only handle borrowed mutably; while `self` is borrowed
        // here, either other handles exist (so nobody may write) or `self`
        // is the only one and cannot be borrowed mutably at the same time.
        unsafe { (*self.inner.bytes.get()).as_slice() }
    }
}

extern "C" {
    fn bsdinet_iptime() -> u32;
    fn bsdinet_random_u32() -> u32;
    fn bsdinet_microtime(sec: *mut u32, usec: *mut u32);
}

/// The time of day as seconds and microseconds since 1970 (the book's
/// `microtime()`, for BPF's time stamps).
pub fn microtime() -> (u32, u32) {
    let (mut s, mut us) = (0, 0);
    // SAFETY: writes the two integers given; callable in any context.
    unsafe { bsdinet_microtime(&mut s, &mut us) };
    (s, us)
}

/// Milliseconds since midnight UT (the book's `iptime()`).
pub fn iptime() -> u32 {
    // SAFETY: reads the clock; callable in any context.
    unsafe { bsdinet_iptime() }
}

/// 32 random bits from the kernel's generator (`get_random_u32`), for
/// ephemeral ports, IP ids and initial sequence numbers.
pub fn random_u32() -> u32 {
    // SAFETY: takes no arguments; callable in any context.
    unsafe { bsdinet_random_u32() }
}

/// The stack's messages to the console (the book's `log()`).
pub fn log(args: core::fmt::Arguments<'_>) {
    kernel::pr_warn!("{}\n", args);
}
