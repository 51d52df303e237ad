//! A table of objects named by small integers, standing in for the book's
//! pointers (`struct socket *`, `struct inpcb *`): the stack's objects live
//! in tables of the one stack object, so there is no global state and no
//! `unsafe` pointer juggling.

use crate::bsd::sys::errno::{Result, ENOBUFS};
use crate::platform::Vec;

/// A table of `T` with stable indices; freed slots are reused.
pub struct Slab<T> {
    slots: Vec<Option<T>>,
    free: Vec<usize>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slab<T> {
    /// An empty table.
    pub const fn new() -> Self {
        Slab { slots: Vec::new(), free: Vec::new(), len: 0 }
    }

    /// Stores `v`; fails with ENOBUFS when memory runs out.
    pub fn insert(&mut self, v: T) -> Result<usize> {
        // Room in `free` for every slot, reserved first, so that a failure
        // leaves no trace and `remove` never allocates.
        let need = self.slots.len() + 1 - self.free.len();
        self.free.reserve(need).map_err(|_| ENOBUFS)?;
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(v);
                i
            }
            None => {
                self.slots.push(Some(v)).map_err(|_| ENOBUFS)?;
                self.slots.len() - 1
            }
        };
        self.len += 1;
        Ok(idx)
    }

    /// Takes the object out of slot `i`.
    pub fn remove(&mut self, i: usize) -> Option<T> {
        let v = self.slots.get_mut(i)?.take()?;
        // Cannot fail: `insert` reserved room for every slot ever handed out.
        let _ = self.free.push(i);
        self.len -= 1;
        Some(v)
    }

    /// The object in slot `i`.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.slots.get(i)?.as_ref()
    }

    /// The object in slot `i`, mutably.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.slots.get_mut(i)?.as_mut()
    }

    /// How many objects are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every stored object with its index.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|v| (i, v)))
    }

    /// Every value, mutably, with its index.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        self.slots.iter_mut().enumerate().filter_map(|(i, s)| s.as_mut().map(|v| (i, v)))
    }
}
