//! Stacks on a simulated Ethernet: ARP (resolution, the one-packet hold,
//! hold-down, expiry, duplicates, published entries) on the fake clock,
//! and a router between two segments (forwarding, time exceeded,
//! redirects, fragmentation onto a small MTU, "fragmentation needed").

mod common;

use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::if_ethersubr::*;
use bsdinet::bsd::net::route::*;
use bsdinet::bsd::netinet::if_ether::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::netinet::ip_output::{IP_HDRINCL, IP_TTL};
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use bsdinet::bsd::sys::sockio::*;
use common::*;
use proptest::prelude::*;

const fn ip4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// One station's interface: its stack's ifp, and the segment it is on.
struct Port {
    station: usize,
    ifp: usize,
    softc: usize,
    segment: usize,
}

/// Stations and the segments that join them; every frame sent is kept.
#[derive(Default)]
struct Net {
    st: Vec<Stack>,
    ports: Vec<Port>,
    /// (segment, frame) of everything carried, in order.
    wire: Vec<(usize, Vec<u8>)>,
}

fn mac(station: usize, port: usize) -> EtherAddr {
    [0x02, 0, 0, 0, station as u8, port as u8]
}

impl Net {
    /// A new station with lo0; returns its number.
    fn station(&mut self) -> usize {
        self.st.push(stack());
        self.st.len() - 1
    }

    /// Attaches an Ethernet interface to station `s` on `segment`, up and
    /// running, with `addr`/`mask`, and MTU `mtu`.
    fn port(&mut self, s: usize, segment: usize, addr: u32, mask: u32, mtu: u32) -> usize {
        let n = self.ports.iter().filter(|p| p.station == s).count();
        let softc = self.ports.len() + 1;
        let name = format!("eth{n}");
        let st = &mut self.st[s];
        let ifp = ether_ifattach(st, name.as_bytes(), mac(s, n), mtu, softc).unwrap();
        if_link_state(st, ifp, true);
        if_up(st, ifp);
        let mut req = [0u8; IFALIASREQ_LEN];
        req[..name.len()].copy_from_slice(name.as_bytes());
        set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(addr), 0)).unwrap();
        set_sockaddr_at(&mut req, IFRA_MASK, &SockaddrIn::new(InAddr(mask), 0)).unwrap();
        in_control(st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
        self.ports.push(Port { station: s, ifp, softc, segment });
        ifp
    }

    /// Carries frames until every queue is empty.
    fn run(&mut self) {
        for _ in 0..1000 {
            let mut frames = Vec::new();
            for (s, st) in self.st.iter_mut().enumerate() {
                st.softint();
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

    /// Lets `secs` seconds pass on every station's clock, carrying frames.
    fn wait(&mut self, secs: u64) {
        for _ in 0..secs * 10 {
            for st in self.st.iter_mut() {
                st.tick();
            }
            self.run();
        }
    }

    /// The ARP messages carried so far: (op, sender IP, target IP).
    fn arps(&self) -> Vec<(u16, u32, u32)> {
        self.wire
            .iter()
            .filter(|(_, f)| f[12..14] == [0x08, 0x06])
            .map(|(_, f)| {
                let a = &f[14..];
                let ip = |i: usize| u32::from_be_bytes([a[i], a[i + 1], a[i + 2], a[i + 3]]);
                (u16::from_be_bytes([a[6], a[7]]), ip(14), ip(24))
            })
            .collect()
    }
}

/// A UDP socket bound to `port`.
fn udp(st: &mut Stack, port: u16) -> usize {
    let so = socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).unwrap();
    sobind(st, so, &sin(0, port)).unwrap();
    so
}

/// Every datagram queued on `so`.
fn drain(st: &mut Stack, so: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Ok((d, _)) = recv(st, so, 70000, MSG_DONTWAIT) {
        out.push(d);
    }
    out
}

/// The ARP entry (an RTF_LLINFO host route) for `a`, if any: its link
/// address and flags.
fn arp_entry(st: &mut Stack, a: u32) -> Option<(Vec<u8>, u16)> {
    let rt = st.rtable.rn_lookup(InAddr(a), InAddr(!0))?;
    let r = st.rt(rt);
    if r.rt_flags & RTF_LLINFO == 0 {
        return None;
    }
    match r.rt_gateway {
        Sockaddr::Dl(sdl) => Some((sdl.lladdr().to_vec(), r.rt_flags)),
        Sockaddr::In(_) => None,
    }
}

const A: u32 = ip4(10, 0, 0, 1);
const B: u32 = ip4(10, 0, 0, 2);
const MASK24: u32 = ip4(255, 255, 255, 0);

/// Two stations on one segment.
fn pair() -> Net {
    let mut net = Net::default();
    let (a, b) = (net.station(), net.station());
    net.port(a, 0, A, MASK24, ETHERMTU);
    net.port(b, 0, B, MASK24, ETHERMTU);
    net.run();
    net
}

#[test]
fn addresses_are_announced() {
    let net = pair();
    // Each new address is a request for itself (`arp_ifinit`), which
    // nobody answers.
    assert_eq!(net.arps(), vec![(ARPOP_REQUEST, A, A), (ARPOP_REQUEST, B, B)]);
    assert!(take_log_clean());
}

fn take_log_clean() -> bool {
    bsdinet::platform::take_log().is_empty()
}

#[test]
fn arp_resolves_holding_the_last_datagram() {
    let mut net = pair();
    let rx = udp(&mut net.st[1], 7);
    let tx = udp(&mut net.st[0], 0);
    // Three datagrams before any answer: the book holds only the last.
    for d in [b"one", b"two", b"thr"] {
        send(&mut net.st[0], tx, Some(&sin(B, 7)), d).unwrap();
    }
    net.run();
    assert_eq!(drain(&mut net.st[1], rx), vec![b"thr".to_vec()]);
    assert_eq!(net.st[0].arpstat.holddrops, 2);
    // One request (one per second at most) and its reply.
    assert_eq!(net.arps()[2..], [(ARPOP_REQUEST, A, B), (ARPOP_REPLY, B, A)]);
    // Both ends know each other: A from the reply, B from the request
    // for itself.
    assert_eq!(arp_entry(&mut net.st[0], B).unwrap().0, mac(1, 0));
    assert_eq!(arp_entry(&mut net.st[1], A).unwrap().0, mac(0, 0));
    // Now datagrams go at once, with no more ARP.
    send(&mut net.st[0], tx, Some(&sin(B, 7)), b"four").unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[1], rx), vec![b"four".to_vec()]);
    assert_eq!(net.arps().len(), 4);
    assert_eq!(net.st[0].arpstat.txrequests, 2);
    assert_eq!(net.st[1].arpstat.txreplies, 1);
}

#[test]
fn a_silent_host_is_held_down_then_tried_again() {
    let mut net = pair();
    let tx = udp(&mut net.st[0], 0);
    let nobody = ip4(10, 0, 0, 99);
    let requests = |net: &Net| net.arps().iter().filter(|a| a.2 == nobody).count();
    // One datagram a second: a request each time, five in all.
    for i in 1..=5 {
        send(&mut net.st[0], tx, Some(&sin(nobody, 7)), b"x").unwrap();
        net.wait(1);
        assert_eq!(requests(&net), i);
    }
    // The sixth finds the host still silent: held down for ARPT_DOWN.
    send(&mut net.st[0], tx, Some(&sin(nobody, 7)), b"x").unwrap();
    net.run();
    assert_eq!(arp_entry(&mut net.st[0], nobody).unwrap().1 & RTF_REJECT, RTF_REJECT);
    assert_eq!(send(&mut net.st[0], tx, Some(&sin(nobody, 7)), b"x"), Err(EHOSTDOWN));
    net.wait(ARPT_DOWN - 2);
    assert_eq!(send(&mut net.st[0], tx, Some(&sin(nobody, 7)), b"x"), Err(EHOSTDOWN));
    net.wait(2);
    // Then it is asked again.
    send(&mut net.st[0], tx, Some(&sin(nobody, 7)), b"x").unwrap();
    net.run();
    assert_eq!(requests(&net), 6);
}

#[test]
fn entries_expire_and_are_pruned() {
    let mut net = pair();
    let tx = udp(&mut net.st[0], 0);
    send(&mut net.st[0], tx, Some(&sin(B, 7)), b"x").unwrap();
    net.run();
    assert!(arp_entry(&mut net.st[0], B).is_some());
    // An entry lives ARPT_KEEP; the timer runs every ARPT_PRUNE.
    net.wait(ARPT_KEEP - ARPT_PRUNE);
    assert!(arp_entry(&mut net.st[0], B).is_some());
    net.wait(2 * ARPT_PRUNE);
    assert!(arp_entry(&mut net.st[0], B).is_none());
    assert_eq!(net.st[0].arpstat.timeouts, 1);
    // The interface route, which clones entries, stays.
    let rt = net.st[0].rtable.rn_lookup(InAddr(A & MASK24), InAddr(MASK24)).unwrap();
    assert_eq!(net.st[0].rt(rt).rt_flags & RTF_CLONING, RTF_CLONING);
}

#[test]
fn duplicate_addresses_are_reported() {
    let mut net = pair();
    let _ = bsdinet::platform::take_log();
    let c = net.station();
    net.port(c, 0, A, MASK24, ETHERMTU);
    net.run();
    assert_eq!(net.st[0].arpstat.dupips, 1);
    let log = bsdinet::platform::take_log();
    assert!(log.iter().any(|l| l.contains("duplicate IP address 10.0.0.1")), "{log:?}");
}

#[test]
fn static_and_published_entries() {
    let mut net = pair();
    // A publishes 10.0.0.50 for a station with link address X.
    let x = [0x02, 0xaa, 0, 0, 0, 0x50];
    let proxied = ip4(10, 0, 0, 50);
    let gw =
        Sockaddr::Dl(SockaddrDl { sdl_index: 0, sdl_type: IFT_ETHER, sdl_alen: 6, sdl_addr: x });
    let st = &mut net.st[0];
    let flags = RTF_HOST | RTF_STATIC | RTF_ANNOUNCE;
    // The link address names no interface: the one on the host's net.
    let sdl_index = st.ifnet.iter().find(|(_, i)| i.if_kind == IfKind::Ether).unwrap().1.if_index;
    let gw = match gw {
        Sockaddr::Dl(d) => Sockaddr::Dl(SockaddrDl { sdl_index, ..d }),
        g => g,
    };
    rtrequest(st, Req::Add, InAddr(proxied), Some(gw), None, flags, false).unwrap();
    net.run();
    // B asks for it and sends to X.
    let tx = udp(&mut net.st[1], 0);
    send(&mut net.st[1], tx, Some(&sin(proxied, 9)), b"x").unwrap();
    net.run();
    assert_eq!(arp_entry(&mut net.st[1], proxied).unwrap().0, x);
    let last = &net.wire.last().unwrap().1;
    assert_eq!((&last[..6], &last[12..14]), (&x[..], &[8u8, 0][..]));
    // A static entry never expires.
    net.wait(ARPT_KEEP + ARPT_PRUNE);
    assert!(arp_entry(&mut net.st[0], proxied).is_some());
}

#[test]
fn detach_takes_addresses_routes_and_held_datagrams() {
    let mut net = pair();
    let tx = udp(&mut net.st[0], 0);
    let st = &mut net.st[0];
    send(st, tx, Some(&sin(ip4(10, 0, 0, 99), 7)), b"held").unwrap();
    // A datagram to our own address makes an ARP entry sent through lo0.
    send(st, tx, Some(&sin(A, 7)), b"self").unwrap();
    assert_eq!(arp_entry(st, A).unwrap().0, mac(0, 0));
    let ifp = net.ports[0].ifp;
    // And a fragment from the link, waiting for the rest of its datagram.
    let mut f = mac(0, 0).to_vec();
    f.extend_from_slice(&mac(1, 0));
    f.extend_from_slice(&[0x08, 0x00]);
    let mut ip = vec![0x45, 0, 0, 28, 0, 9, 0x20, 0, 64, 17, 0, 0];
    ip.extend_from_slice(&B.to_be_bytes());
    ip.extend_from_slice(&A.to_be_bytes());
    let sum = cksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&[0; 8]);
    let m = m_devget(&mut st.mbpool, &f, 0, Some(ifp)).unwrap();
    ether_input(st, ifp, m);
    st.softint();
    assert_eq!(st.ipq.nqueues(), 1);
    if_detach(st, ifp);
    assert_eq!(st.ipq.nqueues(), 0);
    assert!(st.ifnet.get(ifp).is_none());
    assert!(st.in_ifaddr.iter().all(|ia| ia.ia_ifp != ifp));
    let ids = rt_ids(st).unwrap();
    assert!(ids.iter().all(|&rt| st.rtable.rtentries.get(rt).unwrap().rt_ifp != ifp));
    // Only lo0's route is left, and no mbuf.
    assert_eq!(ids.len(), 1);
    assert_eq!(st.rtable.rtentries.len(), 1);
    assert_eq!(send(st, tx, Some(&sin(B, 7)), b"x"), Err(EHOSTUNREACH));
    soclose(st, tx);
    assert_no_leaks(st);
}

// The router: A on 10.0.1/24 (segment 1), B on 10.0.2/24 (segment 2,
// MTU 576), R joining them with forwarding on; defaults through R.
const RA: u32 = ip4(10, 0, 1, 1);
const RB: u32 = ip4(10, 0, 2, 1);
const HA: u32 = ip4(10, 0, 1, 2);
const HB: u32 = ip4(10, 0, 2, 2);

fn default_route(st: &mut Stack, gw: u32) {
    let gw = Some(Sockaddr::In(InAddr(gw)));
    rtrequest(st, Req::Add, INADDR_ANY, gw, Some(INADDR_ANY), RTF_GATEWAY, false).unwrap();
}

fn routed() -> Net {
    let mut net = Net::default();
    let (a, r, b) = (net.station(), net.station(), net.station());
    net.port(a, 1, HA, MASK24, ETHERMTU);
    net.port(r, 1, RA, MASK24, ETHERMTU);
    net.port(r, 2, RB, MASK24, 576);
    net.port(b, 2, HB, MASK24, 576);
    net.st[r].ipforwarding = true;
    default_route(&mut net.st[a], RA);
    default_route(&mut net.st[b], RB);
    net.run();
    net
}

/// A raw ICMP socket on `st`.
fn icmp_sock(st: &mut Stack) -> usize {
    raw(st, IPPROTO_ICMP)
}

/// ICMP messages received on raw socket `so`: (type, code, header TTL,
/// second word).
fn icmps(st: &mut Stack, so: usize) -> Vec<(u8, u8, u8, u32)> {
    drain(st, so)
        .iter()
        .map(|d| {
            let hl = usize::from(d[0] & 15) * 4;
            let w = u32::from_be_bytes([d[hl + 4], d[hl + 5], d[hl + 6], d[hl + 7]]);
            (d[hl], d[hl + 1], d[8], w)
        })
        .collect()
}

#[test]
fn the_router_forwards_both_ways() {
    let mut net = routed();
    let ping = icmp_sock(&mut net.st[0]);
    send(&mut net.st[0], ping, Some(&sin(HB, 0)), &icmp_msg(8, 1, 1, b"hello")).unwrap();
    net.run();
    // The reply came back through R: one hop off the 255 that ICMP
    // replies start with.
    assert_eq!(icmps(&mut net.st[0], ping), vec![(0, 0, 254, 0x0001_0001)]);
    assert_eq!(net.st[1].ipstat.ips_forward, 2);
    // UDP too, and R knows both hosts' link addresses now.
    let rx = udp(&mut net.st[2], 7);
    let tx = udp(&mut net.st[0], 0);
    send(&mut net.st[0], tx, Some(&sin(HB, 7)), b"via R").unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[2], rx), vec![b"via R".to_vec()]);
    assert!(arp_entry(&mut net.st[1], HA).is_some() && arp_entry(&mut net.st[1], HB).is_some());
}

#[test]
fn a_host_does_not_forward() {
    let mut net = routed();
    net.st[1].ipforwarding = false;
    let tx = udp(&mut net.st[0], 0);
    send(&mut net.st[0], tx, Some(&sin(HB, 7)), b"x").unwrap();
    net.run();
    assert_eq!(net.st[1].ipstat.ips_cantforward, 1);
    assert_eq!(net.st[1].ipstat.ips_forward, 0);
}

#[test]
fn ttl_runs_out_at_the_router() {
    let mut net = routed();
    let icmp = icmp_sock(&mut net.st[0]);
    let tx = udp(&mut net.st[0], 0);
    sosetopt(&mut net.st[0], tx, IPPROTO_IP, IP_TTL, &1i32.to_ne_bytes()).unwrap();
    send(&mut net.st[0], tx, Some(&sin(HB, 33434)), b"traceroute").unwrap();
    net.run();
    // Time exceeded in transit, from the router's address on A's side.
    let got = drain(&mut net.st[0], icmp);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0][20], got[0][21]), (11, 0));
    assert_eq!(got[0][12..16], RA.to_be_bytes());
}

#[test]
fn no_route_is_host_unreachable() {
    let mut net = routed();
    // R has no default route.
    let icmp = icmp_sock(&mut net.st[0]);
    let tx = udp(&mut net.st[0], 0);
    send(&mut net.st[0], tx, Some(&sin(ip4(192, 168, 9, 9), 7)), b"x").unwrap();
    net.run();
    assert_eq!(
        icmps(&mut net.st[0], icmp).iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
        vec![(3, 1)]
    );
}

#[test]
fn fragments_onto_the_small_link_and_says_when_it_cannot() {
    let mut net = routed();
    let rx = udp(&mut net.st[2], 7);
    let tx = udp(&mut net.st[0], 0);
    let big: Vec<u8> = (0..1400u32).map(|i| i as u8).collect();
    // While R waits for B's link address, ARP holds one fragment and
    // drops the others (the book's one-packet hold): the datagram is lost.
    send(&mut net.st[0], tx, Some(&sin(HB, 7)), &big).unwrap();
    net.run();
    assert_eq!(net.st[1].arpstat.holddrops, 2);
    assert!(drain(&mut net.st[2], rx).is_empty());
    send(&mut net.st[0], tx, Some(&sin(HB, 7)), &big).unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[2], rx), vec![big.clone()]);
    assert_eq!(net.st[1].ipstat.ips_fragmented, 2);
    assert_eq!(net.st[1].ipstat.ips_ofragments, 6);
    assert_eq!(net.st[2].ipstat.ips_reassembled, 1);
    // With DF set (a raw IP socket building its own header), R answers
    // "fragmentation needed" with the next hop's MTU.
    let icmp = icmp_sock(&mut net.st[0]);
    let rawip = raw(&mut net.st[0], IPPROTO_UDP);
    sosetopt(&mut net.st[0], rawip, IPPROTO_IP, IP_HDRINCL, &1i32.to_ne_bytes()).unwrap();
    let mut pkt = vec![0u8; 1000];
    pkt[0] = 0x45;
    pkt[2..4].copy_from_slice(&1000u16.to_be_bytes());
    pkt[6] = 0x40; // DF
    pkt[8] = 64;
    pkt[9] = 17;
    pkt[12..16].copy_from_slice(&HA.to_be_bytes());
    pkt[16..20].copy_from_slice(&HB.to_be_bytes());
    send(&mut net.st[0], rawip, Some(&sin(HB, 0)), &pkt).unwrap();
    net.run();
    assert_eq!(icmps(&mut net.st[0], icmp), vec![(3, 4, 255, 576)]);
    assert_eq!(net.st[1].ipstat.ips_cantfrag, 1);
}

#[test]
fn a_redirect_when_the_datagram_goes_back_out() {
    // R2 on A's segment leads to 10.0.3/24; R knows it, A does not.
    let mut net = routed();
    let r2 = net.station();
    let r2_addr = ip4(10, 0, 1, 3);
    net.port(r2, 1, r2_addr, MASK24, ETHERMTU);
    net.port(r2, 3, ip4(10, 0, 3, 1), MASK24, ETHERMTU);
    net.st[r2].ipforwarding = true;
    let far = net.station();
    net.port(far, 3, ip4(10, 0, 3, 5), MASK24, ETHERMTU);
    default_route(&mut net.st[far], ip4(10, 0, 3, 1));
    let gw = Some(Sockaddr::In(InAddr(r2_addr)));
    let st = &mut net.st[1];
    rtrequest(st, Req::Add, InAddr(ip4(10, 0, 3, 0)), gw, Some(InAddr(MASK24)), RTF_GATEWAY, false)
        .unwrap();
    net.run();

    let rx = udp(&mut net.st[far], 7);
    let tx = udp(&mut net.st[0], 0);
    send(&mut net.st[0], tx, Some(&sin(ip4(10, 0, 3, 5), 7)), b"first").unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[far], rx), vec![b"first".to_vec()]);
    assert_eq!(net.st[1].ipstat.ips_redirectsent, 1);
    // A learned a host route through R2 from the redirect.
    let st = &mut net.st[0];
    assert_eq!(st.rtable.rtstat.rts_dynamic, 1);
    let rt = st.rtable.rn_lookup(InAddr(ip4(10, 0, 3, 5)), InAddr(!0)).unwrap();
    let r = st.rt(rt);
    assert_eq!(r.rt_gateway, Sockaddr::In(InAddr(r2_addr)));
    assert_eq!(
        r.rt_flags & (RTF_DYNAMIC | RTF_GATEWAY | RTF_HOST),
        RTF_DYNAMIC | RTF_GATEWAY | RTF_HOST
    );
    // The next datagram goes straight to R2.
    send(&mut net.st[0], tx, Some(&sin(ip4(10, 0, 3, 5), 7)), b"second").unwrap();
    net.run();
    assert_eq!(drain(&mut net.st[far], rx), vec![b"second".to_vec()]);
    assert_eq!(net.st[1].ipstat.ips_forward, 1);
    // A redirect from someone who is not our router for that host is
    // refused.
    let st = &mut net.st[0];
    let bad = rtredirect(st, InAddr(ip4(10, 0, 3, 5)), InAddr(HA), None, RTF_HOST, InAddr(RB));
    assert!(bad.is_err());
    assert_eq!(st.rtable.rtstat.rts_badredirect, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// Any frame, however malformed, is dropped and counted or taken;
    /// nothing panics and no mbuf is lost.
    #[test]
    fn any_frame_is_safe(
        dst in prop::sample::select(vec![ETHERBROADCASTADDR, mac(0, 0), [1, 0, 0x5e, 0, 0, 1], mac(5, 5)]),
        ty in prop::sample::select(vec![0x0800u16, 0x0806, 0x86dd, 0]),
        body in prop::collection::vec(any::<u8>(), 0..200),
        arp_like in any::<bool>(),
    ) {
        let mut net = pair();
        let st = &mut net.st[0];
        let before = st.mbpool.mbstat.m_mbufs;
        let mut f = dst.to_vec();
        f.extend_from_slice(&mac(9, 9));
        f.extend_from_slice(&ty.to_be_bytes());
        if arp_like {
            // A plausible ARP header, so the deeper checks run.
            f.extend_from_slice(&[0, 1, 8, 0, 6, 4]);
        }
        f.extend_from_slice(&body);
        let ifp = net.ports[0].ifp;
        let m = m_devget(&mut st.mbpool, &f, 0, Some(ifp)).unwrap();
        ether_input(st, ifp, m);
        net.run();
        let st = &mut net.st[0];
        // Whatever arrived and whatever went out, the pool is as it was
        // (ARP may keep a held datagram: none was sent here).
        prop_assert_eq!(st.mbpool.mbstat.m_mbufs, before);
    }
}

#[test]
fn runts_and_strangers_are_counted() {
    let mut net = pair();
    let st = &mut net.st[0];
    let ifp = net.ports[0].ifp;
    let m = m_devget(&mut st.mbpool, &[1, 2, 3], 0, Some(ifp)).unwrap();
    ether_input(st, ifp, m);
    assert_eq!(st.ifp(ifp).if_data.ifi_ierrors, 1);
    let mut f = mac(0, 0).to_vec();
    f.extend_from_slice(&mac(9, 9));
    f.extend_from_slice(&[0x86, 0xdd, 0, 0]);
    let m = m_devget(&mut st.mbpool, &f, 0, Some(ifp)).unwrap();
    ether_input(st, ifp, m);
    assert_eq!(st.ifp(ifp).if_data.ifi_noproto, 1);
    // A short ARP message.
    let mut f = ETHERBROADCASTADDR.to_vec();
    f.extend_from_slice(&mac(9, 9));
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0]);
    let m = m_devget(&mut st.mbpool, &f, 0, Some(ifp)).unwrap();
    ether_input(st, ifp, m);
    assert_eq!(st.arpstat.dropped, 1);
}

#[test]
fn source_routed_datagrams_need_forwarding_too() {
    use bsdinet::bsd::netinet::ip_output::IP_OPTIONS;
    let mut net = routed();
    // A pings B with a loose source route through R (the option as the
    // socket sets it: the first hop, then the rest of the route, which
    // ends at the destination).
    let ping = icmp_sock(&mut net.st[0]);
    let mut opt = vec![1, 0x83, 11, 4];
    opt.extend_from_slice(&RA.to_be_bytes());
    opt.extend_from_slice(&HB.to_be_bytes());
    sosetopt(&mut net.st[0], ping, IPPROTO_IP, IP_OPTIONS, &opt).unwrap();
    send(&mut net.st[0], ping, Some(&sin(HB, 0)), &icmp_msg(8, 2, 1, b"lsrr")).unwrap();
    net.run();
    // B answers along the reversed route, so the reply comes back too.
    let got = icmps(&mut net.st[0], ping);
    assert_eq!(got.iter().map(|m| (m.0, m.3)).collect::<Vec<_>>(), vec![(0, 0x0002_0001)]);
    assert_eq!(net.st[1].ipstat.ips_forward, 2);
    // With forwarding off, R drops it (the book would forward it anyway).
    net.st[1].ipforwarding = false;
    send(&mut net.st[0], ping, Some(&sin(HB, 0)), &icmp_msg(8, 2, 2, b"lsrr")).unwrap();
    net.run();
    assert!(icmps(&mut net.st[0], ping).is_empty());
    assert_eq!(net.st[1].ipstat.ips_cantforward, 1);
}

/// BPF on an Ethernet (book section 31.5): the descriptor on station A's
/// eth0 sees exactly the frames on the wire, both ways and whole, in
/// order; `write` sends a frame as it is; detaching ends the capture.
#[test]
fn bpf_sees_the_wire() {
    use bsdinet::bsd::net::bpf::*;
    let mut net = pair();
    net.wire.clear();
    let ifp = net.ports[0].ifp;
    let st = &mut net.st[0];
    let d = bpfopen(st, 9).unwrap();
    let mut r = [0u8; IFREQ_LEN];
    r[..4].copy_from_slice(b"eth0");
    bpfioctl(st, d, BIOCSETIF, &mut r).unwrap();
    bpfioctl(st, d, BIOCIMMEDIATE, &mut 1u32.to_ne_bytes()).unwrap();
    let mut dlt = [0u8; 4];
    bpfioctl(st, d, BIOCGDLT, &mut dlt).unwrap();
    assert_eq!(u32::from_ne_bytes(dlt), DLT_EN10MB);
    let (rx, tx) = (udp(&mut net.st[1], 7), udp(&mut net.st[0], 0));
    send(&mut net.st[0], tx, Some(&sin(B, 7)), b"over the wire").unwrap();
    net.run();
    let BpfRead::Data(buf, len) = bpf_read_take(&mut net.st[0], d, BPF_BUFSIZE, false).unwrap()
    else {
        panic!("nothing captured")
    };
    let got: Vec<Vec<u8>> = bpf_records(&buf[..len])
        .map(|(h, p)| {
            assert_eq!((h.hdrlen, h.caplen, h.datalen), (18, p.len() as u32, p.len() as u32));
            p.to_vec()
        })
        .collect();
    bpf_read_done(&mut net.st[0], d, buf);
    let wire: Vec<Vec<u8>> = net.wire.iter().map(|(_, f)| f.clone()).collect();
    // ARP request and reply, then the datagram.
    assert_eq!(wire.len(), 3);
    assert_eq!(got, wire);
    assert_eq!(drain(&mut net.st[1], rx).len(), 1);
    // A frame written goes out as it is.
    let frame = wire[2].clone();
    bpfwrite(&mut net.st[0], d, &frame).unwrap();
    net.run();
    assert_eq!(net.wire.last().unwrap().1, frame);
    assert_eq!(drain(&mut net.st[1], rx), vec![b"over the wire".to_vec()]);
    assert_eq!(bpfwrite(&mut net.st[0], d, &frame[..10]), Err(EINVAL));
    assert_eq!(bpfwrite(&mut net.st[0], d, &vec![0u8; 14 + 1501]), Err(EMSGSIZE));
    // The interface goes: what was caught, then ENXIO.
    if_detach(&mut net.st[0], ifp);
    let Ok(BpfRead::Data(buf, _)) = bpf_read_take(&mut net.st[0], d, BPF_BUFSIZE, false) else {
        panic!("the written frame was not caught")
    };
    bpf_read_done(&mut net.st[0], d, buf);
    assert_eq!(bpf_read_take(&mut net.st[0], d, BPF_BUFSIZE, false).err(), Some(ENXIO));
    assert!(bpf_readable(&net.st[0], d, false));
    bpfclose(&mut net.st[0], d);
}
