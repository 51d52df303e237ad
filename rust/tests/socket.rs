//! The socket layer and the internet domain's protocol switch, driven as
//! the module's glue drives them.

use bsdinet::bsd::kern::uipc_domain::{pffindproto, pffindtype};
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;

fn raw(st: &mut Stack, proto: i32) -> usize {
    socreate(st, &INETDOMAIN, SOCK_RAW, proto, true, 7).expect("raw socket")
}

fn sin(addr: u32, port: u16) -> [u8; 16] {
    SockaddrIn::new(InAddr(addr), port).emit()
}

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
        // Protocols whose user requests arrive with later issues.
        (SOCK_DGRAM, 0, Err(EPROTONOSUPPORT)),
        (SOCK_DGRAM, IPPROTO_UDP, Err(EPROTONOSUPPORT)),
        (SOCK_STREAM, 0, Err(EPROTONOSUPPORT)),
        (SOCK_STREAM, IPPROTO_TCP, Err(EPROTONOSUPPORT)),
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
        let got = socreate(&mut st, &INETDOMAIN, ty, proto, true, 0).map(|so| soclose(&mut st, so));
        assert_eq!(got, want, "socket(type {ty}, protocol {proto})");
    }
    assert!(st.sockets.is_empty() && st.inpcbs.is_empty());
}

#[test]
fn raw_needs_privilege_and_leaves_nothing_behind() {
    let mut st = Stack::new();
    assert_eq!(
        socreate(&mut st, &INETDOMAIN, SOCK_RAW, IPPROTO_ICMP, false, 0).err(),
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

    assert_eq!(sosend(&mut st, so, None, b"x"), Err(EDESTADDRREQ));
    assert_eq!(sosend(&mut st, so, Some(&inet), b"x"), Err(EAFNOSUPPORT));
    assert_eq!(sosend(&mut st, so, Some(&sin(1, 0)), &[0; 9000]), Err(EMSGSIZE));
    assert_eq!(solisten(&mut st, so), Err(EOPNOTSUPP));

    // Nothing to read: the caller must wait, until shutdown ends it.
    assert_eq!(soreceive(&mut st, so), Err(EWOULDBLOCK));
    assert_eq!(soreadiness(&mut st, so), (false, true));
    let mut woken = std::vec::Vec::new();
    st.take_wakeups(|a| woken.push(a));
    assert_eq!(soshutdown(&mut st, so, 3), Err(EINVAL));
    soshutdown(&mut st, so, SHUT_RDWR).unwrap();
    st.take_wakeups(|a| woken.push(a));
    assert_eq!(woken, [7]);
    assert_eq!(soreceive(&mut st, so), Ok(0));
    assert_eq!(sosend(&mut st, so, Some(&sin(1, 0)), b"x"), Err(EPIPE));

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
    assert_eq!(sosend(&mut st, so, Some(&sin(1, 0)), b"x"), Err(EISCONN));
    soclose(&mut st, so);
    assert!(st.sockets.is_empty() && st.inpcbs.is_empty());
}
