//! The platform inside the kernel: `KVec` with the interface that the
//! protocol code expects (`rust/host/platform.rs` is the host's twin).

use core::ops::{Deref, DerefMut};
use kernel::alloc::{flags::GFP_KERNEL, KVec};

/// Allocation failed.
#[derive(Debug)]
pub struct AllocError;

/// A growable array whose growth can fail.
pub struct Vec<T>(KVec<T>);

impl<T> Vec<T> {
    /// An empty vector; allocates nothing.
    pub const fn new() -> Self {
        Vec(KVec::new())
    }

    /// Makes room for `additional` more elements.
    pub fn reserve(&mut self, additional: usize) -> Result<(), AllocError> {
        self.0.reserve(additional, GFP_KERNEL).map_err(|_| AllocError)
    }

    /// Appends `v`.
    pub fn push(&mut self, v: T) -> Result<(), AllocError> {
        self.0.push(v, GFP_KERNEL).map_err(|_| AllocError)
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
