//! IP multicast on hosts (chapter 12) and IGMP (chapter 13), on simulated
//! Ethernets with the fake clock: the Ethernet mapping, memberships and
//! their reference counts down to the device's filter, the socket
//! options and their errors, delivery to several sockets with and
//! without loopback, the TTL, IGMP's reports (at join, after a query,
//! suppressed by another member's, never for 224.0.0.1), v2 leaves,
//! malformed IGMP counted, and interfaces and sockets going while
//! memberships exist; a property test of random join/leave/close
//! sequences that must leave nothing behind.

mod common;

use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::if_ethersubr::*;
use bsdinet::bsd::netinet::igmp::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_mcast::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::netinet::ip_mroute::*;
use bsdinet::bsd::netinet::ip_output::*;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use bsdinet::bsd::sys::sockio::*;
use common::*;
use proptest::prelude::*;

const fn ip4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

const A: u32 = ip4(10, 0, 0, 1);
const B: u32 = ip4(10, 0, 0, 2);
const C: u32 = ip4(10, 0, 0, 3);
const MASK24: u32 = ip4(255, 255, 255, 0);
const G1: u32 = ip4(239, 1, 2, 3);
const G2: u32 = ip4(224, 5, 6, 7);
const ALLHOSTS: u32 = ip4(224, 0, 0, 1);

struct Port {
    station: usize,
    ifp: usize,
    softc: usize,
    segment: usize,
}

/// Stations on simulated Ethernet segments; every frame carried is kept,
/// and every change the stacks asked of their devices' filters.
#[derive(Default)]
struct Net {
    st: Vec<Stack>,
    ports: Vec<Port>,
    wire: Vec<(usize, Vec<u8>)>,
    filters: Vec<(usize, McReq)>,
}

impl Net {
    fn station(&mut self) -> usize {
        self.st.push(stack());
        self.st.len() - 1
    }

    fn port(&mut self, s: usize, segment: usize, addr: u32) -> usize {
        let n = self.ports.iter().filter(|p| p.station == s).count();
        let softc = self.ports.len() + 1;
        let name = format!("eth{n}");
        let st = &mut self.st[s];
        let mac = [0x02, 0, 0, 0, s as u8, n as u8];
        let ifp = ether_ifattach(st, name.as_bytes(), mac, ETHERMTU, softc).unwrap();
        if_link_state(st, ifp, true);
        if_up(st, ifp);
        let mut req = [0u8; IFALIASREQ_LEN];
        req[..name.len()].copy_from_slice(name.as_bytes());
        set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(addr), 0)).unwrap();
        set_sockaddr_at(&mut req, IFRA_MASK, &SockaddrIn::new(InAddr(MASK24), 0)).unwrap();
        in_control(st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
        self.ports.push(Port { station: s, ifp, softc, segment });
        ifp
    }

    fn run(&mut self) {
        for _ in 0..1000 {
            let mut frames = Vec::new();
            for (s, st) in self.st.iter_mut().enumerate() {
                st.softint();
                let f = &mut self.filters;
                st.take_mcreqs(|r| f.push((s, r)));
                st.if_snd_drain(|softc, m| {
                    let mut b = vec![0u8; m.m_pkthdr().unwrap().len];
                    m_copydata(m, 0, &mut b).unwrap();
                    frames.push((s, softc, b));
                });
            }
            if frames.is_empty() {
                return;
            }
            for (s, softc, b) in frames {
                let seg =
                    self.ports.iter().find(|p| p.station == s && p.softc == softc).unwrap().segment;
                self.wire.push((seg, b.clone()));
                for p in self.ports.iter().filter(|p| p.segment == seg && p.station != s) {
                    let st = &mut self.st[p.station];
                    let m = m_devget(&mut st.mbpool, &b, 0, Some(p.ifp)).unwrap();
                    ether_input(st, p.ifp, m);
                }
            }
        }
        panic!("the network never went quiet");
    }

    /// `ticks` of 100 ms on every clock, carrying frames.
    fn wait_ticks(&mut self, ticks: u64) {
        for _ in 0..ticks {
            for st in self.st.iter_mut() {
                st.tick();
            }
            self.run();
        }
    }

    /// A frame from outside onto segment `seg` (a Linux querier).
    fn inject(&mut self, seg: usize, frame: &[u8]) {
        self.wire.push((seg, frame.to_vec()));
        for p in self.ports.iter().filter(|p| p.segment == seg) {
            let st = &mut self.st[p.station];
            let m = m_devget(&mut st.mbpool, frame, 0, Some(p.ifp)).unwrap();
            ether_input(st, p.ifp, m);
        }
        self.run();
    }

    /// IGMP messages carried so far: (type, group, IP destination, TTL).
    fn igmps(&self) -> Vec<(u8, u32, u32, u8)> {
        self.wire
            .iter()
            .filter(|(_, f)| f[12..14] == [0x08, 0x00] && f[14 + 9] == 2)
            .map(|(_, f)| {
                let ip = &f[14..];
                let hl = usize::from(ip[0] & 0xf) * 4;
                let g = &ip[hl..];
                let a = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                (g[0], a(&g[4..8]), a(&ip[16..20]), ip[8])
            })
            .collect()
    }

    /// The reports carried so far, by group.
    fn reports(&self, group: u32) -> usize {
        self.igmps()
            .iter()
            .filter(|m| {
                (m.0 == IGMP_HOST_MEMBERSHIP_REPORT || m.0 == IGMP_V2_MEMBERSHIP_REPORT)
                    && m.1 == group
            })
            .count()
    }
}

/// Builds an IPv4-in-Ethernet frame to `dst` from `src` carrying `proto`'s
/// `payload`, with `ttl`.
fn frame(src: u32, dst: u32, proto: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let emac =
        if in_multicast(InAddr(dst)) { ether_map_ip_multicast(InAddr(dst)) } else { [0xff; 6] };
    let mut f = emac.to_vec();
    f.extend_from_slice(&[0x02, 0, 0, 0, 0xee, 0]);
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0, 0, ttl, proto, 0, 0];
    ip.extend_from_slice(&src.to_be_bytes());
    ip.extend_from_slice(&dst.to_be_bytes());
    let len = (20 + payload.len()) as u16;
    ip[2..4].copy_from_slice(&len.to_be_bytes());
    let s = cksum(&ip);
    ip[10..12].copy_from_slice(&s.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(payload);
    f
}

/// An IGMP message, checksummed.
fn igmp_msg(ty: u8, code: u8, group: u32) -> Vec<u8> {
    let mut g = vec![ty, code, 0, 0];
    g.extend_from_slice(&group.to_be_bytes());
    let s = cksum(&g);
    g[2..4].copy_from_slice(&s.to_be_bytes());
    g
}

fn udp(st: &mut Stack, port: u16) -> usize {
    let so = socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).unwrap();
    sosetopt(st, so, SOL_SOCKET, i32::from(SO_REUSEPORT), &1i32.to_ne_bytes()).unwrap();
    sobind(st, so, &sin(0, port)).unwrap();
    so
}

fn mreq(group: u32, iface: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&group.to_be_bytes());
    b[4..].copy_from_slice(&iface.to_be_bytes());
    b
}

fn join(st: &mut Stack, so: usize, group: u32, iface: u32) -> Result {
    sosetopt(st, so, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq(group, iface))
}

fn leave(st: &mut Stack, so: usize, group: u32, iface: u32) -> Result {
    sosetopt(st, so, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mreq(group, iface))
}

fn drain(st: &mut Stack, so: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Ok((d, _)) = recv(st, so, 70000, MSG_DONTWAIT) {
        out.push(d);
    }
    out
}

/// (group, interface, refcount) of every membership of `st`.
fn memberships(st: &Stack) -> Vec<(u32, usize, u32)> {
    let mut v: Vec<_> =
        st.in_multi.iter().map(|(_, m)| (m.inm_addr.0, m.inm_ifp, m.inm_refcount)).collect();
    v.sort();
    v
}

/// Two stations (A sends, B listens) and a third (C) on one segment.
fn three() -> Net {
    let mut net = Net::default();
    for (s, a) in [A, B, C].into_iter().enumerate() {
        net.station();
        net.port(s, 0, a);
    }
    net.run();
    net
}

#[test]
fn ethernet_mapping() {
    assert_eq!(ether_map_ip_multicast(InAddr(ip4(224, 0, 0, 1))), [1, 0, 0x5e, 0, 0, 1]);
    assert_eq!(ether_map_ip_multicast(InAddr(G1)), [1, 0, 0x5e, 1, 2, 3]);
    // 32 groups share each address: the 24th bit is dropped.
    assert_eq!(ether_map_ip_multicast(InAddr(ip4(239, 129, 2, 3))), [1, 0, 0x5e, 1, 2, 3]);
    assert_eq!(
        ether_map_ip_multicast(InAddr(ip4(224, 255, 255, 255))),
        [1, 0, 0x5e, 0x7f, 0xff, 0xff]
    );
}

#[test]
fn every_multicast_interface_is_in_all_hosts() {
    let net = three();
    let st = &net.st[1];
    let eth = net.ports[1].ifp;
    // lo0 and eth0, one reference per address; no report for 224.0.0.1.
    assert_eq!(memberships(st), vec![(ALLHOSTS, 0, 1), (ALLHOSTS, eth, 1)]);
    assert_eq!(net.reports(ALLHOSTS), 0);
    assert_eq!(net.filters.iter().filter(|(s, _)| *s == 1).count(), 1);
    assert_eq!(net.filters[1].1.op, McOp::Add([1, 0, 0x5e, 0, 0, 1]));
}

#[test]
fn join_and_leave_count_references_down_to_the_filter() {
    let mut net = three();
    net.filters.clear();
    let eth = net.ports[1].ifp;
    let st = &mut net.st[1];
    let (s1, s2) = (udp(st, 5000), udp(st, 5000));
    join(st, s1, G1, B).unwrap();
    join(st, s2, G1, B).unwrap();
    // G2 maps to its own address; 239.129.2.3 shares G1's.
    join(st, s2, ip4(239, 129, 2, 3), B).unwrap();
    assert_eq!(join(st, s1, G1, B), Err(EADDRINUSE));
    assert!(memberships(st).contains(&(G1, eth, 2)));
    assert_eq!(
        st.ifp(eth)
            .ac_multiaddrs
            .iter()
            .find(|e| e.enm_addrlo == [1, 0, 0x5e, 1, 2, 3])
            .unwrap()
            .enm_refcount,
        2
    );
    net.run();
    let g1mac = [1, 0, 0x5e, 1, 2, 3];
    assert_eq!(net.filters, vec![(1, McReq { softc: 2, op: McOp::Add(g1mac) })]);
    let st = &mut net.st[1];
    leave(st, s1, G1, INADDR_ANY.0).unwrap();
    assert_eq!(leave(st, s1, G1, B), Err(EADDRNOTAVAIL));
    assert!(memberships(st).contains(&(G1, eth, 1)));
    soclose(st, s2);
    soclose(st, s1);
    net.run();
    assert_eq!(net.filters.last(), Some(&(1, McReq { softc: 2, op: McOp::Del(g1mac) })));
    assert_eq!(net.filters.len(), 2);
    assert_eq!(memberships(&net.st[1]), vec![(ALLHOSTS, 0, 1), (ALLHOSTS, eth, 1)]);
    assert_no_leaks(&net.st[1]);
}

#[test]
fn option_errors_are_the_books() {
    let mut net = three();
    let st = &mut net.st[1];
    let so = udp(st, 5000);
    // Not class D; an address that is not ours; too short.
    assert_eq!(join(st, so, B, B), Err(EINVAL));
    assert_eq!(join(st, so, G1, ip4(10, 9, 9, 9)), Err(EADDRNOTAVAIL));
    assert_eq!(sosetopt(st, so, IPPROTO_IP, IP_ADD_MEMBERSHIP, &[0; 4]), Err(EINVAL));
    assert_eq!(leave(st, so, G1, B), Err(EADDRNOTAVAIL));
    // No route to the group: the wildcard interface cannot be chosen.
    assert_eq!(join(st, so, G1, 0), Err(EADDRNOTAVAIL));
    for i in 0..IP_MAX_MEMBERSHIPS as u32 {
        join(st, so, G1 + i, B).unwrap();
    }
    assert_eq!(join(st, so, G2, B), Err(ETOOMANYREFS));
    // IP_MULTICAST_IF: an address of ours, or the wildcard.
    assert_eq!(sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_IF, &C.to_be_bytes()), Err(EADDRNOTAVAIL));
    sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_IF, &B.to_be_bytes()).unwrap();
    let mut out = [0u8; 4];
    assert_eq!(sogetopt(st, so, IPPROTO_IP, IP_MULTICAST_IF, &mut out), Ok(4));
    assert_eq!(out, B.to_be_bytes());
    // TTL and LOOP: a byte (the book's) or an int (Linux's).
    sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_TTL, &[7]).unwrap();
    assert_eq!(sogetopt(st, so, IPPROTO_IP, IP_MULTICAST_TTL, &mut out), Ok(4));
    assert_eq!(i32::from_ne_bytes(out), 7);
    sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_TTL, &64i32.to_ne_bytes()).unwrap();
    let mut b1 = [0u8; 1];
    assert_eq!(sogetopt(st, so, IPPROTO_IP, IP_MULTICAST_TTL, &mut b1), Ok(1));
    assert_eq!(b1[0], 64);
    assert_eq!(sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_TTL, &256i32.to_ne_bytes()), Err(EINVAL));
    assert_eq!(sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_TTL, &[1, 2]), Err(EINVAL));
    sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_LOOP, &[0]).unwrap();
    assert_eq!(sogetopt(st, so, IPPROTO_IP, IP_MULTICAST_LOOP, &mut out), Ok(4));
    assert_eq!(i32::from_ne_bytes(out), 0);
    assert_eq!(sogetopt(st, so, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mut out), Err(EOPNOTSUPP));
    soclose(st, so);
    net.run();
    assert_eq!(memberships(&net.st[1]).len(), 2);
    assert_no_leaks(&net.st[1]);
}

#[test]
fn delivery_to_members_only_with_loopback_and_ttl() {
    let mut net = three();
    let (ea, eb) = (net.ports[0].ifp, net.ports[1].ifp);
    let (r1, r2) = (udp(&mut net.st[1], 5000), udp(&mut net.st[1], 5000));
    join(&mut net.st[1], r1, G1, B).unwrap();
    let rc = udp(&mut net.st[2], 5000); // C: bound, not in the group
    let tx = udp(&mut net.st[0], 5001);
    join(&mut net.st[0], tx, G1, A).unwrap();
    sosetopt(&mut net.st[0], tx, IPPROTO_IP, IP_MULTICAST_IF, &A.to_be_bytes()).unwrap();
    net.run();
    net.wire.clear();
    let cant = net.st[2].ipstat.ips_cantforward;
    send(&mut net.st[0], tx, Some(&sin(G1, 5000)), b"one").unwrap();
    net.run();
    // Both of B's sockets on the port (the host is in the group), none of
    // C's; the sender hears itself (loopback on by default, and a member).
    assert_eq!(drain(&mut net.st[1], r1), vec![b"one".to_vec()]);
    assert_eq!(drain(&mut net.st[1], r2), vec![b"one".to_vec()]);
    assert!(drain(&mut net.st[2], rc).is_empty());
    assert_eq!(net.st[2].ipstat.ips_cantforward, cant + 1);
    let tx_own = udp(&mut net.st[0], 5000);
    send(&mut net.st[0], tx, Some(&sin(G1, 5000)), b"two").unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[0], tx_own), vec![b"two".to_vec()]);
    assert_eq!(drain(&mut net.st[1], r1), vec![b"two".to_vec()]);
    // One frame per datagram, TTL 1, to the group's Ethernet address,
    // from A's address.
    let udps: Vec<_> = net.wire.iter().filter(|(_, f)| f[14 + 9] == 17).collect();
    assert_eq!(udps.len(), 2);
    assert_eq!(udps[0].1[..6], [1, 0, 0x5e, 1, 2, 3]);
    assert_eq!(udps[0].1[14 + 8], 1);
    assert_eq!(udps[0].1[14 + 12..14 + 16], A.to_be_bytes());
    // IP_MULTICAST_LOOP off: no copy; TTL 5 on the wire.
    sosetopt(&mut net.st[0], tx, IPPROTO_IP, IP_MULTICAST_LOOP, &[0]).unwrap();
    sosetopt(&mut net.st[0], tx, IPPROTO_IP, IP_MULTICAST_TTL, &[5]).unwrap();
    net.wire.clear();
    send(&mut net.st[0], tx, Some(&sin(G1, 5000)), b"three").unwrap();
    net.run();
    assert!(drain(&mut net.st[0], tx_own).is_empty());
    assert_eq!(drain(&mut net.st[1], r1), vec![b"three".to_vec()]);
    let f = &net.wire.iter().find(|(_, f)| f[14 + 9] == 17).unwrap().1;
    assert_eq!(f[14 + 8], 5);
    // TTL 0 with loopback: this host only, nothing on the wire.
    sosetopt(&mut net.st[0], tx, IPPROTO_IP, IP_MULTICAST_LOOP, &[1]).unwrap();
    sosetopt(&mut net.st[0], tx, IPPROTO_IP, IP_MULTICAST_TTL, &[0]).unwrap();
    net.wire.clear();
    send(&mut net.st[0], tx, Some(&sin(G1, 5000)), b"four").unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[0], tx_own), vec![b"four".to_vec()]);
    assert!(net.wire.is_empty());
    assert!(drain(&mut net.st[1], r1).is_empty());
    let _ = (ea, eb);
}

#[test]
fn lo0_multicast_loops_once() {
    let mut st = stack();
    let rx = udp(&mut st, 6000);
    join(&mut st, rx, G1, LOCALHOST).unwrap();
    let tx = udp(&mut st, 6001);
    sosetopt(&mut st, tx, IPPROTO_IP, IP_MULTICAST_IF, &LOCALHOST.to_be_bytes()).unwrap();
    send(&mut st, tx, Some(&sin(G1, 6000)), b"lo").unwrap();
    assert_eq!(drain(&mut st, rx), vec![b"lo".to_vec()]);
    sosetopt(&mut st, tx, IPPROTO_IP, IP_MULTICAST_LOOP, &[0]).unwrap();
    send(&mut st, tx, Some(&sin(G1, 6000)), b"lo").unwrap();
    assert!(drain(&mut st, rx).is_empty());
    // No report on lo0.
    assert_eq!(st.igmpstat.igps_snd_reports, 0);
    soclose(&mut st, rx);
    soclose(&mut st, tx);
    assert_eq!(memberships(&st), vec![(ALLHOSTS, 0, 1)]);
    assert_no_leaks(&st);
}

#[test]
fn igmp_reports_at_join_and_again_within_ten_seconds() {
    for v2 in [false, true] {
        let mut net = three();
        net.st[1].igmp_v2 = v2;
        let so = udp(&mut net.st[1], 5000);
        join(&mut net.st[1], so, G1, B).unwrap();
        net.run();
        assert_eq!(net.reports(G1), 1);
        net.wait_ticks(101);
        assert_eq!(net.reports(G1), 2);
        let want = if v2 { IGMP_V2_MEMBERSHIP_REPORT } else { IGMP_HOST_MEMBERSHIP_REPORT };
        for m in net.igmps() {
            assert_eq!((m.0, m.2, m.3), (want, G1, 1));
        }
        assert_eq!(net.st[1].igmpstat.igps_snd_reports, 2);
        // A and C heard them; neither is a member.
        assert_eq!(net.st[0].igmpstat.igps_rcv_reports, 0, "dropped by IP: not a member");
        net.wait_ticks(200);
        assert_eq!(net.reports(G1), 2);
        assert_eq!(net.reports(ALLHOSTS), 0);
    }
}

#[test]
fn igmp_query_answered_and_suppressed() {
    let mut net = three();
    for s in [1, 2] {
        let so = udp(&mut net.st[s], 5000);
        join(&mut net.st[s], so, G1, [A, B, C][s]).unwrap();
    }
    net.wait_ticks(101);
    // Each joined with a report; the later ones may have been
    // suppressed by the other's.
    let before = net.reports(G1);
    assert!((2..=4).contains(&before), "{before}");
    let ours = net.st[2].igmpstat.igps_rcv_ourreports;
    // A v1 query to 224.0.0.1.
    let q = frame(ip4(10, 0, 0, 9), ALLHOSTS, 2, 1, &igmp_msg(IGMP_HOST_MEMBERSHIP_QUERY, 0, 0));
    net.inject(0, &q);
    for s in [1, 2] {
        assert_eq!(net.st[s].igmpstat.igps_rcv_queries, 1);
        // Only the group's timer runs, never 224.0.0.1's.
        for (_, m) in net.st[s].in_multi.iter() {
            assert_eq!(m.inm_timer > 0, m.inm_addr.0 == G1, "{m:?}");
            assert!(m.inm_timer <= IGMP_MAX_HOST_REPORT_DELAY * PR_FASTHZ);
        }
    }
    // Make B's timer run out first: its report cancels C's.
    for (_, m) in net.st[1].in_multi.iter_mut().filter(|(_, m)| m.inm_addr.0 == G1) {
        m.inm_timer = 3;
    }
    for (_, m) in net.st[2].in_multi.iter_mut().filter(|(_, m)| m.inm_addr.0 == G1) {
        m.inm_timer = 30;
    }
    net.wait_ticks(101);
    assert_eq!(net.reports(G1), before + 1);
    assert_eq!(net.st[2].igmpstat.igps_rcv_ourreports, ours + 1);
    assert!(!net.st[2].in_multi.iter().any(|(_, m)| m.inm_timer > 0));
    assert_eq!(net.reports(ALLHOSTS), 0);
    // A query to another address than 224.0.0.1 is bad.
    let q = frame(ip4(10, 0, 0, 9), G1, 2, 1, &igmp_msg(IGMP_HOST_MEMBERSHIP_QUERY, 0, 0));
    net.inject(0, &q);
    assert_eq!(net.st[1].igmpstat.igps_rcv_badqueries, 1);
}

#[test]
fn igmp_v2_query_leave_and_v1_querier() {
    let mut net = three();
    let so = udp(&mut net.st[1], 5000);
    join(&mut net.st[1], so, G1, B).unwrap();
    net.run();
    // A v2 group-specific query for G1 with 1 s maximum response time.
    let q = frame(ip4(10, 0, 0, 9), G1, 2, 1, &igmp_msg(IGMP_HOST_MEMBERSHIP_QUERY, 10, G1));
    net.inject(0, &q);
    let t = net.st[1].in_multi.iter().find(|(_, m)| m.inm_addr.0 == G1).unwrap().1.inm_timer;
    assert!((1..=5).contains(&t), "{t}");
    net.wait_ticks(6);
    assert_eq!(net.st[1].igmpstat.igps_rcv_v2queries, 1);
    assert_eq!(net.reports(G1), 2);
    // Leaving: ours was the last report, so a leave to 224.0.0.2.
    leave(&mut net.st[1], so, G1, B).unwrap();
    net.run();
    let leaves: Vec<_> = net.igmps().into_iter().filter(|m| m.0 == IGMP_V2_LEAVE_GROUP).collect();
    assert_eq!(leaves, vec![(IGMP_V2_LEAVE_GROUP, G1, ip4(224, 0, 0, 2), 1)]);
    // After a v1 query: v1 reports, and no leave.
    let q = frame(ip4(10, 0, 0, 9), ALLHOSTS, 2, 1, &igmp_msg(IGMP_HOST_MEMBERSHIP_QUERY, 0, 0));
    net.inject(0, &q);
    net.wire.clear();
    join(&mut net.st[1], so, G2, B).unwrap();
    net.run();
    assert_eq!(net.igmps()[0].0, IGMP_HOST_MEMBERSHIP_REPORT);
    leave(&mut net.st[1], so, G2, B).unwrap();
    net.run();
    assert!(!net.igmps().iter().any(|m| m.0 == IGMP_V2_LEAVE_GROUP));
    assert_eq!(net.st[1].igmpstat.igps_snd_leaves, 1);
}

#[test]
fn malformed_igmp_is_counted_and_raw_sockets_see_the_rest() {
    let mut net = three();
    let r = raw(&mut net.st[1], IPPROTO_IGMP);
    let src = ip4(10, 0, 0, 9);
    // Too short (4 bytes), bad checksum, unknown type, then a good query.
    net.inject(0, &frame(src, ALLHOSTS, 2, 1, &[0x11, 0, 0xee, 0xff]));
    let mut bad = igmp_msg(IGMP_HOST_MEMBERSHIP_QUERY, 0, 0);
    bad[2] ^= 1;
    net.inject(0, &frame(src, ALLHOSTS, 2, 1, &bad));
    net.inject(0, &frame(src, ALLHOSTS, 2, 1, &igmp_msg(0x42, 0, 0)));
    // A report for a group that is not its destination.
    net.inject(0, &frame(src, ALLHOSTS, 2, 1, &igmp_msg(IGMP_HOST_MEMBERSHIP_REPORT, 0, G1)));
    let s = net.st[1].igmpstat;
    assert_eq!(
        (s.igps_rcv_total, s.igps_rcv_tooshort, s.igps_rcv_badsum, s.igps_rcv_unknown),
        (4, 1, 1, 1)
    );
    assert_eq!(s.igps_rcv_badreports, 1);
    // The raw socket had the unknown type only.
    let got = drain(&mut net.st[1], r);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0][20], 0x42);
    soclose(&mut net.st[1], r);
    assert_no_leaks(&net.st[1]);
}

#[test]
fn interface_detached_while_memberships_exist() {
    let mut net = three();
    let eth = net.ports[1].ifp;
    let st = &mut net.st[1];
    let so = udp(st, 5000);
    join(st, so, G1, B).unwrap();
    join(st, so, G1, LOCALHOST).unwrap();
    sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_IF, &B.to_be_bytes()).unwrap();
    net.run();
    net.filters.clear();
    let st = &mut net.st[1];
    if_detach(st, eth);
    // lo0's memberships stay; eth0's are gone, and its filter told.
    assert_eq!(memberships(st), vec![(ALLHOSTS, 0, 1), (G1, 0, 1)]);
    let inp = st.so(so).so_pcb.unwrap();
    let imo = st.pcb(inp).inp_moptions.unwrap();
    assert_eq!((imo.imo_num_memberships, imo.imo_multicast_ifp), (1, None));
    net.run();
    let mut ops: Vec<_> = net.filters.iter().map(|f| f.1.op).collect();
    ops.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(ops, vec![McOp::Del([1, 0, 0x5e, 0, 0, 1]), McOp::Del([1, 0, 0x5e, 1, 2, 3])]);
    soclose(&mut net.st[1], so);
    assert_eq!(memberships(&net.st[1]), vec![(ALLHOSTS, 0, 1)]);
    assert_no_leaks(&net.st[1]);
}

#[test]
fn address_deleted_leaves_all_hosts() {
    let mut net = three();
    let eth = net.ports[1].ifp;
    let st = &mut net.st[1];
    let mut req = [0u8; IFALIASREQ_LEN];
    req[..4].copy_from_slice(b"eth0");
    set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(B), 0)).unwrap();
    in_control(st, SIOCDIFADDR, &mut req, Some(eth), true).unwrap();
    assert_eq!(memberships(st), vec![(ALLHOSTS, 0, 1)]);
    assert!(st.ifp(eth).ac_multiaddrs.is_empty());
}

#[test]
fn siocaddmulti_needs_root_and_a_group() {
    let mut net = three();
    let eth = net.ports[1].ifp;
    let st = &mut net.st[1];
    let so = udp(st, 5000);
    let mut ifr = [0u8; IFREQ_LEN];
    ifr[..4].copy_from_slice(b"eth0");
    set_sockaddr_at(&mut ifr, IFR_UNION, &SockaddrIn::new(InAddr(G2), 0)).unwrap();
    assert_eq!(ifioctl(st, so, SIOCADDMULTI, &mut ifr.clone(), false), Err(EPERM));
    ifioctl(st, so, SIOCADDMULTI, &mut ifr.clone(), true).unwrap();
    assert_eq!(st.ifp(eth).ac_multiaddrs.len(), 2);
    ifioctl(st, so, SIOCDELMULTI, &mut ifr.clone(), true).unwrap();
    assert_eq!(ifioctl(st, so, SIOCDELMULTI, &mut ifr.clone(), true), Err(ENXIO));
    set_sockaddr_at(&mut ifr, IFR_UNION, &SockaddrIn::new(InAddr(B), 0)).unwrap();
    assert_eq!(ifioctl(st, so, SIOCADDMULTI, &mut ifr.clone(), true), Err(EADDRNOTAVAIL));
    // The wildcard: every group (a multicast router's interface).
    set_sockaddr_at(&mut ifr, IFR_UNION, &SockaddrIn::new(INADDR_ANY, 0)).unwrap();
    ifioctl(st, so, SIOCADDMULTI, &mut ifr.clone(), true).unwrap();
    net.run();
    assert_eq!(net.filters.last().unwrap().1.op, McOp::AllmultiOn);
}

#[derive(Debug, Clone)]
enum Op {
    Join(usize, usize, bool),
    Leave(usize, usize, bool),
    Close(usize),
    Ttl(usize, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize, 0..5usize, any::<bool>()).prop_map(|(s, g, lo)| Op::Join(s, g, lo)),
        (0..4usize, 0..5usize, any::<bool>()).prop_map(|(s, g, lo)| Op::Leave(s, g, lo)),
        (0..4usize).prop_map(Op::Close),
        (0..4usize, any::<u8>()).prop_map(|(s, t)| Op::Ttl(s, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_joins_leaves_and_closes_leave_nothing(ops in prop::collection::vec(op(), 1..60)) {
        let mut net = three();
        net.filters.clear();
        let eth = net.ports[1].ifp;
        let mut socks: Vec<Option<usize>> = vec![None; 4];
        let groups = [G1, G2, ip4(239, 129, 2, 3), ip4(224, 0, 0, 9), ALLHOSTS];
        for o in ops {
            let st = &mut net.st[1];
            match o {
                Op::Join(s, g, lo) => {
                    let so = *socks[s].get_or_insert_with(|| udp(st, 5000));
                    let _ = join(st, so, groups[g], if lo { LOCALHOST } else { B });
                }
                Op::Leave(s, g, lo) => {
                    if let Some(so) = socks[s] {
                        let _ = leave(st, so, groups[g], if lo { LOCALHOST } else { B });
                    }
                }
                Op::Close(s) => {
                    if let Some(so) = socks[s].take() {
                        soclose(st, so);
                    }
                }
                Op::Ttl(s, t) => {
                    if let Some(so) = socks[s] {
                        sosetopt(st, so, IPPROTO_IP, IP_MULTICAST_TTL, &[t]).unwrap();
                    }
                }
            }
            // The references always add up: each membership is held by
            // the sockets in it, plus the address for 224.0.0.1.
            let st = &mut net.st[1];
            for (_, m) in st.in_multi.iter() {
                let mut held = u32::from(m.inm_addr.0 == ALLHOSTS);
                for so in socks.iter().flatten() {
                    let inp = st.sockets.get(*so).unwrap().so_pcb.unwrap();
                    if let Some(imo) = st.inpcbs.get(inp).unwrap().inp_moptions {
                        held += imo.memberships().iter().filter(|&&i| {
                            st.in_multi.get(i).is_some_and(|x| x.inm_addr == m.inm_addr && x.inm_ifp == m.inm_ifp)
                        }).count() as u32;
                    }
                }
                prop_assert_eq!(held, m.inm_refcount);
            }
            net.run();
        }
        let st = &mut net.st[1];
        for so in socks.iter_mut().filter_map(|s| s.take()) {
            soclose(st, so);
        }
        net.run();
        prop_assert_eq!(memberships(&net.st[1]), vec![(ALLHOSTS, 0, 1), (ALLHOSTS, eth, 1)]);
        prop_assert_eq!(net.st[1].ifp(eth).ac_multiaddrs.len(), 1);
        // Every address the filter was given was taken back.
        let mut count = std::collections::HashMap::new();
        for (_, r) in net.filters.iter() {
            match r.op {
                McOp::Add(a) => *count.entry(a).or_insert(0) += 1,
                McOp::Del(a) => *count.entry(a).or_insert(0) -= 1,
                _ => {}
            }
        }
        prop_assert!(count.values().all(|&c| c == 0), "{:?}", count);
        assert_no_leaks(&net.st[1]);
    }
}

// ---- Multicast routing (chapter 14) ----

/// A `struct vifctl`.
fn vifctl(vifi: u16, flags: u8, threshold: u8, lcl: u32, rmt: u32) -> Vec<u8> {
    let mut v = vifi.to_ne_bytes().to_vec();
    v.extend_from_slice(&[flags, threshold]);
    v.extend_from_slice(&lcl.to_be_bytes());
    v.extend_from_slice(&rmt.to_be_bytes());
    v
}

/// A `struct mfcctl`: origin, group, parent, (vif, threshold) pairs.
fn mfcctl(origin: u32, group: u32, parent: u16, ttls: &[(usize, u8)]) -> Vec<u8> {
    let mut v = origin.to_be_bytes().to_vec();
    v.extend_from_slice(&group.to_be_bytes());
    v.extend_from_slice(&parent.to_ne_bytes());
    let mut t = [0u8; MAXVIFS];
    for &(i, x) in ttls {
        t[i] = x;
    }
    v.extend_from_slice(&t);
    v.extend_from_slice(&[0, 0]);
    v
}

fn mrt(st: &mut Stack, so: usize, name: i32, val: &[u8]) -> Result {
    sosetopt(st, so, IPPROTO_IP, name, val)
}

const S: u32 = ip4(10, 0, 0, 2);
const R0: u32 = ip4(10, 0, 0, 1);
const R1: u32 = ip4(10, 1, 0, 1);
const D: u32 = ip4(10, 1, 0, 2);

/// A router R between segment 0 (with sender S) and segment 1 (with
/// receiver D, in group G1 on port 5000), its daemon's socket open with
/// a vif on each side; the sender sends with TTL 5.
struct Routed {
    net: Net,
    daemon: usize,
    rx: usize,
    tx: usize,
}

fn routed() -> Routed {
    let mut net = Net::default();
    let (r, s, d) = (net.station(), net.station(), net.station());
    net.port(r, 0, R0);
    net.port(r, 1, R1);
    net.port(s, 0, S);
    net.port(d, 1, D);
    let rx = udp(&mut net.st[d], 5000);
    join(&mut net.st[d], rx, G1, D).unwrap();
    let tx = udp(&mut net.st[s], 5001);
    sosetopt(&mut net.st[s], tx, IPPROTO_IP, IP_MULTICAST_IF, &S.to_be_bytes()).unwrap();
    sosetopt(&mut net.st[s], tx, IPPROTO_IP, IP_MULTICAST_TTL, &[5]).unwrap();
    let st = &mut net.st[r];
    let daemon = raw(st, IPPROTO_IGMP);
    mrt(st, daemon, MRT_INIT, &1i32.to_ne_bytes()).unwrap();
    mrt(st, daemon, MRT_ADD_VIF, &vifctl(0, 0, 1, R0, 0)).unwrap();
    mrt(st, daemon, MRT_ADD_VIF, &vifctl(1, 0, 1, R1, 0)).unwrap();
    net.run();
    Routed { net, daemon, rx, tx }
}

/// The upcalls waiting on the daemon's socket: (type, vif, src, dst).
fn upcalls(st: &mut Stack, so: usize) -> Vec<(u8, u8, u32, u32)> {
    drain(st, so)
        .into_iter()
        .filter(|m| m.len() == 20 && m[9] == 0)
        .map(|m| {
            let a = |o: usize| u32::from_be_bytes([m[o], m[o + 1], m[o + 2], m[o + 3]]);
            (m[8], m[10], a(12), a(16))
        })
        .collect()
}

#[test]
fn mrouting_upcall_then_forwarding_with_ttl_threshold_and_rpf() {
    let Routed { mut net, daemon, rx, tx } = routed();
    // Every group on both interfaces.
    for p in 0..2 {
        let ifp = net.ports[p].ifp;
        assert!(net.st[0].ifp(ifp).ac_multiaddrs.iter().any(|e| e.enm_addrlo != e.enm_addrhi));
    }
    assert!(net.filters.iter().any(|(s, r)| *s == 0 && r.op == McOp::AllmultiOn));
    // No entry: the datagram waits, the daemon is asked.
    send(&mut net.st[1], tx, Some(&sin(G1, 5000)), b"first").unwrap();
    net.run();
    assert!(drain(&mut net.st[2], rx).is_empty());
    let st0 = &mut net.st[0];
    let up = upcalls(st0, daemon);
    // The daemon's socket also hears IGMP (D's report went nowhere near:
    // it is on segment 1, but R is on it).
    assert_eq!(up, vec![(IGMPMSG_NOCACHE, 0, S, G1)]);
    assert_eq!(st0.mrt.mrtstat.mrts_upcalls, 1);
    assert_eq!(st0.mrt.unres.len(), 1);
    // The daemon answers: from vif 0 to vif 1 with threshold 1. The
    // waiting datagram goes.
    mrt(st0, daemon, MRT_ADD_MFC, &mfcctl(S, G1, 0, &[(1, 1)])).unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[2], rx), vec![b"first".to_vec()]);
    net.wire.clear();
    send(&mut net.st[1], tx, Some(&sin(G1, 5000)), b"second").unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[2], rx), vec![b"second".to_vec()]);
    // On segment 1 with TTL 4.
    let f = net.wire.iter().find(|(seg, f)| *seg == 1 && f[14 + 9] == 17).unwrap();
    assert_eq!(f.1[14 + 8], 4);
    let s = net.st[0].mrt.mrtstat;
    assert_eq!((s.mrts_mfc_lookups, s.mrts_mfc_misses), (2, 1));
    // A threshold of 5: TTL 5 does not pass it.
    mrt(&mut net.st[0], daemon, MRT_ADD_MFC, &mfcctl(S, G1, 0, &[(1, 5)])).unwrap();
    send(&mut net.st[1], tx, Some(&sin(G1, 5000)), b"third").unwrap();
    net.run();
    assert!(drain(&mut net.st[2], rx).is_empty());
    assert_eq!(net.st[0].mrt.mrtstat.mrts_ttl_thresh, 1);
    // The reverse-path check: S's datagram coming in on segment 1 is on
    // the wrong vif; with MRT_ASSERT the daemon hears of it, once.
    mrt(&mut net.st[0], daemon, MRT_ADD_MFC, &mfcctl(S, G1, 0, &[(1, 1)])).unwrap();
    mrt(&mut net.st[0], daemon, MRT_ASSERT, &1i32.to_ne_bytes()).unwrap();
    let mut udpmsg = vec![0x13, 0x89, 0x13, 0x88, 0, 9, 0, 0];
    udpmsg.push(b'x');
    let f = frame(S, G1, 17, 9, &udpmsg);
    net.inject(1, &f);
    net.inject(1, &f);
    assert_eq!(net.st[0].mrt.mrtstat.mrts_wrong_if, 2);
    assert_eq!(upcalls(&mut net.st[0], daemon), vec![(IGMPMSG_WRONGVIF, 1, S, G1)]);
    let mut out = [0u8; 4];
    assert_eq!(sogetopt(&mut net.st[0], daemon, IPPROTO_IP, MRT_VERSION, &mut out), Ok(4));
    assert_eq!(i32::from_ne_bytes(out), 0x0305);
    // Closing the daemon's socket ends it all: the interfaces leave the
    // all-groups range.
    net.filters.clear();
    soclose(&mut net.st[0], daemon);
    net.run();
    let st = &mut net.st[0];
    assert!(st.ip_mrouter.is_none() && st.mrt.mfctable.is_empty() && st.mrt.numvifs == 0);
    assert_eq!(net.filters.iter().filter(|(_, r)| r.op == McOp::AllmultiOff).count(), 2);
    for p in 0..2 {
        let ifp = net.ports[p].ifp;
        assert!(net.st[0].ifp(ifp).ac_multiaddrs.iter().all(|e| e.enm_addrlo == e.enm_addrhi));
    }
    assert_no_leaks(&net.st[0]);
}

#[test]
fn mrouting_errors() {
    let Routed { mut net, daemon, .. } = routed();
    let st = &mut net.st[0];
    // A second daemon; a socket that is not raw IGMP; no CAP_NET_ADMIN.
    let other = raw(st, IPPROTO_IGMP);
    assert_eq!(mrt(st, other, MRT_INIT, &1i32.to_ne_bytes()), Err(EADDRINUSE));
    assert_eq!(mrt(st, other, MRT_ADD_VIF, &vifctl(2, 0, 1, R0, 0)), Err(EACCES));
    let u = udp(st, 7000);
    assert_eq!(mrt(st, u, MRT_INIT, &1i32.to_ne_bytes()), Err(ENOPROTOOPT));
    let icmp = raw(st, IPPROTO_ICMP);
    assert_eq!(mrt(st, icmp, MRT_INIT, &1i32.to_ne_bytes()), Err(EOPNOTSUPP));
    soclose(st, icmp);
    let weak = socreate(
        st,
        &INETDOMAIN,
        SOCK_RAW,
        IPPROTO_IGMP,
        Cred { net_admin: false, ..Cred::ROOT },
        1,
    )
    .unwrap();
    assert_eq!(mrt(st, weak, MRT_INIT, &1i32.to_ne_bytes()), Err(EACCES));
    // Vifs: taken, out of range, not our address, short.
    assert_eq!(mrt(st, daemon, MRT_ADD_VIF, &vifctl(0, 0, 1, R0, 0)), Err(EADDRINUSE));
    assert_eq!(mrt(st, daemon, MRT_ADD_VIF, &vifctl(32, 0, 1, R0, 0)), Err(EINVAL));
    assert_eq!(mrt(st, daemon, MRT_ADD_VIF, &vifctl(2, 0, 1, S, 0)), Err(EADDRNOTAVAIL));
    assert_eq!(mrt(st, daemon, MRT_ADD_VIF, &[0; 4]), Err(EINVAL));
    assert_eq!(mrt(st, daemon, MRT_DEL_VIF, &vifctl(5, 0, 0, 0, 0)), Err(EINVAL));
    // The cache: no such entry, bad parent.
    assert_eq!(mrt(st, daemon, MRT_DEL_MFC, &mfcctl(S, G1, 0, &[])), Err(ESRCH));
    assert_eq!(mrt(st, daemon, MRT_ADD_MFC, &mfcctl(S, G1, 40, &[])), Err(EINVAL));
    mrt(st, daemon, MRT_ADD_MFC, &mfcctl(S, G1, 0, &[(1, 1)])).unwrap();
    mrt(st, daemon, MRT_DEL_MFC, &mfcctl(S, G1, 0, &[])).unwrap();
    mrt(st, daemon, MRT_DEL_VIF, &vifctl(1, 0, 0, 0, 0)).unwrap();
    assert_eq!(mrt(st, daemon, MRT_DEL_VIF, &vifctl(1, 0, 0, 0, 0)), Err(EINVAL));
    assert_eq!(mrt(st, daemon, MRT_DEL_VIF, &vifctl(1, 0, 0, 0, 0)), Err(EINVAL));
    mrt(st, daemon, MRT_DONE, &[]).unwrap();
    assert_eq!(mrt(st, daemon, MRT_ADD_VIF, &vifctl(0, 0, 1, R0, 0)), Err(EACCES));
    for so in [daemon, other, u, weak] {
        soclose(st, so);
    }
    net.run();
    assert_no_leaks(&net.st[0]);
}

#[test]
fn mrouting_unanswered_upcalls_expire_and_queues_overflow() {
    let Routed { mut net, daemon, rx, tx } = routed();
    for i in 0..5 {
        send(&mut net.st[1], tx, Some(&sin(G1, 5000)), &[i]).unwrap();
    }
    net.run();
    let s = net.st[0].mrt.mrtstat;
    assert_eq!((s.mrts_upcalls, s.mrts_upq_ovflw), (1, 1));
    assert_eq!(net.st[0].mrt.unres[0].pkts.len(), MAX_UPQ);
    net.wait_ticks(UPCALL_EXPIRE + 6);
    let s = net.st[0].mrt.mrtstat;
    assert_eq!((s.mrts_cache_cleanups, s.mrts_no_route), (1, MAX_UPQ as u64));
    assert!(net.st[0].mrt.unres.is_empty());
    assert!(drain(&mut net.st[2], rx).is_empty());
    // Local groups (224.0.0.x) and TTL 1 are never forwarded nor asked about.
    sosetopt(&mut net.st[1], tx, IPPROTO_IP, IP_MULTICAST_TTL, &[1]).unwrap();
    send(&mut net.st[1], tx, Some(&sin(G1, 5000)), b"ttl1").unwrap();
    sosetopt(&mut net.st[1], tx, IPPROTO_IP, IP_MULTICAST_TTL, &[9]).unwrap();
    send(&mut net.st[1], tx, Some(&sin(ip4(224, 0, 0, 9), 5000)), b"local").unwrap();
    net.run();
    assert_eq!(net.st[0].mrt.mrtstat.mrts_upcalls, 1);
    let _ = upcalls(&mut net.st[0], daemon);
    soclose(&mut net.st[0], daemon);
    net.run();
    assert_no_leaks(&net.st[0]);
}

#[test]
fn mrouting_through_an_ipip_tunnel() {
    // S - seg 0 - R1 = seg 1 (unicast, the tunnel) = R2 - seg 2 - D.
    let mut net = Net::default();
    let (r1, r2, s, d) = (net.station(), net.station(), net.station(), net.station());
    net.port(r1, 0, R0);
    net.port(r1, 1, R1);
    net.port(r2, 1, ip4(10, 1, 0, 9));
    net.port(r2, 2, ip4(10, 2, 0, 1));
    net.port(s, 0, S);
    net.port(d, 2, ip4(10, 2, 0, 2));
    let rx = udp(&mut net.st[d], 5000);
    join(&mut net.st[d], rx, G1, ip4(10, 2, 0, 2)).unwrap();
    let tx = udp(&mut net.st[s], 5001);
    sosetopt(&mut net.st[s], tx, IPPROTO_IP, IP_MULTICAST_IF, &S.to_be_bytes()).unwrap();
    sosetopt(&mut net.st[s], tx, IPPROTO_IP, IP_MULTICAST_TTL, &[8]).unwrap();
    let (d1, d2) = (raw(&mut net.st[r1], IPPROTO_IGMP), raw(&mut net.st[r2], IPPROTO_IGMP));
    let st = &mut net.st[r1];
    mrt(st, d1, MRT_INIT, &1i32.to_ne_bytes()).unwrap();
    mrt(st, d1, MRT_ADD_VIF, &vifctl(0, 0, 1, R0, 0)).unwrap();
    mrt(st, d1, MRT_ADD_VIF, &vifctl(1, VIFF_TUNNEL, 1, R1, ip4(10, 1, 0, 9))).unwrap();
    mrt(st, d1, MRT_ADD_MFC, &mfcctl(S, G1, 0, &[(1, 1)])).unwrap();
    let st = &mut net.st[r2];
    mrt(st, d2, MRT_INIT, &1i32.to_ne_bytes()).unwrap();
    mrt(st, d2, MRT_ADD_VIF, &vifctl(0, VIFF_TUNNEL, 1, ip4(10, 1, 0, 9), R1)).unwrap();
    mrt(st, d2, MRT_ADD_VIF, &vifctl(1, 0, 1, ip4(10, 2, 0, 1), 0)).unwrap();
    mrt(st, d2, MRT_ADD_MFC, &mfcctl(S, G1, 0, &[(1, 1)])).unwrap();
    net.run();
    net.wire.clear();
    for m in [b"one", b"two"] {
        send(&mut net.st[s], tx, Some(&sin(G1, 5000)), m).unwrap();
        net.run();
    }
    assert_eq!(drain(&mut net.st[d], rx), vec![b"one".to_vec(), b"two".to_vec()]);
    // Segment 1 carried them as IP-in-IP from R1 to R2.
    let tun: Vec<_> = net
        .wire
        .iter()
        .filter(|(seg, f)| *seg == 1 && f[12..14] == [8, 0] && f[14 + 9] == 4)
        .collect();
    assert!(!tun.is_empty());
    assert_eq!(
        tun[0].1[14 + 12..14 + 20],
        [R1.to_be_bytes(), ip4(10, 1, 0, 9).to_be_bytes()].concat()[..]
    );
    // TTL 8 - 1 (R1) inside the envelope, - 1 again at R2.
    let seg2 = net.wire.iter().find(|(seg, f)| *seg == 2 && f[14 + 9] == 17).unwrap();
    assert_eq!(seg2.1[14 + 8], 6);
    // IP-in-IP from no tunnel of ours is a bad tunnel.
    let inner = frame(S, G1, 17, 9, &[0x13, 0x89, 0x13, 0x88, 0, 8, 0, 0]);
    let f = frame(ip4(10, 1, 0, 77), ip4(10, 1, 0, 9), 4, 9, &inner[14..]);
    let mut f = f;
    f[..6].copy_from_slice(&[0x02, 0, 0, 0, r2 as u8, 0]);
    net.inject(1, &f);
    assert_eq!(net.st[r2].mrt.mrtstat.mrts_bad_tunnel, 1);
    assert_eq!(net.st[r2].vif_pkts(0), (2, 0));
    for (st, so) in [(r1, d1), (r2, d2)] {
        soclose(&mut net.st[st], so);
    }
    net.run();
}

trait VifPkts {
    fn vif_pkts(&self, i: usize) -> (u64, u64);
}

impl VifPkts for Stack {
    fn vif_pkts(&self, i: usize) -> (u64, u64) {
        self.mrt.viftable[i].map_or((0, 0), |v| (v.v_pkt_in, v.v_pkt_out))
    }
}

#[test]
fn mrouting_vif_goes_with_its_interface() {
    let Routed { mut net, daemon, .. } = routed();
    let eth1 = net.ports[1].ifp;
    if_detach(&mut net.st[0], eth1);
    let st = &mut net.st[0];
    assert!(st.mrt.viftable[1].is_none() && st.mrt.numvifs == 1);
    assert!(!st.in_multi.iter().any(|(_, m)| m.inm_ifp == eth1));
    soclose(st, daemon);
    net.run();
    assert_no_leaks(&net.st[0]);
}
