//! UDP on lo0 (book chapter 23), driven through sockets.

mod common;
use common::*;

use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::SB_MAX;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;

fn udp(st: &mut Stack) -> usize {
    socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::default(), 1).expect("udp socket")
}

fn sockname(st: &mut Stack, so: usize) -> SockaddrIn {
    let mut a = SockaddrIn::default();
    usrreq(st, so, Pru::Sockaddr(&mut a)).unwrap();
    a
}

#[test]
fn echo_every_size_class() {
    let mut st = stack();
    let (a, b) = (udp(&mut st), udp(&mut st));
    for so in [a, b] {
        st.so(so).so_snd.sbreserve(65535, SB_MAX).unwrap();
        st.so(so).so_rcv.sbreserve(140_000, SB_MAX).unwrap();
    }
    sobind(&mut st, b, &sin(LOCALHOST, 7777)).unwrap();
    for len in [0usize, 1, 7, 8, 1000, 1508, 1509, 1510, 3000, 9216, 30_000, 65_507] {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
        send(&mut st, a, Some(&sin(LOCALHOST, 7777)), &data).unwrap();
        let (got, r) = recv(&mut st, b, 70_000, 0).unwrap();
        assert_eq!(got.len(), len, "size {len}");
        assert!(got == data, "bytes of size {len}");
        let from = r.addr.unwrap();
        assert_eq!(from.sin_addr, InAddr(LOCALHOST));
        assert_eq!(from.sin_port, sockname(&mut st, a).sin_port);
    }
    assert!(send(&mut st, a, Some(&sin(LOCALHOST, 7777)), &vec![0; 65_508]) == Err(EMSGSIZE));
    assert_eq!(st.udpstat.udps_ipackets, 12);
    assert_eq!(st.udpstat.udps_opackets, 12);
    soclose(&mut st, a);
    soclose(&mut st, b);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
    assert_eq!(st.mbpool.mbstat.m_clusters, 0);
}

#[test]
fn connected_socket_sees_port_unreachable() {
    let mut st = stack();
    let a = udp(&mut st);
    soconnect(&mut st, a, &sin(LOCALHOST, 9)).unwrap();
    send(&mut st, a, None, b"anyone?").unwrap();
    assert_eq!(st.udpstat.udps_noport, 1);
    assert_eq!(st.icmpstat.icps_outhist[3], 1);
    assert_eq!(recv(&mut st, a, 100, 0).err(), Some(ECONNREFUSED));
    // Read once: the next call blocks again.
    assert_eq!(recv(&mut st, a, 100, 0).err(), Some(EWOULDBLOCK));
    // An unconnected socket is not told (the book's in_pcbnotify).
    let b = udp(&mut st);
    send(&mut st, b, Some(&sin(LOCALHOST, 9)), b"x").unwrap();
    assert_eq!(recv(&mut st, b, 100, 0).err(), Some(EWOULDBLOCK));
    soclose(&mut st, a);
    soclose(&mut st, b);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

#[test]
fn ephemeral_ports_and_addrinuse() {
    let mut st = stack();
    let a = udp(&mut st);
    send(&mut st, a, Some(&sin(LOCALHOST, 9)), b"").unwrap();
    let pa = sockname(&mut st, a).sin_port;
    assert!((1024..=5000).contains(&pa), "{pa}");
    let b = udp(&mut st);
    assert_eq!(sobind(&mut st, b, &sin(0, pa)), Err(EADDRINUSE));
    st.so(b).so_options |= SO_REUSEADDR;
    assert_eq!(sobind(&mut st, b, &sin(LOCALHOST, pa)), Ok(()));
    let c = udp(&mut st);
    assert_eq!(sobind(&mut st, c, &sin(0, 80)), Err(EACCES));
    for so in [a, b, c] {
        soclose(&mut st, so);
    }
}

#[test]
fn full_receive_buffer_drops_and_counts() {
    let mut st = stack();
    let (a, b) = (udp(&mut st), udp(&mut st));
    sobind(&mut st, b, &sin(LOCALHOST, 5555)).unwrap();
    let mut sent = 0;
    for _ in 0..100 {
        send(&mut st, a, Some(&sin(LOCALHOST, 5555)), &[1; 1000]).unwrap();
        sent += 1;
    }
    let dropped = st.udpstat.udps_fullsock;
    assert!(dropped > 0);
    let mut got = 0;
    while recv(&mut st, b, 2000, 0).is_ok() {
        got += 1;
    }
    assert_eq!(got + dropped, sent);
    assert_eq!(st.so(b).so_rcv.sb_drops, dropped);
    soclose(&mut st, a);
    soclose(&mut st, b);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

#[test]
fn bad_checksum_and_length_are_counted() {
    let mut st = stack();
    let b = udp(&mut st);
    sobind(&mut st, b, &sin(LOCALHOST, 4444)).unwrap();
    // A raw socket with IP_HDRINCL-free output lets us build UDP by hand.
    let r = raw(&mut st, IPPROTO_UDP);
    let mut u = vec![0x10, 0x00, 0x11, 0x5c, 0, 12, 0xde, 0xad, 1, 2, 3, 4];
    send(&mut st, r, Some(&sin(LOCALHOST, 0)), &u).unwrap();
    assert_eq!(st.udpstat.udps_badsum, 1);
    u[5] = 200; // longer than the datagram
    send(&mut st, r, Some(&sin(LOCALHOST, 0)), &u).unwrap();
    assert_eq!(st.udpstat.udps_badlen, 1);
    assert_eq!(recv(&mut st, b, 100, 0).err(), Some(EWOULDBLOCK));
    soclose(&mut st, r);
    soclose(&mut st, b);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

/// A connected socket whose peer's port is closed: the ICMP port
/// unreachable of its first datagram is pending.
fn refused(st: &mut Stack) -> usize {
    let a = udp(st);
    soconnect(st, a, &sin(LOCALHOST, 9)).unwrap();
    send(st, a, None, b"anyone?").unwrap();
    assert_eq!(st.so(a).so_error, ECONNREFUSED);
    a
}

/// The book's sosend reports a pending error without taking it: every
/// send fails until a receive (or SO_ERROR) takes it.
#[test]
fn a_send_error_stays_as_in_the_book() {
    let mut st = stack();
    assert!(!st.sosend_clears_error);
    let a = refused(&mut st);
    assert_eq!(send(&mut st, a, None, b"again"), Err(ECONNREFUSED));
    assert_eq!(send(&mut st, a, None, b"again"), Err(ECONNREFUSED));
    assert_eq!(st.udpstat.udps_opackets, 1);
    assert_eq!(recv(&mut st, a, 100, 0).err(), Some(ECONNREFUSED));
    // Taken: the next send goes, and draws a new one.
    assert_eq!(send(&mut st, a, None, b"now"), Ok(()));
    assert_eq!(send(&mut st, a, None, b"now"), Err(ECONNREFUSED));
    let mut v = [0u8; 4];
    assert_eq!(sogetopt(&mut st, a, SOL_SOCKET, SO_ERROR, &mut v), Ok(4));
    assert_eq!(i32::from_ne_bytes(v), ECONNREFUSED.0);
    assert_eq!(st.so(a).so_error, Errno(0));
    soclose(&mut st, a);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

/// With `sosend_clears_error`, as Linux: the send that reports the error
/// takes it, and the next one goes.
#[test]
fn a_send_error_once_when_switched() {
    let mut st = stack();
    st.sosend_clears_error = true;
    let a = refused(&mut st);
    assert_eq!(send(&mut st, a, None, b"again"), Err(ECONNREFUSED));
    assert_eq!(st.so(a).so_error, Errno(0));
    assert_eq!(recv(&mut st, a, 100, 0).err(), Some(EWOULDBLOCK));
    // This one goes out, and draws the next port unreachable.
    assert_eq!(send(&mut st, a, None, b"again"), Ok(()));
    assert_eq!(st.udpstat.udps_opackets, 2);
    assert_eq!(st.so(a).so_error, ECONNREFUSED);
    soclose(&mut st, a);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

/// Each error posted counts in `so_error_gen`, so that the platform can
/// tell a repeated error from the one the user took.
#[test]
fn every_error_posted_counts_a_generation() {
    let mut st = stack();
    let a = refused(&mut st);
    assert_eq!(st.so(a).so_error_gen, 1);
    assert_eq!(recv(&mut st, a, 100, 0).err(), Some(ECONNREFUSED));
    assert_eq!(st.so(a).so_error_gen, 1, "taking it is no new one");
    send(&mut st, a, None, b"again").unwrap();
    assert_eq!((st.so(a).so_error, st.so(a).so_error_gen), (ECONNREFUSED, 2));
    // A second identical error on top of one pending counts too.
    st.sosend_clears_error = true;
    assert_eq!(send(&mut st, a, None, b"x"), Err(ECONNREFUSED));
    send(&mut st, a, None, b"y").unwrap();
    assert_eq!(st.so(a).so_error_gen, 3);
    soclose(&mut st, a);
}

/// An empty datagram makes its socket readable (the book counts the
/// sender's address in sb_cc; Linux reports it too), although FIONREAD's
/// count of data bytes stays 0; taking it leaves the socket unreadable.
#[test]
fn an_empty_datagram_is_readable() {
    let mut st = stack();
    let (a, b) = (udp(&mut st), udp(&mut st));
    sobind(&mut st, b, &sin(LOCALHOST, 6666)).unwrap();
    assert!(!soreadiness(&mut st, b).0);
    send(&mut st, a, Some(&sin(LOCALHOST, 6666)), b"").unwrap();
    assert_eq!(st.so(b).so_rcv.sb_cc, 0);
    assert!(soreadiness(&mut st, b).0);
    // Even with a low-water mark above it: recv would not wait for one.
    sosetopt(&mut st, b, SOL_SOCKET, SO_RCVLOWAT, &100i32.to_ne_bytes()).unwrap();
    assert!(soreadiness(&mut st, b).0);
    let (got, r) = recv(&mut st, b, 100, 0).unwrap();
    assert_eq!((got.len(), r.addr.map(|a| a.sin_addr)), (0, Some(InAddr(LOCALHOST))));
    assert!(!soreadiness(&mut st, b).0);
    soclose(&mut st, a);
    soclose(&mut st, b);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}
