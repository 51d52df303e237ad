//! The socket layer (`sys/socketvar.h`, `kern/uipc_socket.c`; book
//! chapters 15 and 16). The system-call side (`uipc_syscalls.c`) is
//! Linux's: `rust/linux/socket.rs` turns each call into one of these.

use crate::bsd::kern::uipc_domain::{
    pffindproto, pffindtype, Domain, Protosw, SockOpt, PR_ADDR, PR_ATOMIC, PR_CONNREQUIRED,
    PR_WANTRCVD,
};
use crate::bsd::kern::uipc_mbuf::{
    m_clget, m_copy, m_freem, m_get, m_gethdr, Mbuf, MbufPool, MHLEN, MINCLSIZE, MT_DATA,
    M_COPYALL, M_EOR,
};
use crate::bsd::kern::uipc_socket2::{socantrcvmore, soqremque, Sockbuf, MCLBYTES};
use crate::bsd::netinet::in_::SockaddrIn;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::socket::{
    MSG_DONTROUTE, MSG_DONTWAIT, MSG_EOR, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, SHUT_RD,
    SHUT_RDWR, SHUT_WR,
};
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
/// At the out-of-band mark: the data before it has been read.
pub const SS_RCVATMARK: u16 = 0x040;
/// Created by a privileged user (here: with CAP_NET_RAW).
pub const SS_PRIV: u16 = 0x080;

/// Most connections listen() may ask to queue (`SOMAXCONN`, 5 in the
/// book; a larger backlog is cut to it).
pub const SOMAXCONN: i32 = 5;
/// bsdinet's default for the stack's `somaxconn` (Linux's before 5.4):
/// the book's 5 turns away the clients of any busy server.
pub const SOMAXCONN_DEFAULT: i32 = 128;

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
    /// accept() took the socket off its listener's queue (PRU_ACCEPT):
    /// the protocol gives the peer's address.
    Accept(&'a mut SockaddrIn),
    /// Drop the connection at once (PRU_ABORT), for a socket that no
    /// descriptor refers to: one on a listener's queue. The protocol
    /// disconnects, detaches and lets `sofree` free the socket, which
    /// takes it off the queue, as the book's protocols do.
    Abort,
    /// Break the association (PRU_DISCONNECT).
    Disconnect,
    /// No more sending (PRU_SHUTDOWN).
    Shutdown,
    /// Send data (PRU_SEND), to `nam` when given, with the control
    /// messages of sendmsg() in `control`. The protocol owns both chains
    /// from here and frees them.
    Send { data: Mbuf, nam: Option<&'a [u8]>, control: Option<Mbuf> },
    /// Send out-of-band data (PRU_SENDOOB, for send(MSG_OOB)), as `Send`.
    SendOob { data: Mbuf, nam: Option<&'a [u8]>, control: Option<Mbuf> },
    /// The user took data from the receive buffer (PRU_RCVD, for
    /// protocols with PR_WANTRCVD), with recv()'s `flags`: the protocol
    /// may open its window again.
    Rcvd { flags: i32 },
    /// recv(MSG_OOB) (PRU_RCVOOB): the protocol puts its out-of-band data
    /// in the empty mbuf `m`, and forgets it unless `flags` has MSG_PEEK.
    Rcvoob { m: &'a mut Mbuf, flags: i32 },
    /// The local address (PRU_SOCKADDR).
    Sockaddr(&'a mut SockaddrIn),
    /// The peer's address (PRU_PEERADDR).
    Peeraddr(&'a mut SockaddrIn),
    /// An ioctl for the protocol (PRU_CONTROL): `data` is the request,
    /// `ifp` the interface it names, `admin` whether the caller may
    /// change the configuration.
    Control { cmd: u32, data: &'a mut [u8], ifp: Option<usize>, admin: bool },
}

// The book's PRU_* numbers (`sys/protosw.h`), for traces.
pub const PRU_ATTACH: i32 = 0;
pub const PRU_DETACH: i32 = 1;
pub const PRU_BIND: i32 = 2;
pub const PRU_LISTEN: i32 = 3;
pub const PRU_CONNECT: i32 = 4;
pub const PRU_ACCEPT: i32 = 5;
pub const PRU_DISCONNECT: i32 = 6;
pub const PRU_SHUTDOWN: i32 = 7;
pub const PRU_RCVD: i32 = 8;
pub const PRU_SEND: i32 = 9;
pub const PRU_ABORT: i32 = 10;
pub const PRU_CONTROL: i32 = 11;
pub const PRU_SENSE: i32 = 12;
pub const PRU_RCVOOB: i32 = 13;
pub const PRU_SENDOOB: i32 = 14;
pub const PRU_SOCKADDR: i32 = 15;
pub const PRU_PEERADDR: i32 = 16;
pub const PRU_CONNECT2: i32 = 17;
pub const PRU_FASTTIMO: i32 = 18;
pub const PRU_SLOWTIMO: i32 = 19;
pub const PRU_PROTORCV: i32 = 20;
pub const PRU_PROTOSEND: i32 = 21;

/// The requests' names (`prurequests[]`), as trpt prints them.
pub const PRUREQUESTS: [&str; 22] = [
    "ATTACH",
    "DETACH",
    "BIND",
    "LISTEN",
    "CONNECT",
    "ACCEPT",
    "DISCONNECT",
    "SHUTDOWN",
    "RCVD",
    "SEND",
    "ABORT",
    "CONTROL",
    "SENSE",
    "RCVOOB",
    "SENDOOB",
    "SOCKADDR",
    "PEERADDR",
    "CONNECT2",
    "FASTTIMO",
    "SLOWTIMO",
    "PROTORCV",
    "PROTOSEND",
];

impl Pru<'_> {
    /// The book's PRU_* number of the request.
    pub fn number(&self) -> i32 {
        match self {
            Pru::Attach { .. } => PRU_ATTACH,
            Pru::Detach => PRU_DETACH,
            Pru::Bind(_) => PRU_BIND,
            Pru::Listen => PRU_LISTEN,
            Pru::Connect(_) => PRU_CONNECT,
            Pru::Accept(_) => PRU_ACCEPT,
            Pru::Abort => PRU_ABORT,
            Pru::Disconnect => PRU_DISCONNECT,
            Pru::Shutdown => PRU_SHUTDOWN,
            Pru::Send { .. } => PRU_SEND,
            Pru::SendOob { .. } => PRU_SENDOOB,
            Pru::Rcvd { .. } => PRU_RCVD,
            Pru::Rcvoob { .. } => PRU_RCVOOB,
            Pru::Sockaddr(_) => PRU_SOCKADDR,
            Pru::Peeraddr(_) => PRU_PEERADDR,
            Pru::Control { .. } => PRU_CONTROL,
        }
    }
}

/// What the creator of a socket may do, captured at socket() (FreeBSD's
/// `so_cred`; the book asks `suser()` at each check instead).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Cred {
    /// May open raw sockets (CAP_NET_RAW; the book's SS_PRIV).
    pub net_raw: bool,
    /// May bind ports below 1024 (CAP_NET_BIND_SERVICE).
    pub net_bind_service: bool,
    /// May change the routing table through a routing socket
    /// (CAP_NET_ADMIN).
    pub net_admin: bool,
}

impl Cred {
    /// Everything allowed, as for root.
    pub const ROOT: Cred = Cred { net_raw: true, net_bind_service: true, net_admin: true };
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
    /// The pending error (`so_error`). Post one with `set_error`; take it
    /// by assigning 0.
    pub so_error: Errno,
    /// How many errors have been posted (wrapping), so that the platform
    /// can tell a new error from the one the user already took when both
    /// have the same value (not in the book).
    pub so_error_gen: u32,
    /// SO_LINGER's time, in seconds (a `short`, as in the book).
    pub so_linger: i16,
    pub so_rcv: Sockbuf,
    pub so_snd: Sockbuf,
    /// Opaque to the stack: the platform's handle for waking this
    /// socket's sleepers (4.4BSD's `so_upcallarg`); 0 for none, as for a
    /// socket that no descriptor has yet (on a listener's queue) or any
    /// more (closed, its protocol still at work).
    pub so_upcallarg: usize,
    /// The listener whose queue holds this socket (`so_head`), until
    /// accept() takes it.
    pub so_head: Option<usize>,
    /// A listener's incomplete connections (`so_q0`), oldest first: the
    /// sockets `sonewconn` made that are not connected yet. The book
    /// links the sockets themselves; sockets are indices here, so the
    /// queues are lists of indices, with room reserved by `solisten`.
    pub so_q0: Vec<usize>,
    /// A listener's completed connections (`so_q`), oldest first, for
    /// accept() to take.
    pub so_q: Vec<usize>,
    /// The most connections listen() asked for (`so_qlimit`).
    pub so_qlimit: usize,
    /// How many bytes of the receive buffer come before the out-of-band
    /// mark (`so_oobmark`); 0 when there is none or the reader is at it,
    /// which SS_RCVATMARK tells apart.
    pub so_oobmark: usize,
}

impl Socket {
    /// A socket of protocol `so_proto` with nothing queued and no PCB.
    pub fn new(so_proto: &'static Protosw, so_cred: Cred, so_upcallarg: usize) -> Socket {
        Socket {
            so_cred,
            so_type: so_proto.pr_type,
            so_options: 0,
            so_state: 0,
            so_proto,
            so_pcb: None,
            so_error: Errno(0),
            so_error_gen: 0,
            so_linger: 0,
            so_rcv: Sockbuf::default(),
            so_snd: Sockbuf::default(),
            so_upcallarg,
            so_head: None,
            so_q0: Vec::new(),
            so_q: Vec::new(),
            so_qlimit: 0,
            so_oobmark: 0,
        }
    }

    /// Posts error `e` for the user to take (`so->so_error = e`),
    /// counting it in `so_error_gen` when it is not 0.
    pub fn set_error(&mut self, e: Errno) {
        self.so_error = e;
        if e != Errno(0) {
            self.so_error_gen = self.so_error_gen.wrapping_add(1);
        }
    }

    /// Connections on the completed queue (the book's `so_qlen`).
    pub fn so_qlen(&self) -> usize {
        self.so_q.len()
    }

    /// Connections on the incomplete queue (the book's `so_q0len`).
    pub fn so_q0len(&self) -> usize {
        self.so_q0.len()
    }

    /// The queue `q` (0: `so_q0`, otherwise `so_q`), as the book's
    /// `soqinsque` and `soqremque` choose it.
    pub fn queue(&mut self, q: usize) -> &mut Vec<usize> {
        if q == 0 {
            &mut self.so_q0
        } else {
            &mut self.so_q
        }
    }
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
    let mut s = Socket::new(prp, cred, upcallarg);
    if cred.net_raw {
        s.so_state |= SS_PRIV;
    }
    let so = st.sockets.insert(s)?;
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

/// Answers EOPNOTSUPP to a request the protocol does not have, freeing
/// the mbufs it carries (the book's protocols answer so to PRU_ACCEPT,
/// PRU_RCVD, PRU_RCVOOB, PRU_SENDOOB... when they have no use for them).
pub fn pru_notsupp(st: &mut Stack, req: Pru<'_>) -> Result {
    if let Pru::Send { data, control, .. } | Pru::SendOob { data, control, .. } = req {
        m_freem(&mut st.mbpool, data);
        if let Some(c) = control {
            m_freem(&mut st.mbpool, c);
        }
    }
    Err(EOPNOTSUPP)
}

/// Frees the socket once neither a descriptor nor a PCB refers to it
/// (`sofree`). A socket still on a listener's queue leaves it: the
/// protocol dropped a connection that no one accepted.
pub fn sofree(st: &mut Stack, so: usize) {
    let s = st.so(so);
    if s.so_pcb.is_some() || s.so_state & SS_NOFDREF == 0 {
        return;
    }
    if s.so_head.is_some() && !soqremque(st, so, 0) {
        soqremque(st, so, 1);
    }
    // A listener's queues were emptied by `soclose`; should a protocol
    // free one that still has connections, they go too, so that none is
    // left naming a freed listener.
    soqabort(st, so);
    if let Some(mut s) = st.sockets.remove(so) {
        s.so_snd.sbflush(&mut st.mbpool);
        s.so_rcv.sbflush(&mut st.mbpool);
    }
}

/// Aborts every connection on the queues of listener `head` (the loops at
/// the start of the book's `soclose`). A protocol that did not free one
/// leaves it off the queue all the same, so that the loop ends and no
/// socket names the listener any more.
fn soqabort(st: &mut Stack, head: usize) {
    for q in [0, 1] {
        while let Some(&so) = st.so(head).queue(q).first() {
            if st.sockets.get(so).is_some() {
                let _ = soabort(st, so);
            }
            if st.so(head).queue(q).first() == Some(&so) {
                st.so(head).queue(q).remove(0);
                if let Some(s) = st.sockets.get_mut(so) {
                    s.so_head = None;
                    sofree(st, so);
                }
            }
        }
    }
}

/// Drops a connection that no descriptor refers to (`soabort`).
pub fn soabort(st: &mut Stack, so: usize) -> Result {
    usrreq(st, so, Pru::Abort)
}

/// close() up to the book's linger wait, for platforms that can sleep: a
/// listener's pending connections are aborted, and a connected socket
/// disconnected (PRU_DISCONNECT, unless it is disconnecting already).
///
/// Returns SO_LINGER's time in seconds when the socket asked to linger
/// and is still connected. The platform then sleeps (interruptibly, and
/// not at all for a non-blocking socket that is disconnecting, as the
/// book) until SS_ISCONNECTED clears — the protocol's `soisdisconnected`
/// wakes the socket — or the time runs out; 0 means no limit, as the
/// book's `tsleep` takes it (TCP resets the connection instead of
/// lingering for 0 seconds, so it is not connected by then). In every
/// case `soclose` comes next.
pub fn soclose_linger(st: &mut Stack, so: usize) -> Option<u16> {
    if st.so(so).so_options & SO_ACCEPTCONN != 0 {
        soqabort(st, so);
    }
    let s = st.so(so);
    if s.so_pcb.is_none() || s.so_state & SS_ISCONNECTED == 0 {
        return None;
    }
    if s.so_state & SS_ISDISCONNECTING == 0 && sodisconnect(st, so).is_err() {
        return None;
    }
    let s = st.so(so);
    let linger = s.so_options & SO_LINGER != 0 && s.so_state & SS_ISCONNECTED != 0;
    linger.then(|| s.so_linger.max(0) as u16)
}

/// The descriptor is closed (`soclose`): abort the queued connections of
/// a listener, disconnect, detach, free. Nothing here sleeps: a platform
/// that honours SO_LINGER calls `soclose_linger` first and waits.
///
/// The descriptor's sleepers are gone, and the platform may free its
/// wakeup handle once this returns: the socket forgets its `so_upcallarg`
/// first, and the wakeups pending for it are dropped, so that none names
/// the handle again, although a protocol that keeps its PCB (TCP's
/// TIME_WAIT) keeps the socket too.
pub fn soclose(st: &mut Stack, so: usize) {
    let arg = core::mem::replace(&mut st.so(so).so_upcallarg, 0);
    st.forget_wakeups(arg);
    soclose_linger(st, so);
    if st.so(so).so_pcb.is_some() {
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

/// listen() (`solisten`): the protocol agrees (PRU_LISTEN), the socket
/// accepts connections (SO_ACCEPTCONN), and queues up to `backlog` of
/// them, 0 when negative and the stack's `somaxconn` at most (the book's
/// SOMAXCONN, as a sysctl). Room for
/// the most the queues can hold (`sonewconn`'s limit) is reserved here,
/// first, so that no connection request needs memory for its place and
/// an ENOBUFS leaves the socket as it was.
pub fn solisten(st: &mut Stack, so: usize, backlog: i32) -> Result {
    let qlimit = backlog.clamp(0, st.somaxconn.max(0)) as usize;
    let room = sonewconn_max(qlimit);
    let s = st.so(so);
    if s.so_q0.reserve(room).is_err() || s.so_q.reserve(room).is_err() {
        return Err(ENOBUFS);
    }
    usrreq(st, so, Pru::Listen)?;
    let s = st.so(so);
    if s.so_q.is_empty() {
        s.so_options |= SO_ACCEPTCONN;
    }
    s.so_qlimit = qlimit;
    Ok(())
}

/// The most connections a listener with `so_qlimit` `qlimit` holds on its
/// two queues together: `sonewconn` refuses once there are more than
/// 3/2 of the limit (the book's rule, so 8 for SOMAXCONN).
pub fn sonewconn_max(qlimit: usize) -> usize {
    3 * qlimit / 2 + 1
}

/// accept()'s work on the socket it took from the queue (`soaccept`):
/// a descriptor refers to it again, and the protocol gives the peer's
/// address (PRU_ACCEPT).
pub fn soaccept(st: &mut Stack, so: usize) -> Result<SockaddrIn> {
    st.so(so).so_state &= !SS_NOFDREF;
    let mut nam = SockaddrIn::default();
    usrreq(st, so, Pru::Accept(&mut nam))?;
    Ok(nam)
}

/// accept() on listener `head` (the queue half of the book's `accept`
/// system call): takes the oldest completed connection off `so_q`, gives
/// it the platform's `upcallarg` (its new descriptor's wakeup handle) and
/// accepts it (`soaccept`). Returns the new socket and its peer.
///
/// - EINVAL: `head` is not listening.
/// - The listener's `so_error`, which is cleared (ECONNABORTED once it
///   can receive no more, as the book sets it for a shut-down listener).
/// - EWOULDBLOCK: no connection yet. The platform sleeps on the
///   listener (`soisconnected` and `sonewconn` wake it) and calls again,
///   or answers EAGAIN for a non-blocking one.
///
/// As in the book, the connection is the caller's even when PRU_ACCEPT
/// fails (the peer is then unnamed): its errors show at its first use.
pub fn soaccept_next(st: &mut Stack, head: usize, upcallarg: usize) -> Result<(usize, SockaddrIn)> {
    let h = st.so(head);
    if h.so_options & SO_ACCEPTCONN == 0 {
        return Err(EINVAL);
    }
    if h.so_q.is_empty() && h.so_error == Errno(0) && h.so_state & SS_CANTRCVMORE != 0 {
        h.set_error(ECONNABORTED);
    }
    if h.so_error != Errno(0) {
        return Err(core::mem::replace(&mut h.so_error, Errno(0)));
    }
    let Some(&so) = h.so_q.first() else {
        return Err(EWOULDBLOCK);
    };
    soqremque(st, so, 1);
    so_setupcall(st, so, upcallarg);
    let nam = soaccept(st, so).unwrap_or_default();
    Ok((so, nam))
}

/// Gives socket `so` the platform's wakeup handle `arg`, unless it has
/// one already (true when it took this one): for the platform's accept(),
/// which learns the new socket before it has its handle.
pub fn so_setupcall(st: &mut Stack, so: usize, arg: usize) -> bool {
    let s = st.so(so);
    if s.so_upcallarg != 0 {
        return false;
    }
    s.so_upcallarg = arg;
    true
}

/// connect() (`soconnect`). A connected datagram socket may connect
/// again: it is disconnected first. A listener may not connect.
pub fn soconnect(st: &mut Stack, so: usize, nam: &[u8]) -> Result {
    let s = st.so(so);
    if s.so_options & SO_ACCEPTCONN != 0 {
        return Err(EOPNOTSUPP);
    }
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
    // A connection protocol's socket that is not connected has nothing
    // to shut down (FreeBSD's and Linux's ENOTCONN; the book would close
    // the unconnected TCP socket's PCB). A listener may shut down.
    let s = st.so(so);
    if s.so_proto.pr_flags & PR_CONNREQUIRED != 0
        && s.so_state & (SS_ISCONNECTED | SS_ISCONNECTING | SS_ISDISCONNECTING) == 0
        && s.so_options & SO_ACCEPTCONN == 0
    {
        return Err(ENOTCONN);
    }
    if how != SHUT_WR {
        // The book's sorflush also throws away what is queued; here it
        // stays readable, as Linux keeps it, and only the state changes.
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

/// sendto()/sendmsg() (`sosend`) without flags: see `sosend_flags`.
pub fn sosend(
    st: &mut Stack,
    so: usize,
    nam: Option<&[u8]>,
    uio: &mut dyn UioIn,
    control: Option<Mbuf>,
) -> Result {
    sosend_flags(st, so, nam, uio, control, 0)
}

/// sendto()/sendmsg() (`sosend`, book section 16.7), with send()'s
/// `flags`: of them only MSG_SNDFLAGS (MSG_OOB, MSG_DONTROUTE, MSG_EOR)
/// count, as the platform answers the others (MSG_DONTWAIT,
/// MSG_NOSIGNAL) itself.
///
/// A protocol that sends each call's data at once (PR_ATOMIC) gets it
/// in one PRU_SEND, or EMSGSIZE when it is larger than the send buffer.
/// Any other gets it in pieces, one PRU_SEND (PRU_SENDOOB with MSG_OOB)
/// each, of an mbuf or a cluster, while the send buffer has room.
///
/// Nothing here sleeps. When the send buffer has too little room (less
/// than the rest of the data, and less than its low-water mark, for a
/// stream; less than the datagram for an atomic protocol) the answer is
/// EWOULDBLOCK, and `uio` has advanced past what was sent, as the book's
/// `sosend` returns to `sendit`. The platform then sleeps until the
/// socket is woken (`sowwakeup`) and calls again with the same `uio`, or,
/// for a non-blocking call (or when a signal or timeout ends the wait),
/// returns the count sent when it is not 0, and EAGAIN otherwise (the
/// book's `sendit` turns EWOULDBLOCK into the count). The first piece
/// carries `control`, which is freed in every case: a call made after
/// some data went must pass `None`, a call that answered EWOULDBLOCK
/// before sending anything sent none of it.
pub fn sosend_flags(
    st: &mut Stack,
    so: usize,
    nam: Option<&[u8]>,
    uio: &mut dyn UioIn,
    mut control: Option<Mbuf>,
    flags: i32,
) -> Result {
    let r = sosend_pieces(st, so, nam, uio, &mut control, flags & MSG_SNDFLAGS);
    if let Some(c) = control {
        m_freem(&mut st.mbpool, c);
    }
    r
}

/// The loops of `sosend`: checks and room, then pieces while there is
/// room. `control` goes with the first piece.
fn sosend_pieces(
    st: &mut Stack,
    so: usize,
    nam: Option<&[u8]>,
    uio: &mut dyn UioIn,
    control: &mut Option<Mbuf>,
    flags: i32,
) -> Result {
    let atomic = st.so(so).so_proto.pr_flags & PR_ATOMIC != 0;
    loop {
        let clen = control.as_ref().map_or(0, Mbuf::m_length);
        let resid = uio.resid();
        let clears = st.sosend_clears_error;
        let s = st.so(so);
        sosend_check(s, nam, atomic, resid, clen, clears)?;
        if !atomic && resid == 0 && clen == 0 {
            return Ok(());
        }
        let mut space = s.so_snd.sbspace();
        if flags & MSG_OOB != 0 {
            // Urgent data may go a little over the limit, as the book.
            space = space.saturating_add(1024);
        }
        if space < resid + clen && (atomic || space < s.so_snd.sb_lowat || space <= clen) {
            return Err(EWOULDBLOCK);
        }
        space -= clen;
        loop {
            let resid = uio.resid();
            let len = if atomic {
                resid
            } else if resid >= MINCLSIZE && space >= MCLBYTES {
                resid.min(MCLBYTES)
            } else {
                resid.min(MHLEN).min(space)
            };
            let mut top = m_uiomove(&mut st.mbpool, uio, len)?;
            space = space.saturating_sub(len);
            if uio.resid() == 0 && flags & MSG_EOR != 0 {
                top.set_flags(M_EOR);
            }
            sosend_piece(st, so, nam, top, control.take(), flags)?;
            if uio.resid() == 0 {
                return Ok(());
            }
            if space == 0 {
                break;
            }
        }
    }
}

/// Passes one piece to the protocol: PRU_SEND, or PRU_SENDOOB for
/// MSG_OOB. MSG_DONTROUTE sets SO_DONTROUTE for the duration, for atomic
/// protocols only, as the book.
fn sosend_piece(
    st: &mut Stack,
    so: usize,
    nam: Option<&[u8]>,
    data: Mbuf,
    control: Option<Mbuf>,
    flags: i32,
) -> Result {
    let s = st.so(so);
    let dontroute = flags & MSG_DONTROUTE != 0
        && s.so_options & SO_DONTROUTE == 0
        && s.so_proto.pr_flags & PR_ATOMIC != 0;
    if dontroute {
        s.so_options |= SO_DONTROUTE;
    }
    let req = if flags & MSG_OOB != 0 {
        Pru::SendOob { data, nam, control }
    } else {
        Pru::Send { data, nam, control }
    };
    let r = usrreq(st, so, req);
    if dontroute {
        // The protocol may have freed the socket (a PRU_SEND that fails
        // does not, but be safe).
        if let Some(s) = st.sockets.get_mut(so) {
            s.so_options &= !SO_DONTROUTE;
        }
    }
    r
}

/// `sosend`'s checks before any copying: the socket can send, there is
/// somewhere to send to, and `resid` bytes of data with `clen` of control
/// can fit the buffer at all. A pending error fails the send; as in the
/// book (`snderr(so->so_error)`) it stays for the next call, until a
/// receive or SO_ERROR takes it, unless `clears` (the stack's
/// `sosend_clears_error`) asks for Linux's way: reported once.
fn sosend_check(
    s: &mut Socket,
    nam: Option<&[u8]>,
    atomic: bool,
    resid: usize,
    clen: usize,
    clears: bool,
) -> Result {
    if s.so_state & SS_CANTSENDMORE != 0 {
        return Err(EPIPE);
    }
    if s.so_error != Errno(0) {
        let e = s.so_error;
        if clears {
            s.so_error = Errno(0);
        }
        return Err(e);
    }
    if s.so_state & SS_ISCONNECTED == 0 {
        if s.so_proto.pr_flags & PR_CONNREQUIRED != 0 {
            return Err(ENOTCONN);
        } else if nam.is_none() {
            return Err(EDESTADDRREQ);
        }
    }
    // The book checks data and control apart; a datagram and its control
    // go together here, as they travel.
    if (atomic && resid + clen > s.so_snd.sb_hiwat) || clen > s.so_snd.sb_hiwat {
        return Err(EMSGSIZE);
    }
    Ok(())
}

/// Copies `len` bytes of `uio` into a new packet (the mbuf-filling loop
/// of `sosend`): clusters when the data would take more than two mbufs.
pub fn m_uiomove(mp: &mut MbufPool, uio: &mut dyn UioIn, len: usize) -> Result<Mbuf> {
    let mut top = m_gethdr(mp, MT_DATA)?;
    match uiomove_fill(mp, uio, &mut top, len) {
        Ok(()) => {
            if let Some(h) = top.m_pkthdr_mut() {
                h.len = len;
            }
            Ok(top)
        }
        Err(e) => {
            m_freem(mp, top);
            Err(e)
        }
    }
}

/// Fills `m` and the mbufs it takes on after it with `len` bytes of
/// `uio`; on failure the caller frees the chain.
fn uiomove_fill(mp: &mut MbufPool, uio: &mut dyn UioIn, mut m: &mut Mbuf, len: usize) -> Result {
    let mut left = len;
    loop {
        if left >= MINCLSIZE {
            m_clget(mp, m)?;
        }
        let k = left.min(m.m_trailingspace());
        m.set_len(k)?;
        uio.uiomove(m.mtod_mut().ok_or(EINVAL)?)?;
        left -= k;
        if left == 0 {
            return Ok(());
        }
        m.set_next(Some(m_get(mp, MT_DATA)?));
        m = m.m_next_mut().ok_or(EINVAL)?;
    }
}

/// bsdinet's own receive flag, never a user's (`soreceive` takes only
/// MSG_RCVFLAGS from its caller; `soreceive_continue` adds this): the call
/// goes on with a MSG_WAITALL receive that returned `Received::more`.
/// The book's `soreceive` sleeps in its copy loop and, when an error or
/// the end of the data comes meanwhile, returns the bytes it has with the
/// error left for the next call; such a call answers `Ok` with nothing,
/// the error still pending, so that the platform returns its count.
const MSG_SOCONTINUE: i32 = 0x0080_0000;

/// What `soreceive` delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Bytes copied out.
    pub len: usize,
    /// The whole record's length (recv's MSG_TRUNC returns it); for a
    /// stream, the bytes copied.
    pub reclen: usize,
    /// The sender's address, for protocols with PR_ADDR.
    pub addr: Option<SockaddrIn>,
    /// MSG_TRUNC when a datagram was cut short.
    pub flags: i32,
    /// A MSG_WAITALL receive on a stream took all there was and wants
    /// more: the platform adds `len` to its count, sleeps (`sbwait`) and
    /// calls `soreceive_continue` with the same `uio` and flags, until a
    /// call returns without `more`; when the wait ends on a signal or a
    /// timeout, it returns the count it has. (The book sleeps inside
    /// `soreceive` instead.)
    pub more: bool,
}

/// recvfrom()/recvmsg() (`soreceive`, book sections 16.11-16.12).
/// EWOULDBLOCK means "wait": nothing has been taken, and the platform
/// sleeps (`sbwait`) and calls again, or answers EAGAIN for a
/// non-blocking call (MSG_DONTWAIT). Datagrams come out whole or cut
/// short (the rest is dropped, MSG_TRUNC); stream data as much as fits,
/// across records, up to the out-of-band mark. A stream waits while it
/// has less than the caller wants and less than the receive low-water
/// mark, or, with MSG_WAITALL, until all the caller wants is there when
/// the buffer can hold it (see `Received::more` for the rest).
/// MSG_OOB asks the protocol for its out-of-band data (PRU_RCVOOB), and
/// protocols with PR_WANTRCVD hear of every read but a peek (PRU_RCVD),
/// to open their window. An error or the end of the data comes once what is
/// queued has been read: the error once (kept by MSG_PEEK), the end as
/// `len` 0 every time.
///
/// Of the caller's `flags`, only MSG_RCVFLAGS count: other bits, bsdinet's
/// own included, are dropped.
pub fn soreceive(
    st: &mut Stack,
    so: usize,
    uio: &mut dyn UioOut,
    flags: i32,
    controlp: Option<&mut Option<Mbuf>>,
) -> Result<Received> {
    soreceive_flags(st, so, uio, flags & MSG_RCVFLAGS, controlp)
}

/// The next call of a MSG_WAITALL receive whose last answer was
/// `Received::more` (see there), with the same `flags` as the first.
pub fn soreceive_continue(
    st: &mut Stack,
    so: usize,
    uio: &mut dyn UioOut,
    flags: i32,
    controlp: Option<&mut Option<Mbuf>>,
) -> Result<Received> {
    soreceive_flags(st, so, uio, flags & MSG_RCVFLAGS | MSG_SOCONTINUE, controlp)
}

/// The flags `soreceive` takes from its caller.
pub const MSG_RCVFLAGS: i32 = MSG_OOB | MSG_PEEK | MSG_WAITALL | MSG_DONTWAIT;

/// The flags `sosend_flags` takes from its caller.
pub const MSG_SNDFLAGS: i32 = MSG_OOB | MSG_DONTROUTE | MSG_EOR;

/// `soreceive` with the flags checked.
fn soreceive_flags(
    st: &mut Stack,
    so: usize,
    uio: &mut dyn UioOut,
    flags: i32,
    controlp: Option<&mut Option<Mbuf>>,
) -> Result<Received> {
    if flags & MSG_OOB != 0 {
        return soreceive_oob(st, so, uio, flags);
    }
    let s = st.so(so);
    if let Some(r) = soreceive_wait(s, uio.resid(), flags) {
        return r;
    }
    if s.so_proto.pr_flags & PR_ATOMIC != 0 {
        soreceive_dgram(st, so, uio, flags, controlp)
    } else {
        soreceive_stream(st, so, uio, flags, controlp)
    }
}

/// The test at the top of the book's `soreceive`: `None` when there is
/// data to take now, otherwise the answer (an error, the end of the data
/// as `len` 0, or EWOULDBLOCK to wait).
fn soreceive_wait(s: &mut Socket, resid: usize, flags: i32) -> Option<Result<Received>> {
    let atomic = s.so_proto.pr_flags & PR_ATOMIC != 0;
    let cont = flags & MSG_SOCONTINUE != 0 && !atomic;
    let sb = &s.so_rcv;
    let have = !sb.sb_mb.is_empty();
    let short = !atomic
        && !cont
        && flags & MSG_DONTWAIT == 0
        && sb.sb_cc < resid
        && (sb.sb_cc < sb.sb_lowat || (flags & MSG_WAITALL != 0 && resid <= sb.sb_hiwat))
        && sb.sb_mb.len() <= 1;
    if have && !short {
        return None;
    }
    if s.so_error != Errno(0) {
        if have {
            return None;
        }
        if cont {
            return Some(Ok(Received::default()));
        }
        let e = s.so_error;
        if flags & MSG_PEEK == 0 {
            s.so_error = Errno(0);
        }
        return Some(Err(e));
    }
    if s.so_state & SS_CANTRCVMORE != 0 {
        return if have { None } else { Some(Ok(Received::default())) };
    }
    if s.so_state & (SS_ISCONNECTED | SS_ISCONNECTING) == 0
        && s.so_proto.pr_flags & PR_CONNREQUIRED != 0
    {
        return Some(if cont { Ok(Received::default()) } else { Err(ENOTCONN) });
    }
    if resid == 0 {
        return Some(Ok(Received::default()));
    }
    Some(Err(EWOULDBLOCK))
}

/// recv(MSG_OOB): the protocol's out-of-band data (PRU_RCVOOB) in an
/// mbuf of its own, copied out and freed.
fn soreceive_oob(st: &mut Stack, so: usize, uio: &mut dyn UioOut, flags: i32) -> Result<Received> {
    let mut m = m_get(&mut st.mbpool, MT_DATA)?;
    if let Err(e) = usrreq(st, so, Pru::Rcvoob { m: &mut m, flags }) {
        m_freem(&mut st.mbpool, m);
        return Err(e);
    }
    let mut out = Received::default();
    let mut r = Ok(());
    for seg in m.segments() {
        let k = uio.resid().min(seg.len());
        if k == 0 {
            continue;
        }
        r = uio.uiomove(&seg[..k]);
        if r.is_err() {
            break;
        }
        out.len += k;
    }
    m_freem(&mut st.mbpool, m);
    r?;
    out.reclen = out.len;
    Ok(out)
}

/// One datagram of an atomic protocol's buffer, with its sender and
/// control messages.
fn soreceive_dgram(
    st: &mut Stack,
    so: usize,
    uio: &mut dyn UioOut,
    flags: i32,
    mut controlp: Option<&mut Option<Mbuf>>,
) -> Result<Received> {
    let (s, mbpool) = st.so_mbpool(so);
    let peek = flags & MSG_PEEK != 0;
    let Some(rec) = s.so_rcv.sb_mb.first() else {
        return Err(EWOULDBLOCK);
    };
    let mut out = Received::default();
    if s.so_proto.pr_flags & PR_ADDR != 0 {
        out.addr = rec.addr;
    }
    if let (true, Some(cp), Some(c)) = (peek, controlp.as_deref_mut(), rec.control.as_ref()) {
        *cp = Some(m_copy(mbpool, c, 0, M_COPYALL)?);
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
    if out.len < out.reclen {
        out.flags |= MSG_TRUNC;
    }
    if !peek {
        // The record goes; its control messages go to the caller whole.
        if let Some(r) = s.so_rcv.sbtakerecord() {
            match (controlp, r.control) {
                (Some(cp), c) => *cp = c,
                (None, Some(c)) => m_freem(mbpool, c),
                (None, None) => {}
            }
            if let Some(d) = r.data {
                m_freem(mbpool, d);
            }
        }
    }
    Ok(out)
}

/// The first record's control messages, for the caller (freed when it
/// did not ask): a copy when peeking, the mbufs themselves otherwise, so
/// that they come out once.
fn soreceive_control(
    sb: &mut Sockbuf,
    mp: &mut MbufPool,
    peek: bool,
    controlp: Option<&mut Option<Mbuf>>,
) -> Result {
    if peek {
        if let (Some(cp), Some(c)) = (controlp, sb.sb_mb.first().and_then(|r| r.control.as_ref())) {
            *cp = Some(m_copy(mp, c, 0, M_COPYALL)?);
        }
    } else if let Some(c) = sb.sbtakecontrol(mp) {
        match controlp {
            Some(cp) => *cp = Some(c),
            None => m_freem(mp, c),
        }
    }
    Ok(())
}

/// Stream data: as much as the caller wants, across records (up to one
/// that brings control messages of its own, so that each control
/// message goes out once, with the data after it), and no further than
/// the out-of-band mark. Then PRU_RCVD for PR_WANTRCVD protocols.
fn soreceive_stream(
    st: &mut Stack,
    so: usize,
    uio: &mut dyn UioOut,
    flags: i32,
    controlp: Option<&mut Option<Mbuf>>,
) -> Result<Received> {
    let peek = flags & MSG_PEEK != 0;
    let (s, mbpool) = st.so_mbpool(so);
    soreceive_control(&mut s.so_rcv, mbpool, peek, controlp)?;
    let mut want = uio.resid();
    if s.so_oobmark != 0 {
        want = want.min(s.so_oobmark);
    }
    if want > 0 {
        s.so_state &= !SS_RCVATMARK;
    }
    let (copied, err) = sbcopyout(&s.so_rcv, uio, want);
    if copied == 0 {
        if let Some(e) = err {
            return Err(e);
        }
    }
    let mut out = Received { len: copied, reclen: copied, ..Received::default() };
    let atmark = if peek {
        s.so_oobmark != 0 && copied == s.so_oobmark
    } else {
        s.so_rcv.sbdrop(mbpool, copied);
        let had = s.so_oobmark;
        s.so_oobmark = had.saturating_sub(copied);
        if had != 0 && s.so_oobmark == 0 {
            s.so_state |= SS_RCVATMARK;
        }
        had != 0 && s.so_oobmark == 0
    };
    out.more = flags & MSG_WAITALL != 0
        && !peek
        && !atmark
        && err.is_none()
        && uio.resid() > 0
        && s.so_rcv.sb_mb.is_empty()
        && s.so_error == Errno(0)
        && s.so_state & SS_CANTRCVMORE == 0;
    if !peek && s.so_proto.pr_flags & PR_WANTRCVD != 0 && s.so_pcb.is_some() {
        let _ = usrreq(st, so, Pru::Rcvd { flags });
    }
    Ok(out)
}

/// Copies up to `want` bytes of a stream's buffer out to `uio`, across
/// records but not into one that has control messages of its own;
/// returns the count and the error that stopped it early, if any (the
/// bytes counted were copied and are the caller's).
fn sbcopyout(sb: &Sockbuf, uio: &mut dyn UioOut, want: usize) -> (usize, Option<Errno>) {
    let mut copied = 0;
    for (i, rec) in sb.sb_mb.iter().enumerate() {
        if i > 0 && rec.control.is_some() {
            break;
        }
        for seg in rec.data.iter().flat_map(|d| d.segments()) {
            let k = (want - copied).min(seg.len());
            if k == 0 {
                if copied == want {
                    return (copied, None);
                }
                continue;
            }
            if let Err(e) = uio.uiomove(&seg[..k]) {
                return (copied, Some(e));
            }
            copied += k;
        }
    }
    (copied, None)
}

/// Readiness for poll/select: (readable, writable) as `soreadable` and
/// `sowriteable` define them. A listener is readable when a connection
/// waits on `so_q`. A datagram protocol's socket is readable when a
/// datagram is queued, even an empty one: `soreceive` returns it without
/// waiting for the low-water mark. (The book gets there by counting the
/// sender's address in `sb_cc`; ours counts data bytes only, for FIONREAD.)
pub fn soreadiness(st: &mut Stack, so: usize) -> (bool, bool) {
    let s = st.so(so);
    let err = s.so_error != Errno(0);
    let atomic = s.so_proto.pr_flags & PR_ATOMIC != 0;
    let readable = s.so_rcv.sb_cc >= s.so_rcv.sb_lowat
        || (atomic && !s.so_rcv.sb_mb.is_empty())
        || s.so_state & SS_CANTRCVMORE != 0
        || s.so_qlen() > 0
        || err;
    let writable = (s.so_snd.sbspace() >= s.so_snd.sb_lowat
        && (s.so_state & SS_ISCONNECTED != 0 || s.so_proto.pr_flags & PR_CONNREQUIRED == 0))
        || s.so_state & SS_CANTSENDMORE != 0
        || err;
    (readable, writable)
}

/// Whether out-of-band data is pending (select()'s exceptional condition,
/// poll's POLLPRI): a mark lies ahead, or the reader is at it.
pub fn soexceptional(st: &mut Stack, so: usize) -> bool {
    let s = st.so(so);
    s.so_oobmark != 0 || s.so_state & SS_RCVATMARK != 0
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
    let sb_max = st.sb_max;
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
                    SO_SNDBUF => s.so_snd.sbreserve(v, sb_max)?,
                    SO_RCVBUF => s.so_rcv.sbreserve(v, sb_max)?,
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
        // bsdinet's own (Linux has none): BSDINET_SO_USELOOPBACK.
        1064 => bit(SO_USELOOPBACK),
        _ => None,
    }
}
