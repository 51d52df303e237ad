//! A table of objects named by small integers, standing in for the book's
//! pointers (`struct socket *`, `struct inpcb *`): the stack's objects live
//! in tables of the one stack object, so there is no global state and no
//! `unsafe` pointer juggling.
//!
//! The slots live in chunks of at most `CHUNK_BYTES` each, allocated once
//! and never moved: growing the table adds a chunk and copies only the
//! small vector of chunks, never the live objects, and no allocation is
//! ever larger than a chunk or that vector (one kmalloc of 16 KiB or less,
//! where one vector of 100,000 sockets would ask for an order-11 page).
//! Freed slots form a list threaded through the slots themselves, so
//! `remove` never allocates and nothing else grows with the table.

use crate::bsd::sys::errno::{Result, ENOBUFS};
use crate::platform::Vec;

/// Most bytes one chunk of slots takes.
const CHUNK_BYTES: usize = 16 * 1024;

/// A slot: an object, or a link of the free list (the next free slot).
enum Slot<T> {
    Used(T),
    Free(Option<usize>),
}

/// A table of `T` with stable indices; freed slots are reused, the last
/// freed first.
pub struct Slab<T> {
    /// Chunks of `Self::PER_CHUNK` slots; each is reserved whole when it
    /// is made and never grows beyond, so it never moves.
    chunks: Vec<Vec<Slot<T>>>,
    /// The first free slot.
    free: Option<usize>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slab<T> {
    /// Slots per chunk: as many as fit `CHUNK_BYTES`, at least one.
    const PER_CHUNK: usize = {
        let size = core::mem::size_of::<Slot<T>>();
        if size == 0 || size >= CHUNK_BYTES {
            1
        } else {
            CHUNK_BYTES / size
        }
    };

    /// An empty table.
    pub const fn new() -> Self {
        Slab { chunks: Vec::new(), free: None, len: 0 }
    }

    fn slot(&self, i: usize) -> Option<&Slot<T>> {
        self.chunks.get(i / Self::PER_CHUNK)?.get(i % Self::PER_CHUNK)
    }

    fn slot_mut(&mut self, i: usize) -> Option<&mut Slot<T>> {
        self.chunks.get_mut(i / Self::PER_CHUNK)?.get_mut(i % Self::PER_CHUNK)
    }

    /// Stores `v`; fails with ENOBUFS when memory runs out, leaving the
    /// table as it was.
    pub fn insert(&mut self, v: T) -> Result<usize> {
        if let Some(i) = self.free {
            if let Some(slot) = self.slot_mut(i) {
                if let Slot::Free(next) = *slot {
                    *slot = Slot::Used(v);
                    self.free = next;
                    self.len += 1;
                    return Ok(i);
                }
            }
            // A free list naming a used or missing slot cannot happen;
            // were it to, forget the list rather than overwrite an object.
            self.free = None;
        }
        let full = self.chunks.last().is_none_or(|c| c.len() == Self::PER_CHUNK);
        if full {
            // The chunk's room first, then its place: a failure of either
            // drops only the new chunk.
            let mut chunk = Vec::new();
            chunk.reserve(Self::PER_CHUNK).map_err(|_| ENOBUFS)?;
            self.chunks.push(chunk).map_err(|_| ENOBUFS)?;
        }
        let n = self.chunks.len() - 1;
        let chunk = self.chunks.get_mut(n).ok_or(ENOBUFS)?;
        let i = n * Self::PER_CHUNK + chunk.len();
        // Cannot fail: the chunk's room was reserved when it was made.
        chunk.push(Slot::Used(v)).map_err(|_| ENOBUFS)?;
        self.len += 1;
        Ok(i)
    }

    /// Takes the object out of slot `i`; never allocates.
    pub fn remove(&mut self, i: usize) -> Option<T> {
        let free = self.free;
        let slot = self.slot_mut(i)?;
        if let Slot::Free(_) = slot {
            return None;
        }
        let Slot::Used(v) = core::mem::replace(slot, Slot::Free(free)) else {
            return None;
        };
        self.free = Some(i);
        self.len -= 1;
        Some(v)
    }

    /// The object in slot `i`.
    pub fn get(&self, i: usize) -> Option<&T> {
        match self.slot(i)? {
            Slot::Used(v) => Some(v),
            Slot::Free(_) => None,
        }
    }

    /// The object in slot `i`, mutably.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        match self.slot_mut(i)? {
            Slot::Used(v) => Some(v),
            Slot::Free(_) => None,
        }
    }

    /// How many objects are stored.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every stored object with its index, in index order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.chunks.iter().flat_map(|c| c.iter()).enumerate().filter_map(|(i, s)| match s {
            Slot::Used(v) => Some((i, v)),
            Slot::Free(_) => None,
        })
    }

    /// Every value, mutably, with its index.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        self.chunks.iter_mut().flat_map(|c| c.iter_mut()).enumerate().filter_map(|(i, s)| match s {
            Slot::Used(v) => Some((i, v)),
            Slot::Free(_) => None,
        })
    }

    /// Slots per chunk, for tests of the layout.
    pub fn per_chunk(&self) -> usize {
        Self::PER_CHUNK
    }

    /// Chunks allocated so far.
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }
}
