//! Socket state changes and socket buffers (`kern/uipc_socket2.c`; book
//! chapter 15 and 16).

use crate::bsd::kern::uipc_mbuf::{m_adj, m_cat, m_freem, Mbuf, MbufPool, MSIZE};
use crate::bsd::kern::uipc_socket::*;
use crate::bsd::netinet::in_::SockaddrIn;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Result, ENOBUFS};
use crate::platform::Vec;

/// Largest socket buffer (`sb_max`).
pub const SB_MAX: usize = 256 * 1024;

/// One record of a socket buffer: a datagram with its sender's address
/// and control data, or the single record of a stream socket. The book
/// chains records with `m_nextpkt` and keeps the address and control in
/// mbufs of their own (MT_SONAME, MT_CONTROL) at the head of the record.
pub struct Record {
    pub addr: Option<SockaddrIn>,
    pub control: Option<Mbuf>,
    pub data: Option<Mbuf>,
}

/// A socket buffer (`struct sockbuf`).
///
/// `sb_cc` counts data bytes only; addresses and control count in
/// `sb_mbcnt`, the storage, which `sb_mbmax` limits. (The book counts an
/// address mbuf's 16 bytes in `sb_cc` too, so FIONREAD on a 4.4BSD UDP
/// socket says 16 bytes more than there is to read; FreeBSD later split
/// them as here.)
#[derive(Default)]
pub struct Sockbuf {
    /// Data bytes in the buffer.
    pub sb_cc: usize,
    /// High water mark: the buffer's size.
    pub sb_hiwat: usize,
    /// Storage (mbufs and clusters) in use.
    pub sb_mbcnt: usize,
    /// Most storage the buffer may hold.
    pub sb_mbmax: usize,
    /// Low water mark: readiness threshold.
    pub sb_lowat: usize,
    /// The records, oldest first.
    pub sb_mb: Vec<Record>,
    /// Datagrams dropped for want of room (not in the book; Linux reports
    /// them per socket too).
    pub sb_drops: u64,
}

/// Storage an mbuf chain takes (`sballoc`'s accounting).
fn storage(m: &Mbuf) -> usize {
    m.iter().map(|m| MSIZE + if m.mclrefcnt().is_some() { MCLBYTES } else { 0 }).sum()
}

fn opt_len(m: &Option<Mbuf>) -> usize {
    m.as_ref().map_or(0, Mbuf::m_length)
}

fn opt_storage(m: &Option<Mbuf>) -> usize {
    m.as_ref().map_or(0, storage)
}

impl Sockbuf {
    /// Room left (`sbspace`): the smaller of the data and storage limits.
    pub fn sbspace(&self) -> usize {
        self.sb_hiwat.saturating_sub(self.sb_cc).min(self.sb_mbmax.saturating_sub(self.sb_mbcnt))
    }

    /// Sets the buffer's size (`sbreserve`).
    pub fn sbreserve(&mut self, cc: usize) -> Result {
        // The book's test: the size plus its mbuf overhead must fit sb_max.
        if cc == 0 || cc > SB_MAX * MCLBYTES / (MCLBYTES + MSIZE) {
            return Err(ENOBUFS);
        }
        self.sb_hiwat = cc;
        self.sb_mbmax = (cc * SB_MBMAX_FACTOR).min(SB_MAX);
        self.sb_lowat = self.sb_lowat.min(self.sb_hiwat);
        Ok(())
    }

    fn account(&mut self, r: &Record) {
        self.sb_cc += opt_len(&r.data);
        self.sb_mbcnt += opt_storage(&r.data) + opt_storage(&r.control);
        if r.addr.is_some() {
            self.sb_mbcnt += MSIZE;
        }
    }

    fn unaccount(&mut self, r: &Record) {
        self.sb_cc = self.sb_cc.saturating_sub(opt_len(&r.data));
        let mut st = opt_storage(&r.data) + opt_storage(&r.control);
        if r.addr.is_some() {
            st += MSIZE;
        }
        self.sb_mbcnt = self.sb_mbcnt.saturating_sub(st);
    }

    /// Appends a datagram with its sender's address (`sbappendaddr`).
    /// When there is no room the record comes back, for the caller to free
    /// and count, as the book's caller does when this returns 0.
    pub fn sbappendaddr(
        &mut self,
        asa: SockaddrIn,
        data: Mbuf,
        control: Option<Mbuf>,
    ) -> core::result::Result<(), Record> {
        let r = Record { addr: Some(asa), control, data: Some(data) };
        let space = opt_len(&r.data) + opt_len(&r.control) + SockaddrIn::LEN;
        if space > self.sbspace() {
            return Err(r);
        }
        self.sbappendrecord(r)
    }

    /// Appends a record as it is (`sbappendrecord`); fails like
    /// `sbappendaddr` when the storage is exhausted.
    pub fn sbappendrecord(&mut self, r: Record) -> core::result::Result<(), Record> {
        if self.sb_mb.reserve(1).is_err() {
            return Err(r);
        }
        self.account(&r);
        // Cannot fail: room was reserved just above.
        let _ = self.sb_mb.push(r);
        Ok(())
    }

    /// Appends data to the last record, for stream sockets (`sbappend`).
    pub fn sbappend(&mut self, mp: &mut MbufPool, m: Mbuf) -> core::result::Result<(), Mbuf> {
        let n = self.sb_mb.len();
        if n == 0 {
            return self
                .sbappendrecord(Record { addr: None, control: None, data: Some(m) })
                .map_err(|r| r.data.expect("data given"));
        }
        self.sb_cc += m.m_length();
        self.sb_mbcnt += storage(&m);
        let last = &mut self.sb_mb[n - 1];
        match last.data.as_mut() {
            Some(d) => m_cat(mp, d, m),
            None => last.data = Some(m),
        }
        Ok(())
    }

    /// Drops the first record (`sbdroprecord`).
    pub fn sbdroprecord(&mut self, mp: &mut MbufPool) {
        if let Some(r) = self.sb_mb.remove(0) {
            self.unaccount(&r);
            free_record(mp, r);
        }
    }

    /// Drops `len` bytes of data from the front (`sbdrop`), for stream
    /// sockets; empty records go with their data.
    pub fn sbdrop(&mut self, mp: &mut MbufPool, mut len: usize) {
        while len > 0 && !self.sb_mb.is_empty() {
            let have = opt_len(&self.sb_mb[0].data);
            if have <= len {
                len -= have;
                self.sbdroprecord(mp);
                continue;
            }
            if let Some(d) = self.sb_mb[0].data.as_mut() {
                let before = storage(d);
                m_adj(d, len as isize);
                let after = storage(d);
                self.sb_mbcnt = self.sb_mbcnt.saturating_sub(before.saturating_sub(after));
            }
            self.sb_cc = self.sb_cc.saturating_sub(len);
            len = 0;
        }
    }

    /// Frees everything (`sbflush`, and `sbrelease` with the sizes kept).
    pub fn sbflush(&mut self, mp: &mut MbufPool) {
        while !self.sb_mb.is_empty() {
            self.sbdroprecord(mp);
        }
        self.sb_cc = 0;
        self.sb_mbcnt = 0;
    }
}

/// Frees a record's mbufs.
pub fn free_record(mp: &mut MbufPool, r: Record) {
    for m in [r.control, r.data].into_iter().flatten() {
        m_freem(mp, m);
    }
}

/// Storage allowed per byte of buffer: the book's `sbreserve` sets
/// `sb_mbmax` to `min(cc * 2, sb_max)`.
const SB_MBMAX_FACTOR: usize = 2;

/// Sizes both buffers of a socket (`soreserve`).
pub fn soreserve(so: &mut Socket, sndcc: usize, rcvcc: usize) -> Result {
    so.so_snd.sbreserve(sndcc)?;
    so.so_rcv.sbreserve(rcvcc)?;
    if so.so_rcv.sb_lowat == 0 {
        so.so_rcv.sb_lowat = 1;
    }
    if so.so_snd.sb_lowat == 0 {
        so.so_snd.sb_lowat = MCLBYTES;
    }
    so.so_snd.sb_lowat = so.so_snd.sb_lowat.min(so.so_snd.sb_hiwat);
    Ok(())
}

/// Size of an mbuf cluster, the send buffer's default low water mark.
pub const MCLBYTES: usize = 2048;

/// The socket is connected (`soisconnected`).
pub fn soisconnected(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !(SS_ISCONNECTING | SS_ISDISCONNECTING);
    s.so_state |= SS_ISCONNECTED;
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// The socket is disconnected (`soisdisconnected`).
pub fn soisdisconnected(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !(SS_ISCONNECTING | SS_ISCONNECTED | SS_ISDISCONNECTING);
    s.so_state |= SS_CANTRCVMORE | SS_CANTSENDMORE;
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// Nothing more will be sent (`socantsendmore`).
pub fn socantsendmore(st: &mut Stack, so: usize) {
    st.so(so).so_state |= SS_CANTSENDMORE;
    sowwakeup(st, so);
}

/// Nothing more will be received (`socantrcvmore`).
pub fn socantrcvmore(st: &mut Stack, so: usize) {
    st.so(so).so_state |= SS_CANTRCVMORE;
    sorwakeup(st, so);
}

/// Readers of `so` may proceed (`sorwakeup`): the platform wakes them once
/// the current request is done.
pub fn sorwakeup(st: &mut Stack, so: usize) {
    st.wakeup(so);
}

/// Writers of `so` may proceed (`sowwakeup`).
pub fn sowwakeup(st: &mut Stack, so: usize) {
    st.wakeup(so);
}
