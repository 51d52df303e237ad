//! IP options (book chapter 9): `ip_dooptions` on a router with three
//! interfaces, the saved and reversed source route, and the output side
//! (`ip_insertoptions`, `ip_stripoptions`, `ip_optcopy`, `ip_pcbopts`).

use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::route::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::ip_options::*;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::sockio::*;
use bsdinet::platform::iptime;
use proptest::prelude::*;

// ICMP types and codes (`netinet/ip_icmp.h`).
const ICMP_UNREACH: u8 = 3;
const ICMP_UNREACH_HOST: u8 = 1;
const ICMP_UNREACH_SRCFAIL: u8 = 5;
const ICMP_PARAMPROB: u8 = 12;

const SRCFAIL: DoOpt = DoOpt::Error { ty: ICMP_UNREACH, code: ICMP_UNREACH_SRCFAIL, ptr: 0 };

fn pp(ptr: u8) -> DoOpt {
    DoOpt::Error { ty: ICMP_PARAMPROB, code: 0, ptr }
}

const fn ip4(a: u8, b: u8, c: u8, d: u8) -> InAddr {
    InAddr(u32::from_be_bytes([a, b, c, d]))
}

fn bytes(a: InAddr) -> [u8; 4] {
    a.0.to_be_bytes()
}

// The router: lo0 127.0.0.1; eth0 10.0.0.1/24 (default route via
// 10.0.0.254); eth1 192.168.1.1/24; ppp0 172.16.0.1 -> 172.16.0.2.
const ETH0: InAddr = ip4(10, 0, 0, 1);
const ETH1: InAddr = ip4(192, 168, 1, 1);
const PPP0: InAddr = ip4(172, 16, 0, 1);
const PPP0_DST: InAddr = ip4(172, 16, 0, 2);
const ETH0_BCAST: InAddr = ip4(10, 0, 0, 255);
const NEIGHBOUR0: InAddr = ip4(10, 0, 0, 7);
const NEIGHBOUR1: InAddr = ip4(192, 168, 1, 7);
const FAR: InAddr = ip4(8, 8, 8, 8);

struct Router {
    st: Stack,
    lo0: usize,
    eth0: usize,
    eth1: usize,
    ppp0: usize,
}

fn attach(st: &mut Stack, name: &str, unit: u16, flags: u16) -> usize {
    let ifp = Ifnet::new(IfName::new(name, unit).unwrap(), IfKind::Loopback, flags | IFF_UP, 1500);
    if_attach(st, ifp).unwrap()
}

/// Adds `addr`/`mask` to `ifp` with SIOCAIFADDR; `dst` is the other end
/// of a point-to-point link.
fn add_addr(st: &mut Stack, ifp: usize, addr: InAddr, mask: InAddr, dst: Option<InAddr>) {
    let mut req = [0u8; IFALIASREQ_LEN];
    set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(addr, 0)).unwrap();
    set_sockaddr_at(&mut req, IFRA_MASK, &SockaddrIn::new(mask, 0)).unwrap();
    if let Some(d) = dst {
        set_sockaddr_at(&mut req, IFRA_BROADADDR, &SockaddrIn::new(d, 0)).unwrap();
    }
    in_control(st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
}

/// The router, with or without its default route.
fn router_with(default_route: bool) -> Router {
    let mut st = Stack::new();
    st.boot().unwrap();
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let eth0 = attach(&mut st, "eth", 0, IFF_BROADCAST);
    let eth1 = attach(&mut st, "eth", 1, IFF_BROADCAST);
    let ppp0 = attach(&mut st, "ppp", 0, IFF_POINTOPOINT);
    let mask24 = ip4(255, 255, 255, 0);
    add_addr(&mut st, eth0, ETH0, mask24, None);
    add_addr(&mut st, eth1, ETH1, mask24, None);
    add_addr(&mut st, ppp0, PPP0, InAddr(!0), Some(PPP0_DST));
    if default_route {
        let gw = Some(Sockaddr::In(ip4(10, 0, 0, 254)));
        rtrequest(&mut st, Req::Add, INADDR_ANY, gw, Some(INADDR_ANY), RTF_GATEWAY, false).unwrap();
    }
    Router { st, lo0, eth0, eth1, ppp0 }
}

fn router() -> Router {
    router_with(true)
}

/// `opts` padded with EOL to a multiple of 4.
fn pad(opts: &[u8]) -> Vec<u8> {
    let mut v = opts.to_vec();
    while v.len() % 4 != 0 {
        v.push(IPOPT_EOL);
    }
    v
}

const PAYLOAD: usize = 8;

/// A UDP datagram from `src` to `dst` with options `opts` (padded) and 8
/// bytes of payload, as received on `rcvif`.
fn dgram(st: &mut Stack, src: InAddr, dst: InAddr, opts: &[u8], rcvif: Option<usize>) -> Mbuf {
    let opts = pad(opts);
    assert!(opts.len() <= MAX_IPOPTLEN);
    let hl = 20 + opts.len();
    let mut b = vec![0u8; hl + PAYLOAD];
    b[0] = 0x40 | (hl / 4) as u8;
    b[2..4].copy_from_slice(&((hl + PAYLOAD) as u16).to_be_bytes());
    b[8] = 64;
    b[9] = 17;
    b[12..16].copy_from_slice(&bytes(src));
    b[16..20].copy_from_slice(&bytes(dst));
    b[20..hl].copy_from_slice(&opts);
    for (i, x) in b[hl..].iter_mut().enumerate() {
        *x = 0xa0 + i as u8;
    }
    m_devget(&mut st.mbpool, &b, 0, rcvif).unwrap()
}

fn all(m: &Mbuf) -> Vec<u8> {
    let mut v = vec![0u8; m.m_length()];
    m_copydata(m, 0, &mut v).unwrap();
    v
}

fn ip_dst(m: &Mbuf) -> InAddr {
    let h = m.mtod();
    InAddr(u32::from_be_bytes([h[16], h[17], h[18], h[19]]))
}

fn set_dst(m: &mut Mbuf, a: InAddr) {
    m.mtod_mut().unwrap()[16..20].copy_from_slice(&bytes(a));
}

fn addr_at(m: &Mbuf, off: usize) -> InAddr {
    let h = m.mtod();
    InAddr(u32::from_be_bytes([h[off], h[off + 1], h[off + 2], h[off + 3]]))
}

/// The 4 bytes at `off` hold a timestamp taken just now.
fn assert_time_at(m: &Mbuf, off: usize) {
    let t = addr_at(m, off).0;
    let now = iptime();
    assert!(t < 86_400_000, "{t} is not within a day");
    assert!((now + 86_400_000 - t) % 86_400_000 < 10_000, "{t} is not now ({now})");
}

#[test]
fn record_route_fills_its_slots_then_stops() {
    let Router { mut st, eth0, .. } = router();
    // A NOP, then RR with 3 slots at offset 21: pointer at 23, slots at
    // 24, 28, 32.
    let opts = [&[IPOPT_NOP, IPOPT_RR, 15, 4][..], &[0; 12]].concat();
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &opts, Some(eth0));
    // For us: the address it came to.
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[23], addr_at(&m, 24)), (8, ETH0));
    // Passing through: the address it leaves from, by the route.
    set_dst(&mut m, NEIGHBOUR1);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[23], addr_at(&m, 28)), (12, ETH1));
    set_dst(&mut m, FAR);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[23], addr_at(&m, 32)), (16, ETH0));
    // Full: nothing more is recorded, and it is no error.
    let before = all(&m);
    set_dst(&mut m, PPP0_DST);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    set_dst(&mut m, FAR);
    assert_eq!(all(&m), before);
    assert_eq!(st.ipstat.ips_badoptions, 0);
    // A broadcast to us records the interface's own address.
    let opts = [&[IPOPT_RR, 7, 4][..], &[0; 4]].concat();
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0_BCAST, &opts, Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[22], addr_at(&m, 23)), (8, ETH0));
}

#[test]
fn record_route_without_a_route_is_host_unreachable() {
    let Router { mut st, eth0, .. } = router_with(false);
    let opts = [&[IPOPT_RR, 7, 4][..], &[0; 4]].concat();
    let mut m = dgram(&mut st, NEIGHBOUR0, FAR, &opts, Some(eth0));
    let before = all(&m);
    assert_eq!(
        ip_dooptions(&mut st, &mut m),
        DoOpt::Error { ty: ICMP_UNREACH, code: ICMP_UNREACH_HOST, ptr: 0 }
    );
    assert_eq!(all(&m), before);
    assert_eq!(st.ipstat.ips_badoptions, 1);
}

#[test]
fn bad_options_point_at_the_bad_byte() {
    let Router { mut st, eth0, .. } = router();
    let ts = IPOPT_TS;
    let cases: &[(&[u8], u8)] = &[
        // Lengths below 2: the length byte.
        (&[IPOPT_RR, 0, 4, 0], 21),
        (&[IPOPT_SECURITY, 1, 0, 0], 21),
        // Beyond the header.
        (&[IPOPT_NOP, IPOPT_RR, 40, 4], 22),
        // No room for the length byte: the option itself.
        (&[IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_RR], 23),
        // Routes too short for their pointer, or pointing into their
        // own header: the length, the pointer.
        (&[IPOPT_RR, 2, 0, 0], 21),
        (&[IPOPT_LSRR, 7, 3, 0, 0, 0, 0, 0], 22),
        (&[IPOPT_SSRR, 7, 0, 0, 0, 0, 0, 0], 22),
        // Timestamps: too short; pointer into the header; unknown flag;
        // no room for an address and a time.
        (&[ts, 4, 5, 0], 21),
        (&[ts, 8, 4, 0, 0, 0, 0, 0], 22),
        (&[ts, 8, 5, 2, 0, 0, 0, 0], 23),
        (&[ts, 8, 5, IPOPT_TS_TSANDADDR, 0, 0, 0, 0], 22),
        (&[ts, 12, 9, IPOPT_TS_PRESPEC, 0, 0, 0, 0, 0, 0, 0, 0], 22),
        // After a good option.
        (&[IPOPT_NOP, IPOPT_SATID, 4, 0, 0, IPOPT_RR, 9, 4], 26),
    ];
    for (n, &(opts, ptr)) in cases.iter().enumerate() {
        let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, opts, Some(eth0));
        let before = all(&m);
        assert_eq!(ip_dooptions(&mut st, &mut m), pp(ptr), "case {n}: {opts:?}");
        assert_eq!(all(&m), before, "case {n}");
        assert_eq!(st.ipstat.ips_badoptions, n as u64 + 1);
    }
    // Unknown options are passed over, and nothing after EOL is read.
    let fine: &[&[u8]] = &[
        &[IPOPT_SECURITY, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[200, 2, IPOPT_NOP, IPOPT_NOP],
        &[IPOPT_EOL, IPOPT_RR, 0, 0],
        &[IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_EOL],
    ];
    for opts in fine {
        let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, opts, Some(eth0));
        let before = all(&m);
        assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue, "{opts:?}");
        assert_eq!(all(&m), before);
    }
}

#[test]
fn timestamps_only() {
    let Router { mut st, eth0, .. } = router();
    // Two slots: pointer at 22, flags at 23, times at 24 and 28.
    let opts = [&[IPOPT_TS, 12, 5, IPOPT_TS_TSONLY][..], &[0; 8]].concat();
    let mut m = dgram(&mut st, NEIGHBOUR0, FAR, &opts, Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(m.mtod()[22], 9);
    assert_time_at(&m, 24);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(m.mtod()[22], 13);
    assert_time_at(&m, 28);
    // Full: the overflow counter counts, the flag stays.
    for n in 1..=15u8 {
        assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
        assert_eq!((m.mtod()[22], m.mtod()[23]), (13, n << 4));
    }
    // The counter itself overflows: a parameter problem at its byte.
    assert_eq!(ip_dooptions(&mut st, &mut m), pp(23));
    assert_eq!(m.mtod()[23], 0xf0);
}

#[test]
fn a_full_size_timestamp_holds_nine_times() {
    let Router { mut st, eth0, .. } = router();
    let opts = [&[IPOPT_TS, 40, 5, IPOPT_TS_TSONLY][..], &[0; 36]].concat();
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &opts, Some(eth0));
    for i in 0..9 {
        assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
        assert_eq!(m.mtod()[22], 9 + 4 * i as u8);
        assert_time_at(&m, 24 + 4 * i);
    }
    assert_eq!(m.mtod()[22], 41);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[22], m.mtod()[23]), (41, 0x10));
}

#[test]
fn timestamps_with_addresses() {
    let Router { mut st, eth0, eth1, ppp0, .. } = router();
    let opts = [&[IPOPT_TS, 20, 5, IPOPT_TS_TSANDADDR][..], &[0; 16]].concat();
    // The address of the receiving interface facing the destination.
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &opts, Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[22], addr_at(&m, 24)), (13, ETH0));
    assert_time_at(&m, 28);
    // Through eth1, to a neighbour on eth1.
    let mut m = dgram(&mut st, FAR, NEIGHBOUR1, &opts, Some(eth1));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(addr_at(&m, 24), ETH1);
    // Through eth1 to elsewhere: eth1's first address all the same.
    let mut m = dgram(&mut st, FAR, NEIGHBOUR0, &opts, Some(eth1));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(addr_at(&m, 24), ETH1);
    // A point-to-point link: its address.
    let mut m = dgram(&mut st, PPP0_DST, PPP0, &opts, Some(ppp0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(addr_at(&m, 24), PPP0);
    // Second slot, then full.
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[22], addr_at(&m, 32)), (21, PPP0));
    assert_time_at(&m, 36);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[22], m.mtod()[23]), (21, 0x10 | IPOPT_TS_TSANDADDR));
    // No receiving interface known: the option is left alone.
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &opts, None);
    let before = all(&m);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(all(&m), before);
}

#[test]
fn prespecified_timestamps_only_where_listed() {
    let Router { mut st, eth0, .. } = router();
    let other = ip4(192, 0, 2, 1);
    let opts = [
        &[IPOPT_TS, 28, 5, IPOPT_TS_PRESPEC][..],
        &bytes(ETH0),
        &[0; 4],
        &bytes(other),
        &[0; 4],
        &bytes(ETH1),
        &[0; 4],
    ]
    .concat();
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &opts, Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[22], addr_at(&m, 24)), (13, ETH0));
    assert_time_at(&m, 28);
    // Another system's turn: nothing.
    let before = all(&m);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(all(&m), before);
    // Once it has had its turn, any of our addresses is stamped.
    m.mtod_mut().unwrap()[22] = 21;
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!((m.mtod()[22], addr_at(&m, 40)), (29, ETH1));
    assert_time_at(&m, 44);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(m.mtod()[23], 0x10 | IPOPT_TS_PRESPEC);
}

/// A loose source route, NOP-aligned at offset 21: pointer at 23, slots
/// from 24.
fn lsrr(ptr: u8, route: &[InAddr]) -> Vec<u8> {
    srcrt(IPOPT_LSRR, ptr, route)
}

fn srcrt(ty: u8, ptr: u8, route: &[InAddr]) -> Vec<u8> {
    let mut v = vec![IPOPT_NOP, ty, 3 + 4 * route.len() as u8, ptr];
    for &a in route {
        v.extend(bytes(a));
    }
    v
}

#[test]
fn loose_source_route_through_us() {
    let Router { mut st, eth0, .. } = router();
    let last = ip4(203, 0, 113, 5);
    // Sent to us as the first hop; on to 192.168.1.7, then `last`.
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &lsrr(4, &[NEIGHBOUR1, last]), Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Forward);
    // The next hop is the destination; our outgoing address its slot.
    assert_eq!(ip_dst(&m), NEIGHBOUR1);
    assert_eq!((m.mtod()[23], addr_at(&m, 24), addr_at(&m, 28)), (8, ETH1, last));
    assert!(ip_srcroute(&st).is_none());
    // Not for us (yet): a loose route is simply forwarded.
    let before = all(&m);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(all(&m), before);
    // Back at us as the next listed hop: on by the default route.
    set_dst(&mut m, ETH1);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Forward);
    assert_eq!(ip_dst(&m), last);
    assert_eq!((m.mtod()[23], addr_at(&m, 28)), (12, ETH0));
    // A multicast next hop is left to ip_input's multicast code.
    let group = ip4(224, 0, 0, 9);
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &lsrr(4, &[group]), Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(ip_dst(&m), group);
    assert_eq!(st.ipstat.ips_badoptions, 0);
}

#[test]
fn loose_source_route_without_a_route_fails() {
    let Router { mut st, eth0, .. } = router_with(false);
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &lsrr(4, &[FAR]), Some(eth0));
    let before = all(&m);
    assert_eq!(ip_dooptions(&mut st, &mut m), SRCFAIL);
    assert_eq!(all(&m), before);
    assert_eq!(st.ipstat.ips_badoptions, 1);
}

#[test]
fn strict_source_route_needs_adjacent_hops() {
    let Router { mut st, eth0, .. } = router();
    let ssrr = |ptr, route: &[InAddr]| srcrt(IPOPT_SSRR, ptr, route);
    // Next hop on an attached network, or at the end of a link.
    for (next, ours) in [(NEIGHBOUR0, ETH0), (NEIGHBOUR1, ETH1), (PPP0_DST, PPP0)] {
        let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &ssrr(4, &[next, FAR]), Some(eth0));
        assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Forward);
        assert_eq!((ip_dst(&m), m.mtod()[23], addr_at(&m, 24)), (next, 8, ours));
    }
    // Routed, but not adjacent.
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &ssrr(4, &[FAR]), Some(eth0));
    let before = all(&m);
    assert_eq!(ip_dooptions(&mut st, &mut m), SRCFAIL);
    assert_eq!(all(&m), before);
    // Not sent to the hop it lists: strictness was violated.
    let mut m = dgram(&mut st, NEIGHBOUR0, NEIGHBOUR1, &ssrr(4, &[FAR]), Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), SRCFAIL);
    assert_eq!(st.ipstat.ips_badoptions, 2);
}

#[test]
fn a_source_route_ending_here_is_reversed_for_replies() {
    let Router { mut st, eth0, .. } = router();
    let src = ip4(192, 0, 2, 50);
    let (r1, r2) = (ip4(198, 51, 100, 1), ip4(203, 0, 113, 1));
    // src -> r1 -> r2 -> us: each hop recorded its outgoing address.
    let mut m = dgram(&mut st, src, ETH0, &lsrr(12, &[r1, r2]), Some(eth0));
    let before = all(&m);
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(all(&m), before);
    // Back: first to r2, then r1, then src.
    let o = ip_srcroute(&st).unwrap();
    assert_eq!(o.ipopt_dst, r2);
    let want = [&[IPOPT_NOP, IPOPT_LSRR, 11, 4][..], &bytes(r1), &bytes(src)].concat();
    assert_eq!(o.options(), &want[..]);
    // Which a reply carries, sent to the first hop.
    let reply = dgram(&mut st, ETH0, src, &[], None);
    let (reply, hlen) = ip_insertoptions(&mut st.mbpool, reply, &o).unwrap();
    assert_eq!(hlen, 32);
    assert_eq!(ip_dst(&reply), r2);
    assert_eq!(&reply.mtod()[20..32], &want[..]);
    m_freem(&mut st.mbpool, reply);
    // The next datagram forgets it, options or not.
    let mut m = dgram(&mut st, src, ETH0, &[], Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert!(ip_srcroute(&st).is_none());
    // A strict route of one hop.
    let mut m = dgram(&mut st, src, ETH0, &srcrt(IPOPT_SSRR, 8, &[r1]), Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    let o = ip_srcroute(&st).unwrap();
    assert_eq!(o.ipopt_dst, r1);
    assert_eq!(o.options(), &[&[IPOPT_NOP, IPOPT_SSRR, 7, 4][..], &bytes(src)].concat()[..]);
    let mut m = dgram(&mut st, src, ETH0, &[IPOPT_RR, 7, 8, 1, 2, 3, 4], Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert!(ip_srcroute(&st).is_none());
    // A route of no hops gives none back.
    let mut m = dgram(&mut st, src, ETH0, &lsrr(4, &[]), Some(eth0));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert!(ip_srcroute(&st).is_none());
}

#[test]
fn options_in_a_shared_cluster_are_written_to_a_copy() {
    let Router { mut st, eth0, .. } = router();
    let opts = [&[IPOPT_RR, 7, 4][..], &[0; 4]].concat();
    let m = dgram(&mut st, NEIGHBOUR0, ETH0, &opts, Some(eth0));
    // Put the header in a cluster, and share it.
    let mut big = vec![0u8; 400];
    big[..m.m_length()].copy_from_slice(&all(&m));
    m_freem(&mut st.mbpool, m);
    let mut m = m_devget(&mut st.mbpool, &big, 0, Some(eth0)).unwrap();
    let copy = m_copym(&mut st.mbpool, &m, 0, M_COPYALL).unwrap();
    assert!(m.shares_cluster(&copy));
    assert_eq!(ip_dooptions(&mut st, &mut m), DoOpt::Continue);
    assert_eq!(addr_at(&m, 23), ETH0);
    assert_eq!(all(&copy), big);
    // Without a cluster to copy into, the datagram is dropped.
    let mut m2 = m_copym(&mut st.mbpool, &copy, 0, M_COPYALL).unwrap();
    st.mbpool.nmbclusters = st.mbpool.mbstat.m_clusters;
    assert_eq!(ip_dooptions(&mut st, &mut m2), DoOpt::Drop);
    assert_eq!(all(&m2), big);
    for m in [m, m2, copy] {
        m_freem(&mut st.mbpool, m);
    }
}

/// A datagram with a 20-byte header, `len` bytes of payload and `lead`
/// bytes of room in front, from the router to `FAR`.
fn plain(mp: &mut MbufPool, len: usize, lead: usize) -> Mbuf {
    let mut b = vec![0u8; 20 + len];
    b[0] = 0x45;
    b[2..4].copy_from_slice(&((20 + len) as u16).to_be_bytes());
    b[8] = 64;
    b[9] = 17;
    b[12..16].copy_from_slice(&bytes(ETH0));
    b[16..20].copy_from_slice(&bytes(FAR));
    for (i, x) in b[20..].iter_mut().enumerate() {
        *x = i as u8;
    }
    m_devget(mp, &b, lead, None).unwrap()
}

#[test]
fn insert_then_strip_options() {
    let mut mp = MbufPool::new();
    let rr = ip_pcbopts(&[IPOPT_NOP, IPOPT_RR, 7, 4, 0, 0, 0, 0]).unwrap().unwrap();
    let first = ip4(198, 51, 100, 1);
    let route = [&[IPOPT_NOP, IPOPT_LSRR, 11, 4][..], &bytes(first), &bytes(ETH1)].concat();
    let lsrr = ip_pcbopts(&route).unwrap().unwrap();
    // With room in front of the header, and without; in a cluster, too.
    for (len, lead) in [(30, 40), (30, 0), (600, 0), (600, 40)] {
        for o in [&rr, &lsrr] {
            let m = plain(&mut mp, len, lead);
            let orig = all(&m);
            let mbufs = mp.mbstat.m_mbufs;
            let (mut m, hlen) = ip_insertoptions(&mut mp, m, o).unwrap();
            assert_eq!(hlen, 20 + o.ipopt_len);
            let total = 20 + o.ipopt_len + len;
            assert_eq!((m.m_length(), m.m_pkthdr().unwrap().len), (total, total));
            if lead >= o.ipopt_len {
                assert_eq!(mp.mbstat.m_mbufs, mbufs, "no new mbuf");
            }
            let h = m.mtod();
            assert_eq!(usize::from(h[0] & 0x0f) * 4, hlen);
            assert_eq!(usize::from(u16::from_be_bytes([h[2], h[3]])), total);
            assert_eq!(&h[20..hlen], o.options());
            let want_dst = if o.ipopt_dst == INADDR_ANY { FAR } else { first };
            assert_eq!(ip_dst(&m), want_dst);
            assert_eq!(&all(&m)[hlen..], &orig[20..]);
            ip_stripoptions(&mut m);
            set_dst(&mut m, FAR);
            assert_eq!(all(&m), orig);
            assert_eq!(m.m_pkthdr().unwrap().len, 20 + len);
            m_freem(&mut mp, m);
        }
    }
    assert_eq!(mp.mbstat.m_mbufs, 0);
}

#[test]
fn insert_options_leaves_shared_clusters_alone() {
    let mut mp = MbufPool::new();
    let o = ip_pcbopts(&[IPOPT_RR, 7, 4, 0, 0, 0, 0]).unwrap().unwrap();
    let m = plain(&mut mp, 600, 0);
    let copy = m_copym(&mut mp, &m, 0, M_COPYALL).unwrap();
    let orig = all(&copy);
    let (m, hlen) = ip_insertoptions(&mut mp, m, &o).unwrap();
    assert_eq!(hlen, 28);
    assert_eq!(all(&copy), orig);
    assert_eq!(&all(&m)[28..], &orig[20..]);
    m_freem(&mut mp, m);
    m_freem(&mut mp, copy);
}

#[test]
fn insert_options_limits_and_failures() {
    let mut mp = MbufPool::new();
    let o = ip_pcbopts(&[IPOPT_RR, 7, 4, 0, 0, 0, 0]).unwrap().unwrap();
    // Too long a datagram: unchanged.
    let mut m = plain(&mut mp, 30, 40);
    m.mtod_mut().unwrap()[2..4].copy_from_slice(&65530u16.to_be_bytes());
    let orig = all(&m);
    let (m, hlen) = ip_insertoptions(&mut mp, m, &o).unwrap();
    assert_eq!((hlen, all(&m)), (20, orig));
    m_freem(&mut mp, m);
    // No mbuf for the header: ENOBUFS, and the datagram is freed.
    let m = plain(&mut mp, 30, 0);
    mp.nmbufs = mp.mbstat.m_mbufs;
    assert_eq!(ip_insertoptions(&mut mp, m, &o).err(), Some(ENOBUFS));
    assert_eq!(mp.mbstat.m_mbufs, 0);
    mp.nmbufs = usize::MAX;
    // A header that is not there.
    let m = m_devget(&mut mp, &[0x45; 12], 0, None).unwrap();
    assert_eq!(ip_insertoptions(&mut mp, m, &o).err(), Some(EINVAL));
    assert_eq!(mp.mbstat.m_mbufs, 0);
    // Unpadded options are padded with EOL.
    let odd =
        Ipoption { ipopt_dst: INADDR_ANY, ipopt_list: [IPOPT_NOP; MAX_IPOPTLEN], ipopt_len: 5 };
    let m = plain(&mut mp, 30, 0);
    let (m, hlen) = ip_insertoptions(&mut mp, m, &odd).unwrap();
    assert_eq!(hlen, 28);
    assert_eq!(&m.mtod()[20..28], &[1, 1, 1, 1, 1, 0, 0, 0]);
    m_freem(&mut mp, m);
    let bad = Ipoption { ipopt_len: MAX_IPOPTLEN + 1, ..odd };
    let m = plain(&mut mp, 30, 0);
    assert_eq!(ip_insertoptions(&mut mp, m, &bad).err(), Some(EINVAL));
    assert_eq!(mp.mbstat.m_mbufs, 0);
}

#[test]
fn strip_options_of_a_received_datagram() {
    let Router { mut st, eth0, .. } = router();
    let opts = [&[IPOPT_NOP, IPOPT_RR, 11, 4][..], &[0; 8]].concat();
    let mut m = dgram(&mut st, NEIGHBOUR0, ETH0, &opts, Some(eth0));
    let orig = all(&m);
    ip_stripoptions(&mut m);
    let got = all(&m);
    assert_eq!(got.len(), orig.len() - 12);
    assert_eq!(got[0], 0x45);
    assert_eq!(u16::from_be_bytes([got[2], got[3]]) as usize, got.len());
    assert_eq!(&got[4..20], &orig[4..20]);
    assert_eq!(&got[20..], &orig[32..]);
    assert_eq!(m.m_pkthdr().unwrap().len, got.len());
    // No options: nothing to do.
    ip_stripoptions(&mut m);
    assert_eq!(all(&m), got);
}

/// A header with options `opts`.
fn header(opts: &[u8]) -> Vec<u8> {
    let opts = pad(opts);
    let mut h = vec![0u8; 20];
    h[0] = 0x40 | ((20 + opts.len()) / 4) as u8;
    h.extend(opts);
    h
}

#[test]
fn fragments_get_the_copied_options() {
    let lsrr = [IPOPT_LSRR, 7, 4, 10, 0, 0, 1];
    let sec = [IPOPT_SECURITY, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let opts = [
        &[IPOPT_NOP][..],
        &[IPOPT_RR, 7, 4, 0, 0, 0, 0],
        &lsrr,
        &sec,
        &[IPOPT_TS, 8, 5, 0, 0, 0, 0, 0],
    ]
    .concat();
    let h = header(&opts);
    let mut dst = [0xffu8; MAX_IPOPTLEN];
    assert_eq!(ip_optcopy(&h, &mut dst), 20);
    assert_eq!(&dst[..20], &[&lsrr[..], &sec, &[IPOPT_EOL, IPOPT_EOL]].concat()[..]);
    assert_eq!(dst[20], 0xff);
    // What does not fit is left out.
    let mut small = [0xffu8; 8];
    assert_eq!(ip_optcopy(&h, &mut small), 8);
    assert_eq!(small, [IPOPT_LSRR, 7, 4, 10, 0, 0, 1, IPOPT_EOL]);
    // Nothing to copy; bogus lengths stop the copy.
    assert_eq!(ip_optcopy(&header(&[]), &mut dst), 0);
    assert_eq!(ip_optcopy(&header(&[IPOPT_RR, 7, 4, 0, 0, 0, 0]), &mut dst), 0);
    assert_eq!(ip_optcopy(&header(&[IPOPT_LSRR, 0, 4, 0]), &mut dst), 0);
    assert_eq!(ip_optcopy(&header(&[IPOPT_SECURITY, 40, 0, 0]), &mut dst), 4);
    assert_eq!(ip_optcopy(&[], &mut dst), 0);
}

#[test]
fn socket_options_are_checked_and_prepared() {
    let (a, b) = (ip4(198, 51, 100, 1), ip4(203, 0, 113, 1));
    assert_eq!(ip_pcbopts(&[]), Ok(None));
    // The first hop leaves the route for ipopt_dst.
    let route = [&[IPOPT_NOP, IPOPT_LSRR, 11, 4][..], &bytes(a), &bytes(b)].concat();
    let o = ip_pcbopts(&route).unwrap().unwrap();
    assert_eq!(o.ipopt_dst, a);
    assert_eq!(o.options(), &[&[IPOPT_NOP, IPOPT_LSRR, 7, 4][..], &bytes(b)].concat()[..]);
    let o = ip_pcbopts(&[&[IPOPT_SSRR, 7, 4][..], &bytes(a)].concat()).unwrap().unwrap();
    assert_eq!((o.ipopt_dst, o.options()), (a, &[IPOPT_SSRR, 3, 4, IPOPT_EOL][..]));
    // Padded with EOL; no source route, no first hop.
    let o = ip_pcbopts(&[IPOPT_RR, 7, 4, 0, 0, 0, 0]).unwrap().unwrap();
    assert_eq!((o.ipopt_dst, o.options()), (INADDR_ANY, &[IPOPT_RR, 7, 4, 0, 0, 0, 0, 0][..]));
    // A full route: 44 bytes given, 40 kept.
    let mut full = vec![IPOPT_LSRR, 43, 4];
    for i in 1..=10 {
        full.extend(bytes(ip4(10, 1, 1, i)));
    }
    full.push(IPOPT_EOL);
    let o = ip_pcbopts(&full).unwrap().unwrap();
    assert_eq!((o.ipopt_dst, o.ipopt_len), (ip4(10, 1, 1, 1), 40));
    assert_eq!(&o.options()[..3], &[IPOPT_LSRR, 39, 4]);
    assert_eq!(&o.options()[3..7], &bytes(ip4(10, 1, 1, 2)));
    // Refused.
    let bad: &[&[u8]] = &[
        &[IPOPT_NOP; 45],
        &[IPOPT_NOP; 41],
        &[IPOPT_RR],
        &[IPOPT_RR, 1, 4, 0],
        &[IPOPT_RR, 0, 4, 0],
        &[IPOPT_RR, 9, 4, 0, 0, 0, 0, 0],
        &[IPOPT_LSRR, 6, 4, 1, 2, 3],
        &[IPOPT_NOP, IPOPT_SSRR, 3, 4],
    ];
    for opts in bad {
        assert_eq!(ip_pcbopts(opts), Err(EINVAL), "{opts:?}");
    }
}

/// Addresses that mean something to the router, and some that do not.
fn some_addr() -> impl Strategy<Value = InAddr> {
    prop_oneof![
        4 => prop::sample::select(vec![
            ETH0,
            ETH1,
            PPP0,
            PPP0_DST,
            ETH0_BCAST,
            NEIGHBOUR0,
            NEIGHBOUR1,
            FAR,
            INADDR_LOOPBACK,
            INADDR_ANY,
            ip4(224, 0, 0, 9),
        ]),
        1 => any::<u32>().prop_map(InAddr),
    ]
}

/// Something shaped like an option: a type, a length, a pointer, a flags
/// byte and a few addresses; or a well-formed route or timestamp.
fn option_like() -> impl Strategy<Value = Vec<u8>> {
    let ty = prop::sample::select(vec![
        IPOPT_EOL,
        IPOPT_NOP,
        IPOPT_RR,
        IPOPT_TS,
        IPOPT_SECURITY,
        IPOPT_LSRR,
        IPOPT_SATID,
        IPOPT_SSRR,
        255,
    ]);
    let rough = (ty, 0u8..=44, 0u8..=44, any::<u8>(), prop::collection::vec(some_addr(), 0..5))
        .prop_map(|(ty, len, ptr, flg, addrs)| {
            let mut v = vec![ty, len, ptr, flg];
            for a in addrs {
                v.extend(bytes(a));
            }
            v
        });
    let ty = prop::sample::select(vec![IPOPT_RR, IPOPT_LSRR, IPOPT_SSRR, IPOPT_TS]);
    // Pointers at slots of routes (4, 8...) and of timestamps (5, 9...).
    let ptr = prop_oneof![
        3 => (1u8..=9).prop_map(|i| 4 * i),
        3 => (1u8..=9).prop_map(|i| 4 * i + 1),
        1 => any::<u8>(),
    ];
    let flg = prop_oneof![3 => prop::sample::select(vec![0u8, 1, 3, 0xf1]), 1 => any::<u8>()];
    let good = (ty, ptr, flg, prop::collection::vec(some_addr(), 0..5)).prop_map(
        |(ty, ptr, flg, addrs)| {
            let mut v = vec![IPOPT_NOP, ty];
            if ty == IPOPT_TS {
                v.extend([4 + 4 * addrs.len() as u8, ptr, flg]);
            } else {
                v.extend([3 + 4 * addrs.len() as u8, ptr]);
            }
            for a in addrs {
                v.extend(bytes(a));
            }
            v
        },
    );
    prop_oneof![1 => rough, 4 => good]
}

/// Option bytes, at most 40.
fn option_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..=40),
        3 => prop::collection::vec(option_like(), 0..5).prop_map(|v| v.concat()),
    ]
    .prop_map(|mut v| {
        v.truncate(MAX_IPOPTLEN);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn any_options_are_processed_safely(
        opts in option_bytes(),
        src in some_addr(),
        dst in some_addr(),
        rcvif in 0usize..6,
        rounds in 1usize..4,
    ) {
        let mut r = router();
        let rcvif = [None, Some(r.lo0), Some(r.eth0), Some(r.eth1), Some(r.ppp0), Some(77)][rcvif];
        let st = &mut r.st;
        let mut m = dgram(st, src, dst, &opts, rcvif);
        let hl = 20 + pad(&opts).len();
        let orig = all(&m);
        for _ in 0..rounds {
            let res = ip_dooptions(st, &mut m);
            prop_assert_ne!(res, DoOpt::Drop);
            if let DoOpt::Error { ty: ICMP_PARAMPROB, ptr, .. } = res {
                prop_assert!(usize::from(ptr) < hl);
            }
            let now = all(&m);
            // Only ip_dst and the options may change.
            prop_assert_eq!(now.len(), orig.len());
            prop_assert_eq!(&now[..16], &orig[..16]);
            prop_assert_eq!(&now[hl..], &orig[hl..]);
            prop_assert_eq!(m.m_pkthdr().unwrap().len, orig.len());
            if let Some(o) = ip_srcroute(st) {
                prop_assert!(o.ipopt_len <= MAX_IPOPTLEN && o.ipopt_len % 4 == 0);
                prop_assert_eq!(o.options()[0], IPOPT_NOP);
            }
        }
        let mut frag = [0u8; MAX_IPOPTLEN];
        let n = ip_optcopy(&all(&m)[..hl], &mut frag);
        prop_assert!(n <= hl - 20 && n % 4 == 0);
        ip_stripoptions(&mut m);
        let now = all(&m);
        prop_assert_eq!(now.len(), orig.len() - (hl - 20));
        prop_assert_eq!(now[0], 0x45);
        prop_assert_eq!(&now[20..], &orig[hl..]);
        m_freem(&mut st.mbpool, m);
    }

    #[test]
    fn any_socket_options_are_checked_safely(opts in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..=48),
        prop::collection::vec(option_like(), 0..5).prop_map(|v| v.concat()),
    ]) {
        if let Ok(Some(o)) = ip_pcbopts(&opts) {
            prop_assert!(o.ipopt_len <= MAX_IPOPTLEN && o.ipopt_len % 4 == 0);
            // They go into a datagram and come out again.
            let mut mp = MbufPool::new();
            let m = plain(&mut mp, 30, 0);
            let orig = all(&m);
            let (mut m, hlen) = ip_insertoptions(&mut mp, m, &o).unwrap();
            prop_assert_eq!(hlen, 20 + o.ipopt_len);
            prop_assert_eq!(&m.mtod()[20..hlen], o.options());
            ip_stripoptions(&mut m);
            set_dst(&mut m, FAR);
            prop_assert_eq!(all(&m), orig);
            m_freem(&mut mp, m);
        }
    }
}
