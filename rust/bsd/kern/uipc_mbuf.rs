//! Memory buffers: mbufs and clusters (`sys/mbuf.h`, `kern/uipc_mbuf.c`;
//! book chapter 2).
//!
//! What follows the book, and where:
//! - sizes and types, `m_type`, `m_flags`, the packet header (2.3, 2.4):
//!   `MSIZE`/`MLEN`/`MHLEN`/`MINCLSIZE`/`MCLBYTES`, `MT_*`, `M_*`, `PktHdr`;
//! - `m_get`, `m_gethdr`, `m_getclr`, `MCLGET` (here `m_clget`), `m_free`,
//!   `m_freem`, `mtod`, `MCHTYPE` (`m_chtype`), `M_ALIGN`/`MH_ALIGN`
//!   (`Mbuf::m_align`), `M_LEADINGSPACE`/`M_TRAILINGSPACE`, `m_retry` and
//!   `m_reclaim` (2.5, 2.7);
//! - `m_devget` and `m_pullup` (2.6);
//! - `m_copym`/`m_copy`, `m_copydata`, `m_adj`, `m_cat`, `m_prepend`,
//!   `M_PREPEND` (2.7), cluster reference counts (2.9).
//!
//! What is different, and why:
//! - An `Mbuf` owns its mbuf and, through `m_next`, the rest of the chain:
//!   functions that free a chain take it by value, so a freed mbuf cannot
//!   be used again. There is no `m_nextpkt`: queues of packets keep their
//!   chains in containers of their own.
//! - No global state. The counters (`mbstat`), the limits (`nmbufs`,
//!   `nmbclusters`) and `max_protohdr` live in an `MbufPool` that the
//!   stack owns (`Stack::mbpool`) and every allocating or freeing function
//!   takes. Free with `m_free`/`m_freem`: a chain that is simply dropped
//!   returns its memory but stays counted in `mbstat`, as a leak would.
//! - Failures are `Err(ENOBUFS)` (the book returns a null pointer). The
//!   functions that free the chain on failure in the book (`m_pullup`,
//!   `m_prepend`, `M_PREPEND`) take it by value and free it here too.
//! - Clusters are `SharedBuf`s: `m_copym` shares them (the reference count
//!   is the book's `mclrefcnt`), and only the sole owner may write one.
//!   `mtod_mut` answers `None` for a shared cluster, `m_writable` copies
//!   it first, and leading/trailing space of a shared cluster is 0, so no
//!   write through one chain shows in another.
//! - `m_reclaim` cannot call the protocols' `pr_drain` from inside the pool
//!   (the protocols' state is elsewhere in the stack), so it is split: see
//!   `MbufPool::m_reclaim`.
//! - The pool keeps freed mbufs and clusters for reuse, as the book's
//!   `mfree` and `mclfree` lists do, but only up to `MFREE_MAX` and
//!   `MCLFREE_MAX`, and gives them back to the kernel in `m_reclaim`.
//!   Reused storage is zeroed again, so it holds nothing of an old packet.
//! - No `M_WAIT`/`M_DONTWAIT`: every allocation is the same kind.
//! - Data offsets are indices into the mbuf's own storage, checked on every
//!   access: nothing here can panic on a bad length, it answers EINVAL.

use core::cmp::{max, min};
use core::fmt;

use crate::bsd::sys::errno::{Errno, Result, EINVAL, ENOBUFS};
use crate::platform::{Box, SharedBuf, Vec};

/// Size of a cluster (`MCLBYTES`). Defined beside the socket buffers,
/// which came first; this is its home in the book.
pub use crate::bsd::kern::uipc_socket2::MCLBYTES;

/// Size of an mbuf in the book (`MSIZE`), for accounting such as
/// `sb_mbcnt`; an `Mbuf` here is not exactly this size.
pub const MSIZE: usize = 128;
/// Data in a normal mbuf (`MLEN`: `MSIZE` less the 20-byte `m_hdr`).
pub const MLEN: usize = 108;
/// Data in a packet-header mbuf (`MHLEN`: `MLEN` less the 8-byte pkthdr).
pub const MHLEN: usize = 100;
/// Smallest amount of data to put in a cluster (`MINCLSIZE`): less fits
/// in two mbufs.
pub const MINCLSIZE: usize = MHLEN + MLEN;
/// Freed mbufs the pool keeps for reuse (the book's `mfree` list, which
/// never shrinks). Reuse matters: an allocation costs far more than a
/// copy of its bytes under KASAN and kmemleak.
pub const MFREE_MAX: usize = 256;
/// Freed clusters the pool keeps for reuse (`mclfree`).
pub const MCLFREE_MAX: usize = 64;
/// `m_copym`'s length meaning "to the end of the chain".
pub const M_COPYALL: usize = usize::MAX;

/// The type of an mbuf's data (`m_type`). Only the `MT_*` values exist.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mtype(u8);

impl Mtype {
    /// The index into `Mbstat::m_mtypes`.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The book's type of a free mbuf; freed mbufs here are gone, so nothing
/// uses it (kept for `netstat -m`'s table).
pub const MT_FREE: Mtype = Mtype(0);
/// Dynamic data allocation.
pub const MT_DATA: Mtype = Mtype(1);
/// Packet header.
pub const MT_HEADER: Mtype = Mtype(2);
/// Socket structure.
pub const MT_SOCKET: Mtype = Mtype(3);
/// Protocol control block.
pub const MT_PCB: Mtype = Mtype(4);
/// Routing tables.
pub const MT_RTABLE: Mtype = Mtype(5);
/// IMP host tables.
pub const MT_HTABLE: Mtype = Mtype(6);
/// Address resolution tables.
pub const MT_ATABLE: Mtype = Mtype(7);
/// Socket name.
pub const MT_SONAME: Mtype = Mtype(8);
/// Socket options.
pub const MT_SOOPTS: Mtype = Mtype(10);
/// Fragment reassembly header.
pub const MT_FTABLE: Mtype = Mtype(11);
/// Access rights.
pub const MT_RIGHTS: Mtype = Mtype(12);
/// Interface address.
pub const MT_IFADDR: Mtype = Mtype(13);
/// Extra-data protocol message.
pub const MT_CONTROL: Mtype = Mtype(14);
/// Expedited data.
pub const MT_OOBDATA: Mtype = Mtype(15);
/// Number of mbuf types, the size of `m_mtypes`.
pub const MT_NTYPES: usize = 16;

/// `m_flags`: the mbuf has a cluster (set by `m_clget` only).
pub const M_EXT: u16 = 0x0001;
/// `m_flags`: the first mbuf of a packet, with `m_pkthdr` (set by
/// `m_gethdr` only).
pub const M_PKTHDR: u16 = 0x0002;
/// `m_flags`: end of record.
pub const M_EOR: u16 = 0x0004;
/// `m_flags`: sent or received as a link-level broadcast.
pub const M_BCAST: u16 = 0x0100;
/// `m_flags`: sent or received as a link-level multicast.
pub const M_MCAST: u16 = 0x0200;
/// The flags that a copy of a packet header carries (`M_COPYFLAGS`).
pub const M_COPYFLAGS: u16 = M_PKTHDR | M_EOR | M_BCAST | M_MCAST;
/// The flags that callers may set and clear themselves.
const M_USERFLAGS: u16 = M_EOR | M_BCAST | M_MCAST;

/// The packet header of a packet's first mbuf (`struct pkthdr`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct PktHdr {
    /// Bytes in the whole packet.
    pub len: usize,
    /// Index in `Stack::ifnet` of the interface it arrived on.
    pub rcvif: Option<usize>,
}

/// Mbuf statistics (`struct mbstat`, printed by `netstat -m`).
///
/// Freed mbufs and clusters go straight back to the kernel's allocator,
/// so "obtained from the page pool" (`m_mbufs`, `m_clusters`) and "in use"
/// are the same thing here, and there is no `m_clfree`.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Mbstat {
    /// Mbufs allocated now.
    pub m_mbufs: usize,
    /// Clusters allocated now (a shared cluster counts once).
    pub m_clusters: usize,
    /// Allocations that failed.
    pub m_drops: u64,
    /// Allocations that succeeded after the protocols were drained for
    /// them (the book's successful `m_retry`).
    pub m_wait: u64,
    /// Times the protocols were drained (`m_reclaim`).
    pub m_drain: u64,
    /// Mbufs allocated now, by type.
    pub m_mtypes: [usize; MT_NTYPES],
}

/// The mbuf allocator of one stack: statistics, limits and tunables.
pub struct MbufPool {
    pub mbstat: Mbstat,
    /// Most mbufs allocated at once; `usize::MAX` for no limit (the book's
    /// limit is the size of `mb_map`).
    pub nmbufs: usize,
    /// Most clusters allocated at once (`nmbclusters`); `usize::MAX` for no
    /// limit.
    pub nmbclusters: usize,
    /// Bytes `m_pullup` pulls up at least, so that the next protocol finds
    /// its header in place too (`max_protohdr`; `tcp_init` raises it to 40).
    pub max_protohdr: usize,
    /// `m_pullup` failures (the book's `MPFail`).
    pub mpfail: u64,
    /// `m_copym` failures (the book's `MCFail`).
    pub mcfail: u64,
    /// An allocation failed since the last `m_reclaim`.
    drain_wanted: bool,
    /// The protocols were drained and no allocation was tried since.
    drained: bool,
    /// Freed mbufs kept for reuse, each empty and unlinked (`mfree`).
    mfree: Vec<Mbuf>,
    /// Freed clusters kept for reuse, each with one owner (`mclfree`).
    mclfree: Vec<SharedBuf>,
}

impl Default for MbufPool {
    fn default() -> Self {
        MbufPool {
            mbstat: Mbstat::default(),
            nmbufs: usize::MAX,
            nmbclusters: usize::MAX,
            max_protohdr: 0,
            mpfail: 0,
            mcfail: 0,
            drain_wanted: false,
            drained: false,
            mfree: Vec::new(),
            mclfree: Vec::new(),
        }
    }
}

impl MbufPool {
    /// A pool with no limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// The book's `m_reclaim`, split in two. The book drains from inside a
    /// failing allocation (`m_retry`) and tries again; here the pool cannot
    /// reach the protocols, so a failed allocation fails (counting
    /// `m_drops`) and asks for a drain. The stack calls this at its next
    /// safe point: when a drain was asked for, it counts `m_drain` and
    /// returns true, and the caller then calls every protocol's `pr_drain`.
    /// The next allocation that succeeds counts `m_wait`, as the book's
    /// successful retry does.
    pub fn m_reclaim(&mut self) -> bool {
        if !self.drain_wanted {
            return false;
        }
        self.drain_wanted = false;
        self.drained = true;
        self.mfree = Vec::new();
        self.mclfree = Vec::new();
        self.mbstat.m_drain = self.mbstat.m_drain.wrapping_add(1);
        true
    }

    /// Counts a failed allocation and asks for a drain.
    fn failed(&mut self) -> Errno {
        self.mbstat.m_drops = self.mbstat.m_drops.wrapping_add(1);
        self.drain_wanted = true;
        self.drained = false;
        ENOBUFS
    }

    /// Counts a successful allocation after a drain (`m_wait`).
    fn succeeded(&mut self) {
        if self.drained {
            self.drained = false;
            self.mbstat.m_wait = self.mbstat.m_wait.wrapping_add(1);
        }
    }

    /// A new cluster, counted (the book's `MCLALLOC`).
    fn clalloc(&mut self, len: usize) -> Result<SharedBuf> {
        if self.mbstat.m_clusters >= self.nmbclusters {
            return Err(self.failed());
        }
        let reused = match self.mclfree.pop() {
            Some(mut c) if c.len() == len => {
                SharedBuf::get_mut(&mut c).map(|b| b.fill(0)).map(|_| c)
            }
            _ => None,
        };
        match reused.map_or_else(|| SharedBuf::new_zeroed(len), Ok) {
            Ok(c) => {
                self.mbstat.m_clusters = self.mbstat.m_clusters.saturating_add(1);
                self.succeeded();
                Ok(c)
            }
            Err(_) => Err(self.failed()),
        }
    }

    /// Gives up a reference to a cluster (the book's `MCLFREE`).
    fn clfree(&mut self, c: SharedBuf) {
        // The pool's caller holds the stack, and every handle to a cluster
        // lives in the stack: a count of 1 cannot grow meanwhile, so a
        // cluster kept on the free list is one nobody else holds.
        let kept = match SharedBuf::ref_count(&c) {
            1 => push_or_give_back(&mut self.mclfree, c, MCLFREE_MAX),
            _ => Err(c),
        };
        if kept.map_or_else(SharedBuf::release, |()| true) {
            self.mbstat.m_clusters = self.mbstat.m_clusters.saturating_sub(1);
        }
    }
}

/// One mbuf (`struct mbuf`): its header and its storage.
struct Node {
    next: Option<Mbuf>,
    ty: Mtype,
    flags: u16,
    /// Offset of the first byte of data in the storage (`m_data`).
    data: usize,
    len: usize,
    /// Valid when `flags` has M_PKTHDR.
    pkthdr: PktHdr,
    /// Internal storage (`m_dat`); unused when there is a cluster.
    dat: [u8; MLEN],
    /// The cluster, when `flags` has M_EXT.
    ext: Option<SharedBuf>,
}

impl Node {
    /// Size of the storage in use: `MHLEN` bytes of `m_dat` in a packet
    /// header mbuf, as the book's `m_pktdat`, `MLEN` in others. Invariant:
    /// `data + len <= cap()`.
    fn cap(&self) -> usize {
        match &self.ext {
            Some(c) => c.len(),
            None if self.flags & M_PKTHDR != 0 => MHLEN,
            None => MLEN,
        }
    }

    fn buf(&self) -> &[u8] {
        match &self.ext {
            Some(c) => c,
            None => self.dat.get(..self.cap()).unwrap_or(&[]),
        }
    }

    /// The storage, writable, unless it is a shared cluster.
    fn buf_mut(&mut self) -> Option<&mut [u8]> {
        let cap = self.cap();
        match &mut self.ext {
            Some(c) => SharedBuf::get_mut(c),
            None => self.dat.get_mut(..cap),
        }
    }

    /// Whether the storage may be written: not a shared cluster.
    fn writable(&self) -> bool {
        self.ext.as_ref().is_none_or(|c| SharedBuf::ref_count(c) == 1)
    }

    fn end(&self) -> usize {
        self.data.saturating_add(self.len)
    }
}

/// An mbuf, owning the rest of its chain (`struct mbuf *`).
pub struct Mbuf(Box<Node>);

impl Drop for Mbuf {
    fn drop(&mut self) {
        // Unlink one by one, so that a long chain does not recurse once
        // per mbuf on the kernel's small stack.
        let mut next = self.0.next.take();
        while let Some(mut m) = next {
            next = m.0.next.take();
        }
    }
}

/// Copies what fits of `src` to the start of `dst`; returns the count.
fn copy_in(dst: &mut [u8], src: &[u8]) -> usize {
    let n = min(dst.len(), src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

impl Mbuf {
    /// The data type (`m_type`).
    pub fn m_type(&self) -> Mtype {
        self.0.ty
    }

    /// The flags (`m_flags`).
    pub fn m_flags(&self) -> u16 {
        self.0.flags
    }

    /// Sets flags; only M_EOR, M_BCAST and M_MCAST are the caller's to
    /// set, others are ignored.
    pub fn set_flags(&mut self, flags: u16) {
        self.0.flags |= flags & M_USERFLAGS;
    }

    /// Clears flags; only M_EOR, M_BCAST and M_MCAST, as `set_flags`.
    pub fn clear_flags(&mut self, flags: u16) {
        self.0.flags &= !(flags & M_USERFLAGS);
    }

    /// Bytes of data in this mbuf (`m_len`).
    pub fn m_len(&self) -> usize {
        self.0.len
    }

    /// The next mbuf of the chain (`m_next`).
    pub fn m_next(&self) -> Option<&Mbuf> {
        self.0.next.as_ref()
    }

    /// The next mbuf of the chain, mutably.
    pub fn m_next_mut(&mut self) -> Option<&mut Mbuf> {
        self.0.next.as_mut()
    }

    /// Unlinks the rest of the chain and returns it.
    pub fn take_next(&mut self) -> Option<Mbuf> {
        self.0.next.take()
    }

    /// Links `n` after this mbuf, returning what was linked there before
    /// (for the caller to link elsewhere or free). The packet header stays
    /// as it is: this is the book's `m->m_next = n`.
    pub fn set_next(&mut self, n: Option<Mbuf>) -> Option<Mbuf> {
        core::mem::replace(&mut self.0.next, n)
    }

    /// The packet header, in a packet header mbuf (`m_pkthdr`).
    pub fn m_pkthdr(&self) -> Option<&PktHdr> {
        (self.0.flags & M_PKTHDR != 0).then_some(&self.0.pkthdr)
    }

    /// The packet header, mutably.
    pub fn m_pkthdr_mut(&mut self) -> Option<&mut PktHdr> {
        (self.0.flags & M_PKTHDR != 0).then_some(&mut self.0.pkthdr)
    }

    fn is_pkthdr(&self) -> bool {
        self.0.flags & M_PKTHDR != 0
    }

    fn is_ext(&self) -> bool {
        self.0.ext.is_some()
    }

    /// This mbuf's data (`mtod`).
    pub fn mtod(&self) -> &[u8] {
        let (start, end) = (self.0.data, self.0.end());
        self.0.buf().get(start..end).unwrap_or(&[])
    }

    /// This mbuf's data, writable; `None` when it is in a cluster that
    /// another mbuf shares (see `m_writable`).
    pub fn mtod_mut(&mut self) -> Option<&mut [u8]> {
        let (start, end) = (self.0.data, self.0.end());
        self.0.buf_mut()?.get_mut(start..end)
    }

    /// Room before the data (`M_LEADINGSPACE`); 0 in a shared cluster.
    pub fn m_leadingspace(&self) -> usize {
        if self.0.writable() {
            self.0.data
        } else {
            0
        }
    }

    /// Room after the data (`M_TRAILINGSPACE`); 0 in a shared cluster.
    pub fn m_trailingspace(&self) -> usize {
        if self.0.writable() {
            self.0.cap().saturating_sub(self.0.end())
        } else {
            0
        }
    }

    /// Sets `m_len`. Shrinking always works; growing takes trailing space,
    /// and fails with EINVAL beyond it. The bytes gained are whatever the
    /// storage held (zeros in a new mbuf).
    pub fn set_len(&mut self, len: usize) -> Result {
        let grow = len.saturating_sub(self.0.len);
        if grow > self.m_trailingspace() {
            return Err(EINVAL);
        }
        self.0.len = len;
        Ok(())
    }

    /// Places an empty mbuf's data at the end of its storage, leaving room
    /// to prepend headers later (`M_ALIGN`, `MH_ALIGN`): for `len` bytes,
    /// 4-byte aligned as the book aligns to its `long`. EINVAL when the
    /// mbuf has data or `len` does not fit.
    pub fn m_align(&mut self, len: usize) -> Result {
        let cap = self.0.cap();
        if self.0.len != 0 || len > cap {
            return Err(EINVAL);
        }
        self.0.data = cap.saturating_sub(len) & !3;
        Ok(())
    }

    /// Copies what fits of `src` into the trailing space; returns the
    /// count.
    fn append(&mut self, src: &[u8]) -> usize {
        let n = min(src.len(), self.m_trailingspace());
        let (start, end) = (self.0.end(), self.0.end().saturating_add(n));
        let copied = match self.0.buf_mut().and_then(|b| b.get_mut(start..end)) {
            Some(dst) => copy_in(dst, src),
            None => 0,
        };
        self.0.len = self.0.len.saturating_add(copied);
        copied
    }

    /// References to this mbuf's cluster (the book's `mclrefcnt`), or
    /// `None` without one.
    pub fn mclrefcnt(&self) -> Option<usize> {
        self.0.ext.as_ref().map(SharedBuf::ref_count)
    }

    /// Whether this mbuf and `other` use the same cluster.
    pub fn shares_cluster(&self, other: &Mbuf) -> bool {
        match (&self.0.ext, &other.0.ext) {
            (Some(a), Some(b)) => SharedBuf::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The mbufs of the chain, this one first.
    pub fn iter(&self) -> MbufIter<'_> {
        MbufIter { next: Some(self) }
    }

    /// The data of every mbuf of the chain, in order (empty mbufs give
    /// empty slices).
    pub fn segments(&self) -> impl Iterator<Item = &[u8]> {
        self.iter().map(Mbuf::mtod)
    }

    /// The data of bytes `off..off + len` of the chain, in pieces (what a
    /// checksum over part of a packet walks); stops at the chain's end.
    pub fn segments_range(&self, off: usize, len: usize) -> impl Iterator<Item = &[u8]> {
        let mut skip = off;
        let mut left = len;
        self.segments().filter_map(move |d| {
            let from = skip.min(d.len());
            skip -= from;
            let n = left.min(d.len() - from);
            left -= n;
            (n > 0).then(|| &d[from..from + n])
        })
    }

    /// Bytes in the whole chain (the sum of `m_len`; FreeBSD's
    /// `m_length`).
    pub fn m_length(&self) -> usize {
        self.iter().fold(0, |n, m| n.saturating_add(m.m_len()))
    }

    /// The last mbuf of the chain; always `Some` (the `Option` only lets
    /// the borrow checker see the walk through).
    fn last_mut(&mut self) -> Option<&mut Mbuf> {
        let mut m = self;
        while m.0.next.is_some() {
            m = m.0.next.as_mut()?;
        }
        Some(m)
    }
}

impl fmt::Debug for Mbuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Lens<'a>(&'a Mbuf);
        impl fmt::Debug for Lens<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.iter().map(Mbuf::m_len)).finish()
            }
        }
        f.debug_struct("Mbuf")
            .field("m_type", &self.0.ty)
            .field("m_flags", &self.0.flags)
            .field("m_pkthdr", &self.m_pkthdr())
            .field("m_lens", &Lens(self))
            .finish()
    }
}

/// The mbufs of a chain (`Mbuf::iter`).
pub struct MbufIter<'a> {
    next: Option<&'a Mbuf>,
}

impl<'a> Iterator for MbufIter<'a> {
    type Item = &'a Mbuf;
    fn next(&mut self) -> Option<&'a Mbuf> {
        let m = self.next?;
        self.next = m.m_next();
        Some(m)
    }
}

/// A new mbuf with `flags` (0 or M_PKTHDR), counted (`MGET`, with the
/// book's `m_retry` as described at `MbufPool::m_reclaim`).
fn mget(mp: &mut MbufPool, ty: Mtype, flags: u16) -> Result<Mbuf> {
    if mp.mbstat.m_mbufs >= mp.nmbufs {
        return Err(mp.failed());
    }
    let node = Node {
        next: None,
        ty,
        flags,
        data: 0,
        len: 0,
        pkthdr: PktHdr::default(),
        dat: [0; MLEN],
        ext: None,
    };
    let m = match mp.mfree.pop() {
        Some(mut m) => {
            *m.0 = node;
            m
        }
        None => match Box::new(node) {
            Ok(b) => Mbuf(b),
            Err(_) => return Err(mp.failed()),
        },
    };
    let st = &mut mp.mbstat;
    st.m_mbufs = st.m_mbufs.saturating_add(1);
    if let Some(n) = st.m_mtypes.get_mut(ty.index()) {
        *n = n.saturating_add(1);
    }
    mp.succeeded();
    Ok(m)
}

/// A new mbuf of type `ty` (`m_get`, `MGET`): `MLEN` bytes of room.
pub fn m_get(mp: &mut MbufPool, ty: Mtype) -> Result<Mbuf> {
    mget(mp, ty, 0)
}

/// A new packet header mbuf (`m_gethdr`, `MGETHDR`): `MHLEN` bytes of
/// room, `m_pkthdr` zeroed.
pub fn m_gethdr(mp: &mut MbufPool, ty: Mtype) -> Result<Mbuf> {
    mget(mp, ty, M_PKTHDR)
}

/// A new mbuf whose storage is zeroed (`m_getclr`). Every new mbuf is
/// zeroed here, so this is `m_get`.
pub fn m_getclr(mp: &mut MbufPool, ty: Mtype) -> Result<Mbuf> {
    mget(mp, ty, 0)
}

/// Gives `m` a cluster (`MCLGET`). Unlike the book, which leaves an mbuf
/// without M_EXT for the caller to test, a failure is ENOBUFS (counted in
/// `m_drops`). Data already in the mbuf moves into the cluster. An mbuf
/// that already has a cluster keeps it.
pub fn m_clget(mp: &mut MbufPool, m: &mut Mbuf) -> Result {
    if m.is_ext() {
        return Ok(());
    }
    let mut c = mp.clalloc(MCLBYTES)?;
    if let Some(dst) = SharedBuf::get_mut(&mut c) {
        copy_in(dst, m.mtod());
    }
    m.0.ext = Some(c);
    m.0.data = 0;
    m.0.flags |= M_EXT;
    Ok(())
}

/// Frees one mbuf and returns the rest of its chain (`m_free`, `MFREE`);
/// a cluster is freed with its last reference.
pub fn m_free(mp: &mut MbufPool, mut m: Mbuf) -> Option<Mbuf> {
    let next = m.0.next.take();
    let st = &mut mp.mbstat;
    st.m_mbufs = st.m_mbufs.saturating_sub(1);
    if let Some(n) = st.m_mtypes.get_mut(m.0.ty.index()) {
        *n = n.saturating_sub(1);
    }
    if let Some(c) = m.0.ext.take() {
        mp.clfree(c);
    }
    // Dropped when the list is full: freed either way.
    let _ = push_or_give_back(&mut mp.mfree, m, MFREE_MAX);
    next
}

/// Pushes `v` on a free list, reserving its whole room at the first push
/// so that later pushes do not allocate; gives `v` back when there is no
/// room.
fn push_or_give_back<T>(list: &mut Vec<T>, v: T, max: usize) -> core::result::Result<(), T> {
    if list.len() >= max || (list.is_empty() && list.reserve(max).is_err()) {
        return Err(v);
    }
    // The room is reserved: this push does not allocate, so cannot fail.
    let _ = list.push(v);
    Ok(())
}

/// Links `n` after the last mbuf of `chain`, or makes it the chain (the
/// book's `*mp = n; mp = &n->m_next` for lists such as control messages,
/// which, unlike `m_cat`, keeps every mbuf as it is).
pub fn m_link(chain: &mut Option<Mbuf>, n: Mbuf) {
    match chain.as_mut().and_then(Mbuf::last_mut) {
        Some(last) => last.0.next = Some(n),
        None => *chain = Some(n),
    }
}

/// Frees a whole chain (`m_freem`).
pub fn m_freem(mp: &mut MbufPool, m: Mbuf) {
    let mut next = Some(m);
    while let Some(m) = next {
        next = m_free(mp, m);
    }
}

/// Changes an mbuf's type, keeping `m_mtypes` right (`MCHTYPE`).
pub fn m_chtype(mp: &mut MbufPool, m: &mut Mbuf, ty: Mtype) {
    let types = &mut mp.mbstat.m_mtypes;
    if let Some(n) = types.get_mut(m.0.ty.index()) {
        *n = n.saturating_sub(1);
    }
    if let Some(n) = types.get_mut(ty.index()) {
        *n = n.saturating_add(1);
    }
    m.0.ty = ty;
}

/// Makes `to`, a new packet header mbuf, carry `from`'s header
/// (`M_COPY_PKTHDR`).
fn copy_pkthdr(to: &mut Mbuf, from: &Mbuf) {
    to.0.pkthdr = from.0.pkthdr;
    to.0.flags = (to.0.flags & M_EXT) | (from.0.flags & M_COPYFLAGS) | M_PKTHDR;
}

/// `m`'s data, writable, copying a shared cluster first (copy on write:
/// the copy is a new cluster with the data at the same offset, so leading
/// and trailing space stay). ENOBUFS when no cluster is to be had.
pub fn m_writable<'a>(mp: &mut MbufPool, m: &'a mut Mbuf) -> Result<&'a mut [u8]> {
    if !m.0.writable() {
        let mut c = mp.clalloc(m.0.cap())?;
        let (start, end) = (m.0.data, m.0.end());
        if let Some(dst) = SharedBuf::get_mut(&mut c).and_then(|b| b.get_mut(start..end)) {
            copy_in(dst, m.mtod());
        }
        if let Some(old) = m.0.ext.replace(c) {
            mp.clfree(old);
        }
    }
    m.mtod_mut().ok_or(ENOBUFS)
}

/// Fills `m`, new and empty, with the start of `src` for `m_devget`:
/// a cluster when there is at least `MINCLSIZE` to copy, else the mbuf
/// itself. `off` bytes are left in front in a cluster, or in the mbuf when
/// all of `src` still fits. Returns the bytes copied.
fn devget_fill(mp: &mut MbufPool, m: &mut Mbuf, src: &[u8], off: usize) -> usize {
    // A cluster that cannot be had is no failure: the book falls back to
    // the mbuf's own storage.
    let clustered = src.len() >= MINCLSIZE && m_clget(mp, m).is_ok();
    if clustered || src.len().saturating_add(off) <= m.0.cap() {
        m.0.data = off;
    }
    m.append(src)
}

/// Copies `buf`, a packet from a device, into a new chain (`m_devget`):
/// a packet header (`m_pkthdr.len`, `rcvif`) and then mbufs or clusters.
/// `off` bytes are left in front of the data for headers to be
/// prepended (the book's `max_linkhdr`, at most `MHLEN`, else EINVAL).
/// ENOBUFS when memory runs out (nothing is left allocated).
pub fn m_devget(mp: &mut MbufPool, buf: &[u8], off: usize, rcvif: Option<usize>) -> Result<Mbuf> {
    if off > MHLEN {
        return Err(EINVAL);
    }
    let mut top = m_gethdr(mp, MT_DATA)?;
    top.0.pkthdr = PktHdr { len: buf.len(), rcvif };
    let k = devget_fill(mp, &mut top, buf, off);
    let mut rest = buf.get(k..).unwrap_or(&[]);
    let mut tail = &mut top.0.next;
    while !rest.is_empty() {
        let mut m = match m_get(mp, MT_DATA) {
            Ok(m) => m,
            Err(e) => {
                m_freem(mp, top);
                return Err(e);
            }
        };
        let k = devget_fill(mp, &mut m, rest, 0);
        rest = rest.get(k..).unwrap_or(&[]);
        tail = &mut tail.insert(m).0.next;
        if k == 0 {
            // Cannot happen (an empty mbuf has room); but never loop.
            m_freem(mp, top);
            return Err(EINVAL);
        }
    }
    Ok(top)
}

/// Makes the first `len` bytes of the chain contiguous in its first mbuf
/// (`m_pullup`), so that a protocol can read its header with `mtod`.
///
/// Returns the chain, with a new first mbuf if needed; at least
/// `max(len, max_protohdr)` bytes are pulled up when there are that many.
/// A chain whose first mbuf already holds `len` bytes comes back as it is.
/// On failure the chain is freed, as in the book, and `mpfail` counted:
/// EINVAL when `len` is more than `MHLEN` or than the chain holds, ENOBUFS
/// when memory runs out.
pub fn m_pullup(mp: &mut MbufPool, n: Mbuf, len: usize) -> Result<Mbuf> {
    if n.m_len() >= len {
        return Ok(n);
    }
    let mut n = n;
    let (mut m, mut rest, mut need);
    if !n.is_ext() && n.0.data.saturating_add(len) <= n.0.cap() && n.0.next.is_some() {
        // The first mbuf has room without moving its data: pull into it.
        need = len.saturating_sub(n.m_len());
        rest = n.0.next.take();
        m = n;
    } else {
        let new = if len > MHLEN {
            Err(EINVAL)
        } else if n.is_pkthdr() {
            m_gethdr(mp, n.m_type())
        } else {
            m_get(mp, n.m_type())
        };
        m = match new {
            Ok(m) => m,
            Err(e) => {
                m_freem(mp, n);
                mp.mpfail = mp.mpfail.wrapping_add(1);
                return Err(e);
            }
        };
        if n.is_pkthdr() {
            copy_pkthdr(&mut m, &n);
            n.0.flags &= !M_PKTHDR;
        }
        need = len;
        rest = Some(n);
    }
    while need > 0 {
        let mut s = match rest.take() {
            Some(s) => s,
            None => break,
        };
        let want = min(max(need, mp.max_protohdr), s.m_len());
        let count = m.append(s.mtod().get(..want).unwrap_or(&[]));
        need = need.saturating_sub(count);
        s.0.data = s.0.data.saturating_add(count);
        s.0.len = s.0.len.saturating_sub(count);
        if s.m_len() == 0 {
            rest = m_free(mp, s);
        } else {
            rest = Some(s);
            if count == 0 {
                break; // No room left: cannot happen, but never loop.
            }
        }
    }
    if need > 0 {
        m_freem(mp, m);
        if let Some(r) = rest {
            m_freem(mp, r);
        }
        mp.mpfail = mp.mpfail.wrapping_add(1);
        return Err(EINVAL);
    }
    m.0.next = rest;
    Ok(m)
}

/// Fills `n`, new and empty, with up to `max` bytes of `s`'s data from
/// `soff` for `m_copym`: a cluster is shared, other data copied. Returns
/// the bytes taken.
fn copy_piece(n: &mut Mbuf, s: &Mbuf, soff: usize, max: usize) -> usize {
    let avail = min(s.m_len().saturating_sub(soff), max);
    match &s.0.ext {
        Some(c) => {
            n.0.ext = Some(c.clone());
            n.0.flags |= M_EXT;
            n.0.data = s.0.data.saturating_add(soff);
            n.0.len = avail;
            avail
        }
        None => {
            let src = s.mtod().get(soff..).unwrap_or(&[]);
            n.append(src.get(..avail).unwrap_or(&[]))
        }
    }
}

/// Copies `len` bytes of the chain from offset `off` into a new chain
/// (`m_copym`); `len` may be `M_COPYALL`. Clusters are shared, not copied
/// (book 2.9); other data is copied. When `off` is 0 the copy gets the
/// packet header, its `len` set to the bytes copied. EINVAL when the
/// chain is too short (the book panics), ENOBUFS when memory runs out
/// (`mcfail` counted).
pub fn m_copym(mp: &mut MbufPool, m: &Mbuf, off: usize, len: usize) -> Result<Mbuf> {
    let avail = m.m_length().checked_sub(off).ok_or(EINVAL)?;
    let len = if len == M_COPYALL {
        avail
    } else if len <= avail {
        len
    } else {
        return Err(EINVAL);
    };
    let copyhdr = off == 0 && m.is_pkthdr();
    // Skip to the mbuf holding byte `off`.
    let mut src = Some(m);
    let mut soff = off;
    while let Some(s) = src {
        if soff < s.m_len() {
            break;
        }
        soff -= s.m_len();
        src = s.m_next();
    }
    let ty = src.map_or(m.m_type(), Mbuf::m_type);
    let top = if copyhdr { m_gethdr(mp, ty) } else { m_get(mp, ty) };
    let mut top = match top {
        Ok(t) => t,
        Err(e) => {
            mp.mcfail = mp.mcfail.wrapping_add(1);
            return Err(e);
        }
    };
    if copyhdr {
        copy_pkthdr(&mut top, m);
    }
    let mut left = len;
    let mut tail = &mut top;
    let mut filled = false;
    while left > 0 {
        let s = match src {
            Some(s) => s,
            None => break,
        };
        if soff >= s.m_len() {
            src = s.m_next();
            soff = 0;
            continue;
        }
        if filled {
            let n = match m_get(mp, s.m_type()) {
                Ok(n) => n,
                Err(e) => {
                    m_freem(mp, top);
                    mp.mcfail = mp.mcfail.wrapping_add(1);
                    return Err(e);
                }
            };
            tail = tail.0.next.insert(n);
        }
        filled = true;
        let k = copy_piece(tail, s, soff, left);
        if k == 0 {
            break; // Cannot happen (a new mbuf has room); never loop.
        }
        soff = soff.saturating_add(k);
        left = left.saturating_sub(k);
    }
    if copyhdr {
        top.0.pkthdr.len = len.saturating_sub(left);
    }
    Ok(top)
}

/// `m_copym` by its older name (`m_copy`).
pub fn m_copy(mp: &mut MbufPool, m: &Mbuf, off: usize, len: usize) -> Result<Mbuf> {
    m_copym(mp, m, off, len)
}

/// Copies `dst.len()` bytes of the chain from offset `off` into `dst`
/// (`m_copydata`). EINVAL, with nothing copied, when the chain is too
/// short (the book panics).
pub fn m_copydata(m: &Mbuf, off: usize, dst: &mut [u8]) -> Result {
    let avail = m.m_length().checked_sub(off).ok_or(EINVAL)?;
    if dst.len() > avail {
        return Err(EINVAL);
    }
    let mut skip = off;
    let mut out = dst;
    for seg in m.segments() {
        if out.is_empty() {
            break;
        }
        if skip >= seg.len() {
            skip -= seg.len();
            continue;
        }
        let k = copy_in(out, seg.get(skip..).unwrap_or(&[]));
        skip = 0;
        out = core::mem::take(&mut out).get_mut(k..).unwrap_or_default();
    }
    Ok(())
}

/// Trims `req_len` bytes from the head of the chain when positive, from
/// its tail when negative (`m_adj`); all of it when the chain is shorter.
/// As in the book, emptied mbufs stay in the chain with `m_len` 0, and
/// `m_pkthdr.len` drops by the bytes trimmed.
pub fn m_adj(m0: &mut Mbuf, req_len: isize) {
    let want = req_len.unsigned_abs();
    let trimmed;
    if req_len >= 0 {
        let mut len = want;
        let mut cur = Some(&mut *m0);
        while let Some(m) = cur {
            if len == 0 {
                break;
            }
            if m.0.len <= len {
                len -= m.0.len;
                m.0.len = 0;
                cur = m.0.next.as_mut();
            } else {
                m.0.data = m.0.data.saturating_add(len);
                m.0.len -= len;
                len = 0;
                break;
            }
        }
        trimmed = want - len;
    } else {
        let total = m0.m_length();
        trimmed = min(want, total);
        let mut keep = total - trimmed;
        let mut cur = Some(&mut *m0);
        while let Some(m) = cur {
            if m.0.len >= keep {
                m.0.len = keep;
                keep = 0;
            } else {
                keep -= m.0.len;
            }
            cur = m.0.next.as_mut();
        }
    }
    if let Some(h) = m0.m_pkthdr_mut() {
        h.len = h.len.saturating_sub(trimmed);
    }
}

/// Appends chain `n` to chain `m` (`m_cat`). As in the book, data that
/// fits in the last mbuf of `m` (not a cluster) is copied there and its
/// mbuf freed; the rest is linked. Unlike the book, `m`'s `m_pkthdr.len`
/// grows by `n`'s length, and `n` loses its packet header.
pub fn m_cat(mp: &mut MbufPool, m: &mut Mbuf, n: Mbuf) {
    let added = n.m_length();
    if let Some(h) = m.m_pkthdr_mut() {
        h.len = h.len.saturating_add(added);
    }
    let last = match m.last_mut() {
        Some(last) => last,
        None => return m_freem(mp, n),
    };
    let mut rest = Some(n);
    while let Some(mut n) = rest {
        if last.is_ext() || n.m_len() > last.m_trailingspace() {
            n.0.flags &= !M_PKTHDR;
            last.0.next = Some(n);
            return;
        }
        last.append(n.mtod());
        rest = m_free(mp, n);
    }
}

/// Puts a new mbuf with `len` bytes of data in front of the chain
/// (`m_prepend`), moving the packet header to it; the data is placed at
/// the end of the new mbuf for more prepends, and its bytes are zero. As
/// in the book, `m_pkthdr.len` stays (`M_PREPEND` adds to it). On failure
/// the chain is freed, as in the book: ENOBUFS, or EINVAL when `len` does
/// not fit in one mbuf.
pub fn m_prepend(mp: &mut MbufPool, m: Mbuf, len: usize) -> Result<Mbuf> {
    let hdr = m.is_pkthdr();
    let new = if len > if hdr { MHLEN } else { MLEN } {
        Err(EINVAL)
    } else if hdr {
        m_gethdr(mp, m.m_type())
    } else {
        m_get(mp, m.m_type())
    };
    let mut mn = match new {
        Ok(n) => n,
        Err(e) => {
            m_freem(mp, m);
            return Err(e);
        }
    };
    let mut m = m;
    if hdr {
        copy_pkthdr(&mut mn, &m);
        m.0.flags &= !M_PKTHDR;
    }
    mn.0.next = Some(m);
    // Cannot fail: the mbuf is empty and `len` fits.
    let _ = mn.m_align(len);
    mn.0.len = len;
    Ok(mn)
}

/// Makes room for `plen` bytes in front of the chain (`M_PREPEND`): in
/// the first mbuf's leading space when there is enough, else in a new
/// mbuf (`m_prepend`); `m_pkthdr.len` grows by `plen`. The first `plen`
/// bytes of the first mbuf are then the caller's to write: when `plen` is
/// not 0, `mtod_mut` succeeds on it (leading space is never taken from a
/// shared cluster). On failure the chain is freed, as in `m_prepend`.
#[allow(non_snake_case)]
pub fn M_PREPEND(mp: &mut MbufPool, m: Mbuf, plen: usize) -> Result<Mbuf> {
    let mut m = m;
    if m.m_leadingspace() >= plen {
        m.0.data -= plen;
        m.0.len = m.0.len.saturating_add(plen);
    } else {
        m = m_prepend(mp, m, plen)?;
    }
    if let Some(h) = m.m_pkthdr_mut() {
        h.len = h.len.saturating_add(plen);
    }
    Ok(m)
}
