//! Internet PCBs (book chapter 22): in_pcbbind's errors and reuse rules,
//! ephemeral ports, in_pcbconnect's source address, disconnect, the
//! wildcard lookup, notification, and the hashed lookup against the
//! book's linear search.

use bsdinet::bsd::kern::uipc_domain::pffindtype;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::route::{rtrequest, Req, Sockaddr, RTF_GATEWAY};
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_pcb::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::{SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};
use bsdinet::bsd::sys::sockio::*;
use proptest::prelude::*;

const ANY: u32 = 0;
const LO: u32 = 0x7f00_0001; // 127.0.0.1, lo0
const ETH: u32 = 0x0a00_0001; // 10.0.0.1/24, eth0
const FAR: u32 = 0x0808_0808; // 8.8.8.8
const GROUP: u32 = 0xe001_0203; // 224.1.2.3

fn sin(a: u32, p: u16) -> [u8; 16] {
    SockaddrIn::new(InAddr(a), p).emit()
}

/// A stack with lo0 at 127.0.0.1/8.
fn booted() -> Stack {
    let mut st = Stack::new();
    st.boot().unwrap();
    st
}

/// Attaches interface `name` with `flags` and gives it `addr`/`mask`, and
/// `dst` as the other end (point-to-point) or broadcast address.
fn attach(st: &mut Stack, name: &str, flags: u16, addr: u32, mask: u32, dst: Option<u32>) -> usize {
    let ifp = if_attach(
        st,
        Ifnet::new(IfName::new(name, 0).unwrap(), IfKind::Loopback, flags | IFF_UP, 1500),
    )
    .unwrap();
    let mut req = [0u8; IFALIASREQ_LEN];
    req[..name.len()].copy_from_slice(name.as_bytes());
    req[name.len()] = b'0';
    set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(addr), 0)).unwrap();
    set_sockaddr_at(&mut req, IFRA_MASK, &SockaddrIn::new(InAddr(mask), 0)).unwrap();
    if let Some(d) = dst {
        set_sockaddr_at(&mut req, IFRA_BROADADDR, &SockaddrIn::new(InAddr(d), 0)).unwrap();
    }
    in_control(st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
    ifp
}

/// eth0: a broadcast interface at 10.0.0.1/24.
fn eth0(st: &mut Stack) -> usize {
    attach(st, "eth", IFF_BROADCAST, ETH, 0xffff_ff00, None)
}

/// A new socket with `options` and one PCB, on `head`. (The socket is a
/// raw one whose raw PCB is swapped for the one under test.)
fn pcb_cred(st: &mut Stack, head: InpHead, options: u16, cred: Cred) -> usize {
    let so = socreate(st, &INETDOMAIN, SOCK_RAW, 0, Cred::ROOT, 0).unwrap();
    let raw = st.so(so).so_pcb.unwrap();
    in_pcbdetach(st, raw);
    let s = st.so(so);
    s.so_options = options;
    s.so_cred = cred;
    s.so_upcallarg = so + 100;
    in_pcballoc(st, so, head).unwrap()
}

fn pcb(st: &mut Stack, head: InpHead, options: u16) -> usize {
    pcb_cred(st, head, options, Cred::ROOT)
}

fn udp(st: &mut Stack) -> usize {
    pcb(st, InpHead::Udp, 0)
}

/// (laddr, lport, faddr, fport) of a PCB.
fn addrs(st: &Stack, inp: usize) -> (u32, u16, u32, u16) {
    let p = st.inpcbs.get(inp).unwrap();
    (p.inp_laddr.0, p.inp_lport, p.inp_faddr.0, p.inp_fport)
}

fn so_of(st: &Stack, inp: usize) -> usize {
    st.inpcbs.get(inp).unwrap().inp_socket
}

fn bind(st: &mut Stack, inp: usize, a: u32, p: u16) -> Result {
    in_pcbbind(st, inp, Some(&sin(a, p)))
}

fn connect(st: &mut Stack, inp: usize, a: u32, p: u16) -> Result {
    in_pcbconnect(st, inp, &sin(a, p))
}

fn lookup(st: &Stack, head: InpHead, f: (u32, u16), l: (u32, u16), flags: u32) -> Option<usize> {
    in_pcblookup(st, head, InAddr(f.0), f.1, InAddr(l.0), l.1, flags)
}

/// Sets a PCB's addresses directly, as only raw sockets (and tests) do.
fn set(st: &mut Stack, inp: usize, (la, lp, fa, fp): (u32, u16, u32, u16)) {
    let p = st.pcb(inp);
    (p.inp_laddr, p.inp_lport, p.inp_faddr, p.inp_fport) = (InAddr(la), lp, InAddr(fa), fp);
    in_pcbrehash(st, inp);
}

#[test]
fn a_new_pcb_has_the_defaults() {
    let mut st = booted();
    st.ip_defttl = 77;
    let inp = udp(&mut st);
    let p = st.inpcbs.get(inp).unwrap();
    assert_eq!((p.inp_flags, p.inp_options, p.inp_ip_ttl, p.inp_ip_tos), (0, None, 77, 0));
    assert_eq!(addrs(&st, inp), (ANY, 0, ANY, 0));
    assert_eq!(st.sockets.get(p.inp_socket).unwrap().so_pcb, Some(inp));
    assert_eq!(st.pcbinfo[InpHead::Udp as usize].len(), 1);
    assert!(st.pcbinfo[InpHead::Tcp as usize].is_empty());
    assert_eq!((INP_RECVOPTS, INP_RECVRETOPTS, INP_RECVDSTADDR, INP_HDRINCL), (1, 2, 4, 8));
}

#[test]
fn bind_errors() {
    // No addresses at all.
    let mut st = Stack::new();
    let inp = udp(&mut st);
    assert_eq!(in_pcbbind(&mut st, inp, None), Err(EADDRNOTAVAIL));
    assert_eq!(bind(&mut st, inp, ANY, 2000), Err(EADDRNOTAVAIL));

    let mut st = booted();
    eth0(&mut st);
    let inp = udp(&mut st);
    assert_eq!(in_pcbbind(&mut st, inp, Some(&sin(LO, 2000)[..8])), Err(EINVAL));
    let mut inet = sin(LO, 2000);
    inet[..2].copy_from_slice(&2u16.to_ne_bytes()); // AF_INET, not ours
    assert_eq!(in_pcbbind(&mut st, inp, Some(&inet)), Err(EAFNOSUPPORT));
    assert_eq!(bind(&mut st, inp, 0x0a00_0002, 2000), Err(EADDRNOTAVAIL));
    // Longer than a sockaddr_in is fine, as Linux takes it.
    let mut long = [0u8; 28];
    long[..16].copy_from_slice(&sin(ETH, 2000));
    assert_eq!(in_pcbbind(&mut st, inp, Some(&long)), Ok(()));
    assert_eq!(addrs(&st, inp), (ETH, 2000, ANY, 0));
    // Bound already: to a port, or to an address.
    assert_eq!(bind(&mut st, inp, ETH, 2001), Err(EINVAL));
    assert_eq!(in_pcbbind(&mut st, inp, None), Err(EINVAL));
    let inp = udp(&mut st);
    set(&mut st, inp, (LO, 0, ANY, 0));
    assert_eq!(in_pcbbind(&mut st, inp, None), Err(EINVAL));

    // A broadcast address is one of ours (ifa_ifwithaddr); a group needs
    // no interface.
    let inp = udp(&mut st);
    assert_eq!(bind(&mut st, inp, 0x0a00_00ff, 2000), Ok(()));
    let inp = udp(&mut st);
    assert_eq!(bind(&mut st, inp, GROUP, 2000), Ok(()));
}

#[test]
fn reserved_ports_need_the_credential() {
    let mut st = booted();
    let user = Cred { net_raw: true, net_bind_service: false, net_admin: false };
    let inp = pcb_cred(&mut st, InpHead::Udp, 0, user);
    assert_eq!(bind(&mut st, inp, ANY, 80), Err(EACCES));
    assert_eq!(bind(&mut st, inp, LO, 1023), Err(EACCES));
    // A failed bind leaves the PCB unbound.
    assert_eq!(addrs(&st, inp), (ANY, 0, ANY, 0));
    assert_eq!(bind(&mut st, inp, ANY, 1024), Ok(()));
    let inp = pcb_cred(&mut st, InpHead::Udp, 0, user);
    assert_eq!(bind(&mut st, inp, ANY, 0), Ok(()));
    assert!(addrs(&st, inp).1 >= IPPORT_RESERVED);
    let inp = udp(&mut st);
    assert_eq!(bind(&mut st, inp, ANY, 80), Ok(()));
    let inp = udp(&mut st);
    assert_eq!(bind(&mut st, inp, LO, 1), Ok(()));
}

/// Two binds of one port: (address, options) of the first and second.
fn second_bind(first: (u32, u16), second: (u32, u16)) -> Result {
    let mut st = booted();
    eth0(&mut st);
    let a = pcb(&mut st, InpHead::Udp, first.1);
    bind(&mut st, a, first.0, 7000).unwrap();
    let b = pcb(&mut st, InpHead::Udp, second.1);
    let r = bind(&mut st, b, second.0, 7000);
    if r.is_ok() {
        assert_eq!(addrs(&st, b), (second.0, 7000, ANY, 0));
    } else {
        assert_eq!(addrs(&st, b), (ANY, 0, ANY, 0));
    }
    r
}

#[test]
fn reuse_matrix_of_section_22_7() {
    const RA: u16 = SO_REUSEADDR;
    const RP: u16 = SO_REUSEPORT;
    type Bind = (u32, u16);
    let cases: &[(Bind, Bind, Result)] = &[
        // The same address and port: only SO_REUSEPORT on both allows it.
        ((ANY, 0), (ANY, 0), Err(EADDRINUSE)),
        ((ANY, RA), (ANY, RA), Err(EADDRINUSE)),
        ((ANY, 0), (ANY, RP), Err(EADDRINUSE)),
        ((ANY, RP), (ANY, 0), Err(EADDRINUSE)),
        ((ANY, RP), (ANY, RP), Ok(())),
        ((LO, 0), (LO, RA), Err(EADDRINUSE)),
        ((LO, RP), (LO, RP), Ok(())),
        ((LO, RA | RP), (LO, RP), Ok(())),
        // A specific address beside the wildcard: SO_REUSEADDR on the
        // second socket, whichever was first.
        ((ANY, 0), (LO, 0), Err(EADDRINUSE)),
        ((ANY, 0), (LO, RA), Ok(())),
        ((ANY, 0), (LO, RP), Ok(())),
        ((LO, 0), (ANY, 0), Err(EADDRINUSE)),
        ((LO, 0), (ANY, RA), Ok(())),
        ((ANY, RA), (LO, 0), Err(EADDRINUSE)),
        // Different specific addresses never overlap.
        ((LO, 0), (ETH, 0), Ok(())),
        // A multicast group: SO_REUSEADDR acts as SO_REUSEPORT, and the
        // first socket must have one of them.
        ((GROUP, RA), (GROUP, RA), Ok(())),
        ((GROUP, RP), (GROUP, RA), Ok(())),
        ((GROUP, RA), (GROUP, RP), Err(EADDRINUSE)),
        ((GROUP, 0), (GROUP, RA), Err(EADDRINUSE)),
        ((GROUP, RA), (GROUP, 0), Err(EADDRINUSE)),
        // ... but only on a group address.
        ((ANY, RA), (ANY, RA), Err(EADDRINUSE)),
    ];
    for &(first, second, want) in cases {
        assert_eq!(second_bind(first, second), want, "{first:x?} then {second:x?}");
    }
}

#[test]
fn conflicts_are_per_port_and_per_protocol() {
    let mut st = booted();
    let a = udp(&mut st);
    bind(&mut st, a, ANY, 7000).unwrap();
    let b = udp(&mut st);
    assert_eq!(bind(&mut st, b, ANY, 7001), Ok(()));
    let t = pcb(&mut st, InpHead::Tcp, 0);
    assert_eq!(bind(&mut st, t, ANY, 7000), Ok(()));
    // Once the first is gone, its port is free.
    in_pcbdetach(&mut st, a);
    let c = udp(&mut st);
    assert_eq!(bind(&mut st, c, ANY, 7000), Ok(()));
}

#[test]
fn a_listening_tcp_socket_ignores_its_connections() {
    // A connection on *:80's port, from 127.0.0.1:80 to 8.8.8.8:1234.
    let mut st = booted();
    let conn = pcb(&mut st, InpHead::Tcp, 0);
    set(&mut st, conn, (LO, 80, FAR, 1234));
    // Binding the wildcard matches it with one wildcard...
    let a = pcb(&mut st, InpHead::Tcp, 0);
    st.so(so_of(&st, a)).so_proto = pffindtype(&INETDOMAIN, SOCK_STREAM).unwrap();
    assert_eq!(bind(&mut st, a, ANY, 80), Err(EADDRINUSE));
    // ... unless the socket listens and its protocol makes connections.
    st.so(so_of(&st, a)).so_options |= SO_ACCEPTCONN;
    assert_eq!(bind(&mut st, a, ANY, 80), Ok(()));
    let b = pcb(&mut st, InpHead::Tcp, SO_ACCEPTCONN);
    st.so(so_of(&st, b)).so_proto = pffindtype(&INETDOMAIN, SOCK_DGRAM).unwrap();
    assert_eq!(bind(&mut st, b, LO, 80), Err(EADDRINUSE));
}

#[test]
fn ephemeral_ports_rotate_and_run_out() {
    let mut st = booted();
    let ports: Vec<u16> = (0..3)
        .map(|_| {
            let inp = udp(&mut st);
            in_pcbbind(&mut st, inp, None).unwrap();
            addrs(&st, inp).1
        })
        .collect();
    assert_eq!(ports, [1024, 1025, 1026]);
    // A port of 0 with an address: the address and an ephemeral port.
    let inp = udp(&mut st);
    bind(&mut st, inp, LO, 0).unwrap();
    assert_eq!(addrs(&st, inp), (LO, 1027, ANY, 0));
    // Other protocols count their own.
    let t = pcb(&mut st, InpHead::Tcp, 0);
    in_pcbbind(&mut st, t, None).unwrap();
    assert_eq!(addrs(&st, t).1, 1024);

    // After the last port the hint wraps to the first, skipping ports in
    // use: 5000, then 1024 to 1027 are taken.
    st.pcbinfo[InpHead::Udp as usize].ipi_lastport = 4999;
    let mut next = || {
        let inp = udp(&mut st);
        in_pcbbind(&mut st, inp, None).map(|()| addrs(&st, inp).1)
    };
    assert_eq!(next(), Ok(5000));
    assert_eq!(next(), Ok(1028));

    // A tiny range: three ports, then none.
    let mut st = booted();
    let info = &mut st.pcbinfo[InpHead::Udp as usize];
    (info.ipport_firstauto, info.ipport_lastauto) = (40000, 40002);
    let got: Vec<_> = (0..3)
        .map(|_| {
            let inp = udp(&mut st);
            in_pcbbind(&mut st, inp, None).unwrap();
            inp
        })
        .collect();
    assert_eq!(got.iter().map(|&i| addrs(&st, i).1).collect::<Vec<_>>(), [40000, 40001, 40002]);
    let inp = udp(&mut st);
    assert_eq!(in_pcbbind(&mut st, inp, None), Err(EADDRINUSE));
    assert_eq!(bind(&mut st, inp, LO, 0), Err(EADDRINUSE));
    assert_eq!(connect(&mut st, inp, LO, 7), Err(EADDRINUSE));
    assert_eq!(addrs(&st, inp), (ANY, 0, ANY, 0));
    // A freed port is found again.
    in_pcbdetach(&mut st, got[1]);
    assert_eq!(in_pcbbind(&mut st, inp, None), Ok(()));
    assert_eq!(addrs(&st, inp).1, 40001);

    // Linux's range, given either way round.
    let mut st = booted();
    let info = &mut st.pcbinfo[InpHead::Udp as usize];
    (info.ipport_firstauto, info.ipport_lastauto) = (60999, 32768);
    let inp = udp(&mut st);
    in_pcbbind(&mut st, inp, None).unwrap();
    assert_eq!(addrs(&st, inp).1, 32768);
}

/// RFC 6056 randomisation, when switched on: ports spread over the whole
/// range, never twice, and the range still runs out.
#[test]
fn ephemeral_ports_at_random() {
    bsdinet::platform::seed_random(6056);
    let mut st = booted();
    st.ipport_randomized = true;
    let mut ports: Vec<u16> = (0..200)
        .map(|_| {
            let inp = udp(&mut st);
            in_pcbbind(&mut st, inp, None).unwrap();
            addrs(&st, inp).1
        })
        .collect();
    assert!(ports.iter().all(|p| (1024..=5000).contains(p)));
    // Not the book's sequence, and spread: some in each quarter.
    assert_ne!(ports[..3], [1024, 1025, 1026]);
    for q in 0..4 {
        let lo = 1024 + q * 994;
        assert!(ports.iter().any(|&p| (lo..lo + 994).contains(&p)), "none in quarter {q}");
    }
    let n = ports.len();
    ports.sort();
    ports.dedup();
    assert_eq!(ports.len(), n, "a port handed out twice");

    // A tiny range: every port once, then none, and a freed one again.
    let mut st = booted();
    st.ipport_randomized = true;
    let info = &mut st.pcbinfo[InpHead::Udp as usize];
    (info.ipport_firstauto, info.ipport_lastauto) = (40000, 40002);
    let got: Vec<_> = (0..3)
        .map(|_| {
            let inp = udp(&mut st);
            in_pcbbind(&mut st, inp, None).unwrap();
            inp
        })
        .collect();
    let mut p: Vec<u16> = got.iter().map(|&i| addrs(&st, i).1).collect();
    p.sort();
    assert_eq!(p, [40000, 40001, 40002]);
    let inp = udp(&mut st);
    assert_eq!(in_pcbbind(&mut st, inp, None), Err(EADDRINUSE));
    let freed = addrs(&st, got[1]).1;
    in_pcbdetach(&mut st, got[1]);
    assert_eq!(in_pcbbind(&mut st, inp, None), Ok(()));
    assert_eq!(addrs(&st, inp).1, freed);

    // A range of one port.
    let mut st = booted();
    st.ipport_randomized = true;
    let info = &mut st.pcbinfo[InpHead::Udp as usize];
    (info.ipport_firstauto, info.ipport_lastauto) = (7, 7);
    let inp = udp(&mut st);
    in_pcbbind(&mut st, inp, None).unwrap();
    assert_eq!(addrs(&st, inp).1, 7);
    let inp = udp(&mut st);
    assert_eq!(in_pcbbind(&mut st, inp, None), Err(EADDRINUSE));
}

/// The platform's random numbers repeat from a seed, as tests need.
#[test]
fn random_numbers_repeat_from_a_seed() {
    use bsdinet::platform::{random_u32, seed_random};
    seed_random(1);
    let a: Vec<u32> = (0..8).map(|_| random_u32()).collect();
    seed_random(1);
    let b: Vec<u32> = (0..8).map(|_| random_u32()).collect();
    seed_random(2);
    let c: Vec<u32> = (0..8).map(|_| random_u32()).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.windows(2).all(|w| w[0] != w[1]));
}

#[test]
fn connect_chooses_the_source_as_the_book() {
    let mut st = booted();
    let eth = eth0(&mut st);
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let conn = |st: &mut Stack, options: u16, to: u32| {
        let inp = pcb(st, InpHead::Udp, options);
        connect(st, inp, to, 7).map(|()| addrs(st, inp))
    };
    // The route's interface address.
    assert_eq!(conn(&mut st, 0, 0x0a00_0007), Ok((ETH, 1024, 0x0a00_0007, 7)));
    // No route, but lo0's net.
    assert_eq!(conn(&mut st, 0, 0x7f00_0005), Ok((LO, 1025, 0x7f00_0005, 7)));
    // No route: the primary (first) address.
    assert_eq!(conn(&mut st, 0, FAR).map(|a| a.0), Ok(LO));
    let _ = (eth, lo0);
    let gw = Some(Sockaddr::In(InAddr(0x0a00_00fe)));
    rtrequest(&mut st, Req::Add, INADDR_ANY, gw, Some(INADDR_ANY), RTF_GATEWAY, false).unwrap();
    assert_eq!(conn(&mut st, 0, FAR).map(|a| a.0), Ok(ETH));
    // A route through loopback does not count (a route to one of our
    // addresses on another net goes there): the primary address.
    let lo = Some(Sockaddr::In(INADDR_LOOPBACK));
    let mask = Some(InAddr(0xffff_ff00));
    rtrequest(&mut st, Req::Add, InAddr(0xc0a8_0500), lo, mask, 0, false).unwrap();
    assert_eq!(conn(&mut st, 0, 0xc0a8_0505).map(|a| a.0), Ok(LO));
    // SO_DONTROUTE: no route, so the interface on the net, else the
    // primary address.
    assert_eq!(conn(&mut st, SO_DONTROUTE, FAR).map(|a| a.0), Ok(LO));
    assert_eq!(conn(&mut st, SO_DONTROUTE, 0x0a00_0063).map(|a| a.0), Ok(ETH));
    // ... or the point-to-point link whose other end it is.
    attach(&mut st, "ppp", IFF_POINTOPOINT, 0x0b00_0001, 0xff00_0000, Some(0x0c00_0002));
    assert_eq!(conn(&mut st, SO_DONTROUTE, 0x0c00_0002).map(|a| a.0), Ok(0x0b00_0001));
    // The primary interface, lo0, has no broadcast address.
    assert_eq!(conn(&mut st, 0, 0xffff_ffff).map(|a| a.2), Ok(0xffff_ffff));
    // A bound address stays; so does the port.
    let inp = udp(&mut st);
    bind(&mut st, inp, LO, 3000).unwrap();
    assert_eq!(connect(&mut st, inp, 0x0a00_0007, 9), Ok(()));
    assert_eq!(addrs(&st, inp), (LO, 3000, 0x0a00_0007, 9));
    // A bound port with the wildcard address gets an address.
    let inp = udp(&mut st);
    bind(&mut st, inp, ANY, 3001).unwrap();
    assert_eq!(connect(&mut st, inp, 0x0a00_0007, 9), Ok(()));
    assert_eq!(addrs(&st, inp), (ETH, 3001, 0x0a00_0007, 9));
}

#[test]
fn connect_to_the_wildcard_or_broadcast() {
    // eth0 alone: INADDR_ANY means its address, INADDR_BROADCAST its
    // broadcast address.
    let mut st = Stack::new();
    eth0(&mut st);
    let inp = udp(&mut st);
    assert_eq!(connect(&mut st, inp, ANY, 7), Ok(()));
    assert_eq!(addrs(&st, inp), (ETH, 1024, ETH, 7));
    let inp = udp(&mut st);
    assert_eq!(connect(&mut st, inp, 0xffff_ffff, 7), Ok(()));
    assert_eq!(addrs(&st, inp), (ETH, 1025, 0x0a00_00ff, 7));
    // in_pcbladdr answers without connecting.
    let inp = udp(&mut st);
    let mut to = SockaddrIn::new(InAddr(0xffff_ffff), 9);
    assert_eq!(in_pcbladdr(&mut st, inp, &mut to), Ok(InAddr(ETH)));
    assert_eq!(to.sin_addr, InAddr(0x0a00_00ff));
    assert_eq!(addrs(&st, inp), (ANY, 0, ANY, 0));
    to.sin_port = 0;
    assert_eq!(in_pcbladdr(&mut st, inp, &mut to), Err(EADDRNOTAVAIL));
}

#[test]
fn connect_errors() {
    let mut st = Stack::new();
    let inp = udp(&mut st);
    assert_eq!(connect(&mut st, inp, LO, 7), Err(EADDRNOTAVAIL));
    let mut st = booted();
    let inp = udp(&mut st);
    assert_eq!(connect(&mut st, inp, LO, 0), Err(EADDRNOTAVAIL));
    assert_eq!(in_pcbconnect(&mut st, inp, &sin(LO, 7)[..15]), Err(EINVAL));
    let mut inet = sin(LO, 7);
    inet[..2].copy_from_slice(&2u16.to_ne_bytes());
    assert_eq!(in_pcbconnect(&mut st, inp, &inet), Err(EAFNOSUPPORT));
    assert_eq!(addrs(&st, inp), (ANY, 0, ANY, 0));

    // The same 4-tuple twice.
    let a = pcb(&mut st, InpHead::Udp, SO_REUSEPORT);
    let b = pcb(&mut st, InpHead::Udp, SO_REUSEPORT);
    bind(&mut st, a, LO, 3000).unwrap();
    bind(&mut st, b, LO, 3000).unwrap();
    assert_eq!(connect(&mut st, a, LO, 7), Ok(()));
    assert_eq!(connect(&mut st, b, LO, 7), Err(EADDRINUSE));
    assert_eq!(addrs(&st, b), (LO, 3000, ANY, 0));
    assert_eq!(connect(&mut st, b, LO, 8), Ok(()));
}

#[test]
fn disconnect_forgets_the_peer() {
    let mut st = booted();
    let inp = udp(&mut st);
    connect(&mut st, inp, LO, 7).unwrap();
    let u = InpHead::Udp;
    assert_eq!(lookup(&st, u, (LO, 7), (LO, 1024), 0), Some(inp));
    in_pcbdisconnect(&mut st, inp);
    assert_eq!(addrs(&st, inp), (LO, 1024, ANY, 0));
    assert_eq!(lookup(&st, u, (LO, 7), (LO, 1024), 0), None);
    assert_eq!(lookup(&st, u, (ANY, 0), (LO, 1024), 0), Some(inp));
    assert_eq!(lookup(&st, u, (LO, 7), (LO, 1024), INPLOOKUP_WILDCARD), Some(inp));

    // With its descriptor closed, the PCB and the socket go.
    let so = so_of(&st, inp);
    st.so(so).so_state |= SS_NOFDREF;
    in_pcbdisconnect(&mut st, inp);
    assert!(st.inpcbs.get(inp).is_none() && st.sockets.get(so).is_none());
    assert_eq!(lookup(&st, u, (ANY, 0), (LO, 1024), 0), None);
    assert!(st.pcbinfo[u as usize].is_empty());
}

#[test]
fn lookup_prefers_fewer_wildcards() {
    let mut st = booted();
    let u = InpHead::Udp;
    let w = INPLOOKUP_WILDCARD;
    let any = udp(&mut st); // *:9 <- *
    set(&mut st, any, (ANY, 9, ANY, 0));
    let local = udp(&mut st); // 127.0.0.1:9 <- *
    set(&mut st, local, (LO, 9, ANY, 0));
    let remote = udp(&mut st); // *:9 <- 8.8.8.8:53
    set(&mut st, remote, (ANY, 9, FAR, 53));
    let full = udp(&mut st); // 127.0.0.1:9 <- 8.8.8.8:53
    set(&mut st, full, (LO, 9, FAR, 53));
    let other = udp(&mut st); // 127.0.0.1:10
    set(&mut st, other, (LO, 10, ANY, 0));
    let tcp = pcb(&mut st, InpHead::Tcp, 0);
    set(&mut st, tcp, (LO, 9, FAR, 53));

    assert_eq!(lookup(&st, u, (FAR, 53), (LO, 9), w), Some(full));
    assert_eq!(lookup(&st, InpHead::Tcp, (FAR, 53), (LO, 9), 0), Some(tcp));
    // Another foreign port does not match the connected ones.
    assert_eq!(lookup(&st, u, (FAR, 54), (LO, 9), w), Some(local));
    assert_eq!(lookup(&st, u, (FAR, 54), (LO, 9), 0), None);
    // The wildcard on either side of a query counts as well.
    assert_eq!(lookup(&st, u, (ANY, 0), (LO, 9), w), Some(local));
    assert_eq!(lookup(&st, u, (ANY, 0), (ANY, 9), w), Some(any));
    assert_eq!(lookup(&st, u, (FAR, 53), (ANY, 9), w), Some(remote));
    assert_eq!(lookup(&st, u, (ANY, 0), (LO, 10), w), Some(other));
    assert_eq!(lookup(&st, u, (ANY, 0), (LO, 11), w), None);
    // One wildcard each: the newer, as it comes first on the book's list.
    in_pcbdetach(&mut st, full);
    assert_eq!(lookup(&st, u, (FAR, 53), (LO, 9), w), Some(remote));
    in_pcbdetach(&mut st, remote);
    assert_eq!(lookup(&st, u, (FAR, 53), (LO, 9), w), Some(local));
    in_pcbdetach(&mut st, local);
    assert_eq!(lookup(&st, u, (FAR, 53), (LO, 9), w), Some(any));
    assert_eq!(lookup(&st, u, (FAR, 53), (LO, 9), 0), None);
    // Exact duplicates (SO_REUSEPORT): the newest.
    let dup = udp(&mut st);
    set(&mut st, dup, (ANY, 9, ANY, 0));
    assert_eq!(lookup(&st, u, (ANY, 0), (ANY, 9), 0), Some(dup));
}

#[test]
fn pcbs_on_a_port_newest_first() {
    let mut st = booted();
    let a = pcb(&mut st, InpHead::Udp, SO_REUSEPORT);
    let b = pcb(&mut st, InpHead::Udp, SO_REUSEPORT);
    let c = udp(&mut st);
    let t = pcb(&mut st, InpHead::Tcp, 0);
    let free = udp(&mut st);
    bind(&mut st, a, ANY, 5353).unwrap();
    bind(&mut st, b, ANY, 5353).unwrap();
    bind(&mut st, c, LO, 5354).unwrap();
    bind(&mut st, t, ANY, 5353).unwrap();
    // Connect a after b bound: the order is the PCBs', not the binds'.
    connect(&mut st, a, LO, 7).unwrap();
    assert_eq!(&*in_pcbs_on_port(&st, InpHead::Udp, 5353).unwrap(), [b, a]);
    assert_eq!(&*in_pcbs_on_port(&st, InpHead::Udp, 5354).unwrap(), [c]);
    assert_eq!(&*in_pcbs_on_port(&st, InpHead::Udp, 0).unwrap(), [free]);
    assert!(in_pcbs_on_port(&st, InpHead::Udp, 5355).unwrap().is_empty());
    // Port 0 of the raw list: every raw PCB.
    let r1 = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 1, Cred::ROOT, 0).unwrap();
    let r2 = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 2, Cred::ROOT, 0).unwrap();
    let raws = in_pcbs_on_port(&st, InpHead::Raw, 0).unwrap();
    assert_eq!(&*raws, [st.so(r2).so_pcb.unwrap(), st.so(r1).so_pcb.unwrap()]);
}

/// A notify that frees the PCB, to see that in_pcbnotify copes.
fn detach(st: &mut Stack, inp: usize, _: Errno) {
    in_pcbdetach(st, inp);
}

#[test]
fn notify_reaches_the_connections_to_the_host() {
    let mut st = booted();
    eth0(&mut st);
    let u = InpHead::Udp;
    let a = udp(&mut st);
    connect(&mut st, a, 0x0a00_0007, 7).unwrap();
    let b = udp(&mut st);
    connect(&mut st, b, 0x0a00_0007, 9).unwrap();
    let c = udp(&mut st);
    connect(&mut st, c, 0x0a00_0008, 7).unwrap();
    let d = udp(&mut st);
    bind(&mut st, d, ANY, 7).unwrap();
    let t = pcb(&mut st, InpHead::Tcp, 0);
    connect(&mut st, t, 0x0a00_0007, 7).unwrap();
    let err = |st: &Stack, inp| st.sockets.get(so_of(st, inp)).unwrap().so_error;
    let woken = |st: &mut Stack| {
        let mut v = vec![];
        st.take_wakeups(|arg| v.push(arg));
        v.sort();
        v
    };
    woken(&mut st);

    // A wildcard destination reaches nobody.
    in_pcbnotify(&mut st, u, INADDR_ANY, 0, INADDR_ANY, 0, EHOSTUNREACH, in_notify_error);
    assert!(woken(&mut st).is_empty());
    // Every connection to the host (a redirect, a dead host).
    let host = InAddr(0x0a00_0007);
    in_pcbnotify(&mut st, u, host, 0, INADDR_ANY, 0, EHOSTUNREACH, in_notify_error);
    assert_eq!(
        [err(&st, a), err(&st, b), err(&st, c), err(&st, d)],
        [EHOSTUNREACH, EHOSTUNREACH, Errno(0), Errno(0)]
    );
    assert_eq!(err(&st, t), Errno(0));
    let mut want = vec![so_of(&st, a) + 100, so_of(&st, b) + 100];
    want.sort();
    assert_eq!(woken(&mut st), want);
    // Only the connection the returned header names.
    let (la, lp, _, _) = addrs(&st, b);
    in_pcbnotify(&mut st, u, host, 9, InAddr(la), lp, ECONNREFUSED, in_notify_error);
    assert_eq!([err(&st, a), err(&st, b)], [EHOSTUNREACH, ECONNREFUSED]);
    in_pcbnotify(&mut st, u, host, 9, InAddr(la), lp + 1, EMSGSIZE, in_notify_error);
    in_pcbnotify(&mut st, u, host, 9, InAddr(LO), lp, EMSGSIZE, in_notify_error);
    in_pcbnotify(&mut st, u, host, 10, InAddr(la), lp, EMSGSIZE, in_notify_error);
    assert_eq!([err(&st, a), err(&st, b)], [EHOSTUNREACH, ECONNREFUSED]);
    // A notify may free PCBs as it goes.
    in_pcbnotify(&mut st, u, host, 0, INADDR_ANY, 0, EHOSTUNREACH, detach);
    assert!(st.inpcbs.get(a).is_none() && st.inpcbs.get(b).is_none());
    assert!(st.inpcbs.get(c).is_some() && st.inpcbs.get(t).is_some());
    assert_eq!(st.pcbinfo[u as usize].len(), 2);
}

#[test]
fn many_pcbs_grow_the_tables() {
    let mut st = booted();
    let u = InpHead::Udp;
    let pcbs: Vec<usize> = (0..500)
        .map(|i| {
            let inp = udp(&mut st);
            connect(&mut st, inp, 0x0a00_0000 + i, 7).unwrap();
            inp
        })
        .collect();
    assert_eq!(st.pcbinfo[u as usize].len(), 500);
    for (i, &inp) in pcbs.iter().enumerate() {
        let (la, lp, fa, fp) = addrs(&st, inp);
        assert_eq!(fa, 0x0a00_0000 + i as u32);
        assert_eq!(lookup(&st, u, (fa, fp), (la, lp), 0), Some(inp));
        assert_eq!(in_pcbs_on_port(&st, u, lp).unwrap().len(), 1);
    }
    for &inp in pcbs.iter().step_by(2) {
        in_pcbdetach(&mut st, inp);
    }
    for (i, &inp) in pcbs.iter().enumerate() {
        let f = (0x0a00_0000 + i as u32, 7);
        let l = (LO, 1024 + i as u16);
        let want = (i % 2 == 1).then_some(inp);
        assert_eq!(lookup(&st, u, f, l, INPLOOKUP_WILDCARD), want);
    }
    assert_eq!(st.pcbinfo[u as usize].len(), 250);
}

/// The book's `in_pcblookup`, as printed: a walk over the whole list,
/// newest first. `list` holds the PCBs oldest first.
fn book_lookup(
    st: &Stack,
    list: &[usize],
    head: InpHead,
    (faddr, fport): (u32, u16),
    (laddr, lport): (u32, u16),
    flags: u32,
) -> Option<usize> {
    let mut found = None;
    let mut matchwild = 3;
    for &i in list.iter().rev() {
        let inp = st.inpcbs.get(i).unwrap();
        if inp.inp_head != head || inp.inp_lport != lport {
            continue;
        }
        let mut wildcard = 0;
        if inp.inp_laddr.0 != ANY {
            if laddr == ANY {
                wildcard += 1;
            } else if inp.inp_laddr.0 != laddr {
                continue;
            }
        } else if laddr != ANY {
            wildcard += 1;
        }
        if inp.inp_faddr.0 != ANY {
            if faddr == ANY {
                wildcard += 1;
            } else if inp.inp_faddr.0 != faddr || inp.inp_fport != fport {
                continue;
            }
        } else if faddr != ANY {
            wildcard += 1;
        }
        if wildcard != 0 && flags & INPLOOKUP_WILDCARD == 0 {
            continue;
        }
        if wildcard < matchwild {
            found = Some(i);
            matchwild = wildcard;
            if matchwild == 0 {
                break;
            }
        }
    }
    found
}

/// Few values, so that PCBs and queries collide often.
fn addr() -> impl Strategy<Value = u32> {
    prop_oneof![Just(ANY), Just(LO), Just(ETH), Just(FAR)]
}
fn port() -> impl Strategy<Value = u16> {
    prop_oneof![Just(0u16), 1..4u16]
}
fn head() -> impl Strategy<Value = InpHead> {
    prop_oneof![Just(InpHead::Udp), Just(InpHead::Tcp)]
}
type Tuple = (u32, u16, u32, u16);
fn tuple() -> impl Strategy<Value = Tuple> {
    (addr(), port(), addr(), port())
}

#[derive(Debug, Clone)]
enum Op {
    /// A new PCB on a list, with these addresses.
    Alloc(InpHead, Tuple),
    /// The n-th living PCB moves to these addresses.
    Move(usize, Tuple),
    /// The n-th living PCB goes.
    Detach(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (head(), tuple()).prop_map(|(h, t)| Op::Alloc(h, t)),
        1 => (any::<usize>(), tuple()).prop_map(|(n, t)| Op::Move(n, t)),
        1 => any::<usize>().prop_map(Op::Detach),
    ]
}

proptest! {
    #[test]
    fn hashed_lookup_is_the_books(
        ops in prop::collection::vec(op(), 0..120),
        queries in prop::collection::vec((head(), tuple(), any::<bool>()), 1..60),
    ) {
        let mut st = booted();
        let so = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 0, Cred::ROOT, 0).unwrap();
        let mut list: Vec<usize> = vec![];
        for op in ops {
            match op {
                Op::Alloc(h, t) => {
                    let inp = in_pcballoc(&mut st, so, h).unwrap();
                    set(&mut st, inp, t);
                    list.push(inp);
                }
                Op::Move(n, t) if !list.is_empty() => set(&mut st, list[n % list.len()], t),
                Op::Detach(n) if !list.is_empty() => {
                    in_pcbdetach(&mut st, list.remove(n % list.len()));
                }
                _ => {}
            }
        }
        for (h, (la, lp, fa, fp), wild) in queries {
            let flags = if wild { INPLOOKUP_WILDCARD } else { 0 };
            let want = book_lookup(&st, &list, h, (fa, fp), (la, lp), flags);
            prop_assert_eq!(lookup(&st, h, (fa, fp), (la, lp), flags), want);
            // And the port lists hold exactly the PCBs on the port.
            let on: Vec<usize> = list
                .iter()
                .rev()
                .copied()
                .filter(|&i| {
                    let p = st.inpcbs.get(i).unwrap();
                    p.inp_head == h && p.inp_lport == lp
                })
                .collect();
            prop_assert_eq!(&*in_pcbs_on_port(&st, h, lp).unwrap(), &on[..]);
        }
        let udp = list.iter().filter(|&&i| st.inpcbs.get(i).unwrap().inp_head == InpHead::Udp);
        prop_assert_eq!(st.pcbinfo[InpHead::Udp as usize].len(), udp.count());
    }
}
