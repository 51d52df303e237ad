//! The BSD packet filter (`net/bpf.c`, `net/bpf.h`, `net/bpfdesc.h`;
//! book chapter 31).
//!
//! Each interface has a `BpfIf` (`bpfattach`, section 31.3) holding its
//! data-link type, the length of the link header that BPF sees and the
//! descriptors that listen to it. A descriptor (`BpfD`, `struct bpf_d`,
//! section 31.4) is one open of the capture device: it is attached to one
//! interface (`BIOCSETIF`), runs its filter (`bpf_filter.rs`) on every
//! packet the interface's taps (`bpf_tap`, `bpf_mtap`) show it, and
//! copies the packets it accepts into its store buffer (`catchpacket`,
//! section 31.5) as `bpf_hdr` records. A full store buffer becomes the
//! hold buffer, which `read` hands out whole (`bpfread`, section 31.5); the free
//! buffer is the one the next store buffer will be. With all three in use
//! a packet is dropped and counted (`bd_dcount`).
//!
//! Where bsdinet differs:
//! - Descriptors live in the namespace's `Stack` (`Bpf::bpf_dtab`), as
//!   everything else does, found by index; the platform's character
//!   device keeps the index of each open.
//! - `read` takes the hold buffer out of the descriptor under the stack
//!   lock (`bd_hbuf_lent` keeps its place, as the book's `bd_hbuf` stays
//!   set across its `uiomove` at a lower priority), copies it to the user
//!   with the lock dropped and gives it back (`bpf_read_done`).
//! - Sleeping, the read timeout and non-blocking mode are the
//!   platform's: `bpf_read_take` says whether to sleep.
//! - An interface can go away (a Linux device removed or unhooked, a
//!   SLIP line closed): `bpfdetach` (FreeBSD's) ends its descriptors'
//!   capture, waking their readers, who get ENXIO once their buffers are
//!   empty.
//! - `BIOCPROMISC` on a hooked Linux device is done by the platform
//!   (`dev_set_promiscuity`), which undoes it at close.

use crate::bsd::kern::uipc_mbuf::{m_devget, Mbuf};
use crate::bsd::net::bpf_filter::*;
use crate::bsd::net::if_::{if_enqueue, if_output, IfKind, IFF_UP};
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::slab::Slab;
use crate::bsd::sys::sockio::{ifr_name, IFNAMSIZ, IFREQ_LEN};
use crate::platform::{SharedBuf, Vec};

/// Data-link types (`DLT_*`, `net/bpf.h`): what the link header that
/// BPF shows looks like.
/// No link header: a 4-byte address family in host order (lo0, tun).
pub const DLT_NULL: u32 = 0;
/// Ethernet.
pub const DLT_EN10MB: u32 = 1;
/// SLIP: a 16-byte header, direction then the (compressed) link header.
pub const DLT_SLIP: u32 = 8;

/// Bytes of the header `DLT_NULL` interfaces show: the address family.
pub const NULL_HDRLEN: usize = 4;
/// The BSD address family of IPv4 in a `DLT_NULL` header (`AF_INET`).
pub const DLT_NULL_AF_INET: u32 = 2;
/// SLIP's BPF header (`SLIP_HDRLEN`, `SLX_DIR`, `SLX_CHDR`, `CHDR_LEN`).
pub const SLIP_HDRLEN: usize = 16;
pub const SLX_DIR: usize = 0;
pub const SLX_CHDR: usize = 1;
pub const CHDR_LEN: usize = 15;
/// SLIP directions (`SLIPDIR_IN`, `SLIPDIR_OUT`).
pub const SLIPDIR_IN: u8 = 0;
pub const SLIPDIR_OUT: u8 = 1;

/// Record alignment (`BPF_ALIGNMENT`: the book's `sizeof(long)` on the
/// i386, 4; every field of `bpf_hdr` is at most 4 bytes wide).
pub const BPF_ALIGNMENT: usize = 4;

/// Rounds `x` up to the record alignment (`BPF_WORDALIGN`).
#[allow(non_snake_case)]
pub const fn BPF_WORDALIGN(x: usize) -> usize {
    (x + (BPF_ALIGNMENT - 1)) & !(BPF_ALIGNMENT - 1)
}

/// Bytes of a `bpf_hdr` without its tail padding (`SIZEOF_BPF_HDR`):
/// time stamp (two 32-bit words), caplen, datalen, hdrlen.
pub const SIZEOF_BPF_HDR: usize = 18;
/// A descriptor's buffer size until `BIOCSBLEN` (`bpf_bufsize`).
pub const BPF_BUFSIZE: usize = 4096;
/// The smallest and largest buffers `BIOCSBLEN` gives (`BPF_MINBUFSIZE`;
/// the book's `BPF_MAXBUFSIZE` is 32 KiB, bsdinet's 512 KiB as later
/// BSDs').
pub const BPF_MINBUFSIZE: usize = 32;
pub const BPF_MAXBUFSIZE: usize = 0x80000;
/// The version `BIOCVERSION` reports (`BPF_MAJOR_VERSION`, ...MINOR).
pub const BPF_MAJOR_VERSION: u16 = 1;
pub const BPF_MINOR_VERSION: u16 = 1;

const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;
const fn bioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((b'B' as u32) << 8) | nr
}

/// `sizeof(struct bpf_program)` on 64-bit Linux: a length and a pointer.
pub const BPF_PROGRAM_LEN: usize = 16;
/// `sizeof(struct bpf_stat)`, `struct bpf_version`, the read timeout.
pub const BPF_STAT_LEN: usize = 8;
pub const BPF_VERSION_LEN: usize = 4;
pub const BPF_TIMEVAL_LEN: usize = 16;

// The ioctls (`net/bpf.h`; `bpfioctl`, section 31.4), group 'B'.
pub const BIOCGBLEN: u32 = bioc(IOC_READ, 102, 4);
pub const BIOCSBLEN: u32 = bioc(IOC_READ | IOC_WRITE, 102, 4);
pub const BIOCSETF: u32 = bioc(IOC_WRITE, 103, BPF_PROGRAM_LEN);
pub const BIOCFLUSH: u32 = bioc(0, 104, 0);
pub const BIOCPROMISC: u32 = bioc(0, 105, 0);
pub const BIOCGDLT: u32 = bioc(IOC_READ, 106, 4);
pub const BIOCGETIF: u32 = bioc(IOC_READ, 107, IFREQ_LEN);
pub const BIOCSETIF: u32 = bioc(IOC_WRITE, 108, IFREQ_LEN);
pub const BIOCSRTIMEOUT: u32 = bioc(IOC_WRITE, 109, BPF_TIMEVAL_LEN);
pub const BIOCGRTIMEOUT: u32 = bioc(IOC_READ, 110, BPF_TIMEVAL_LEN);
pub const BIOCGSTATS: u32 = bioc(IOC_READ, 111, BPF_STAT_LEN);
pub const BIOCIMMEDIATE: u32 = bioc(IOC_WRITE, 112, 4);
pub const BIOCVERSION: u32 = bioc(IOC_READ, 113, BPF_VERSION_LEN);
/// Bytes ready to read (asm-generic/ioctls.h).
pub const FIONREAD: u32 = 0x541b;

/// An interface's share of BPF (`struct bpf_if`, section 31.3).
pub struct BpfIf {
    /// The descriptors listening (`bif_dlist`); empty costs a tap one
    /// test.
    pub bif_dlist: Vec<usize>,
    /// The data-link type (`bif_dlt`).
    pub bif_dlt: u32,
    /// The link header's length (`bif_hdrlen` is the book's name for the
    /// `bpf_hdr` length that aligns the network header; that is
    /// `bif_bpfhdrlen` here).
    pub bif_linklen: usize,
    /// Bytes from a record's start to its packet: the `bpf_hdr` padded
    /// so that the network header after the link header is aligned
    /// (`bif_hdrlen`, computed in `bpfattach`).
    pub bif_bpfhdrlen: usize,
}

/// Gives an interface its BPF (`bpfattach`, section 31.3: "Compute BPF header size"): `dlt` and the
/// length of its link header `hdrlen`.
pub fn bpfattach(dlt: u32, hdrlen: usize) -> BpfIf {
    BpfIf {
        bif_dlist: Vec::new(),
        bif_dlt: dlt,
        bif_linklen: hdrlen,
        bif_bpfhdrlen: BPF_WORDALIGN(hdrlen + SIZEOF_BPF_HDR) - hdrlen,
    }
}

/// One capture (`struct bpf_d`, section 31.4).
pub struct BpfD {
    /// The store buffer, being filled (`bd_sbuf`, `bd_slen`).
    pub bd_sbuf: Option<SharedBuf>,
    pub bd_slen: usize,
    /// The hold buffer, full and waiting for `read` (`bd_hbuf`,
    /// `bd_hlen`).
    pub bd_hbuf: Option<SharedBuf>,
    pub bd_hlen: usize,
    /// The hold buffer is out being copied to a reader.
    pub bd_hbuf_lent: bool,
    /// The free buffer (`bd_fbuf`).
    pub bd_fbuf: Option<SharedBuf>,
    /// The size of each buffer (`bd_bufsize`).
    pub bd_bufsize: usize,
    /// The interface listened to (`bd_bif`), by index in `ifnet`.
    pub bd_bif: Option<usize>,
    /// The filter; empty accepts every packet whole (`bd_filter`).
    pub bd_filter: Vec<BpfInsn>,
    /// Packets seen and dropped for want of buffer space (`bd_rcount`,
    /// `bd_dcount`).
    pub bd_rcount: u64,
    pub bd_dcount: u64,
    /// `BIOCPROMISC` was asked (`bd_promisc`).
    pub bd_promisc: bool,
    /// Wake the reader at every packet (`bd_immediate`).
    pub bd_immediate: bool,
    /// The interface went away: the capture is over.
    pub bd_gone: bool,
    /// The platform's handle for waking this descriptor's sleepers.
    pub bd_wakearg: usize,
}

/// The descriptors of one stack.
#[derive(Default)]
pub struct Bpf {
    /// Every open descriptor, by index.
    pub bpf_dtab: Slab<BpfD>,
    /// Wake handles of descriptors to wake once the request returns.
    wakeups: Vec<usize>,
}

impl Bpf {
    /// Takes the pending wakeups, for the platform to deliver.
    pub fn take_wakeups(&mut self, mut f: impl FnMut(usize)) {
        while let Some(arg) = self.wakeups.pop() {
            f(arg);
        }
    }

    /// Asks the platform to wake `d`'s sleepers (`bpf_wakeup`).
    fn wakeup(wakeups: &mut Vec<usize>, arg: usize) {
        if arg != 0 && !wakeups.contains(&arg) {
            // Lost without memory: readers with a timeout still wake.
            let _ = wakeups.push(arg);
        }
    }
}

/// A new descriptor (`bpfopen`) whose sleepers the platform wakes with
/// `wakearg`; returns its index. Buffers come with `BIOCSETIF`.
pub fn bpfopen(st: &mut Stack, wakearg: usize) -> Result<usize> {
    st.bpf.bpf_dtab.insert(BpfD {
        bd_sbuf: None,
        bd_slen: 0,
        bd_hbuf: None,
        bd_hlen: 0,
        bd_hbuf_lent: false,
        bd_fbuf: None,
        bd_bufsize: BPF_BUFSIZE,
        bd_bif: None,
        bd_filter: Vec::new(),
        bd_rcount: 0,
        bd_dcount: 0,
        bd_promisc: false,
        bd_immediate: false,
        bd_gone: false,
        bd_wakearg: wakearg,
    })
}

/// Closes descriptor `d` (`bpfclose`): it stops listening and its
/// buffers are freed.
pub fn bpfclose(st: &mut Stack, d: usize) {
    bpf_detachd(st, d);
    if let Some(bd) = st.bpf.bpf_dtab.remove(d) {
        if let Some(i) = st.bpf.wakeups.iter().position(|&a| a == bd.bd_wakearg) {
            st.bpf.wakeups.remove(i);
        }
    }
}

/// Takes `d` off its interface's list (`bpf_detachd`).
fn bpf_detachd(st: &mut Stack, d: usize) {
    let Some(bd) = st.bpf.bpf_dtab.get_mut(d) else { return };
    let Some(ifp) = bd.bd_bif.take() else { return };
    bd.bd_promisc = false;
    if let Some(bif) = st.ifnet.get_mut(ifp).and_then(|i| i.if_bpf.as_mut()) {
        if let Some(i) = bif.bif_dlist.iter().position(|&x| x == d) {
            bif.bif_dlist.remove(i);
        }
    }
}

/// The interface `ifp` goes away (FreeBSD's `bpfdetach`): its
/// descriptors stop listening and their readers wake, to read what is
/// left and then ENXIO.
pub fn bpfdetach(st: &mut Stack, ifp: usize) {
    let Some(mut bif) = st.ifnet.get_mut(ifp).and_then(|i| i.if_bpf.take()) else { return };
    let Bpf { bpf_dtab, wakeups } = &mut st.bpf;
    while let Some(d) = bif.bif_dlist.pop() {
        if let Some(bd) = bpf_dtab.get_mut(d) {
            bd.bd_bif = None;
            bd.bd_gone = true;
            bd.bd_promisc = false;
            Bpf::wakeup(wakeups, bd.bd_wakearg);
        }
    }
}

/// Descriptor `d`, or EBADF-like ENXIO when it is not open.
fn bpfd(st: &mut Stack, d: usize) -> Result<&mut BpfD> {
    st.bpf.bpf_dtab.get_mut(d).ok_or(ENXIO)
}

/// Empties `d`'s buffers and zeroes its counts (`reset_d`); a hold
/// buffer out with a reader is left to it.
fn reset_d(bd: &mut BpfD) {
    if bd.bd_hbuf.is_some() {
        // Free the hold buffer.
        bd.bd_fbuf = bd.bd_hbuf.take();
    }
    if !bd.bd_hbuf_lent {
        bd.bd_hlen = 0;
    }
    bd.bd_slen = 0;
    bd.bd_rcount = 0;
    bd.bd_dcount = 0;
}

/// Allocates `d`'s store and free buffers (`bpf_allocbufs`).
fn bpf_allocbufs(bd: &mut BpfD) -> Result {
    let s = SharedBuf::new_zeroed(bd.bd_bufsize).map_err(|_| ENOBUFS)?;
    let f = SharedBuf::new_zeroed(bd.bd_bufsize).map_err(|_| ENOBUFS)?;
    bd.bd_sbuf = Some(s);
    bd.bd_fbuf = Some(f);
    bd.bd_hbuf = None;
    bd.bd_slen = 0;
    bd.bd_hlen = 0;
    Ok(())
}

/// Attaches `d` to the interface named in `ifreq` (`bpf_setif` and
/// `bpf_attachd`, section 31.4): allocates its buffers if it has none, leaves the interface it
/// listened to, and starts afresh. ENXIO for no such interface.
pub fn bpf_setif(st: &mut Stack, d: usize, ifreq: &[u8]) -> Result {
    let name = ifr_name(ifreq)?;
    let ifp = crate::bsd::net::if_::ifunit(st, name).ok_or(ENXIO)?;
    if st.ifnet.get(ifp).and_then(|i| i.if_bpf.as_ref()).is_none() {
        return Err(ENXIO);
    }
    let bd = bpfd(st, d)?;
    if bd.bd_hbuf_lent {
        return Err(EBUSY);
    }
    if bd.bd_sbuf.is_none() {
        bpf_allocbufs(bd)?;
    }
    if bd.bd_bif != Some(ifp) {
        bpf_detachd(st, d);
        let bif = st.ifnet.get_mut(ifp).and_then(|i| i.if_bpf.as_mut()).ok_or(ENXIO)?;
        bif.bif_dlist.reserve(1).map_err(|_| ENOBUFS)?;
        bif.bif_dlist.push(d).map_err(|_| ENOBUFS)?;
    }
    let bd = bpfd(st, d)?;
    bd.bd_bif = Some(ifp);
    bd.bd_gone = false;
    reset_d(bd);
    Ok(())
}

/// Installs filter `f` on `d` (`bpf_setf`); an empty
/// program removes the filter. EINVAL when `bpf_validate` refuses it.
pub fn bpf_setf(st: &mut Stack, d: usize, f: &[BpfInsn]) -> Result {
    let mut prog = Vec::new();
    if !f.is_empty() {
        if !bpf_validate(f) {
            return Err(EINVAL);
        }
        prog.reserve(f.len()).map_err(|_| ENOBUFS)?;
        for &i in f {
            prog.push(i).map_err(|_| ENOBUFS)?;
        }
    }
    let bd = bpfd(st, d)?;
    bd.bd_filter = prog;
    reset_d(bd);
    Ok(())
}

/// What `BIOCPROMISC` needs the platform to do: the interface to make
/// promiscuous and its kind, or EINVAL when `d` is not attached.
pub fn bpf_promisc(st: &mut Stack, d: usize) -> Result<(usize, IfKind)> {
    let bd = bpfd(st, d)?;
    let ifp = bd.bd_bif.ok_or(EINVAL)?;
    bd.bd_promisc = true;
    let kind = st.ifnet.get(ifp).map(|i| i.if_kind).ok_or(EINVAL)?;
    Ok((ifp, kind))
}

/// The fixed-size ioctls of descriptor `d` (`bpfioctl`, section 31.4);
/// `data` is the argument, copied in and back out by the platform.
/// `BIOCSETF`, `BIOCPROMISC`, the read timeout and FIONBIO need the
/// platform and are not handled here (EINVAL).
pub fn bpfioctl(st: &mut Stack, d: usize, cmd: u32, data: &mut [u8]) -> Result {
    let want = match cmd {
        FIONREAD => 4,
        _ => ((cmd >> 16) & 0x3fff) as usize,
    };
    if data.len() != want {
        return Err(EINVAL);
    }
    let put = |data: &mut [u8], v: u32| {
        if let Some(b) = data.get_mut(..4) {
            b.copy_from_slice(&v.to_ne_bytes());
        }
    };
    let get =
        |data: &[u8]| data.get(..4).map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    match cmd {
        FIONREAD => {
            let bd = bpfd(st, d)?;
            let mut n = bd.bd_slen;
            if bd.bd_hbuf.is_some() || bd.bd_hbuf_lent {
                n += bd.bd_hlen;
            }
            put(data, n as u32);
        }
        BIOCGBLEN => {
            let n = bpfd(st, d)?.bd_bufsize;
            put(data, n as u32);
        }
        BIOCSBLEN => {
            let bd = bpfd(st, d)?;
            if bd.bd_bif.is_some() || bd.bd_sbuf.is_some() {
                return Err(EINVAL);
            }
            let n = (get(data) as usize).clamp(BPF_MINBUFSIZE, BPF_MAXBUFSIZE);
            bd.bd_bufsize = n;
            put(data, n as u32);
        }
        BIOCFLUSH => reset_d(bpfd(st, d)?),
        BIOCGDLT => {
            let ifp = bpfd(st, d)?.bd_bif.ok_or(EINVAL)?;
            let dlt = st.ifnet.get(ifp).and_then(|i| i.if_bpf.as_ref()).ok_or(EINVAL)?.bif_dlt;
            put(data, dlt);
        }
        BIOCGETIF => {
            let ifp = bpfd(st, d)?.bd_bif.ok_or(EINVAL)?;
            let name = st.ifnet.get(ifp).ok_or(EINVAL)?.if_name;
            data.fill(0);
            if let Some(b) = data.get_mut(..IFNAMSIZ) {
                b.copy_from_slice(&name.0);
            }
        }
        BIOCSETIF => bpf_setif(st, d, data)?,
        BIOCGSTATS => {
            let bd = bpfd(st, d)?;
            let (r, dr) = (bd.bd_rcount as u32, bd.bd_dcount as u32);
            put(data, r);
            if let Some(b) = data.get_mut(4..8) {
                b.copy_from_slice(&dr.to_ne_bytes());
            }
        }
        BIOCIMMEDIATE => {
            let on = get(data) != 0;
            bpfd(st, d)?.bd_immediate = on;
        }
        BIOCVERSION => {
            let mut v = [0u8; 4];
            v[..2].copy_from_slice(&BPF_MAJOR_VERSION.to_ne_bytes());
            v[2..].copy_from_slice(&BPF_MINOR_VERSION.to_ne_bytes());
            data.copy_from_slice(&v);
        }
        _ => return Err(EINVAL),
    }
    Ok(())
}

/// The store buffer becomes the hold buffer and the free one the store
/// buffer (`ROTATE_BUFFERS`, section 31.5).
fn rotate_buffers(bd: &mut BpfD) {
    bd.bd_hbuf = bd.bd_sbuf.take();
    bd.bd_hlen = bd.bd_slen;
    bd.bd_sbuf = bd.bd_fbuf.take();
    bd.bd_slen = 0;
}

/// What `read` should do next (`bpfread`, section 31.5).
pub enum BpfRead {
    /// Copy these bytes of the buffer to the user, then hand the buffer
    /// back with `bpf_read_done`.
    Data(SharedBuf, usize),
    /// Nothing yet: sleep (or EWOULDBLOCK when non-blocking).
    Wait,
    /// The read timeout passed with nothing captured: return 0.
    Empty,
}

/// `bpfread` up to the copy: the hold buffer when there is one; else
/// the store buffer, rotated, if it has packets and the descriptor is
/// in immediate mode or the read timed out (`timed_out`); else wait.
/// The read must ask for exactly the buffer size (EINVAL); a descriptor
/// with no interface is ENXIO once its buffers are empty.
pub fn bpf_read_take(st: &mut Stack, d: usize, count: usize, timed_out: bool) -> Result<BpfRead> {
    let bd = bpfd(st, d)?;
    if count != bd.bd_bufsize {
        return Err(EINVAL);
    }
    if bd.bd_hbuf_lent {
        // Another reader has the hold buffer.
        return Ok(if timed_out { BpfRead::Empty } else { BpfRead::Wait });
    }
    if bd.bd_hbuf.is_none() {
        if bd.bd_slen != 0 && (bd.bd_immediate || timed_out || bd.bd_gone) {
            rotate_buffers(bd);
        } else if bd.bd_gone || (bd.bd_bif.is_none() && bd.bd_slen == 0) {
            return Err(ENXIO);
        } else if timed_out {
            return Ok(BpfRead::Empty);
        } else {
            return Ok(BpfRead::Wait);
        }
    }
    let Some(buf) = bd.bd_hbuf.take() else { return Ok(BpfRead::Wait) };
    bd.bd_hbuf_lent = true;
    Ok(BpfRead::Data(buf, bd.bd_hlen))
}

/// The copy to the user is done: the hold buffer becomes the free one
/// (the end of `bpfread`).
pub fn bpf_read_done(st: &mut Stack, d: usize, buf: SharedBuf) {
    let Some(bd) = st.bpf.bpf_dtab.get_mut(d) else { return };
    bd.bd_hbuf_lent = false;
    bd.bd_hlen = 0;
    if bd.bd_fbuf.is_none() {
        bd.bd_fbuf = Some(buf);
    } else if bd.bd_sbuf.is_none() {
        bd.bd_sbuf = Some(buf);
        bd.bd_slen = 0;
    }
}

/// Whether a read of `d` would not wait (`bpfselect`): a hold buffer,
/// packets in immediate mode or once the read timeout ran out
/// (`timed_out`, FreeBSD's `BPF_TIMED_OUT`), or the interface gone.
pub fn bpf_readable(st: &Stack, d: usize, timed_out: bool) -> bool {
    st.bpf.bpf_dtab.get(d).is_none_or(|bd| {
        (bd.bd_hbuf.is_some() && !bd.bd_hbuf_lent)
            || ((bd.bd_immediate || timed_out) && bd.bd_slen != 0)
            || bd.bd_gone
            || bd.bd_bif.is_none()
    })
}

/// Shows packet `p` to every descriptor listening on `bif` (`bpf_tap`
/// and `bpf_mtap`, section 31.5): each counts it, runs its filter
/// and keeps what the filter accepts. The interface checks that
/// `bif_dlist` is not empty before it makes `p`.
pub fn bpf_mtap(bpf: &mut Bpf, bif: &BpfIf, p: &BpfPkt<'_>) {
    let Bpf { bpf_dtab, wakeups } = bpf;
    let pktlen = p.len();
    for &d in bif.bif_dlist.iter() {
        let Some(bd) = bpf_dtab.get_mut(d) else { continue };
        bd.bd_rcount += 1;
        let slen = bpf_filter(&bd.bd_filter, p);
        if slen != 0 {
            catchpacket(bd, wakeups, bif.bif_bpfhdrlen, p, pktlen, slen as usize);
        }
    }
}

/// Copies the first `snaplen` bytes of packet `p` (`pktlen` bytes long)
/// into `d`'s store buffer after a `bpf_hdr` (`catchpacket`, section
/// 31.5): rotates the buffers when the store buffer is full, or drops
/// the packet when the free buffer is out too. Wakes the reader at a
/// rotation, and at every packet in immediate mode.
fn catchpacket(
    bd: &mut BpfD,
    wakeups: &mut Vec<usize>,
    hdrlen: usize,
    p: &BpfPkt<'_>,
    pktlen: usize,
    snaplen: usize,
) {
    let mut totlen = hdrlen + snaplen.min(pktlen);
    if totlen > bd.bd_bufsize {
        totlen = bd.bd_bufsize;
    }
    let mut curlen = BPF_WORDALIGN(bd.bd_slen);
    if curlen + totlen > bd.bd_bufsize {
        if bd.bd_fbuf.is_none() {
            // Both other buffers are full, or out with the reader.
            bd.bd_dcount += 1;
            return;
        }
        rotate_buffers(bd);
        Bpf::wakeup(wakeups, bd.bd_wakearg);
        curlen = 0;
    } else if bd.bd_immediate {
        Bpf::wakeup(wakeups, bd.bd_wakearg);
    }
    let Some(buf) = bd.bd_sbuf.as_mut().and_then(SharedBuf::get_mut) else {
        bd.bd_dcount += 1;
        return;
    };
    let Some(rec) = buf.get_mut(curlen..curlen + totlen) else {
        bd.bd_dcount += 1;
        return;
    };
    let caplen = totlen - hdrlen;
    let (sec, usec) = crate::platform::microtime();
    let mut h = [0u8; SIZEOF_BPF_HDR];
    h[0..4].copy_from_slice(&sec.to_ne_bytes());
    h[4..8].copy_from_slice(&usec.to_ne_bytes());
    h[8..12].copy_from_slice(&(caplen as u32).to_ne_bytes());
    h[12..16].copy_from_slice(&(pktlen as u32).to_ne_bytes());
    h[16..18].copy_from_slice(&(hdrlen as u16).to_ne_bytes());
    let (hd, data) = rec.split_at_mut(hdrlen.min(rec.len()));
    hd.fill(0);
    if let Some(x) = hd.get_mut(..SIZEOF_BPF_HDR) {
        x.copy_from_slice(&h);
    }
    // `caplen` bytes are there: `snaplen.min(pktlen)` of them at most.
    let _ = p.copy(0, data);
    bd.bd_slen = curlen + totlen;
}

/// A `bpf_hdr` record parsed back (tests and tools).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BpfHdr {
    pub tv_sec: u32,
    pub tv_usec: u32,
    pub caplen: u32,
    pub datalen: u32,
    pub hdrlen: u16,
}

/// The records of a buffer `read` returned: each header and its
/// captured bytes. Stops at a record that does not fit.
pub fn bpf_records(buf: &[u8]) -> impl Iterator<Item = (BpfHdr, &[u8])> {
    let mut off = 0;
    core::iter::from_fn(move || {
        let h = buf.get(off..off + SIZEOF_BPF_HDR)?;
        let w = |i: usize| u32::from_ne_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let bh = BpfHdr {
            tv_sec: w(0),
            tv_usec: w(4),
            caplen: w(8),
            datalen: w(12),
            hdrlen: u16::from_ne_bytes([h[16], h[17]]),
        };
        let start = off + usize::from(bh.hdrlen);
        let data = buf.get(start..start + bh.caplen as usize)?;
        off = BPF_WORDALIGN(start + bh.caplen as usize);
        Some((bh, data))
    })
}

/// Sends a frame written to descriptor `d` out of its interface
/// (`bpfwrite` with `bpf_movein`, section 31.6): a whole Ethernet frame on
/// Ethernet; on `DLT_NULL` interfaces the 4-byte address family
/// (AF_INET only), then the datagram (the book writes `DLT_NULL` packets
/// without it; bsdinet takes what `read` gives, as later BSDs do); on
/// SLIP a bare datagram, as in the book. ENXIO without an interface,
/// EMSGSIZE beyond the MTU, ENETDOWN when the interface is down.
pub fn bpfwrite(st: &mut Stack, d: usize, frame: &[u8]) -> Result {
    let ifp = bpfd(st, d)?.bd_bif.ok_or(ENXIO)?;
    let ifn = st.ifnet.get(ifp).ok_or(ENXIO)?;
    if frame.is_empty() {
        return Ok(());
    }
    let kind = ifn.if_kind;
    let mtu = ifn.if_data.ifi_mtu as usize;
    let flags = ifn.if_flags;
    let body = match kind {
        IfKind::Ether => {
            if frame.len() < crate::bsd::net::if_ethersubr::ETHER_HDR_LEN {
                return Err(EINVAL);
            }
            if frame.len() > mtu + crate::bsd::net::if_ethersubr::ETHER_HDR_LEN {
                return Err(EMSGSIZE);
            }
            if !crate::bsd::net::if_ethersubr::if_ready(st, ifp) {
                return Err(ENETDOWN);
            }
            let m = m_devget(&mut st.mbpool, frame, 0, None)?;
            return if_enqueue(st, ifp, m);
        }
        IfKind::Loopback | IfKind::Tun => {
            let af = frame.get(..NULL_HDRLEN).ok_or(EINVAL)?;
            if u32::from_ne_bytes([af[0], af[1], af[2], af[3]]) != DLT_NULL_AF_INET {
                return Err(EAFNOSUPPORT);
            }
            frame.get(NULL_HDRLEN..).unwrap_or(&[])
        }
        IfKind::Slip => frame,
    };
    if body.len() > mtu {
        return Err(EMSGSIZE);
    }
    if body.len() < 20 {
        return Err(EINVAL);
    }
    if flags & IFF_UP == 0 {
        return Err(ENETDOWN);
    }
    let m = m_devget(&mut st.mbpool, body, 0, None)?;
    let dst = body
        .get(16..20)
        .map_or(InAddr(0), |b| InAddr(u32::from_be_bytes([b[0], b[1], b[2], b[3]])));
    if_output(st, ifp, m, dst)
}

/// Taps `m` on interface `ifp` behind link header `hdr`, if anyone
/// listens: the one test every tap costs when no one does.
#[inline]
pub fn bpf_tap_if(st: &mut Stack, ifp: usize, hdr: &[u8], m: &Mbuf) {
    let Stack { ifnet, bpf, .. } = st;
    if let Some(bif) = ifnet.get(ifp).and_then(|i| i.if_bpf.as_ref()) {
        if !bif.bif_dlist.is_empty() {
            bpf_mtap(bpf, bif, &BpfPkt::chain(hdr, m));
        }
    }
}
