//! Socket state changes and socket buffers (`kern/uipc_socket2.c`; book
//! chapter 15 and 16).

use crate::bsd::kern::uipc_mbuf::{
    m_adj, m_cat, m_free, m_freem, m_get, m_link, Mbuf, MbufPool, MLEN, MSIZE, MT_CONTROL,
};
use crate::bsd::kern::uipc_socket::*;
use crate::bsd::netinet::in_::SockaddrIn;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Result, ECONNREFUSED, EINVAL, ENOBUFS};
use crate::platform::Vec;

/// Largest socket buffer by default: the book's `sb_max`, the default of
/// the stack's `sb_max` (`net.bsdinet.socket.maxsockbuf`, FreeBSD's
/// kern.ipc.maxsockbuf).
pub const SB_MAX: usize = 256 * 1024;
/// The range of `net.bsdinet.socket.maxsockbuf`.
pub const SB_MAX_MIN: usize = 64 * 1024;
pub const SB_MAX_LIMIT: usize = 16 * 1024 * 1024;

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

/// Storage one mbuf takes, with its cluster (`sballoc`'s accounting).
fn storage1(m: &Mbuf) -> usize {
    MSIZE + if m.mclrefcnt().is_some() { MCLBYTES } else { 0 }
}

/// Storage an mbuf chain takes.
fn storage(m: &Mbuf) -> usize {
    m.iter().map(storage1).sum()
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

    /// Sets the buffer's size (`sbreserve`); `sb_max` is the stack's.
    pub fn sbreserve(&mut self, cc: usize, sb_max: usize) -> Result {
        // The book's test: the size plus its mbuf overhead must fit sb_max.
        if cc == 0 || cc > sb_max * MCLBYTES / (MCLBYTES + MSIZE) {
            return Err(ENOBUFS);
        }
        self.sb_hiwat = cc;
        self.sb_mbmax = (cc * SB_MBMAX_FACTOR).min(sb_max);
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
    /// Small pieces are copied into the last mbuf when they fit (the
    /// book's `sbcompress`, here `m_cat`), and the storage counted is
    /// what is left after that. An empty chain is freed, as `sbcompress`
    /// frees empty mbufs, so that a stream's buffer holds no empty
    /// record. Fails, giving the chain back, only when a first record
    /// finds no memory for its place.
    pub fn sbappend(&mut self, mp: &mut MbufPool, m: Mbuf) -> core::result::Result<(), Mbuf> {
        let len = m.m_length();
        if len == 0 {
            m_freem(mp, m);
            return Ok(());
        }
        if self.sb_mb.is_empty() && self.sb_mb.reserve(1).is_err() {
            return Err(m);
        }
        let Some(last) = self.sb_mb.last_mut() else {
            // Cannot fail: room was reserved just above.
            let _ = self.sbappendrecord(Record { addr: None, control: None, data: Some(m) });
            return Ok(());
        };
        self.sb_cc += len;
        match last.data.as_mut() {
            Some(d) => {
                let before = storage(d);
                m_cat(mp, d, m);
                self.sb_mbcnt += storage(d).saturating_sub(before);
            }
            None => {
                self.sb_mbcnt += storage(&m);
                last.data = Some(m);
            }
        }
        Ok(())
    }

    /// Takes the control messages of the first record out of the buffer
    /// (for `soreceive` to hand over); a record left with no data goes.
    pub fn sbtakecontrol(&mut self, mp: &mut MbufPool) -> Option<Mbuf> {
        let r = self.sb_mb.first_mut()?;
        let c = r.control.take()?;
        let empty = opt_len(&r.data) == 0;
        self.sb_mbcnt = self.sb_mbcnt.saturating_sub(storage(&c));
        if empty {
            self.sbdroprecord(mp);
        }
        Some(c)
    }

    /// Takes the first record out of the buffer, for the caller to free
    /// or hand on.
    pub fn sbtakerecord(&mut self) -> Option<Record> {
        let r = self.sb_mb.remove(0)?;
        self.unaccount(&r);
        Some(r)
    }

    /// Drops the first record (`sbdroprecord`).
    pub fn sbdroprecord(&mut self, mp: &mut MbufPool) {
        if let Some(r) = self.sbtakerecord() {
            free_record(mp, r);
        }
    }

    /// Drops `len` bytes of data from the front (`sbdrop`), for stream
    /// sockets: records whose data is all gone go whole, and in the one
    /// that is cut the mbufs emptied are freed, as the book frees them,
    /// so that a stream that never drains does not keep a growing tail
    /// of empty mbufs.
    pub fn sbdrop(&mut self, mp: &mut MbufPool, mut len: usize) {
        while len > 0 && !self.sb_mb.is_empty() {
            let have = opt_len(&self.sb_mb[0].data);
            if have <= len {
                len -= have;
                self.sbdroprecord(mp);
                continue;
            }
            let mut d = self.sb_mb[0].data.take();
            while let Some(mut m) = d {
                if m.m_len() > len {
                    m_adj(&mut m, len as isize);
                    self.sb_cc = self.sb_cc.saturating_sub(len);
                    len = 0;
                    d = Some(m);
                    break;
                }
                len -= m.m_len();
                self.sb_cc = self.sb_cc.saturating_sub(m.m_len());
                self.sb_mbcnt = self.sb_mbcnt.saturating_sub(storage1(&m));
                d = m_free(mp, m);
            }
            self.sb_mb[0].data = d;
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

/// Size of a control message's header (`struct cmsghdr`: `cmsg_len`,
/// `cmsg_level`, `cmsg_type`, each 4 bytes in the book's ABI).
pub const CMSG_HDRLEN: usize = 12;

/// Rounds a control message length up to the next message's start (the
/// book's `ALIGN`, to a 4-byte `long`).
pub fn cmsg_align(len: usize) -> usize {
    len.saturating_add(3) & !3
}

/// One control message in an mbuf of its own (`sbcreatecontrol`): a
/// `cmsghdr` for `level`/`ty` and then `data`. EINVAL when it does not
/// fit in an mbuf, as the book's returns null.
pub fn sbcreatecontrol(mp: &mut MbufPool, data: &[u8], ty: i32, level: i32) -> Result<Mbuf> {
    let len = CMSG_HDRLEN + data.len();
    if len > MLEN {
        return Err(EINVAL);
    }
    let mut m = m_get(mp, MT_CONTROL)?;
    m.set_len(len)?;
    if let Some(b) = m.mtod_mut() {
        b[..4].copy_from_slice(&(len as u32).to_ne_bytes());
        b[4..8].copy_from_slice(&level.to_ne_bytes());
        b[8..12].copy_from_slice(&ty.to_ne_bytes());
        b[12..].copy_from_slice(data);
    }
    Ok(m)
}

/// The control messages of a chain, each as (level, type, data); `Err`
/// at the first one whose `cmsg_len` is shorter than its header or
/// runs past its mbuf (truncated or misaligned control data).
pub fn cmsgs(control: &Mbuf) -> impl Iterator<Item = Result<(i32, i32, &[u8])>> {
    control.segments().flat_map(|mut b| {
        core::iter::from_fn(move || {
            if b.is_empty() {
                return None;
            }
            let word = |i: usize| b.get(i..i + 4).map(|w| [w[0], w[1], w[2], w[3]]);
            let (Some(len), Some(level), Some(ty)) = (word(0), word(4), word(8)) else {
                b = &[];
                return Some(Err(EINVAL));
            };
            let len = u32::from_ne_bytes(len) as usize;
            if len < CMSG_HDRLEN || len > b.len() {
                b = &[];
                return Some(Err(EINVAL));
            }
            let data = &b[CMSG_HDRLEN..len];
            b = b.get(cmsg_align(len)..).unwrap_or(&[]);
            Some(Ok((i32::from_ne_bytes(level), i32::from_ne_bytes(ty), data)))
        })
    })
}

/// Size of Linux's `struct cmsghdr` on 64-bit machines (`size_t
/// cmsg_len`, then level and type), and its alignment (`CMSG_ALIGN`).
const LINUX_CMSG_HDRLEN: usize = 16;
const LINUX_CMSG_ALIGN: usize = 8;

/// The control data of a Linux sendmsg() (`buf`, `msg_controllen` bytes of
/// Linux `cmsghdr`s) as a chain of the book's control messages
/// (`sockargs` making an MT_CONTROL mbuf, one per message here). EINVAL
/// when a message is shorter than its header, runs past the buffer, or
/// leaves a piece too short to be another (Linux stops silently there),
/// and when one does not fit in an mbuf (the book's `sockargs` limit).
/// Level SOL_SOCKET becomes the book's number.
pub fn control_from_linux(mp: &mut MbufPool, buf: &[u8]) -> Result<Option<Mbuf>> {
    let mut chain = None;
    let r = (|| {
        let mut off = 0;
        while off < buf.len() {
            let h = buf.get(off..off + LINUX_CMSG_HDRLEN).ok_or(EINVAL)?;
            let word = |i: usize| [h[i], h[i + 1], h[i + 2], h[i + 3]];
            let len = u64::from_ne_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
            let len = usize::try_from(len).map_err(|_| EINVAL)?;
            if len < LINUX_CMSG_HDRLEN || len > buf.len() - off {
                return Err(EINVAL);
            }
            let level = i32::from_ne_bytes(word(8));
            let level = if level == LINUX_SOL_SOCKET { SOL_SOCKET } else { level };
            let data = &buf[off + LINUX_CMSG_HDRLEN..off + len];
            m_link(&mut chain, sbcreatecontrol(mp, data, i32::from_ne_bytes(word(12)), level)?);
            off = off.saturating_add(len.next_multiple_of(LINUX_CMSG_ALIGN));
        }
        Ok(())
    })();
    match r {
        Ok(()) => Ok(chain),
        Err(e) => {
            if let Some(c) = chain {
                m_freem(mp, c);
            }
            Err(e)
        }
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

/// Sizes both buffers of socket `so` (`soreserve`), within the stack's
/// `sb_max`.
pub fn soreserve(st: &mut Stack, so: usize, sndcc: usize, rcvcc: usize) -> Result {
    let sb_max = st.sb_max;
    let so = st.so(so);
    so.so_snd.sbreserve(sndcc, sb_max)?;
    so.so_rcv.sbreserve(rcvcc, sb_max)?;
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

// Connection state changes (book section 15.xx, `uipc_socket2.c`). A
// protocol calls them as its connections progress: `soisconnecting` when
// it starts one, `soisconnected` when it is up, `soisdisconnecting` when
// it starts to close, `soisdisconnected` when it is gone. A listener's
// connections come from `sonewconn` and wait on its queues: `so_q0`
// until they are connected, then `so_q` until accept() takes them.

/// The socket has started to connect (`soisconnecting`).
pub fn soisconnecting(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !(SS_ISCONNECTED | SS_ISDISCONNECTING);
    s.so_state |= SS_ISCONNECTING;
}

/// The socket is connected (`soisconnected`). One on a listener's
/// incomplete queue moves to the completed queue, and the listener's
/// sleepers (accept(), select()) are woken; otherwise the socket's own
/// (connect()) are.
pub fn soisconnected(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !(SS_ISCONNECTING | SS_ISDISCONNECTING);
    s.so_state |= SS_ISCONNECTED;
    if let Some(head) = s.so_head {
        if soqmove(st, head, so) {
            sorwakeup(st, head);
            return;
        }
    }
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// Moves `so` from the incomplete queue of `head` to its completed queue,
/// keeping its place in neither when it was on the completed one already
/// (false). The room was reserved by `solisten`, so the move needs no
/// memory; were it to fail, the connection would stay where it was.
fn soqmove(st: &mut Stack, head: usize, so: usize) -> bool {
    let h = st.so(head);
    let Some(i) = h.so_q0.iter().position(|&s| s == so) else {
        return false;
    };
    if h.so_q.push(so).is_err() {
        return false;
    }
    h.so_q0.remove(i);
    true
}

/// The socket has started to disconnect (`soisdisconnecting`): nothing
/// more goes either way.
pub fn soisdisconnecting(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !SS_ISCONNECTING;
    s.so_state |= SS_ISDISCONNECTING | SS_CANTRCVMORE | SS_CANTSENDMORE;
    sowwakeup(st, so);
    sorwakeup(st, so);
}

/// The socket is disconnected (`soisdisconnected`).
pub fn soisdisconnected(st: &mut Stack, so: usize) {
    let s = st.so(so);
    s.so_state &= !(SS_ISCONNECTING | SS_ISCONNECTED | SS_ISDISCONNECTING);
    s.so_state |= SS_CANTRCVMORE | SS_CANTSENDMORE;
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// A connection request came to listener `head` (`sonewconn`): a new
/// socket like the listener (type, options but SO_ACCEPTCONN, linger,
/// state, protocol, buffer sizes, credentials; not the wakeup handle) is attached
/// to the protocol (PRU_ATTACH) and queued, on `so_q0`, or on `so_q` with
/// `connstatus` (SS_ISCONNECTED) added to its state when the protocol
/// says it is connected already, waking the listener. No descriptor
/// refers to it (SS_NOFDREF) until accept() takes it.
///
/// ECONNREFUSED when the queues hold more than 3/2 of the listener's
/// limit already (the book's rule: so 8 for a backlog of 5, 1 for 0),
/// ENOBUFS without memory, or the protocol's error from PRU_ATTACH: the
/// protocol then drops the request, as when the book returns null.
pub fn sonewconn(st: &mut Stack, head: usize, connstatus: u16) -> Result<usize> {
    let h = st.so(head);
    if h.so_qlen() + h.so_q0len() > 3 * h.so_qlimit / 2 {
        return Err(ECONNREFUSED);
    }
    let q = usize::from(connstatus != 0);
    // The place on the queue first, so that nothing fails after attach.
    if h.queue(q).reserve(1).is_err() {
        return Err(ENOBUFS);
    }
    // No wakeup handle until accept() gives it its own: no descriptor
    // sleeps on it, and the listener's handle may die first.
    let mut new = Socket::new(h.so_proto, h.so_cred, 0);
    new.so_type = h.so_type;
    new.so_options = h.so_options & !SO_ACCEPTCONN;
    new.so_state = h.so_state | SS_NOFDREF;
    new.so_linger = h.so_linger;
    let (sndcc, rcvcc) = (h.so_snd.sb_hiwat, h.so_rcv.sb_hiwat);
    let proto = h.so_proto.pr_protocol;
    let so = st.sockets.insert(new)?;
    // As in the book, a listener without buffers leaves the protocol to
    // size them at attach.
    let _ = soreserve(st, so, sndcc, rcvcc);
    // Cannot fail: room was reserved above.
    let _ = soqinsque(st, head, so, q);
    if let Err(e) = usrreq(st, so, Pru::Attach { proto }) {
        soqremque(st, so, q);
        if let Some(mut s) = st.sockets.remove(so) {
            s.so_snd.sbflush(&mut st.mbpool);
            s.so_rcv.sbflush(&mut st.mbpool);
        }
        return Err(e);
    }
    if connstatus != 0 {
        sorwakeup(st, head);
        st.so(so).so_state |= connstatus;
    }
    Ok(so)
}

/// Puts `so` at the end of queue `q` of listener `head` (`soqinsque`; 0
/// is `so_q0`, 1 `so_q`). ENOBUFS when there is no room; `solisten`
/// reserved room for every connection `sonewconn` accepts.
pub fn soqinsque(st: &mut Stack, head: usize, so: usize, q: usize) -> Result {
    st.so(head).queue(q).push(so).map_err(|_| ENOBUFS)?;
    st.so(so).so_head = Some(head);
    Ok(())
}

/// Takes `so` off queue `q` of its listener (`soqremque`); false when it
/// is not on that queue.
pub fn soqremque(st: &mut Stack, so: usize, q: usize) -> bool {
    let Some(head) = st.so(so).so_head else {
        return false;
    };
    let queue = st.so(head).queue(q);
    let Some(i) = queue.iter().position(|&s| s == so) else {
        return false;
    };
    queue.remove(i);
    st.so(so).so_head = None;
    true
}

/// Out-of-band data has arrived (`sohasoutofband`): the socket's owner
/// gets SIGURG (F_SETOWN's, through the platform), and readers and
/// select()'s exceptional condition learn of it.
pub fn sohasoutofband(st: &mut Stack, so: usize) {
    st.sigurg(so);
    sorwakeup(st, so);
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
