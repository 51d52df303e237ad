//! The socket layer (`sys/socketvar.h`, `kern/uipc_socket.c`; book
//! chapters 15 and 16). The system-call side (`uipc_syscalls.c`) is
//! Linux's: `rust/linux/socket.rs` turns each call into one of these.

use crate::bsd::kern::uipc_domain::{
    pffindproto, pffindtype, Domain, Protosw, SockOpt, PR_ADDR, PR_ATOMIC, PR_CONNREQUIRED,
};
use crate::bsd::kern::uipc_mbuf::{
    m_clget, m_freem, m_get, m_gethdr, Mbuf, MbufPool, MINCLSIZE, MT_DATA,
};
use crate::bsd::kern::uipc_socket2::{socantrcvmore, Sockbuf};
use crate::bsd::netinet::in_::SockaddrIn;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::socket::{MSG_OOB, MSG_PEEK, MSG_TRUNC, SHUT_RD, SHUT_RDWR, SHUT_WR};
use crate::platform::Vec;

// so_state bits.
/// No file descriptor refers to the socket any more.
pub const SS_NOFDREF: u16 = 0x001;
/// Connected to a peer.
pub const SS_ISCONNECTED: u16 = 0x002;
/// Connecting to a peer.
pub const SS_ISCONNECTING: u16 = 0x004;
/// Disconnecting.
pub const SS_ISDISCONNECTING: u16 = 0x008;
/// Can send no more data.
pub const SS_CANTSENDMORE: u16 = 0x010;
/// Can receive no more data.
pub const SS_CANTRCVMORE: u16 = 0x020;
/// Created by a privileged user (here: with CAP_NET_RAW).
pub const SS_PRIV: u16 = 0x080;

// `so_options` bits, with the book's values (`sys/socket.h`). The Linux
// glue maps Linux's option numbers onto them.
/// Turn on debugging info recording.
pub const SO_DEBUG: u16 = 0x0001;
/// The socket is listening (set by `solisten`).
pub const SO_ACCEPTCONN: u16 = 0x0002;
/// Allow local address reuse.
pub const SO_REUSEADDR: u16 = 0x0004;
/// Keep connections alive.
pub const SO_KEEPALIVE: u16 = 0x0008;
/// Just use interface addresses: bypass routing.
pub const SO_DONTROUTE: u16 = 0x0010;
/// Permit sending of broadcast datagrams.
pub const SO_BROADCAST: u16 = 0x0020;
/// Bypass hardware when possible.
pub const SO_USELOOPBACK: u16 = 0x0040;
/// Linger on close if data present.
pub const SO_LINGER: u16 = 0x0080;
/// Leave received out-of-band data in line.
pub const SO_OOBINLINE: u16 = 0x0100;
/// Allow local address and port reuse.
pub const SO_REUSEPORT: u16 = 0x0200;

// The other SOL_SOCKET options (`sys/socket.h`, the book's values): the
// ones above are both option names and `so_options` bits.
/// The level of options for the socket itself, not a protocol.
pub const SOL_SOCKET: i32 = 0xffff;
/// Send buffer size.
pub const SO_SNDBUF: i32 = 0x1001;
/// Receive buffer size.
pub const SO_RCVBUF: i32 = 0x1002;
/// Send low-water mark.
pub const SO_SNDLOWAT: i32 = 0x1003;
/// Receive low-water mark.
pub const SO_RCVLOWAT: i32 = 0x1004;
/// Send timeout.
pub const SO_SNDTIMEO: i32 = 0x1005;
/// Receive timeout.
pub const SO_RCVTIMEO: i32 = 0x1006;
/// Get the pending error and clear it.
pub const SO_ERROR: i32 = 0x1007;
/// Get the socket type.
pub const SO_TYPE: i32 = 0x1008;

/// Longest option value the socket layer and the protocols take or give
/// (IP_OPTIONS takes 44 bytes at most); the platform copies no more.
pub const MAX_SOOPTLEN: usize = 256;

/// A user request to a protocol (the book's PRU_* codes, with their
/// arguments). Addresses come as the caller's bytes, for the protocol to
/// check, as the book passes them in an mbuf.
pub enum Pru<'a> {
    /// A socket was created (PRU_ATTACH); `proto` is socket()'s protocol.
    Attach { proto: i32 },
    /// The socket goes away (PRU_DETACH).
    Detach,
    /// bind() (PRU_BIND).
    Bind(&'a [u8]),
    /// listen() (PRU_LISTEN).
    Listen,
    /// connect() (PRU_CONNECT).
    Connect(&'a [u8]),
    /// Break the association (PRU_DISCONNECT).
    Disconnect,
    /// No more sending (PRU_SHUTDOWN).
    Shutdown,
    /// Send data (PRU_SEND), to `nam` when given. The protocol owns the
    /// chain from here and frees it on error.
    Send { data: Mbuf, nam: Option<&'a [u8]> },
    /// The local address (PRU_SOCKADDR).
    Sockaddr(&'a mut SockaddrIn),
    /// The peer's address (PRU_PEERADDR).
    Peeraddr(&'a mut SockaddrIn),
    /// An ioctl for the protocol (PRU_CONTROL): `data` is the request,
    /// `ifp` the interface it names, `admin` whether the caller may
    /// change the configuration.
    Control { cmd: u32, data: &'a mut [u8], ifp: Option<usize>, admin: bool },
}

/// What the creator of a socket may do, captured at socket() (FreeBSD's
/// `so_cred`; the book asks `suser()` at each check instead).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Cred {
    /// May open raw sockets (CAP_NET_RAW; the book's SS_PRIV).
    pub net_raw: bool,
    /// May bind ports below 1024 (CAP_NET_BIND_SERVICE).
    pub net_bind_service: bool,
}

impl Cred {
    /// Everything allowed, as for root.
    pub const ROOT: Cred = Cred { net_raw: true, net_bind_service: true };
}

/// A socket (`struct socket`).
pub struct Socket {
    pub so_cred: Cred,
    pub so_type: i32,
    pub so_options: u16,
    pub so_state: u16,
    pub so_proto: &'static Protosw,
    /// The protocol control block (index into the stack's `inpcbs`).
    pub so_pcb: Option<usize>,
    pub so_error: Errno,
    /// SO_LINGER's time, in seconds (a `short`, as in the book).
    pub so_linger: i16,
    pub so_rcv: Sockbuf,
    pub so_snd: Sockbuf,
    /// Opaque to the stack: the platform's handle for waking this
    /// socket's sleepers (4.4BSD's `so_upcallarg`).
    pub so_upcallarg: usize,
}

/// Creates a socket (`socreate`). `cred.net_raw` stands for the book's
/// `suser()` check that sets SS_PRIV.
pub fn socreate(
    st: &mut Stack,
    dom: &'static Domain,
    ty: i32,
    proto: i32,
    cred: Cred,
    upcallarg: usize,
) -> Result<usize> {
    let prp = if proto != 0 { pffindproto(dom, proto, ty) } else { pffindtype(dom, ty) };
    let prp = match prp {
        Some(pr) if pr.pr_usrreq.is_some() => pr,
        Some(_) => return Err(EPROTONOSUPPORT),
        // The book answers EPROTONOSUPPORT for all of these; Linux and
        // later BSDs tell the cases apart, and so do we.
        None if !dom.dom_protosw.iter().any(|pr| pr.pr_type == ty) => return Err(ESOCKTNOSUPPORT),
        None if dom.dom_protosw.iter().any(|pr| pr.pr_protocol == proto) => return Err(EPROTOTYPE),
        None => return Err(EPROTONOSUPPORT),
    };
    if prp.pr_type != ty {
        return Err(EPROTOTYPE);
    }
    let so = st.sockets.insert(Socket {
        so_cred: cred,
        so_type: ty,
        so_options: 0,
        so_state: if cred.net_raw { SS_PRIV } else { 0 },
        so_proto: prp,
        so_pcb: None,
        so_error: Errno(0),
        so_linger: 0,
        so_rcv: Sockbuf::default(),
        so_snd: Sockbuf::default(),
        so_upcallarg: upcallarg,
    })?;
    if let Err(e) = usrreq(st, so, Pru::Attach { proto }) {
        st.so(so).so_state |= SS_NOFDREF;
        sofree(st, so);
        return Err(e);
    }
    Ok(so)
}

/// Passes a request to the socket's protocol.
pub fn usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
    // socreate only makes sockets whose protocol has user requests.
    match st.so(so).so_proto.pr_usrreq {
        Some(f) => f(st, so, req),
        None => Err(EOPNOTSUPP),
    }
}

/// Frees the socket once neither a descriptor nor a PCB refers to it
/// (`sofree`).
pub fn sofree(st: &mut Stack, so: usize) {
    let s = st.so(so);
    if s.so_pcb.is_some() || s.so_state & SS_NOFDREF == 0 {
        return;
    }
    if let Some(mut s) = st.sockets.remove(so) {
        s.so_snd.sbflush(&mut st.mbpool);
        s.so_rcv.sbflush(&mut st.mbpool);
    }
}

/// The descriptor is closed (`soclose`): disconnect, detach, free.
pub fn soclose(st: &mut Stack, so: usize) {
    if st.so(so).so_pcb.is_some() {
        if st.so(so).so_state & SS_ISCONNECTED != 0
            && st.so(so).so_proto.pr_flags & PR_CONNREQUIRED != 0
        {
            let _ = usrreq(st, so, Pru::Disconnect);
        }
        // Detach cannot refuse: the descriptor is gone either way.
        let _ = usrreq(st, so, Pru::Detach);
    }
    st.so(so).so_state |= SS_NOFDREF;
    sofree(st, so);
}

/// bind() (`sobind`).
pub fn sobind(st: &mut Stack, so: usize, nam: &[u8]) -> Result {
    usrreq(st, so, Pru::Bind(nam))
}

/// listen() (`solisten`).
pub fn solisten(st: &mut Stack, so: usize) -> Result {
    usrreq(st, so, Pru::Listen)?;
    st.so(so).so_options |= SO_ACCEPTCONN;
    Ok(())
}

/// accept(): only a listening socket has connections to take (the check
/// of the book's `accept()`; the queues come with TCP).
pub fn soaccept(st: &mut Stack, so: usize) -> Result {
    if st.so(so).so_options & SO_ACCEPTCONN == 0 {
        return Err(EINVAL);
    }
    Err(EOPNOTSUPP)
}

/// connect() (`soconnect`). A connected datagram socket may connect
/// again: it is disconnected first.
pub fn soconnect(st: &mut Stack, so: usize, nam: &[u8]) -> Result {
    let s = st.so(so);
    if s.so_state & (SS_ISCONNECTED | SS_ISCONNECTING) != 0
        && (s.so_proto.pr_flags & PR_CONNREQUIRED != 0 || sodisconnect(st, so).is_err())
    {
        return Err(EISCONN);
    }
    usrreq(st, so, Pru::Connect(nam))
}

/// Breaks the association (`sodisconnect`).
pub fn sodisconnect(st: &mut Stack, so: usize) -> Result {
    let s = st.so(so).so_state;
    if s & SS_ISCONNECTED == 0 {
        return Err(ENOTCONN);
    }
    if s & SS_ISDISCONNECTING != 0 {
        return Err(EINVAL);
    }
    usrreq(st, so, Pru::Disconnect)
}

/// shutdown() (`soshutdown`).
pub fn soshutdown(st: &mut Stack, so: usize, how: i32) -> Result {
    if !(SHUT_RD..=SHUT_RDWR).contains(&how) {
        return Err(EINVAL);
    }
    if how != SHUT_WR {
        // sorflush: nothing is queued yet, so only the state changes.
        socantrcvmore(st, so);
    }
    if how != SHUT_RD {
        return usrreq(st, so, Pru::Shutdown);
    }
    Ok(())
}

/// Where received data goes: the book's `struct uio` for reading.
pub trait UioOut {
    /// Bytes the caller still wants.
    fn resid(&self) -> usize;
    /// Copies `data` out and advances; EFAULT for a bad user buffer.
    fn uiomove(&mut self, data: &[u8]) -> Result;
}

/// Where sent data comes from: the book's `struct uio` for writing.
pub trait UioIn {
    /// Bytes left to send.
    fn resid(&self) -> usize;
    /// Fills `buf` and advances; EFAULT for a bad user buffer.
    fn uiomove(&mut self, buf: &mut [u8]) -> Result;
}

/// sendto()/sendmsg() (`sosend`) for protocols that send each call's data
/// at once (PR_ATOMIC): copies it into an mbuf chain and passes it down.
pub fn sosend(st: &mut Stack, so: usize, nam: Option<&[u8]>, uio: &mut dyn UioIn) -> Result {
    let s = st.so(so);
    if s.so_state & SS_CANTSENDMORE != 0 {
        return Err(EPIPE);
    }
    if s.so_error != Errno(0) {
        let e = s.so_error;
        s.so_error = Errno(0);
        return Err(e);
    }
    if s.so_state & SS_ISCONNECTED == 0 {
        if s.so_proto.pr_flags & PR_CONNREQUIRED != 0 {
            return Err(ENOTCONN);
        } else if nam.is_none() {
            return Err(EDESTADDRREQ);
        }
    }
    let resid = uio.resid();
    if s.so_proto.pr_flags & PR_ATOMIC == 0 {
        // Streams (sbwait for space, PRU_SEND in pieces) come with TCP.
        return Err(EOPNOTSUPP);
    }
    if resid > s.so_snd.sb_hiwat {
        return Err(EMSGSIZE);
    }
    let data = m_uiomove(&mut st.mbpool, uio, resid)?;
    usrreq(st, so, Pru::Send { data, nam })
}

/// Copies `len` bytes of `uio` into a new packet (the mbuf-filling loop
/// of `sosend`): clusters when the data would take more than two mbufs.
pub fn m_uiomove(mp: &mut MbufPool, uio: &mut dyn UioIn, len: usize) -> Result<Mbuf> {
    let mut parts: Vec<Mbuf> = Vec::new();
    let mut left = len;
    let r = (|| {
        loop {
            // Room first, so that a new mbuf always has a place to go.
            parts.reserve(1).map_err(|_| ENOBUFS)?;
            let mut m = if parts.is_empty() { m_gethdr(mp, MT_DATA)? } else { m_get(mp, MT_DATA)? };
            if left >= MINCLSIZE {
                if let Err(e) = m_clget(mp, &mut m) {
                    m_freem(mp, m);
                    return Err(e);
                }
            }
            let k = left.min(m.m_trailingspace());
            let copied = m.set_len(k).and_then(|()| match m.mtod_mut() {
                Some(b) => uio.uiomove(b),
                None => Err(EINVAL),
            });
            if let Err(e) = copied {
                m_freem(mp, m);
                return Err(e);
            }
            // Cannot fail: reserved above.
            let _ = parts.push(m);
            left -= k;
            if left == 0 {
                return Ok(());
            }
        }
    })();
    // Link the parts back to front into one chain.
    let mut chain: Option<Mbuf> = None;
    while let Some(mut m) = parts.pop() {
        m.set_next(chain);
        chain = Some(m);
    }
    match (r, chain) {
        (Ok(()), Some(mut m)) => {
            if let Some(h) = m.m_pkthdr_mut() {
                h.len = len;
            }
            Ok(m)
        }
        (r, chain) => {
            if let Some(m) = chain {
                m_freem(mp, m);
            }
            r.and(Err(ENOBUFS))
        }
    }
}

/// What `soreceive` delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Bytes copied out.
    pub len: usize,
    /// The whole record's length (recv's MSG_TRUNC returns it).
    pub reclen: usize,
    /// The sender's address, for protocols with PR_ADDR.
    pub addr: Option<SockaddrIn>,
    /// MSG_TRUNC when a datagram was cut short.
    pub flags: i32,
}

/// recvfrom()/recvmsg() (`soreceive`). EWOULDBLOCK means "nothing yet":
/// the platform sleeps (`sbwait`) and calls again, or answers EAGAIN for
/// a non-blocking call. Datagrams come out whole or cut short (the rest
/// is dropped, MSG_TRUNC); stream data as much as fits.
pub fn soreceive(st: &mut Stack, so: usize, uio: &mut dyn UioOut, flags: i32) -> Result<Received> {
    let Stack { sockets, mbpool, .. } = st;
    let s = sockets.get_mut(so).expect("no such socket");
    if flags & MSG_OOB != 0 {
        // Out-of-band data comes with TCP.
        return Err(EOPNOTSUPP);
    }
    let peek = flags & MSG_PEEK != 0;
    if s.so_rcv.sb_mb.is_empty() {
        if s.so_error != Errno(0) {
            let e = s.so_error;
            if !peek {
                s.so_error = Errno(0);
            }
            return Err(e);
        }
        if s.so_state & SS_CANTRCVMORE != 0 {
            return Ok(Received::default());
        }
        if s.so_state & (SS_ISCONNECTED | SS_ISCONNECTING) == 0
            && s.so_proto.pr_flags & PR_CONNREQUIRED != 0
        {
            return Err(ENOTCONN);
        }
        if uio.resid() == 0 {
            return Ok(Received::default());
        }
        return Err(EWOULDBLOCK);
    }
    let atomic = s.so_proto.pr_flags & PR_ATOMIC != 0;
    let rec = &s.so_rcv.sb_mb[0];
    let mut out = Received::default();
    if s.so_proto.pr_flags & PR_ADDR != 0 {
        out.addr = rec.addr;
    }
    if let Some(d) = rec.data.as_ref() {
        out.reclen = d.m_length();
        let mut want = uio.resid();
        for seg in d.segments() {
            if want == 0 {
                break;
            }
            let k = want.min(seg.len());
            uio.uiomove(&seg[..k])?;
            want -= k;
            out.len += k;
        }
    }
    if atomic {
        if out.len < out.reclen {
            out.flags |= MSG_TRUNC;
        }
        if !peek {
            s.so_rcv.sbdroprecord(mbpool);
        }
    } else if !peek {
        s.so_rcv.sbdrop(mbpool, out.len);
    }
    Ok(out)
}

/// Readiness for poll/select: (readable, writable) as `soreadable` and
/// `sowriteable` define them.
pub fn soreadiness(st: &mut Stack, so: usize) -> (bool, bool) {
    let s = st.so(so);
    let err = s.so_error != Errno(0);
    let readable = s.so_rcv.sb_cc >= s.so_rcv.sb_lowat || s.so_state & SS_CANTRCVMORE != 0 || err;
    let writable = (s.so_snd.sbspace() >= s.so_snd.sb_lowat
        && (s.so_state & SS_ISCONNECTED != 0 || s.so_proto.pr_flags & PR_CONNREQUIRED == 0))
        || s.so_state & SS_CANTSENDMORE != 0
        || err;
    (readable, writable)
}

/// The options that are one `so_options` bit each, named by that bit.
const SO_BOOLS: [u16; 9] = [
    SO_DEBUG,
    SO_REUSEADDR,
    SO_KEEPALIVE,
    SO_DONTROUTE,
    SO_BROADCAST,
    SO_USELOOPBACK,
    SO_LINGER,
    SO_OOBINLINE,
    SO_REUSEPORT,
];

/// The `so_options` bit that option `name` sets, if it is one.
fn so_bit(name: i32) -> Option<u16> {
    SO_BOOLS.into_iter().find(|&b| i32::from(b) == name)
}

/// Copies an option value of `buf.len()` bytes in: EINVAL when the
/// caller gave fewer; bytes beyond are ignored, as Linux ignores them
/// (FreeBSD's `sooptcopyin`; the book checks the mbuf's length).
pub fn sooptcopyin(val: &[u8], buf: &mut [u8]) -> Result {
    let v = val.get(..buf.len()).ok_or(EINVAL)?;
    buf.copy_from_slice(v);
    Ok(())
}

/// An `int` option value (native byte order, as the caller's `int`).
pub fn sooptint(val: &[u8]) -> Result<i32> {
    let mut b = [0u8; 4];
    sooptcopyin(val, &mut b)?;
    Ok(i32::from_ne_bytes(b))
}

/// Copies option value `v` out to `out`, cut short to the caller's
/// length as Linux does, and returns the bytes written (FreeBSD's
/// `sooptcopyout`).
pub fn sooptcopyout(out: &mut [u8], v: &[u8]) -> usize {
    let n = v.len().min(out.len());
    out[..n].copy_from_slice(&v[..n]);
    n
}

/// setsockopt() (`sosetopt`). Options of other levels go to the
/// protocol's `pr_ctloutput`. SOL_SOCKET options are the socket layer's;
/// once one is set the protocol is told too, as the book does (its
/// answer does not count). Values too short are EINVAL, unknown options
/// ENOPROTOOPT.
///
/// Differences from the book, as FreeBSD and Linux have them:
/// - SO_LINGER takes 8 bytes or more (the book exactly 8) and a time in
///   0..=32767 seconds (the book's `short` would truncate others).
/// - Buffer sizes and low-water marks below 1 are EINVAL (FreeBSD); a
///   low-water mark above the buffer's size is cut to it.
/// - SO_SNDTIMEO and SO_RCVTIMEO are ENOPROTOOPT here: the platform's
///   sleeps keep their own timeouts, so it answers them itself.
pub fn sosetopt(st: &mut Stack, so: usize, level: i32, name: i32, val: &[u8]) -> Result {
    let ctloutput = st.so(so).so_proto.pr_ctloutput;
    if level != SOL_SOCKET {
        return match ctloutput {
            Some(f) => f(st, so, SockOpt::Set { level, name, val }).map(|_| ()),
            None => Err(ENOPROTOOPT),
        };
    }
    let s = st.so(so);
    if let Some(bit) = so_bit(name) {
        let on = sooptint(val)? != 0;
        if bit == SO_LINGER {
            let mut l = [0u8; 8];
            sooptcopyin(val, &mut l)?;
            let linger = i32::from_ne_bytes([l[4], l[5], l[6], l[7]]);
            s.so_linger = i16::try_from(linger).ok().filter(|&l| l >= 0).ok_or(EINVAL)?;
        }
        if on {
            s.so_options |= bit;
        } else {
            s.so_options &= !bit;
        }
    } else {
        match name {
            SO_SNDBUF | SO_RCVBUF | SO_SNDLOWAT | SO_RCVLOWAT => {
                let v = usize::try_from(sooptint(val)?).ok().filter(|&v| v >= 1).ok_or(EINVAL)?;
                match name {
                    SO_SNDBUF => s.so_snd.sbreserve(v)?,
                    SO_RCVBUF => s.so_rcv.sbreserve(v)?,
                    SO_SNDLOWAT => s.so_snd.sb_lowat = v.min(s.so_snd.sb_hiwat),
                    _ => s.so_rcv.sb_lowat = v.min(s.so_rcv.sb_hiwat),
                }
            }
            _ => return Err(ENOPROTOOPT),
        }
    }
    if let Some(f) = ctloutput {
        let _ = f(st, so, SockOpt::Set { level, name, val });
    }
    Ok(())
}

/// getsockopt() (`sogetopt`): writes the value into `out`, cut short to
/// its length, and returns the bytes written. Options of other levels go
/// to the protocol. As in the book, a flag option reads as its
/// `so_options` bit (nonzero when on) and SO_ERROR clears the error.
///
/// The Linux platform never calls this for SOL_SOCKET: Linux answers
/// those from its `struct sock`, which the platform keeps in step.
pub fn sogetopt(st: &mut Stack, so: usize, level: i32, name: i32, out: &mut [u8]) -> Result<usize> {
    let s = st.so(so);
    if level != SOL_SOCKET {
        return match s.so_proto.pr_ctloutput {
            Some(f) => f(st, so, SockOpt::Get { level, name, out }),
            None => Err(ENOPROTOOPT),
        };
    }
    let int = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
    if name == i32::from(SO_LINGER) {
        let mut l = [0u8; 8];
        l[..4].copy_from_slice(&i32::from(s.so_options & SO_LINGER).to_ne_bytes());
        l[4..].copy_from_slice(&i32::from(s.so_linger).to_ne_bytes());
        return Ok(sooptcopyout(out, &l));
    }
    let v = match (name, so_bit(name)) {
        (_, Some(bit)) => i32::from(s.so_options & bit),
        (SO_TYPE, _) => s.so_type,
        (SO_ERROR, _) => core::mem::replace(&mut s.so_error, Errno(0)).0,
        (SO_SNDBUF, _) => int(s.so_snd.sb_hiwat),
        (SO_RCVBUF, _) => int(s.so_rcv.sb_hiwat),
        (SO_SNDLOWAT, _) => int(s.so_snd.sb_lowat),
        (SO_RCVLOWAT, _) => int(s.so_rcv.sb_lowat),
        _ => return Err(ENOPROTOOPT),
    };
    Ok(sooptcopyout(out, &v.to_ne_bytes()))
}

/// Linux's `SOL_SOCKET`: the level setsockopt() brings from Linux
/// programs (the book's is `SOL_SOCKET`, 0xffff).
pub const LINUX_SOL_SOCKET: i32 = 1;

/// The book's name for Linux's SOL_SOCKET option number `name`, or
/// `None` for an option bsdinet does not have. bsdinet keeps Linux's
/// numbers (`asm-generic/socket.h`, as on x86 and arm) as its ABI, so
/// that programs use `<sys/socket.h>`. Linux's SO_RCVTIMEO and
/// SO_SNDTIMEO (20, 21, 66, 67) are not here: the platform gives them to
/// Linux's own code.
pub fn linux_so_optname(name: i32) -> Option<i32> {
    let bit = |b: u16| Some(i32::from(b));
    match name {
        1 => bit(SO_DEBUG),
        2 => bit(SO_REUSEADDR),
        3 => Some(SO_TYPE),
        4 => Some(SO_ERROR),
        5 => bit(SO_DONTROUTE),
        6 => bit(SO_BROADCAST),
        7 => Some(SO_SNDBUF),
        8 => Some(SO_RCVBUF),
        9 => bit(SO_KEEPALIVE),
        10 => bit(SO_OOBINLINE),
        13 => bit(SO_LINGER),
        15 => bit(SO_REUSEPORT),
        18 => Some(SO_RCVLOWAT),
        19 => Some(SO_SNDLOWAT),
        _ => None,
    }
}
