//! The connection side of the socket layer (book chapters 15 and 16):
//! listen queues, accept(), connection state changes, and the stream
//! semantics of sosend and soreceive, driven through "the pipe
//! protocol", a loopback stream protocol defined here.

mod common;
use common::*;

use bsdinet::bsd::kern::uipc_mbuf::MSIZE;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::*;
use bsdinet::bsd::net::route::{rtrequest, Req, Sockaddr, RTF_GATEWAY};
use bsdinet::bsd::net::rtsock::ROUTEDOMAIN;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use proptest::prelude::*;

/// The pipe protocol: a stream between two sockets of one stack, in the
/// manner of 4.4BSD's Unix-domain streams (`uipc_usrreq.c`). A socket's
/// "port" is its index: connect() to port N finds listener N, makes the
/// server's socket with `sonewconn` and connects both ends. The two ends
/// name each other in `so_pcb`. PRU_SEND appends to the peer's receive
/// buffer, and the sender's send buffer mirrors the peer's receive
/// buffer's counts, so that the sender's `sbspace` is the room the peer
/// has left; PRU_RCVD brings the mirror up to date (the window opens).
/// PRU_SENDOOB makes the last byte urgent, as TCP does: it is pulled out
/// for PRU_RCVOOB unless the receiver has SO_OOBINLINE. The "slow" entry
/// disconnects in two steps, as TCP does, for the linger tests. The
/// "keep" entry disconnects so too, and keeps its PCB after close, with
/// its peer still sending to it, as TCP keeps one in FIN_WAIT and
/// TIME_WAIT, until the test calls `release`.
mod pipe {
    use super::*;
    use bsdinet::bsd::kern::uipc_domain::{Domain, Protosw, PR_CONNREQUIRED, PR_WANTRCVD};
    use bsdinet::bsd::kern::uipc_mbuf::{m_adj, m_copydata, m_freem, Mbuf, M_EOR};
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// The protocol number of the entry that disconnects slowly.
    pub const SLOW: i32 = 1;
    /// The protocol number of the entry that keeps its PCB after close.
    pub const KEEP: i32 = 2;

    pub static SW: [Protosw; 3] = [
        Protosw {
            pr_type: SOCK_STREAM,
            pr_protocol: 0,
            pr_flags: PR_CONNREQUIRED | PR_WANTRCVD,
            pr_name: "pipe",
            pr_usrreq: Some(usrreq),
            ..Protosw::NONE
        },
        Protosw {
            pr_type: SOCK_STREAM,
            pr_protocol: SLOW,
            pr_flags: PR_CONNREQUIRED | PR_WANTRCVD,
            pr_name: "slow pipe",
            pr_usrreq: Some(usrreq),
            ..Protosw::NONE
        },
        Protosw {
            pr_type: SOCK_STREAM,
            pr_protocol: KEEP,
            pr_flags: PR_CONNREQUIRED | PR_WANTRCVD,
            pr_name: "keeping pipe",
            pr_usrreq: Some(usrreq),
            ..Protosw::NONE
        },
    ];
    pub static DOMAIN: Domain = Domain { dom_family: 97, dom_name: "pipe", dom_protosw: &SW };

    /// Default buffer sizes.
    pub const SPACE: usize = 4096;
    /// `so_pcb` of a socket without a peer.
    const NOPEER: usize = usize::MAX;

    /// Out-of-band state of a receiver (TCP's `t_iobc` and `t_oobflags`).
    #[derive(Default, Clone, Copy)]
    struct Oob {
        byte: u8,
        have: bool,
        had: bool,
    }

    thread_local! {
        // Per test thread; each test has a stack of its own, and a socket
        // starts afresh at attach.
        static OOB: RefCell<HashMap<usize, Oob>> = RefCell::new(HashMap::new());
        // Whether each piece PRU_SEND got had M_EOR.
        static EOR: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
    }

    /// Whether each piece sent since the last call had M_EOR.
    pub fn take_eor() -> Vec<bool> {
        EOR.with(|e| std::mem::take(&mut *e.borrow_mut()))
    }

    fn oob(so: usize) -> Oob {
        OOB.with(|o| o.borrow().get(&so).copied().unwrap_or_default())
    }

    fn set_oob(so: usize, v: Oob) {
        OOB.with(|o| o.borrow_mut().insert(so, v));
    }

    /// The end of a PCB kept after close: both ends are disconnected, and
    /// the socket, which no descriptor refers to, is freed.
    pub fn release(st: &mut Stack, so: usize) {
        disconnect(st, so);
        st.so(so).so_pcb = None;
        sofree(st, so);
    }

    /// The socket's peer, if connected.
    pub fn peer(st: &mut Stack, so: usize) -> Option<usize> {
        st.so(so).so_pcb.filter(|&p| p != NOPEER)
    }

    fn name(so: usize) -> SockaddrIn {
        SockaddrIn::new(InAddr(LOCALHOST), so as u16)
    }

    /// `so`'s send buffer counts what its peer's receive buffer holds.
    fn mirror(st: &mut Stack, so: usize) {
        if let Some(p) = peer(st, so) {
            let (cc, mbcnt) = (st.so(p).so_rcv.sb_cc, st.so(p).so_rcv.sb_mbcnt);
            let snd = &mut st.so(so).so_snd;
            snd.sb_cc = cc;
            snd.sb_mbcnt = mbcnt;
        }
    }

    /// Both ends forget each other and are disconnected.
    pub fn disconnect(st: &mut Stack, so: usize) {
        if let Some(p) = peer(st, so) {
            st.so(p).so_pcb = Some(NOPEER);
            soisdisconnected(st, p);
        }
        st.so(so).so_pcb = Some(NOPEER);
        soisdisconnected(st, so);
    }

    fn free_send(st: &mut Stack, data: Mbuf, control: Option<Mbuf>) {
        m_freem(&mut st.mbpool, data);
        if let Some(c) = control {
            m_freem(&mut st.mbpool, c);
        }
    }

    /// Queues `data` for the peer of `so`; with `urgent` its last byte is
    /// out-of-band data, as TCP's urgent pointer marks it.
    fn send(st: &mut Stack, so: usize, mut data: Mbuf, urgent: bool) -> Result {
        let Some(p) = peer(st, so) else {
            m_freem(&mut st.mbpool, data);
            return Err(ENOTCONN);
        };
        EOR.with(|e| e.borrow_mut().push(data.m_flags() & M_EOR != 0));
        let len = data.m_length();
        let inline = st.so(p).so_options & SO_OOBINLINE != 0;
        if urgent && len > 0 && !inline {
            let mut b = [0u8];
            m_copydata(&data, len - 1, &mut b).unwrap();
            m_adj(&mut data, -1);
            set_oob(p, Oob { byte: b[0], have: true, had: false });
        }
        let Stack { sockets, mbpool, .. } = &mut *st;
        let rcv = &mut sockets.get_mut(p).unwrap().so_rcv;
        if let Err(m) = rcv.sbappend(mbpool, data) {
            m_freem(mbpool, m);
            return Err(ENOBUFS);
        }
        if urgent && len > 0 {
            let s = st.so(p);
            s.so_oobmark = s.so_rcv.sb_cc - usize::from(inline);
            if s.so_oobmark == 0 {
                s.so_state |= SS_RCVATMARK;
            }
            sohasoutofband(st, p);
        }
        mirror(st, so);
        sorwakeup(st, p);
        Ok(())
    }

    fn usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
        if st.so(so).so_pcb.is_none() && !matches!(req, Pru::Attach { .. }) {
            return pru_notsupp(st, req).map_err(|_| EINVAL);
        }
        match req {
            Pru::Attach { .. } => {
                if st.so(so).so_snd.sb_hiwat == 0 {
                    soreserve(st, so, SPACE, SPACE)?;
                }
                st.so(so).so_pcb = Some(NOPEER);
                set_oob(so, Oob::default());
            }
            Pru::Detach if st.so(so).so_proto.pr_protocol == KEEP => {}
            Pru::Detach => {
                disconnect(st, so);
                st.so(so).so_pcb = None;
                sofree(st, so);
            }
            Pru::Abort => {
                disconnect(st, so);
                st.so(so).so_pcb = None;
                sofree(st, so);
            }
            Pru::Listen => {
                if peer(st, so).is_some() {
                    return Err(EINVAL);
                }
            }
            Pru::Connect(nam) => {
                let head = usize::from(SockaddrIn::parse(nam)?.sin_port);
                let proto = st.so(so).so_proto;
                let listening = st.sockets.get(head).is_some_and(|h| {
                    core::ptr::eq(h.so_proto, proto) && h.so_options & SO_ACCEPTCONN != 0
                });
                if !listening {
                    return Err(ECONNREFUSED);
                }
                soisconnecting(st, so);
                let new = match sonewconn(st, head, 0) {
                    Ok(new) => new,
                    Err(e) => {
                        st.so(so).so_state &= !SS_ISCONNECTING;
                        return Err(e);
                    }
                };
                st.so(new).so_pcb = Some(so);
                st.so(so).so_pcb = Some(new);
                soisconnected(st, new);
                soisconnected(st, so);
                mirror(st, so);
                mirror(st, new);
            }
            Pru::Accept(out) => {
                *out = match peer(st, so) {
                    Some(p) => name(p),
                    None => SockaddrIn::default(),
                }
            }
            Pru::Disconnect => {
                if st.so(so).so_proto.pr_protocol != 0 {
                    // The peer must agree first: the test finishes it.
                    soisdisconnecting(st, so);
                } else {
                    disconnect(st, so);
                }
            }
            Pru::Shutdown => {
                socantsendmore(st, so);
                if let Some(p) = peer(st, so) {
                    socantrcvmore(st, p);
                }
            }
            Pru::Send { data, control, .. } | Pru::SendOob { data, control, .. }
                if control.is_some() =>
            {
                free_send(st, data, control);
                return Err(EINVAL);
            }
            Pru::Send { data, .. } => send(st, so, data, false)?,
            Pru::SendOob { data, .. } => send(st, so, data, true)?,
            Pru::Rcvd { .. } => {
                if let Some(p) = peer(st, so) {
                    mirror(st, p);
                    sowwakeup(st, p);
                }
            }
            Pru::Rcvoob { m, flags } => {
                let s = st.so(so);
                let o = oob(so);
                if (s.so_oobmark == 0 && s.so_state & SS_RCVATMARK == 0)
                    || s.so_options & SO_OOBINLINE != 0
                    || o.had
                {
                    return Err(EINVAL);
                }
                if !o.have {
                    return Err(EWOULDBLOCK);
                }
                m.set_len(1)?;
                m.mtod_mut().unwrap()[0] = o.byte;
                if flags & MSG_PEEK == 0 {
                    set_oob(so, Oob { byte: o.byte, have: false, had: true });
                }
            }
            Pru::Sockaddr(out) => *out = name(so),
            Pru::Peeraddr(out) => *out = name(peer(st, so).ok_or(ENOTCONN)?),
            req => return pru_notsupp(st, req),
        }
        Ok(())
    }
}

/// A pipe socket whose wakeups name `upcall`.
fn socket(st: &mut Stack, upcall: usize) -> usize {
    socreate(st, &pipe::DOMAIN, SOCK_STREAM, 0, Cred::default(), upcall).expect("pipe socket")
}

/// A listening pipe socket.
fn listener(st: &mut Stack, backlog: i32) -> usize {
    let l = socket(st, 1000);
    solisten(st, l, backlog).unwrap();
    l
}

/// connect() to listener `head`.
fn connect(st: &mut Stack, so: usize, head: usize) -> Result {
    soconnect(st, so, &sin(LOCALHOST, head as u16))
}

/// accept() on `head`; the new socket's wakeups name `upcall`.
fn accept(st: &mut Stack, head: usize, upcall: usize) -> Result<usize> {
    soaccept_next(st, head, upcall).map(|(so, _)| so)
}

/// A connected pair: (client, server), with upcalls 1 and 2.
fn pair(st: &mut Stack) -> (usize, usize) {
    let l = listener(st, 5);
    let c = socket(st, 1);
    connect(st, c, l).unwrap();
    let s = accept(st, l, 2).unwrap();
    soclose(st, l);
    (c, s)
}

fn wakeups(st: &mut Stack) -> Vec<usize> {
    let mut v = Vec::new();
    st.take_wakeups(|a| v.push(a));
    v.sort();
    v
}

fn state(st: &mut Stack, so: usize) -> u16 {
    st.so(so).so_state
}

fn pattern(n: usize, seed: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + seed * 13 + i / 251) as u8).collect()
}

#[test]
fn listen_clamps_the_backlog_as_the_book() {
    let mut st = Stack::new();
    assert_eq!(st.somaxconn, SOMAXCONN_DEFAULT);
    for (backlog, qlimit) in [(100, 100), (1000, 128)] {
        let l = listener(&mut st, backlog);
        assert_eq!(st.so(l).so_qlimit, qlimit, "listen({backlog})");
        soclose(&mut st, l);
    }
    // The book's limit, as a sysctl.
    st.somaxconn = SOMAXCONN;
    for (backlog, qlimit) in [(-3, 0), (0, 0), (1, 1), (3, 3), (5, 5), (100, 5), (i32::MAX, 5)] {
        let l = listener(&mut st, backlog);
        assert_eq!(st.so(l).so_qlimit, qlimit, "listen({backlog})");
        assert_ne!(st.so(l).so_options & SO_ACCEPTCONN, 0);
        // A listener connects nowhere.
        assert_eq!(connect(&mut st, l, l), Err(EOPNOTSUPP));
        soclose(&mut st, l);
    }
    // The protocol may refuse: a connected pipe does not listen.
    let (c, s) = pair(&mut st);
    assert_eq!(solisten(&mut st, c, 5), Err(EINVAL));
    assert_eq!(st.so(c).so_options & SO_ACCEPTCONN, 0);
    // Datagram protocols have no listen.
    let u = socreate(&mut st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::default(), 9).unwrap();
    assert_eq!(solisten(&mut st, u, 5), Err(EOPNOTSUPP));
    for so in [c, s, u] {
        soclose(&mut st, so);
    }
    assert_no_leaks(&st);
}

#[test]
fn sonewconn_refuses_beyond_three_halves_of_the_limit() {
    let mut st = Stack::new();
    st.somaxconn = SOMAXCONN;
    for backlog in [0, 1, 2, 3, 5, 9] {
        let l = listener(&mut st, backlog);
        let limit = sonewconn_max(backlog.min(SOMAXCONN) as usize);
        let mut clients = Vec::new();
        for i in 0..limit {
            let c = socket(&mut st, 10 + i);
            connect(&mut st, c, l).unwrap();
            clients.push(c);
        }
        assert_eq!(st.so(l).so_qlen(), limit);
        // One more is refused, and its socket is as it was.
        let c = socket(&mut st, 99);
        assert_eq!(connect(&mut st, c, l), Err(ECONNREFUSED));
        assert_eq!(state(&mut st, c) & (SS_ISCONNECTING | SS_ISCONNECTED), 0);
        assert_eq!(st.sockets.len(), 2 + 2 * limit);
        // Once accept() takes one, there is room for one more.
        let s = accept(&mut st, l, 50).unwrap();
        connect(&mut st, c, l).unwrap();
        assert_eq!(st.so(l).so_qlen(), limit);
        clients.push(c);
        soclose(&mut st, l);
        soclose(&mut st, s);
        for c in clients {
            soclose(&mut st, c);
        }
        assert_no_leaks(&st);
    }
    // The book's numbers: 8 for SOMAXCONN, 1 for a backlog of 0.
    assert_eq!((sonewconn_max(5), sonewconn_max(0), sonewconn_max(1)), (8, 1, 2));
}

#[test]
fn accept_takes_connections_in_order_and_names_the_peer() {
    let mut st = Stack::new();
    let l = listener(&mut st, 5);
    assert_eq!(accept(&mut st, l, 50), Err(EWOULDBLOCK));
    let clients: Vec<usize> = (0..4).map(|i| socket(&mut st, 10 + i)).collect();
    for &c in &clients {
        connect(&mut st, c, l).unwrap();
        assert_ne!(state(&mut st, c) & SS_ISCONNECTED, 0);
    }
    for (i, &c) in clients.iter().enumerate() {
        let queued = st.so(l).so_q[0];
        assert_eq!(state(&mut st, queued) & SS_NOFDREF, SS_NOFDREF);
        assert_eq!(st.so(queued).so_head, Some(l));
        let (s, peer) = soaccept_next(&mut st, l, 50 + i).unwrap();
        assert_eq!(s, queued);
        assert_eq!(peer, SockaddrIn::new(InAddr(LOCALHOST), c as u16));
        let sock = st.so(s);
        assert_eq!(sock.so_state & (SS_NOFDREF | SS_ISCONNECTED), SS_ISCONNECTED);
        assert_eq!((sock.so_head, sock.so_upcallarg), (None, 50 + i));
        assert_eq!(pipe::peer(&mut st, s), Some(c));
    }
    assert_eq!(accept(&mut st, l, 50), Err(EWOULDBLOCK));
    soclose(&mut st, l);
    let all: Vec<usize> = st.sockets.iter().map(|(i, _)| i).collect();
    for so in all {
        soclose(&mut st, so);
    }
    assert_no_leaks(&st);
}

#[test]
fn accept_errors() {
    let mut st = Stack::new();
    let so = socket(&mut st, 1);
    assert_eq!(accept(&mut st, so, 2), Err(EINVAL));
    let l = listener(&mut st, 5);
    // A pending error comes first, once.
    st.so(l).so_error = ECONNRESET;
    assert_eq!(accept(&mut st, l, 2), Err(ECONNRESET));
    assert_eq!(accept(&mut st, l, 2), Err(EWOULDBLOCK));
    // A listener that can receive no more aborts accept() (the book sets
    // so_error to ECONNABORTED and returns it).
    soshutdown(&mut st, l, SHUT_RD).unwrap();
    assert_eq!(accept(&mut st, l, 2), Err(ECONNABORTED));
    assert_eq!(st.so(l).so_error, Errno(0));
    assert_eq!(accept(&mut st, l, 2), Err(ECONNABORTED));
    soclose(&mut st, l);
    soclose(&mut st, so);
    assert_no_leaks(&st);
}

#[test]
fn the_queues_and_the_wakeups() {
    let mut st = Stack::new();
    let l = listener(&mut st, 2);
    wakeups(&mut st);
    assert_eq!(soreadiness(&mut st, l), (false, false));

    // An incomplete connection waits on so_q0, unseen by accept().
    let a = sonewconn(&mut st, l, 0).unwrap();
    assert_eq!((st.so(l).so_q0len(), st.so(l).so_qlen()), (1, 0));
    let s = st.so(a);
    // No descriptor, so no wakeup handle: not the listener's either.
    assert_eq!((s.so_head, s.so_state & SS_NOFDREF, s.so_upcallarg), (Some(l), SS_NOFDREF, 0));
    assert_eq!(s.so_snd.sb_hiwat, pipe::SPACE);
    assert_eq!(accept(&mut st, l, 2), Err(EWOULDBLOCK));
    assert!(!soreadiness(&mut st, l).0);
    assert!(wakeups(&mut st).is_empty());

    soisconnecting(&mut st, a);
    assert_eq!(state(&mut st, a) & (SS_ISCONNECTING | SS_ISCONNECTED), SS_ISCONNECTING);
    // Connected: it moves to so_q, and the listener wakes and reads ready.
    soisconnected(&mut st, a);
    assert_eq!((st.so(l).so_q0len(), st.so(l).so_qlen()), (0, 1));
    assert_eq!(state(&mut st, a) & (SS_ISCONNECTING | SS_ISCONNECTED), SS_ISCONNECTED);
    assert_eq!(wakeups(&mut st), [1000]);
    assert!(soreadiness(&mut st, l).0);

    // A protocol that knows the connection is up queues it on so_q at once.
    let b = sonewconn(&mut st, l, SS_ISCONNECTED).unwrap();
    assert_eq!(st.so(l).so_q[..], [a, b]);
    assert_ne!(state(&mut st, b) & SS_ISCONNECTED, 0);
    assert_eq!(wakeups(&mut st), [1000]);
    // Options come from the listener, but SO_ACCEPTCONN.
    assert_eq!(st.so(b).so_options & SO_ACCEPTCONN, 0);

    // soisconnected of a socket on so_q already does not move it.
    soisconnected(&mut st, a);
    assert_eq!(st.so(l).so_q[..], [a, b]);

    // Disconnecting, then disconnected.
    soisdisconnecting(&mut st, a);
    let both = SS_CANTRCVMORE | SS_CANTSENDMORE;
    assert_eq!(state(&mut st, a) & (SS_ISDISCONNECTING | both), SS_ISDISCONNECTING | both);
    soisdisconnected(&mut st, a);
    assert_eq!(state(&mut st, a) & (SS_ISDISCONNECTING | SS_ISCONNECTED | both), both);

    // soabort drops one from the queue: the protocol frees it.
    soabort(&mut st, a).unwrap();
    assert_eq!(st.so(l).so_q[..], [b]);
    assert!(st.sockets.get(a).is_none());

    // soqremque and soqinsque, as the protocols would use them.
    assert!(!soqremque(&mut st, b, 0));
    assert!(soqremque(&mut st, b, 1));
    assert_eq!(st.so(b).so_head, None);
    soqinsque(&mut st, l, b, 1).unwrap();
    assert_eq!(st.so(b).so_head, Some(l));

    soclose(&mut st, l);
    assert_no_leaks(&st);
}

#[test]
fn closing_a_listener_aborts_and_frees_what_waits() {
    let mut st = Stack::new();
    let l = listener(&mut st, 5);
    let clients: Vec<usize> = (0..3).map(|i| socket(&mut st, 10 + i)).collect();
    for &c in &clients {
        connect(&mut st, c, l).unwrap();
        // Data waits in the sockets no one accepted.
        assert_eq!(send_some(&mut st, c, &pattern(3000, c), 0), (3000, Ok(())));
    }
    let embryo = sonewconn(&mut st, l, 0).unwrap();
    assert_eq!((st.so(l).so_q0len(), st.so(l).so_qlen()), (1, 3));
    assert!(st.mbpool.mbstat.m_mbufs > 0);
    soclose(&mut st, l);
    assert!(st.sockets.get(embryo).is_none());
    assert_eq!(st.sockets.len(), clients.len());
    assert_eq!((st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters), (0, 0));
    // The clients learn that their peers went.
    for &c in &clients {
        assert_eq!(recv(&mut st, c, 100, 0), Ok((vec![], Received::default())));
        assert_eq!(send_some(&mut st, c, b"x", 0), (0, Err(EPIPE)));
        soclose(&mut st, c);
    }
    assert_no_leaks(&st);
}

#[test]
fn a_connection_closed_before_accept_still_comes_out() {
    let mut st = Stack::new();
    let l = listener(&mut st, 5);
    let c = socket(&mut st, 1);
    connect(&mut st, c, l).unwrap();
    send_some(&mut st, c, b"bye", 0).1.unwrap();
    soclose(&mut st, c);
    // As in the book, it stays queued, disconnected, with its data.
    let s = accept(&mut st, l, 2).unwrap();
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"bye");
    assert_eq!(recv(&mut st, s, 100, 0), Ok((vec![], Received::default())));
    assert_eq!(send_some(&mut st, s, b"x", 0), (0, Err(EPIPE)));
    soclose(&mut st, s);
    soclose(&mut st, l);
    assert_no_leaks(&st);
}

#[test]
fn stream_send_and_receive_in_pieces() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    wakeups(&mut st);
    let data = pattern(10_000, 1);
    // The peer's 4096 bytes take two clusters; then there is no room:
    // the count sent, and EWOULDBLOCK for the platform to wait.
    assert_eq!(send_some(&mut st, c, &data, 0), (4096, Err(EWOULDBLOCK)));
    let rcv = &st.so(s).so_rcv;
    assert_eq!((rcv.sb_cc, rcv.sb_mbcnt), (4096, 2 * (MSIZE + MCLBYTES)));
    assert_eq!(st.mbpool.mbstat.m_clusters, 2);
    assert_eq!(wakeups(&mut st), [2]);
    assert_eq!(soreadiness(&mut st, c), (false, false));
    assert_eq!(soreadiness(&mut st, s), (true, true));
    // Nothing fits: EWOULDBLOCK with nothing sent.
    assert_eq!(send_some(&mut st, c, &data[4096..], 0), (0, Err(EWOULDBLOCK)));

    // A read of 1000 opens 1000 bytes of window: less than the send
    // buffer's low-water mark (2048), so the sender still waits.
    let (got, r) = recv(&mut st, s, 1000, 0).unwrap();
    assert_eq!((got.as_slice(), r.len, r.more), (&data[..1000], 1000, false));
    assert_eq!(wakeups(&mut st), [1]);
    assert_eq!(send_some(&mut st, c, &data[4096..], 0), (0, Err(EWOULDBLOCK)));
    assert!(!soreadiness(&mut st, c).1);
    // Past the first cluster: it is freed, and 3000 bytes of room open.
    assert_eq!(recv(&mut st, s, 2000, 0).unwrap().0, &data[1000..3000]);
    assert_eq!(st.so(s).so_rcv.sb_mbcnt, MSIZE + MCLBYTES);
    assert!(soreadiness(&mut st, c).1);
    // A cluster and then small mbufs, until the room is gone.
    assert_eq!(send_some(&mut st, c, &data[4096..], 0), (3000, Err(EWOULDBLOCK)));
    let mut sent = 7096;
    let mut got = data[..3000].to_vec();
    while got.len() < data.len() {
        let (d, _) = recv(&mut st, s, 1500, 0).unwrap();
        got.extend_from_slice(&d);
        if sent < data.len() {
            let (n, r) = send_some(&mut st, c, &data[sent..], 0);
            sent += n;
            assert!(r.is_ok() == (sent == data.len()), "{r:?} at {sent}");
        }
    }
    assert!(got == data);
    assert_eq!(recv(&mut st, s, 100, 0), Err(EWOULDBLOCK));
    let rcv = &st.so(s).so_rcv;
    assert_eq!((rcv.sb_cc, rcv.sb_mbcnt, rcv.sb_mb.len()), (0, 0, 0));
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
    // Sending nothing is nothing.
    assert_eq!(send_some(&mut st, c, b"", 0), (0, Ok(())));
    assert!(st.so(s).so_rcv.sb_mb.is_empty());
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn control_data_goes_once_or_is_freed() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    let control = |st: &mut Stack| Some(sbcreatecontrol(&mut st.mbpool, b"x", 1, 2).unwrap());
    assert_eq!(send_some(&mut st, c, &[1; 4096], 0), (4096, Ok(())));
    // No room: nothing goes, and the control data is freed.
    let before = st.mbpool.mbstat.m_mbufs;
    let c1 = control(&mut st);
    assert_eq!(sosend(&mut st, c, None, &mut Src(b"abc"), c1), Err(EWOULDBLOCK));
    assert_eq!(st.mbpool.mbstat.m_mbufs, before);
    // The pipe takes none: the first piece carries it, and is refused.
    recv(&mut st, s, 4096, 0).unwrap();
    let c2 = control(&mut st);
    assert_eq!(sosend(&mut st, c, None, &mut Src(b"abc"), c2), Err(EINVAL));
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn running_out_of_mbufs_mid_stream() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    st.mbpool.nmbufs = 1;
    let data = pattern(4000, 5);
    // The first piece (a cluster) goes; the second finds no mbuf:
    // ENOBUFS, and the count of what went is in the uio, for the
    // platform to return.
    assert_eq!(send_some(&mut st, c, &data, 0), (2048, Err(ENOBUFS)));
    assert_eq!(st.so(s).so_rcv.sb_cc, 2048);
    st.mbpool.nmbufs = usize::MAX;
    // The stream goes on from there.
    assert_eq!(send_some(&mut st, c, &data[2048..], 0), (1952, Ok(())));
    let (got, _) = recv(&mut st, s, 10_000, 0).unwrap();
    assert!(got == data);
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn a_partial_read_frees_what_it_consumed() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    // Five small pieces: five mbufs in the receive buffer.
    for i in 0..5 {
        send_some(&mut st, c, &[i; 100], 0).1.unwrap();
    }
    assert_eq!(st.mbpool.mbstat.m_mbufs, 5);
    assert_eq!(st.so(s).so_rcv.sb_mbcnt, 5 * MSIZE);
    let (d, _) = recv(&mut st, s, 250, 0).unwrap();
    assert_eq!(d, [[0u8; 100], [1; 100]].concat().into_iter().chain([2; 50]).collect::<Vec<_>>());
    assert_eq!(st.mbpool.mbstat.m_mbufs, 3);
    assert_eq!((st.so(s).so_rcv.sb_cc, st.so(s).so_rcv.sb_mbcnt), (250, 3 * MSIZE));
    let (d, _) = recv(&mut st, s, 1000, 0).unwrap();
    assert_eq!(d.len(), 250);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
    assert_eq!((st.so(s).so_rcv.sb_cc, st.so(s).so_rcv.sb_mbcnt), (0, 0));
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn msg_peek_leaves_the_stream_as_it_was() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    send_some(&mut st, c, b"hello ", 0).1.unwrap();
    send_some(&mut st, c, b"world", 0).1.unwrap();
    for _ in 0..2 {
        assert_eq!(recv(&mut st, s, 8, MSG_PEEK).unwrap().0, b"hello wo");
    }
    assert_eq!(st.so(s).so_rcv.sb_cc, 11);
    assert_eq!(recv(&mut st, s, 6, 0).unwrap().0, b"hello ");
    assert_eq!(recv(&mut st, s, 100, MSG_PEEK).unwrap().0, b"world");
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"world");
    assert_eq!(recv(&mut st, s, 100, MSG_PEEK), Err(EWOULDBLOCK));
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn receive_waits_for_the_low_water_mark() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    sosetopt(&mut st, s, SOL_SOCKET, SO_RCVLOWAT, &10i32.to_ne_bytes()).unwrap();
    send_some(&mut st, c, b"12345", 0).1.unwrap();
    assert!(!soreadiness(&mut st, s).0);
    assert_eq!(recv(&mut st, s, 100, 0), Err(EWOULDBLOCK));
    // Less than the low-water mark, but all the caller wants.
    assert_eq!(recv(&mut st, s, 2, MSG_PEEK).unwrap().0, b"12");
    // A non-blocking call takes what there is (MSG_DONTWAIT, as the book).
    assert_eq!(recv(&mut st, s, 100, MSG_DONTWAIT | MSG_PEEK).unwrap().0, b"12345");
    send_some(&mut st, c, b"67890", 0).1.unwrap();
    assert!(soreadiness(&mut st, s).0);
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"1234567890");
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

/// A MSG_WAITALL receive as the platform runs it: call, and while the
/// answer says `more`, call `soreceive_continue` after letting the
/// peer `feed` (the platform's sleep). Returns the bytes, the calls'
/// answers, and the last error if any.
fn recv_waitall(
    st: &mut Stack,
    so: usize,
    cap: usize,
    mut feed: impl FnMut(&mut Stack) -> bool,
) -> (Vec<u8>, Vec<usize>, Option<Errno>) {
    let mut d = Dst { buf: Vec::new(), cap };
    let mut lens = Vec::new();
    let mut more = false;
    loop {
        let r = if more {
            soreceive_continue(st, so, &mut d, MSG_WAITALL, None)
        } else {
            soreceive(st, so, &mut d, MSG_WAITALL, None)
        };
        match r {
            Ok(r) => {
                lens.push(r.len);
                if !r.more {
                    return (d.buf, lens, None);
                }
                more = true;
            }
            Err(EWOULDBLOCK) => {
                // The platform sleeps; a timeout ends the call.
                if !feed(st) {
                    return (d.buf, lens, Some(EWOULDBLOCK));
                }
            }
            Err(e) => return (d.buf, lens, Some(e)),
        }
    }
}

#[test]
fn waitall_within_the_buffer_waits_for_everything() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    let data = pattern(3000, 2);
    send_some(&mut st, c, &data[..1000], 0).1.unwrap();
    // 3000 fit the buffer: nothing is taken until all of it is there.
    assert_eq!(recv(&mut st, s, 3000, MSG_WAITALL), Err(EWOULDBLOCK));
    assert_eq!(st.so(s).so_rcv.sb_cc, 1000);
    let mut off = 1000;
    let (got, lens, err) = recv_waitall(&mut st, s, 3000, |st| {
        send_some(st, c, &data[off..off + 500], 0).1.unwrap();
        off += 500;
        true
    });
    assert_eq!((got == data, lens, err), (true, vec![3000], None));
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn waitall_beyond_the_buffer_reports_each_part() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    let data = pattern(10_000, 3);
    let mut sent = send_some(&mut st, c, &data, 0).0;
    let (got, lens, err) = recv_waitall(&mut st, s, 10_000, |st| {
        let (n, _) = send_some(st, c, &data[sent..], 0);
        sent += n;
        n > 0
    });
    assert!(got == data);
    assert_eq!(
        (lens.iter().sum::<usize>(), lens.len() > 2, lens.last(), err),
        (10_000, true, Some(&1808), None)
    );
    assert!(!lens[..lens.len() - 1].contains(&0));

    // The peer's shutdown ends it: what came is returned, without error.
    send_some(&mut st, c, &data[..500], 0).1.unwrap();
    let mut once = true;
    let (got, lens, err) = recv_waitall(&mut st, s, 6000, |st| {
        soshutdown(st, c, SHUT_WR).unwrap();
        std::mem::take(&mut once)
    });
    assert_eq!((got.len(), lens, err), (500, vec![500, 0], None));
    assert_eq!(recv(&mut st, s, 100, MSG_WAITALL), Ok((vec![], Received::default())));
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn waitall_keeps_an_error_for_the_next_call() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    send_some(&mut st, c, &[7; 4096], 0).1.unwrap();
    let (got, lens, err) = recv_waitall(&mut st, s, 5000, |st| {
        st.so(s).so_error = ECONNRESET;
        true
    });
    assert_eq!((got.len(), lens, err), (4096, vec![4096, 0], None));
    // The error is the next call's, once.
    assert_eq!(recv(&mut st, s, 100, 0), Err(ECONNRESET));
    assert_eq!(recv(&mut st, s, 100, 0), Err(EWOULDBLOCK));
    // A signal or timeout during the wait: the platform returns the count.
    send_some(&mut st, c, &[8; 100], 0).1.unwrap();
    let (got, lens, err) = recv_waitall(&mut st, s, 5000, |_| false);
    assert_eq!((got.len(), lens, err), (100, vec![100], Some(EWOULDBLOCK)));
    // MSG_PEEK with MSG_WAITALL peeks once all is there, or as much as
    // the buffer holds.
    send_some(&mut st, c, &[9; 200], 0).1.unwrap();
    assert_eq!(recv(&mut st, s, 300, MSG_WAITALL | MSG_PEEK), Err(EWOULDBLOCK));
    let (d, r) = recv(&mut st, s, 5000, MSG_WAITALL | MSG_PEEK).unwrap();
    assert_eq!((d.len(), r.more), (200, false));
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn shutdown_epipe_and_end_of_data() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    send_some(&mut st, c, b"last words", 0).1.unwrap();
    soshutdown(&mut st, c, SHUT_WR).unwrap();
    assert_eq!(send_some(&mut st, c, b"more", 0), (0, Err(EPIPE)));
    // The reader gets what was sent, then the end, every time.
    assert!(soreadiness(&mut st, s).0);
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"last words");
    for _ in 0..2 {
        assert_eq!(recv(&mut st, s, 100, 0), Ok((vec![], Received::default())));
    }
    // Half closed: the other way still works.
    assert_eq!(send_some(&mut st, s, b"reply", 0), (5, Ok(())));
    assert_eq!(recv(&mut st, c, 100, 0).unwrap().0, b"reply");
    // Not connected: ENOTCONN both ways.
    let lone = socket(&mut st, 3);
    assert_eq!(send_some(&mut st, lone, b"x", 0), (0, Err(ENOTCONN)));
    assert_eq!(recv(&mut st, lone, 10, 0), Err(ENOTCONN));
    // A pending error is reported by the next send.
    st.so(s).so_error = ECONNRESET;
    assert_eq!(send_some(&mut st, s, b"x", 0), (0, Err(ECONNRESET)));
    for so in [c, s, lone] {
        soclose(&mut st, so);
    }
    assert_no_leaks(&st);
}

#[test]
fn the_peer_closing_ends_the_stream() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    send_some(&mut st, c, b"abc", 0).1.unwrap();
    wakeups(&mut st);
    soclose(&mut st, c);
    // The peer wakes; the closed socket's sleepers are gone.
    assert_eq!(wakeups(&mut st), [2]);
    assert_eq!(soreadiness(&mut st, s), (true, true));
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"abc");
    assert_eq!(recv(&mut st, s, 100, 0), Ok((vec![], Received::default())));
    assert_eq!(send_some(&mut st, s, b"x", 0), (0, Err(EPIPE)));
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn linger_waits_for_a_slow_disconnect() {
    let mut st = Stack::new();
    // A pipe that closes at once never makes close() linger.
    let (c, s) = pair(&mut st);
    let linger = [1i32.to_ne_bytes(), 7i32.to_ne_bytes()].concat();
    sosetopt(&mut st, c, SOL_SOCKET, i32::from(SO_LINGER), &linger).unwrap();
    assert_eq!(soclose_linger(&mut st, c), None);
    soclose(&mut st, c);
    soclose(&mut st, s);

    // The slow pipe is disconnecting until its peer agrees.
    let l =
        socreate(&mut st, &pipe::DOMAIN, SOCK_STREAM, pipe::SLOW, Cred::default(), 1000).unwrap();
    solisten(&mut st, l, 1).unwrap();
    let c = socreate(&mut st, &pipe::DOMAIN, SOCK_STREAM, pipe::SLOW, Cred::default(), 1).unwrap();
    connect(&mut st, c, l).unwrap();
    let s = accept(&mut st, l, 2).unwrap();
    // Without SO_LINGER, no wait: disconnecting, close() goes on.
    assert_eq!(soclose_linger(&mut st, s), None);
    assert_eq!(
        state(&mut st, s) & (SS_ISDISCONNECTING | SS_ISCONNECTED),
        SS_ISDISCONNECTING | SS_ISCONNECTED
    );
    // Once disconnected, there is nothing to linger for.
    pipe::disconnect(&mut st, s);
    soclose(&mut st, s);
    sosetopt(&mut st, c, SOL_SOCKET, i32::from(SO_LINGER), &linger).unwrap();
    assert_eq!(soclose_linger(&mut st, c), None);
    soclose(&mut st, c);

    let c = socreate(&mut st, &pipe::DOMAIN, SOCK_STREAM, pipe::SLOW, Cred::default(), 1).unwrap();
    connect(&mut st, c, l).unwrap();
    let s = accept(&mut st, l, 2).unwrap();
    sosetopt(&mut st, c, SOL_SOCKET, i32::from(SO_LINGER), &linger).unwrap();
    assert_eq!(soclose_linger(&mut st, c), Some(7));
    assert_eq!(
        state(&mut st, c) & (SS_ISDISCONNECTING | SS_ISCONNECTED),
        SS_ISDISCONNECTING | SS_ISCONNECTED
    );
    // The platform sleeps until the protocol finishes, which wakes it.
    wakeups(&mut st);
    pipe::disconnect(&mut st, c);
    assert_eq!(wakeups(&mut st), [1, 2]);
    assert_eq!(soclose_linger(&mut st, c), None);
    soclose(&mut st, c);
    soclose(&mut st, s);
    soclose(&mut st, l);
    assert_no_leaks(&st);
}

#[test]
fn out_of_band_data_and_the_mark() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    send_some(&mut st, c, b"abc", 0).1.unwrap();
    assert_eq!(recv(&mut st, s, 1, MSG_OOB), Err(EINVAL));
    assert!(!soexceptional(&mut st, s));
    wakeups(&mut st);
    // "z" is urgent: pulled out, the mark after "abcxy".
    assert_eq!(send_some(&mut st, c, b"xyz", MSG_OOB), (3, Ok(())));
    assert_eq!(wakeups(&mut st), [2]);
    assert_eq!(st.so(s).so_oobmark, 5);
    assert!(soexceptional(&mut st, s));
    // Peeking and reading stop at the mark.
    assert_eq!(recv(&mut st, s, 100, MSG_PEEK).unwrap().0, b"abcxy");
    assert_eq!(recv(&mut st, s, 2, 0).unwrap().0, b"ab");
    assert_eq!(st.so(s).so_oobmark, 3);
    send_some(&mut st, c, b"after", 0).1.unwrap();
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"cxy");
    assert_eq!((st.so(s).so_oobmark, state(&mut st, s) & SS_RCVATMARK), (0, SS_RCVATMARK));
    assert!(soexceptional(&mut st, s));
    // The urgent byte itself, once; peeking leaves it.
    let mut one = vec![];
    for flags in [MSG_OOB | MSG_PEEK, MSG_OOB] {
        let (d, r) = recv(&mut st, s, 10, flags).unwrap();
        assert_eq!(r.len, 1);
        one.extend(d);
    }
    assert_eq!(one, b"zz");
    assert_eq!(recv(&mut st, s, 10, MSG_OOB), Err(EINVAL));
    // Reading past the mark clears it.
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"after");
    assert_eq!((state(&mut st, s) & SS_RCVATMARK, soexceptional(&mut st, s)), (0, false));
    // Urgent data alone: the reader is at the mark at once.
    send_some(&mut st, c, b"!", MSG_OOB).1.unwrap();
    assert_eq!(state(&mut st, s) & SS_RCVATMARK, SS_RCVATMARK);
    assert_eq!(recv(&mut st, s, 10, MSG_OOB).unwrap().0, b"!");

    // SO_OOBINLINE: the urgent byte stays in the stream, the mark at it.
    sosetopt(&mut st, s, SOL_SOCKET, i32::from(SO_OOBINLINE), &1i32.to_ne_bytes()).unwrap();
    send_some(&mut st, c, b"12", 0).1.unwrap();
    send_some(&mut st, c, b"34", MSG_OOB).1.unwrap();
    assert_eq!(st.so(s).so_oobmark, 3);
    assert_eq!(recv(&mut st, s, 1, MSG_OOB), Err(EINVAL));
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"123");
    assert_eq!(state(&mut st, s) & SS_RCVATMARK, SS_RCVATMARK);
    assert_eq!(recv(&mut st, s, 100, 0).unwrap().0, b"4");
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[test]
fn datagram_protocols_have_no_out_of_band_data() {
    let mut st = stack();
    let u = socreate(&mut st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::default(), 1).unwrap();
    sobind(&mut st, u, &sin(LOCALHOST, 9000)).unwrap();
    let to = sin(LOCALHOST, 9000);
    let mut src = Src(b"urgent");
    assert_eq!(sosend_flags(&mut st, u, Some(&to), &mut src, None, MSG_OOB), Err(EOPNOTSUPP));
    assert_eq!(recv(&mut st, u, 10, MSG_OOB), Err(EOPNOTSUPP));
    // Nor raw IP, nor routing sockets.
    let r = raw(&mut st, 253);
    let mut src = Src(b"urgent");
    assert_eq!(sosend_flags(&mut st, r, Some(&to), &mut src, None, MSG_OOB), Err(EOPNOTSUPP));
    assert_eq!(recv(&mut st, r, 10, MSG_OOB), Err(EOPNOTSUPP));
    soclose(&mut st, r);
    let rt = socreate(&mut st, &ROUTEDOMAIN, SOCK_RAW, 0, Cred::ROOT, 3).unwrap();
    let mut src = Src(b"urgent");
    assert_eq!(sosend_flags(&mut st, rt, None, &mut src, None, MSG_OOB), Err(EOPNOTSUPP));
    assert_eq!(recv(&mut st, rt, 10, MSG_OOB), Err(EOPNOTSUPP));
    soclose(&mut st, rt);
    // Datagrams stay datagrams, with the flags too.
    let mut src = Src(b"routed not");
    sosend_flags(&mut st, u, Some(&to), &mut src, None, MSG_DONTROUTE).unwrap();
    st.softint();
    assert_eq!(st.so(u).so_options & SO_DONTROUTE, 0);
    assert_eq!(recv(&mut st, u, 100, MSG_WAITALL).unwrap().0, b"routed not");
    soclose(&mut st, u);
    assert_eq!((st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters), (0, 0));
}

/// MSG_EOR marks the last piece of the data, and only it.
#[test]
fn msg_eor_marks_the_last_piece() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    pipe::take_eor();
    assert_eq!(send_some(&mut st, c, &pattern(3000, 1), MSG_EOR), (3000, Ok(())));
    let eor = pipe::take_eor();
    assert!(eor.len() > 1, "{eor:?}");
    assert_eq!(eor.iter().filter(|&&e| e).count(), 1);
    assert_eq!(eor.last(), Some(&true));
    assert_eq!(recv(&mut st, s, 5000, 0).unwrap().1.len, 3000);
    send_some(&mut st, c, &pattern(3000, 1), 0).1.unwrap();
    assert!(pipe::take_eor().iter().all(|&e| !e));
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

/// Flags the stack does not take from its caller have no effect: on
/// receive bsdinet's own bit (here it would hide a pending error), on
/// send the platform's (MSG_DONTWAIT, MSG_NOSIGNAL).
#[test]
fn only_user_flags_come_in() {
    let mut st = Stack::new();
    let (c, s) = pair(&mut st);
    st.so(s).set_error(ECONNRESET);
    let internal = 0x0080_0000;
    assert_eq!(recv(&mut st, s, 10, internal), Err(ECONNRESET));
    assert_eq!(recv(&mut st, s, 10, internal | !MSG_RCVFLAGS), Err(EWOULDBLOCK));
    let all = !MSG_SNDFLAGS & !0x7fff_0000;
    assert_eq!(send_some(&mut st, c, b"abc", all | MSG_NOSIGNAL | MSG_DONTWAIT), (3, Ok(())));
    assert_eq!(recv(&mut st, s, 10, 0).unwrap().0, b"abc");
    soclose(&mut st, c);
    soclose(&mut st, s);
    assert_no_leaks(&st);
}

#[derive(Debug, Clone)]
enum Op {
    /// Send this many bytes from end 0 (false) or 1 (true). Never
    /// MSG_OOB: the pipe takes the urgent byte out of the stream.
    Send(bool, usize),
    /// Receive up to this many bytes at end 0 or 1, with flags.
    Recv(bool, usize, i32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<bool>(), 0usize..6000).prop_map(|(e, n)| Op::Send(e, n)),
        (
            any::<bool>(),
            0usize..6000,
            prop_oneof![Just(0), Just(MSG_PEEK), Just(MSG_WAITALL), Just(MSG_DONTWAIT)]
        )
            .prop_map(|(e, n, f)| Op::Recv(e, n, f)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random interleavings of sends and receives of random sizes, both
    /// ways, deliver each byte stream exactly, with the buffers' counts
    /// right all along and nothing left at the end.
    #[test]
    fn the_pipe_delivers_the_byte_stream(
        ops in proptest::collection::vec(op(), 1..60),
        bufsize in 512usize..20_000,
        lowat in 1usize..3000,
    ) {
        let mut st = Stack::new();
        let l = socket(&mut st, 1000);
        let c = socket(&mut st, 1);
        for so in [l, c] {
            let v = (bufsize as i32).to_ne_bytes();
            sosetopt(&mut st, so, SOL_SOCKET, SO_SNDBUF, &v).unwrap();
            sosetopt(&mut st, so, SOL_SOCKET, SO_RCVBUF, &v).unwrap();
        }
        solisten(&mut st, l, 1).unwrap();
        connect(&mut st, c, l).unwrap();
        let s = accept(&mut st, l, 2).unwrap();
        soclose(&mut st, l);
        sosetopt(&mut st, s, SOL_SOCKET, SO_RCVLOWAT, &(lowat as i32).to_ne_bytes()).unwrap();
        let ends = [c, s];
        let mut sent: [Vec<u8>; 2] = [vec![], vec![]];
        let mut got: [Vec<u8>; 2] = [vec![], vec![]];
        let mut seed = 0;
        for op in ops {
            match op {
                Op::Send(e, n) => {
                    let from = usize::from(e);
                    seed += 1;
                    let data = pattern(n, seed);
                    let (k, r) = send_some(&mut st, ends[from], &data, 0);
                    prop_assert!(r.is_ok() == (k == n) && (r.is_ok() || r == Err(EWOULDBLOCK)));
                    sent[from].extend_from_slice(&data[..k]);
                }
                Op::Recv(e, n, flags) => {
                    let at = usize::from(e);
                    let from = 1 - at;
                    let queued = sent[from].len() - got[from].len();
                    match recv(&mut st, ends[at], n, flags) {
                        Ok((d, r)) => {
                            prop_assert_eq!(d.len(), r.len);
                            prop_assert!(d.len() <= n.min(queued));
                            prop_assert!(!d.is_empty() || n == 0);
                            let start = got[from].len();
                            prop_assert!(d[..] == sent[from][start..start + d.len()]);
                            if flags & MSG_PEEK == 0 {
                                got[from].extend_from_slice(&d);
                            }
                        }
                        Err(err) => {
                            prop_assert_eq!(err, EWOULDBLOCK);
                            // It waits only when it must.
                            let lowat = st.so(ends[at]).so_rcv.sb_lowat;
                            prop_assert!(queued == 0 || (flags & MSG_DONTWAIT == 0 && queued < n
                                && (queued < lowat || flags & MSG_WAITALL != 0)));
                        }
                    }
                }
            }
            for (at, from) in [(0, 1), (1, 0)] {
                let rcv = &st.so(ends[at]).so_rcv;
                prop_assert_eq!(rcv.sb_cc, sent[from].len() - got[from].len());
                prop_assert!(rcv.sb_cc <= rcv.sb_hiwat);
                prop_assert!(rcv.sb_mb.len() <= 1);
                let storage: usize = rcv.sb_mb.iter().flat_map(|r| r.data.iter()).flat_map(|d| d.iter())
                    .map(|m| MSIZE + if m.mclrefcnt().is_some() { MCLBYTES } else { 0 }).sum();
                prop_assert_eq!(rcv.sb_mbcnt, storage);
            }
        }
        // Drain both ways, as the reader would.
        for (at, from) in [(0usize, 1usize), (1, 0)] {
            let rest = recv(&mut st, ends[at], usize::MAX / 2, MSG_DONTWAIT).map(|(d, _)| d).unwrap_or_default();
            got[from].extend_from_slice(&rest);
            prop_assert!(got[from] == sent[from]);
        }
        soclose(&mut st, c);
        soclose(&mut st, s);
        prop_assert_eq!(st.sockets.len(), 0);
        prop_assert_eq!((st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters), (0, 0));
    }
}

/// A socket whose protocol keeps its PCB after close (TCP in FIN_WAIT
/// and TIME_WAIT) goes on receiving, but its closed descriptor's handle
/// is never woken again, not even by a wakeup pending from before.
#[test]
fn a_kept_pcb_wakes_no_closed_descriptor() {
    let mut st = Stack::new();
    let l =
        socreate(&mut st, &pipe::DOMAIN, SOCK_STREAM, pipe::KEEP, Cred::default(), 1000).unwrap();
    solisten(&mut st, l, 1).unwrap();
    let c = socreate(&mut st, &pipe::DOMAIN, SOCK_STREAM, pipe::KEEP, Cred::default(), 1).unwrap();
    connect(&mut st, c, l).unwrap();
    // The platform's accept learns the socket first, then gives its handle.
    let s = accept(&mut st, l, 0).unwrap();
    assert_eq!(st.so(s).so_upcallarg, 0);
    assert!(so_setupcall(&mut st, s, 2));
    assert!(!so_setupcall(&mut st, s, 3), "only one handle");
    assert_eq!(st.so(s).so_upcallarg, 2);
    soclose(&mut st, l);
    pipe::release(&mut st, l);
    wakeups(&mut st);

    // A wakeup is pending for c when it closes: it is dropped.
    send_some(&mut st, s, b"early", 0).1.unwrap();
    soclose(&mut st, c);
    assert!(wakeups(&mut st).iter().all(|&a| a != 1));
    // Kept: no descriptor, no handle, still receiving.
    let kc = st.so(c);
    assert_eq!((kc.so_upcallarg, kc.so_state & SS_NOFDREF), (0, SS_NOFDREF));
    assert!(kc.so_pcb.is_some());
    send_some(&mut st, s, b"late", 0).1.unwrap();
    assert_eq!(st.so(c).so_rcv.sb_cc, 9);
    assert!(wakeups(&mut st).is_empty());
    // The protocol lets go: the peer hears, the socket goes.
    pipe::release(&mut st, c);
    assert_eq!(wakeups(&mut st), [2]);
    assert!(st.sockets.get(c).is_none());
    soclose(&mut st, s);
    pipe::release(&mut st, s);
    assert!(wakeups(&mut st).is_empty());
    assert_no_leaks(&st);
}

#[derive(Debug, Clone)]
enum LifeOp {
    /// A listener of the keeping (true) or plain pipe.
    Listen(bool),
    /// A socket of that kind connecting to the nth live listener of it.
    Connect(bool, usize),
    /// accept() on the nth listener; with `true` the handle comes after.
    Accept(usize, bool),
    /// A byte from the nth descriptor.
    Send(usize),
    /// close() of the nth descriptor.
    Close(usize),
    /// The protocol lets go of the nth kept PCB.
    Release(usize),
    /// The platform delivers the pending wakeups.
    Wake,
}

fn life_op() -> impl Strategy<Value = LifeOp> {
    prop_oneof![
        any::<bool>().prop_map(LifeOp::Listen),
        (any::<bool>(), 0usize..8).prop_map(|(k, n)| LifeOp::Connect(k, n)),
        (0usize..8, any::<bool>()).prop_map(|(n, late)| LifeOp::Accept(n, late)),
        (0usize..16).prop_map(LifeOp::Send),
        (0usize..16).prop_map(LifeOp::Close),
        (0usize..8).prop_map(LifeOp::Release),
        Just(LifeOp::Wake),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random orders of create, connect, accept, send, close and release:
    /// no wakeup names a closed descriptor's handle, an accepted socket
    /// has its own handle, never its listener's, a socket no descriptor
    /// refers to has none, and all is gone once all is closed and every
    /// kept PCB released.
    #[test]
    fn wakeups_reach_only_live_descriptors(ops in proptest::collection::vec(life_op(), 1..80)) {
        let mut st = Stack::new();
        let mut next_arg = 1usize;
        let mut arg = || { next_arg += 1; next_arg };
        // Descriptors: (socket, handle, keeping, listener).
        let mut live: Vec<(usize, usize, bool, bool)> = vec![];
        let mut closed = std::collections::HashSet::new();
        let mut kept: Vec<usize> = vec![];
        let proto = |keep: bool| if keep { pipe::KEEP } else { 0 };
        for op in ops {
            match op {
                LifeOp::Listen(keep) => {
                    let a = arg();
                    let l = socreate(&mut st, &pipe::DOMAIN, SOCK_STREAM, proto(keep), Cred::default(), a).unwrap();
                    solisten(&mut st, l, 2).unwrap();
                    live.push((l, a, keep, true));
                }
                LifeOp::Connect(keep, n) => {
                    let a = arg();
                    let c = socreate(&mut st, &pipe::DOMAIN, SOCK_STREAM, proto(keep), Cred::default(), a).unwrap();
                    let ls: Vec<usize> = live.iter().filter(|d| d.3 && d.2 == keep).map(|d| d.0).collect();
                    if !ls.is_empty() {
                        let _ = connect(&mut st, c, ls[n % ls.len()]);
                    }
                    live.push((c, a, keep, false));
                }
                LifeOp::Accept(n, late) => {
                    let ls: Vec<(usize, bool)> = live.iter().filter(|d| d.3).map(|d| (d.0, d.2)).collect();
                    if ls.is_empty() {
                        continue;
                    }
                    let (l, keep) = ls[n % ls.len()];
                    let a = arg();
                    if let Ok(s) = accept(&mut st, l, if late { 0 } else { a }) {
                        if late {
                            prop_assert_eq!(st.so(s).so_upcallarg, 0);
                            prop_assert!(so_setupcall(&mut st, s, a));
                        }
                        prop_assert_eq!(st.so(s).so_upcallarg, a);
                        live.push((s, a, keep, false));
                    }
                }
                LifeOp::Send(n) if !live.is_empty() => {
                    let so = live[n % live.len()].0;
                    let _ = send_some(&mut st, so, b"x", 0);
                }
                LifeOp::Close(n) if !live.is_empty() => {
                    let (so, a, keep, _) = live.remove(n % live.len());
                    soclose(&mut st, so);
                    closed.insert(a);
                    if st.sockets.get(so).is_some() {
                        prop_assert!(keep);
                        kept.push(so);
                    }
                }
                LifeOp::Release(n) if !kept.is_empty() => {
                    let so = kept.remove(n % kept.len());
                    pipe::release(&mut st, so);
                    prop_assert!(st.sockets.get(so).is_none());
                }
                LifeOp::Wake => {
                    for a in wakeups(&mut st) {
                        prop_assert!(!closed.contains(&a), "woke closed handle {}", a);
                        prop_assert!(live.iter().any(|d| d.1 == a), "woke unknown handle {}", a);
                    }
                }
                _ => {}
            }
            for (i, s) in st.sockets.iter() {
                if s.so_state & SS_NOFDREF != 0 {
                    prop_assert_eq!(s.so_upcallarg, 0, "socket {} without a descriptor has a handle", i);
                }
                prop_assert!(s.so_upcallarg == 0 || !closed.contains(&s.so_upcallarg));
            }
        }
        for (so, a, _, _) in live.drain(..) {
            soclose(&mut st, so);
            closed.insert(a);
            if st.sockets.get(so).is_some() {
                kept.push(so);
            }
        }
        for a in wakeups(&mut st) {
            prop_assert!(!closed.contains(&a), "woke closed handle {}", a);
        }
        for so in kept.drain(..) {
            pipe::release(&mut st, so);
        }
        prop_assert!(wakeups(&mut st).is_empty());
        assert_no_leaks(&st);
    }
}

/// MSG_DONTROUTE sends as if the socket had SO_DONTROUTE, for that one
/// call: to a net reached only through a gateway, it finds no interface.
#[test]
fn msg_dontroute_bypasses_the_routes_for_one_send() {
    let mut st = stack();
    let gw = Some(Sockaddr::In(InAddr(LOCALHOST)));
    let net = Some(InAddr(0xff00_0000));
    rtrequest(&mut st, Req::Add, InAddr(0x0a00_0000), gw, net, RTF_GATEWAY, false).unwrap();
    let u = socreate(&mut st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::default(), 1).unwrap();
    let far = sin(0x0a01_0203, 9);
    assert_eq!(sosend_flags(&mut st, u, Some(&far), &mut Src(b"x"), None, 0), Ok(()));
    assert_eq!(
        sosend_flags(&mut st, u, Some(&far), &mut Src(b"x"), None, MSG_DONTROUTE),
        Err(ENETUNREACH)
    );
    assert_eq!(st.so(u).so_options & SO_DONTROUTE, 0);
    assert_eq!(sosend_flags(&mut st, u, Some(&far), &mut Src(b"x"), None, 0), Ok(()));
    // On the attached net it goes either way.
    let near = sin(LOCALHOST, 9);
    assert_eq!(sosend_flags(&mut st, u, Some(&near), &mut Src(b"x"), None, MSG_DONTROUTE), Ok(()));
    st.softint();
    soclose(&mut st, u);
    assert_eq!((st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters), (0, 0));
}
