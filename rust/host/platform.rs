//! The platform under `cargo test`: the standard library's vector, with
//! the fallible interface that the kernel's allocator has.

use std::ops::{Deref, DerefMut};

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
