//! The socket layer and the internet domain's protocol switch, driven as
//! the module's glue drives them.

mod common;
use common::*;

use bsdinet::bsd::kern::uipc_domain::{pffindproto, pffindtype};
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;

#[test]
fn protosw_lookup_follows_the_book() {
    assert_eq!(pffindtype(&INETDOMAIN, SOCK_DGRAM).unwrap().pr_name, "udp");
    assert_eq!(pffindtype(&INETDOMAIN, SOCK_RAW).unwrap().pr_name, "raw");
    // The domain's own entry has type 0 and never matches.
    assert!(pffindtype(&INETDOMAIN, 0).is_none());
    assert_eq!(pffindproto(&INETDOMAIN, IPPROTO_ICMP, SOCK_RAW).unwrap().pr_name, "icmp");
    // Unknown raw protocols fall to the wildcard; other types do not.
    assert_eq!(pffindproto(&INETDOMAIN, 89, SOCK_RAW).unwrap().pr_name, "raw wildcard");
    assert!(pffindproto(&INETDOMAIN, 89, SOCK_DGRAM).is_none());
    assert!(pffindproto(&INETDOMAIN, IPPROTO_TCP, SOCK_DGRAM).is_none());
}

#[test]
fn socket_errnos_for_every_type_and_protocol() {
    let cases: &[(i32, i32, core::result::Result<(), Errno>)] = &[
        (SOCK_DGRAM, 0, Ok(())),
        (SOCK_DGRAM, IPPROTO_UDP, Ok(())),
        (SOCK_STREAM, 0, Ok(())),
        (SOCK_STREAM, IPPROTO_TCP, Ok(())),
        // Raw IP, with every raw entry and the wildcard.
        (SOCK_RAW, 0, Ok(())),
        (SOCK_RAW, IPPROTO_RAW, Ok(())),
        (SOCK_RAW, IPPROTO_ICMP, Ok(())),
        (SOCK_RAW, IPPROTO_IGMP, Ok(())),
        (SOCK_RAW, IPPROTO_UDP, Ok(())),
        (SOCK_RAW, 89, Ok(())),
        // Wrong combinations.
        (SOCK_DGRAM, IPPROTO_TCP, Err(EPROTOTYPE)),
        (SOCK_STREAM, IPPROTO_UDP, Err(EPROTOTYPE)),
        (SOCK_DGRAM, IPPROTO_ICMP, Err(EPROTOTYPE)),
        (SOCK_STREAM, 89, Err(EPROTONOSUPPORT)),
        (4, 0, Err(ESOCKTNOSUPPORT)),
        (5, IPPROTO_TCP, Err(ESOCKTNOSUPPORT)),
    ];
    let mut st = Stack::new();
    for &(ty, proto, want) in cases {
        let got =
            socreate(&mut st, &INETDOMAIN, ty, proto, Cred::ROOT, 0).map(|so| soclose(&mut st, so));
        assert_eq!(got, want, "socket(type {ty}, protocol {proto})");
    }
    assert!(st.sockets.is_empty() && st.inpcbs.is_empty() && st.tcpcbs.is_empty());
}

#[test]
fn raw_needs_privilege_and_leaves_nothing_behind() {
    let mut st = Stack::new();
    assert_eq!(
        socreate(&mut st, &INETDOMAIN, SOCK_RAW, IPPROTO_ICMP, Cred::default(), 0).err(),
        Some(EACCES)
    );
    assert!(st.sockets.is_empty() && st.inpcbs.is_empty());
}

#[test]
fn raw_requests_without_interfaces() {
    let mut st = Stack::new();
    let so = raw(&mut st, IPPROTO_ICMP);
    assert_eq!(st.inpcbs.get(st.sockets.get(so).unwrap().so_pcb.unwrap()).unwrap().inp_ip_p, 1);

    // Bad addresses first: short is EINVAL, another family EAFNOSUPPORT.
    assert_eq!(sobind(&mut st, so, &sin(0, 0)[..8]), Err(EINVAL));
    let mut inet = sin(0, 0);
    inet[0..2].copy_from_slice(&2u16.to_ne_bytes());
    assert_eq!(sobind(&mut st, so, &inet), Err(EAFNOSUPPORT));
    assert_eq!(soconnect(&mut st, so, &inet), Err(EAFNOSUPPORT));
    // With no interface there is no address to bind or connect from.
    assert_eq!(sobind(&mut st, so, &sin(0, 0)), Err(EADDRNOTAVAIL));
    assert_eq!(soconnect(&mut st, so, &sin(0x7f00_0001, 0)), Err(EADDRNOTAVAIL));

    let mut name = SockaddrIn::default();
    usrreq(&mut st, so, Pru::Sockaddr(&mut name)).unwrap();
    assert_eq!(name, SockaddrIn::new(INADDR_ANY, 0));
    assert_eq!(usrreq(&mut st, so, Pru::Peeraddr(&mut name)), Err(ENOTCONN));

    assert_eq!(send(&mut st, so, None, b"x"), Err(EDESTADDRREQ));
    assert_eq!(send(&mut st, so, Some(&inet), b"x"), Err(EAFNOSUPPORT));
    assert_eq!(send(&mut st, so, Some(&sin(1, 0)), &[0; 9000]), Err(EMSGSIZE));
    assert_eq!(solisten(&mut st, so, 5), Err(EOPNOTSUPP));

    // Nothing to read: the caller must wait, until shutdown ends it.
    assert_eq!(recv(&mut st, so, 10, 0).err(), Some(EWOULDBLOCK));
    assert_eq!(soreadiness(&mut st, so), (false, true));
    let mut woken = std::vec::Vec::new();
    st.take_wakeups(|a| woken.push(a));
    assert_eq!(soshutdown(&mut st, so, 3), Err(EINVAL));
    soshutdown(&mut st, so, SHUT_RDWR).unwrap();
    st.take_wakeups(|a| woken.push(a));
    assert_eq!(woken, [7]);
    assert_eq!(recv(&mut st, so, 10, 0), Ok((vec![], Received::default())));
    assert_eq!(send(&mut st, so, Some(&sin(1, 0)), b"x"), Err(EPIPE));

    soclose(&mut st, so);
    assert!(st.sockets.is_empty() && st.inpcbs.is_empty());
}

#[test]
fn raw_connect_and_reconnect_with_an_interface() {
    let mut st = Stack::new();
    st.boot().unwrap();
    let so = raw(&mut st, IPPROTO_RAW);
    assert_eq!(sobind(&mut st, so, &sin(0x0a00_0001, 0)), Err(EADDRNOTAVAIL));
    sobind(&mut st, so, &sin(0x7f00_0001, 0)).unwrap();
    soconnect(&mut st, so, &sin(0x7f00_0002, 0)).unwrap();
    // A connected datagram socket may connect elsewhere.
    soconnect(&mut st, so, &sin(0x7f00_0003, 0)).unwrap();
    let mut peer = SockaddrIn::default();
    usrreq(&mut st, so, Pru::Peeraddr(&mut peer)).unwrap();
    assert_eq!(peer.sin_addr, InAddr(0x7f00_0003));
    assert_eq!(send(&mut st, so, Some(&sin(1, 0)), b"x"), Err(EISCONN));
    soclose(&mut st, so);
    assert!(st.sockets.is_empty() && st.inpcbs.is_empty());
}

// A test protocol in a domain of its own: PRU_SEND delivers the datagram
// to the socket whose index is the destination's port, as a loopback
// would. It exercises the socket layer's records without IP.
mod testproto {
    use super::*;
    use bsdinet::bsd::kern::uipc_domain::{Domain, Protosw, PR_ADDR, PR_ATOMIC};
    use bsdinet::bsd::kern::uipc_mbuf::m_freem;
    use bsdinet::bsd::kern::uipc_socket2::{free_record, soreserve, sorwakeup};
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub static SW: [Protosw; 1] = [Protosw {
        pr_type: SOCK_DGRAM,
        pr_protocol: 0,
        pr_flags: PR_ATOMIC | PR_ADDR,
        pr_name: "test",
        pr_usrreq: Some(usrreq),
        ..Protosw::NONE
    }];
    pub static DOMAIN: Domain = Domain { dom_family: 99, dom_name: "test", dom_protosw: &SW };
    pub static DROPS: AtomicUsize = AtomicUsize::new(0);

    fn usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
        match req {
            Pru::Attach { .. } => {
                soreserve(st, so, 1000, 1000)?;
                st.so(so).so_pcb = Some(usize::MAX);
            }
            Pru::Detach => {
                st.so(so).so_pcb = None;
                sofree(st, so);
            }
            Pru::Send { data, nam, .. } => {
                let to = SockaddrIn::parse(nam.unwrap()).unwrap();
                let dst = usize::from(to.sin_port);
                let from = SockaddrIn::new(InAddr(0x7f00_0001), so as u16);
                match st.sockets.get_mut(dst) {
                    None => {
                        m_freem(&mut st.mbpool, data);
                        return Err(ECONNREFUSED);
                    }
                    Some(d) => {
                        if let Err(r) = d.so_rcv.sbappendaddr(from, data, None) {
                            free_record(&mut st.mbpool, r);
                            DROPS.fetch_add(1, Ordering::Relaxed);
                        } else {
                            sorwakeup(st, dst);
                        }
                    }
                }
            }
            _ => return Err(EOPNOTSUPP),
        }
        Ok(())
    }
}

fn pair(st: &mut Stack) -> (usize, usize) {
    let a = socreate(st, &testproto::DOMAIN, SOCK_DGRAM, 0, Cred::default(), 1).unwrap();
    let b = socreate(st, &testproto::DOMAIN, SOCK_DGRAM, 0, Cred::default(), 2).unwrap();
    (a, b)
}

#[test]
fn datagrams_keep_their_boundaries_and_senders() {
    let mut st = Stack::new();
    let (a, b) = pair(&mut st);
    let to_b = sin(0, b as u16);
    send(&mut st, a, Some(&to_b), b"hello").unwrap();
    send(&mut st, a, Some(&to_b), b"world!").unwrap();
    send(&mut st, a, Some(&to_b), b"").unwrap();
    let mut woken = std::vec::Vec::new();
    st.take_wakeups(|w| woken.push(w));
    assert_eq!(woken, [2]);
    assert_eq!(soreadiness(&mut st, b), (true, true));
    assert_eq!(st.sockets.get(b).unwrap().so_rcv.sb_cc, 11);

    let (data, r) = recv(&mut st, b, 100, 0).unwrap();
    assert_eq!(data, b"hello");
    assert_eq!(r.addr, Some(SockaddrIn::new(InAddr(0x7f00_0001), a as u16)));
    // MSG_PEEK leaves the datagram where it is.
    for _ in 0..2 {
        assert_eq!(recv(&mut st, b, 100, MSG_PEEK).unwrap().0, b"world!");
    }
    // Too small a buffer: the rest of the datagram is lost, MSG_TRUNC.
    let (data, r) = recv(&mut st, b, 3, 0).unwrap();
    assert_eq!((data.as_slice(), r.len, r.reclen, r.flags), (&b"wor"[..], 3, 6, MSG_TRUNC));
    // An empty datagram is a datagram.
    let (data, r) = recv(&mut st, b, 100, 0).unwrap();
    assert_eq!((data.len(), r.reclen, r.flags), (0, 0, 0));
    assert!(r.addr.is_some());
    assert_eq!(recv(&mut st, b, 100, 0).err(), Some(EWOULDBLOCK));
    assert_eq!(soreadiness(&mut st, b), (false, true));
    let sb = &st.sockets.get(b).unwrap().so_rcv;
    assert_eq!((sb.sb_cc, sb.sb_mbcnt), (0, 0));
    soclose(&mut st, a);
    soclose(&mut st, b);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

#[test]
fn a_full_receive_buffer_drops_and_counts() {
    let mut st = Stack::new();
    let (a, b) = pair(&mut st);
    let to_b = sin(0, b as u16);
    let before = testproto::DROPS.load(std::sync::atomic::Ordering::Relaxed);
    let sent = 50;
    for i in 0..sent {
        send(&mut st, a, Some(&to_b), &[i as u8; 100]).unwrap();
    }
    let drops = testproto::DROPS.load(std::sync::atomic::Ordering::Relaxed) - before;
    let sb = &st.sockets.get(b).unwrap().so_rcv;
    // 1000 bytes of buffer, 2000 of storage: each 100-byte datagram takes
    // an mbuf for the data and one for the address (256 bytes), and is
    // taken while its 116 bytes fit in sbspace: eight of them. As in the
    // book, the storage limit may be passed by the last record taken.
    assert!(sb.sb_cc <= sb.sb_hiwat && sb.sb_mbcnt <= sb.sb_mbmax + 256);
    let queued = sb.sb_mb.len();
    assert_eq!(queued + drops, sent);
    assert_eq!(queued, 8);
    for i in 0..queued {
        let (data, _) = recv(&mut st, b, 1000, 0).unwrap();
        assert_eq!(data, vec![i as u8; 100]);
    }
    // Closing with data queued frees it.
    send(&mut st, a, Some(&to_b), &[1; 900]).unwrap();
    soclose(&mut st, b);
    soclose(&mut st, a);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
    assert_eq!(st.mbpool.mbstat.m_clusters, 0);
    assert!(st.sockets.is_empty());
}

#[test]
fn large_datagrams_use_clusters() {
    let mut st = Stack::new();
    let (a, b) = pair(&mut st);
    let data: std::vec::Vec<u8> = (0..900).map(|i| (i * 7) as u8).collect();
    send(&mut st, a, Some(&sin(0, b as u16)), &data).unwrap();
    assert_eq!(st.mbpool.mbstat.m_clusters, 1);
    assert_eq!(recv(&mut st, b, 2000, 0).unwrap().0, data);
    assert_eq!(send(&mut st, a, Some(&sin(0, 77)), b"x"), Err(ECONNREFUSED));
    soclose(&mut st, a);
    soclose(&mut st, b);
    assert_eq!((st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters), (0, 0));
}
