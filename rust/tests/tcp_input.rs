//! TCP input (book chapters 27-29) on one stack: hand-made segments
//! injected through a tun interface, what the stack answers taken from
//! the interface's send queue; and the pieces of tcp_input.rs called
//! directly (the reassembly queue, the RTT estimators, the options,
//! `tcp_mss`).

mod common;
use common::tcpsim::*;
use common::*;

use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::SB_MAX;
use bsdinet::bsd::net::if_tun::tuninput;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::netinet::tcp::*;
use bsdinet::bsd::netinet::tcp_fsm::*;
use bsdinet::bsd::netinet::tcp_input::*;
use bsdinet::bsd::netinet::tcp_seq::*;
use bsdinet::bsd::netinet::tcp_timer::*;
use bsdinet::bsd::netinet::tcp_var::*;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::socket::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------
// Segments by hand.

/// A TCP segment in an IP datagram, checksums right.
#[derive(Clone)]
struct Seg {
    src: u32,
    dst: u32,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    urp: u16,
    opts: Vec<u8>,
    data: Vec<u8>,
}

impl Seg {
    /// From station 0 (10.0.0.1) port 1234 to station 1 (10.0.0.2).
    fn new(dport: u16, seq: u32, ack: u32, flags: u8) -> Seg {
        Seg {
            src: addr(0),
            dst: addr(1),
            sport: 1234,
            dport,
            seq,
            ack,
            flags,
            win: 8192,
            urp: 0,
            opts: Vec::new(),
            data: Vec::new(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut opts = self.opts.clone();
        while opts.len() % 4 != 0 {
            opts.push(TCPOPT_EOL);
        }
        let thl = TCP_HDRLEN + opts.len();
        let tlen = thl + self.data.len();
        let mut b = vec![0u8; 20 + tlen];
        b[0] = 0x45;
        b[2..4].copy_from_slice(&((20 + tlen) as u16).to_be_bytes());
        b[8] = 64;
        b[9] = 6;
        b[12..16].copy_from_slice(&self.src.to_be_bytes());
        b[16..20].copy_from_slice(&self.dst.to_be_bytes());
        let s = cksum(&b[..20]);
        b[10..12].copy_from_slice(&s.to_be_bytes());
        let th = Tcphdr {
            th_sport: self.sport,
            th_dport: self.dport,
            th_seq: self.seq,
            th_ack: self.ack,
            th_off: (thl / 4) as u8,
            th_flags: self.flags,
            th_win: self.win,
            th_sum: 0,
            th_urp: self.urp,
        };
        th.emit(&mut b[20..]);
        b[40..40 + opts.len()].copy_from_slice(&opts);
        b[20 + thl..].copy_from_slice(&self.data);
        let s = tcp_sum(&b);
        b[36..38].copy_from_slice(&s.to_be_bytes());
        b
    }
}

/// The TCP checksum of datagram `b` (20-byte IP header) as it is.
fn tcp_sum(b: &[u8]) -> u16 {
    let tlen = b.len() - 20;
    let mut p = Vec::new();
    p.extend_from_slice(&b[12..20]);
    p.extend_from_slice(&[0, 6]);
    p.extend_from_slice(&(tlen as u16).to_be_bytes());
    p.extend_from_slice(&b[20..]);
    cksum(&p)
}

/// Station 1 of a simulation, which the tests talk to by hand.
fn station() -> Sim {
    Sim::new(1500, 1)
}

/// Gives datagram `b` to station 1 as if from the link, and returns
/// what it sent back.
fn inject(sim: &mut Sim, b: &[u8]) -> Vec<Vec<u8>> {
    let ifp = sim.ifp[1];
    let st = &mut sim.st[1];
    let m = m_devget(&mut st.mbpool, b, 0, Some(ifp)).unwrap();
    tuninput(st, ifp, m);
    st.softint();
    drain(st)
}

/// What the stack sent.
fn drain(st: &mut Stack) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    st.if_snd_drain(|_, m| {
        let mut b = vec![0u8; m.m_pkthdr().unwrap().len];
        m_copydata(m, 0, &mut b).unwrap();
        out.push(b);
    });
    out
}

// ---------------------------------------------------------------------
// Header checks (figures 28.2-28.4).

#[test]
fn bad_checksum_offset_and_short_segments_are_counted() {
    let mut sim = station();
    let good = Seg::new(80, 1, 0, TH_SYN).bytes();

    let mut bad = good.clone();
    bad[38] ^= 1; // the urgent pointer, checksum not fixed
    assert!(inject(&mut sim, &bad).is_empty());
    assert_eq!(sim.st[1].tcpstat.tcps_rcvbadsum, 1);

    // An offset below 5 words, and one beyond the segment.
    for off in [4u8, 15] {
        let mut b = good.clone();
        b[32] = off << 4;
        b[36..38].copy_from_slice(&[0, 0]);
        let s = tcp_sum(&b);
        b[36..38].copy_from_slice(&s.to_be_bytes());
        assert!(inject(&mut sim, &b).is_empty());
    }
    assert_eq!(sim.st[1].tcpstat.tcps_rcvbadoff, 2);

    // Shorter than a TCP header.
    let mut b = good[..30].to_vec();
    b[2..4].copy_from_slice(&30u16.to_be_bytes());
    b[10..12].copy_from_slice(&[0, 0]);
    let s = cksum(&b[..20]);
    b[10..12].copy_from_slice(&s.to_be_bytes());
    assert!(inject(&mut sim, &b).is_empty());
    assert_eq!(sim.st[1].tcpstat.tcps_rcvshort, 1);
    assert_eq!(sim.st[1].tcpstat.tcps_rcvtotal, 4);
    assert_no_leaks(&sim.st[1]);
}

#[test]
fn a_rst_is_never_answered() {
    let mut sim = station();
    for flags in [TH_RST, TH_RST | TH_ACK, TH_RST | TH_SYN] {
        assert!(inject(&mut sim, &Seg::new(80, 1000, 5, flags).bytes()).is_empty());
    }
    // Not to a listener either.
    let l = tcp_listen(&mut sim.st[1], 80, 5);
    for flags in [TH_RST, TH_RST | TH_ACK] {
        assert!(inject(&mut sim, &Seg::new(80, 1000, 5, flags).bytes()).is_empty());
    }
    assert_eq!(sim.st[1].so(l).so_q0len(), 0);
    soclose(&mut sim.st[1], l);
    assert_no_leaks(&sim.st[1]);
}

#[test]
fn a_segment_to_a_closed_port_gets_the_right_rst() {
    let mut sim = station();
    // Without ACK: the RST acknowledges the SYN and the data.
    let mut s = Seg::new(80, 1000, 0, TH_SYN);
    s.data = vec![7; 10];
    let out = inject(&mut sim, &s.bytes());
    assert_eq!(out.len(), 1);
    let (th, len) = tcp_of(&out[0]).unwrap();
    assert_eq!((th.th_flags, len), (TH_RST | TH_ACK, 0));
    assert_eq!((th.th_seq, th.th_ack), (0, 1000 + 10 + 1));
    assert_eq!((th.th_sport, th.th_dport), (80, 1234));
    assert_eq!(&out[0][12..20], &[10, 0, 0, 2, 10, 0, 0, 1]);
    // With ACK: the RST is at that sequence number.
    let out = inject(&mut sim, &Seg::new(80, 1000, 77, TH_ACK).bytes());
    let (th, _) = tcp_of(&out[0]).unwrap();
    assert_eq!((th.th_flags & (TH_RST | TH_ACK), th.th_seq), (TH_RST, 77));
    assert_eq!(sim.st[1].tcpstat.tcps_noport, 2);
    assert_no_leaks(&sim.st[1]);
}

#[test]
fn no_rst_to_broadcast_or_multicast() {
    let mut sim = station();
    for (src, dst) in [(addr(0), 0xe000_0001), (addr(0), 0xffff_ffff), (0xe000_0001, addr(1))] {
        let mut s = Seg::new(80, 1000, 0, TH_SYN);
        s.src = src;
        s.dst = dst;
        assert!(inject(&mut sim, &s.bytes()).is_empty(), "{src:x} → {dst:x}");
    }
    assert_no_leaks(&sim.st[1]);
}

// ---------------------------------------------------------------------
// A listener, by hand.

/// The SYN|ACK a listener on station 1 answers `syn` with.
fn syn_to_listener(sim: &mut Sim, syn: &Seg) -> Tcphdr {
    let out = inject(sim, &syn.bytes());
    assert_eq!(out.len(), 1, "one SYN|ACK");
    let (th, _) = tcp_of(&out[0]).unwrap();
    assert_eq!(th.th_flags & (TH_SYN | TH_ACK | TH_RST), TH_SYN | TH_ACK);
    assert_eq!(th.th_ack, syn.seq.wrapping_add(1));
    th
}

/// The control block of the connection station 1 has for port 1234.
fn conn_tp(st: &mut Stack) -> usize {
    let inp = st
        .inpcbs
        .iter()
        .find(|(_, p)| p.inp_fport == 1234 && p.inp_ppcb.is_some())
        .map(|(i, _)| i)
        .expect("a connection");
    intotcpcb(st, inp).unwrap()
}

/// A connection established by hand with the listener on station 1's
/// port 80: (listener, our next seq, its next seq).
fn handshake(sim: &mut Sim, opts: Vec<u8>) -> (usize, u32, u32) {
    let l = tcp_listen(&mut sim.st[1], 80, 5);
    let mut syn = Seg::new(80, 1000, 0, TH_SYN);
    syn.opts = opts;
    let th = syn_to_listener(sim, &syn);
    let iss = th.th_seq;
    let tp = conn_tp(&mut sim.st[1]);
    assert_eq!(sim.st[1].tp(tp).t_state, TCPS_SYN_RECEIVED);
    let out = inject(sim, &Seg::new(80, 1001, iss.wrapping_add(1), TH_ACK).bytes());
    assert!(out.is_empty(), "nothing to say to the ACK");
    assert_eq!(sim.st[1].tp(tp).t_state, TCPS_ESTABLISHED);
    assert_eq!(sim.st[1].so(l).so_qlen(), 1);
    (l, 1001, iss.wrapping_add(1))
}

fn close_all(sim: &mut Sim) {
    let st = &mut sim.st[1];
    let socks: Vec<usize> = st.sockets.iter().map(|(i, _)| i).collect();
    for so in socks {
        if st.sockets.get(so).is_some() {
            let s = st.so(so);
            s.so_options |= SO_LINGER;
            s.so_linger = 0;
            soclose(st, so);
        }
    }
    // Whatever was queued on the listener was aborted with it.
    drain(st);
    for _ in 0..2000 {
        if st.tcpcbs.is_empty() {
            break;
        }
        st.tick();
        drain(st);
    }
    assert_no_leaks(st);
}

#[test]
fn the_listener_makes_a_connection() {
    let mut sim = station();
    let (l, seq, ack) = handshake(&mut sim, vec![TCPOPT_MAXSEG, 4, 0x02, 0x00]);
    let st = &mut sim.st[1];
    assert_eq!(st.tcpstat.tcps_accepts, 1);
    assert_eq!(st.tcpstat.tcps_connects, 1);
    let so = tcp_accept(st, l).unwrap();
    let tp = sototcpcb(st, so).unwrap();
    assert_eq!(st.tp(tp).t_maxseg, 512, "the peer's MSS");
    // Data in order: header prediction.
    let mut d = Seg::new(80, seq, ack, TH_ACK | TH_PUSH);
    d.data = b"hello".to_vec();
    let out = inject(&mut sim, &d.bytes());
    assert!(out.is_empty(), "the ACK is delayed");
    let st = &mut sim.st[1];
    assert_eq!(st.tcpstat.tcps_preddat, 1);
    assert!(st.tp(tp).t_flags & TF_DELACK != 0);
    assert_eq!(tcp_recv(st, so).unwrap(), b"hello");
    close_all(&mut sim);
}

#[test]
fn out_of_order_data_is_acked_at_once_and_queued() {
    let mut sim = station();
    let (l, seq, ack) = handshake(&mut sim, Vec::new());
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    let mut d = Seg::new(80, seq + 5, ack, TH_ACK);
    d.data = b"world".to_vec();
    let out = inject(&mut sim, &d.bytes());
    assert_eq!(out.len(), 1, "an immediate ACK");
    let (th, _) = tcp_of(&out[0]).unwrap();
    assert_eq!(th.th_ack, seq);
    assert_eq!(sim.st[1].tcpstat.tcps_rcvoopack, 1);
    d.seq = seq;
    d.data = b"hello".to_vec();
    let out = inject(&mut sim, &d.bytes());
    let (th, _) = tcp_of(&out[0]).unwrap();
    assert_eq!(th.th_ack, seq + 10);
    assert_eq!(tcp_recv(&mut sim.st[1], so).unwrap(), b"helloworld");
    close_all(&mut sim);
}

#[test]
fn syn_with_ack_to_a_listener_gets_a_rst_and_no_socket() {
    let mut sim = station();
    let l = tcp_listen(&mut sim.st[1], 80, 5);
    let out = inject(&mut sim, &Seg::new(80, 1000, 555, TH_ACK).bytes());
    let (th, _) = tcp_of(&out[0]).unwrap();
    assert_eq!((th.th_flags & TH_RST, th.th_seq), (TH_RST, 555));
    assert!(inject(&mut sim, &Seg::new(80, 1000, 0, TH_FIN).bytes()).is_empty());
    assert_eq!(sim.st[1].so(l).so_q0len() + sim.st[1].so(l).so_qlen(), 0);
    assert_eq!(sim.st[1].tcpcbs.len(), 1);
    close_all(&mut sim);
}

#[test]
fn options_of_the_syn_are_recorded() {
    let mut sim = station();
    let l = tcp_listen(&mut sim.st[1], 80, 5);
    let mut syn = Seg::new(80, 1000, 0, TH_SYN);
    syn.opts = vec![
        TCPOPT_MAXSEG,
        4,
        0x05,
        0xb4, // MSS 1460
        TCPOPT_NOP,
        TCPOPT_WINDOW,
        3,
        20, // scale 20 → 14
        TCPOPT_SACK_PERMITTED,
        2, // SACK permitted
        TCPOPT_TIMESTAMP,
        10,
        0,
        0,
        0,
        42,
        0,
        0,
        0,
        0, // TSval 42
        TCPOPT_NOP,
        TCPOPT_NOP,
    ];
    syn_to_listener(&mut sim, &syn);
    let st = &mut sim.st[1];
    let tp = conn_tp(st);
    let t = st.tp(tp);
    assert_eq!(t.t_maxseg, 1460);
    assert_eq!(t.requested_s_scale, 14);
    let f = TF_RCVD_SCALE | TF_RCVD_TSTMP | TF_SACK_PERMIT;
    assert_eq!(t.t_flags & f, f);
    assert_eq!(t.ts_recent, 42);
    let _ = l;
    close_all(&mut sim);
}

#[test]
fn malformed_options_are_ignored_safely() {
    let mut sim = station();
    let st = &mut sim.st[1];
    let (so, tp) = fake_tcpcb(st);
    let mut ts = TcpTs::default();
    for opts in [
        &[TCPOPT_MAXSEG, 0, 1, 2][..],
        &[TCPOPT_MAXSEG, 40, 1, 2],
        &[TCPOPT_MAXSEG, 1],
        &[TCPOPT_WINDOW, 4, 7, 0],
        &[TCPOPT_TIMESTAMP, 10, 1, 2, 3],
        &[99, 255],
        &[TCPOPT_NOP, TCPOPT_NOP, TCPOPT_NOP, 7],
    ] {
        tcp_dooptions(st, tp, opts, TH_SYN, &mut ts);
    }
    let t = st.tp(tp);
    assert!(!ts.present);
    assert_eq!((t.t_maxseg, t.t_flags), (TCP_MSS, 0));
    // A timestamp after a NOP, outside a SYN: seen, ts_recent left.
    tcp_dooptions(st, tp, &[1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 3], TH_ACK, &mut ts);
    assert!(ts.present && ts.val == 9 && ts.ecr == 3);
    assert_eq!(st.tp(tp).ts_recent, 0);
    free_fake(st, so, tp);
}

// ---------------------------------------------------------------------
// PAWS (figures 28.22-28.23).

#[test]
fn paws_drops_old_duplicates() {
    let mut sim = station();
    let ts = |v: u32, e: u32| {
        let mut o = vec![TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, 10];
        o.extend_from_slice(&v.to_be_bytes());
        o.extend_from_slice(&e.to_be_bytes());
        o
    };
    let (l, seq, ack) = handshake(&mut sim, ts(1000, 0));
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    let tp = sototcpcb(&mut sim.st[1], so).unwrap();
    let mut d = Seg::new(80, seq, ack, TH_ACK);
    d.opts = ts(1001, 0);
    d.data = b"new".to_vec();
    inject(&mut sim, &d.bytes());
    assert_eq!(sim.st[1].tp(tp).ts_recent, 1001);
    // An older timestamp on the next data: dropped and ACKed.
    d.seq = seq + 3;
    d.opts = ts(500, 0);
    d.data = b"old".to_vec();
    let out = inject(&mut sim, &d.bytes());
    assert_eq!(out.len(), 1);
    let st = &mut sim.st[1];
    assert_eq!(st.tcpstat.tcps_pawsdrop, 1);
    assert_eq!(tcp_recv(st, so).unwrap(), b"new");
    // After 24 days idle, ts_recent no longer counts.
    st.tcp.tcp_now = st.tcp.tcp_now.wrapping_add(TCP_PAWS_IDLE + 1);
    inject(&mut sim, &d.bytes());
    let st = &mut sim.st[1];
    assert_eq!(st.tcpstat.tcps_pawsdrop, 1);
    assert_eq!(tcp_recv(st, so).unwrap(), b"old");
    close_all(&mut sim);
}

// ---------------------------------------------------------------------
// RST and SYN in the window (figure 28.36; RFC 5961).

#[test]
fn rst_in_window_but_not_next_gets_a_challenge_ack() {
    for challenge in [true, false] {
        let mut sim = station();
        sim.st[1].tcp.tcp_challenge_ack = challenge;
        let (l, seq, ack) = handshake(&mut sim, Vec::new());
        let so = tcp_accept(&mut sim.st[1], l).unwrap();
        let out = inject(&mut sim, &Seg::new(80, seq + 100, 0, TH_RST).bytes());
        if challenge {
            assert_eq!(out.len(), 1);
            let (th, _) = tcp_of(&out[0]).unwrap();
            assert_eq!((th.th_flags & (TH_ACK | TH_RST), th.th_ack), (TH_ACK, seq));
            assert_eq!(sim.st[1].tcpstat.tcps_challengeack, 1);
            assert!(sototcpcb(&mut sim.st[1], so).is_some());
            // A SYN too.
            let out = inject(&mut sim, &Seg::new(80, seq + 10, 0, TH_SYN).bytes());
            let (th, _) = tcp_of(&out[0]).unwrap();
            assert_eq!(th.th_flags & (TH_ACK | TH_RST), TH_ACK);
            assert_eq!(sim.st[1].tcpstat.tcps_challengeack, 2);
            // The RST at rcv_nxt closes.
            assert!(inject(&mut sim, &Seg::new(80, seq, 0, TH_RST).bytes()).is_empty());
        } else {
            assert!(out.is_empty());
        }
        assert!(sototcpcb(&mut sim.st[1], so).is_none(), "closed");
        assert_eq!(sim.st[1].so(so).so_error, bsdinet::bsd::sys::errno::ECONNRESET);
        let _ = ack;
        close_all(&mut sim);
    }
}

#[test]
fn an_old_duplicate_syn_gets_a_challenge_ack_only_by_rfc_5961() {
    for challenge in [true, false] {
        let mut sim = station();
        sim.st[1].tcp.tcp_challenge_ack = challenge;
        let (l, seq, _ack) = handshake(&mut sim, Vec::new());
        let so = tcp_accept(&mut sim.st[1], l).unwrap();
        // The SYN that opened the connection, again: left of the window.
        let out = inject(&mut sim, &Seg::new(80, seq.wrapping_sub(1), 0, TH_SYN).bytes());
        if challenge {
            assert_eq!(out.len(), 1);
            let (th, _) = tcp_of(&out[0]).unwrap();
            assert_eq!((th.th_flags & (TH_ACK | TH_RST), th.th_ack), (TH_ACK, seq));
            assert_eq!(sim.st[1].tcpstat.tcps_challengeack, 1);
        } else {
            // The book: trimmed to nothing and, without ACK, dropped.
            assert!(out.is_empty());
            assert_eq!(sim.st[1].tcpstat.tcps_rcvbadflags, 1);
        }
        assert!(sototcpcb(&mut sim.st[1], so).is_some());
        close_all(&mut sim);
    }
}

#[test]
fn a_rst_outside_the_window_is_dropped() {
    let mut sim = station();
    let (l, seq, _ack) = handshake(&mut sim, Vec::new());
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    for s in [seq.wrapping_sub(1), seq + 1_000_000] {
        assert!(inject(&mut sim, &Seg::new(80, s, 0, TH_RST).bytes()).is_empty());
    }
    assert!(sototcpcb(&mut sim.st[1], so).is_some());
    close_all(&mut sim);
}

// ---------------------------------------------------------------------
// The pieces, on a control block made by hand.

/// A control block hung off a UDP socket's PCB, ESTABLISHED (so that
/// nothing of TCP's user side is needed).
fn fake_tcpcb(st: &mut Stack) -> (usize, usize) {
    let so = socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 7).unwrap();
    let inp = st.so(so).so_pcb.unwrap();
    let mut t = Tcpcb::new(inp);
    t.t_state = TCPS_ESTABLISHED;
    t.t_rttmin = TCPTV_MIN;
    let tp = st.tcpcbs.insert(t).unwrap();
    (so, tp)
}

fn free_fake(st: &mut Stack, so: usize, tp: usize) {
    let mut t = st.tcpcbs.remove(tp).unwrap();
    while let Some(r) = t.t_segq.pop() {
        m_freem(&mut st.mbpool, r.m);
    }
    soclose(st, so);
    assert_no_leaks(st);
}

/// The data in the receive buffer of `so`.
fn rcvbuf(st: &mut Stack, so: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for r in st.so(so).so_rcv.sb_mb.iter() {
        if let Some(d) = &r.data {
            for s in d.segments() {
                v.extend_from_slice(s);
            }
        }
    }
    v
}

#[test]
fn the_rtt_estimators_follow_the_book() {
    // Section 25.10: a first sample of 3 ticks (t_rtt counts from 1, so
    // 4): srtt = 4 scaled by 8, rttvar = 2 scaled by 4, RTO = srtt +
    // 4 * rttvar ticks (the unscaled sum the macro takes).
    let mut st = stack();
    let (so, tp) = fake_tcpcb(&mut st);
    tcp_xmit_timer(&mut st, tp, 4);
    let t = st.tp(tp);
    assert_eq!((t.t_srtt, t.t_rttvar, t.t_rxtcur), (32, 8, 12));
    // Then samples of 1 (figure 25.28's steady state): srtt falls by an
    // eighth of the error each time, rttvar by a quarter of its own.
    tcp_xmit_timer(&mut st, tp, 1);
    let t = st.tp(tp);
    // delta = 1 - 1 - 4 = -4: srtt 28; |delta| 4 - 8/4 = 2: rttvar 10.
    assert_eq!((t.t_srtt, t.t_rttvar), (28, 10));
    assert_eq!(t.t_rxtcur, (28 >> 3) + 10);
    for _ in 0..100 {
        tcp_xmit_timer(&mut st, tp, 1);
    }
    // The fixed point's bias (the book's comment in figure 25.26): a
    // measured 0 leaves srtt at 7/8 and rttvar at 3/4 of a tick, an RTO
    // of 3 ticks, above t_rttmin.
    let t = st.tp(tp);
    assert_eq!((t.t_srtt, t.t_rttvar, t.t_rxtcur), (7, 3, 3));
    t.t_rttmin = 5;
    tcp_xmit_timer(&mut st, tp, 1);
    let t = st.tp(tp);
    assert_eq!(t.t_rxtcur, 5, "kept to t_rttmin");
    // Samples reset the backoff and the soft error.
    t.t_rxtshift = 5;
    t.t_softerror = 60;
    tcp_xmit_timer(&mut st, tp, 1_000_000);
    let t = st.tp(tp);
    assert_eq!((t.t_rxtshift, t.t_softerror, t.t_rtt), (0, 0, 0));
    assert_eq!(t.t_rxtcur, TCPTV_REXMTMAX);
    assert_eq!(st.tcpstat.tcps_rttupdated, 104);
    free_fake(&mut st, so, tp);
}

#[test]
fn tcp_mss_from_the_interface_mtu() {
    let mut sim = station();
    let st = &mut sim.st[1];
    let (so, tp) = fake_tcpcb(st);
    // No peer yet: the default.
    assert_eq!(tcp_mss(st, tp, 0), 512);
    soconnect(st, so, &sin(addr(0), 99)).unwrap();
    // MTU 1500: 1460 to offer, t_maxseg kept at 512 without an offer.
    assert_eq!(tcp_mss(st, tp, 0), 1460);
    assert_eq!((st.tp(tp).t_maxseg, st.tp(tp).snd_cwnd), (512, 1460));
    // The peer's offer, and buffers in multiples of it.
    assert_eq!(tcp_mss(st, tp, 1000), 1000);
    assert_eq!(st.tp(tp).t_maxseg, 1000);
    assert_eq!(st.so(so).so_snd.sb_hiwat % 1000, 0);
    assert_eq!(st.so(so).so_rcv.sb_hiwat % 1000, 0);
    // Never under 32.
    assert_eq!(tcp_mss(st, tp, 1), 32);
    // A large MTU rounds down to clusters (FDDI's 4352 gives 4096).
    let ifp = sim.ifp[1];
    sim.st[1].ifp(ifp).if_data.ifi_mtu = 4352;
    let st = &mut sim.st[1];
    st.tp(tp).t_maxseg = 65535;
    assert_eq!(tcp_mss(st, tp, 0), 4096);
    free_fake(st, so, tp);
}

/// Delivers the pieces of a stream through `tcp_reass` after the trim
/// to `rcv_nxt` that tcp_input makes, checking the queue after each.
fn reass_stream(base: u32, n: usize, pieces: &[(usize, usize)]) -> (Vec<u8>, bool) {
    let mut st = stack();
    let (so, tp) = fake_tcpcb(&mut st);
    st.so(so).so_rcv.sbreserve(200_000, SB_MAX).unwrap();
    st.tp(tp).rcv_nxt = base;
    let data: Vec<u8> = (0..n).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut fins = 0;
    for &(start, len) in pieces {
        let (start, end) = (start.min(n), (start + len).min(n));
        let fin = end == n;
        if fins > 0 {
            break; // CLOSE_WAIT: tcp_input takes no more data
        }
        let nxt = seq_sub(st.tp(tp).rcv_nxt, base) as usize;
        if end < nxt || (end == nxt && !fin) {
            continue; // a duplicate, trimmed whole by tcp_input
        }
        let start = start.max(nxt);
        let m = m_devget(&mut st.mbpool, &data[start..end], 0, None).unwrap();
        if tcp_reass(
            &mut st,
            tp,
            Some((base.wrapping_add(start as u32), (end - start) as u32, fin, m)),
        ) {
            fins += 1;
        }
        let t = st.tp(tp);
        for w in t.t_segq.windows(2) {
            assert!(
                seq_leq(w[0].seq.wrapping_add(w[0].len as u32), w[1].seq),
                "overlap on the queue"
            );
        }
        for r in t.t_segq.iter() {
            assert_eq!(r.m.m_length(), r.len);
            assert!(seq_gt(r.seq, t.rcv_nxt), "in-order data left on the queue");
        }
    }
    let got = rcvbuf(&mut st, so);
    let complete = seq_sub(st.tp(tp).rcv_nxt, base) as usize == got.len();
    assert!(complete);
    assert_eq!(got[..], data[..got.len()]);
    assert!(fins <= 1);
    let all = got.len() == n;
    if all {
        assert!(st.tp(tp).t_segq.is_empty());
    }
    let (sock, mp) = st.so_mbpool(so);
    sock.so_rcv.sbflush(mp);
    free_fake(&mut st, so, tp);
    (got, all && fins == 1)
}

#[test]
fn reassembly_of_overlapping_pieces() {
    // Figure 27.18's kinds of overlap: before, after, inside, around.
    let (got, fin) = reass_stream(0, 30, &[(10, 5), (12, 10), (5, 7), (0, 3), (25, 5), (2, 30)]);
    assert_eq!(got.len(), 30);
    assert!(fin);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any segmentation, order, duplication and overlap of a stream is
    /// delivered exactly once and in order, across the wrap of the
    /// sequence space too, its FIN once.
    #[test]
    fn reassembly_delivers_exactly_once_in_order(
        base in prop_oneof![Just(u32::MAX - 1000), any::<u32>()],
        n in 1usize..3000,
        cuts in proptest::collection::vec(0usize..3000, 0..20),
        extra in proptest::collection::vec((0usize..3000, 1usize..600), 0..20),
        order in any::<u64>(),
    ) {
        let mut c: Vec<usize> = cuts.into_iter().map(|x| x % n).collect();
        c.push(0);
        c.push(n);
        c.sort();
        c.dedup();
        let mut pieces: Vec<(usize, usize)> = c.windows(2).map(|w| (w[0], w[1] - w[0])).collect();
        pieces.extend(extra.into_iter().map(|(s, l)| (s % n, l)));
        // A deterministic shuffle.
        let mut r = order | 1;
        for i in (1..pieces.len()).rev() {
            r ^= r << 13; r ^= r >> 7; r ^= r << 17;
            pieces.swap(i, (r % (i as u64 + 1)) as usize);
        }
        let (got, fin) = reass_stream(base, n, &pieces);
        prop_assert_eq!(got.len(), n);
        prop_assert!(fin);
    }
}

// ---------------------------------------------------------------------
// End to end, two stations (`tcpsim`).

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed) ^ (i >> 8) as u8).collect()
}

fn shut_down(sim: &mut Sim, socks: &[(usize, usize)]) {
    for &(i, so) in socks {
        let s = sim.st[i].so(so);
        s.so_options |= SO_LINGER;
        s.so_linger = 0;
        soclose(&mut sim.st[i], so);
    }
    sim.run();
    assert!(sim.until(2000, |s| s.st[0].tcpcbs.is_empty() && s.st[1].tcpcbs.is_empty()));
    for st in &sim.st {
        assert_no_leaks(st);
    }
}

#[test]
fn bulk_data_takes_the_header_prediction_paths() {
    let mut sim = Sim::new(1500, 11);
    let (l, c, s) = sim.connection(80);
    let x = pattern(200_000, 1);
    assert_eq!(sim.transfer(c, s, &x, 5000), x);
    // The receiver saw data in order, the sender pure ACKs.
    assert!(sim.st[1].tcpstat.tcps_preddat > 50, "{:?}", sim.st[1].tcpstat);
    assert!(sim.st[0].tcpstat.tcps_predack > 20, "{:?}", sim.st[0].tcpstat);
    assert_eq!(sim.st[1].tcpstat.tcps_rcvbyte, 200_000);
    shut_down(&mut sim, &[(0, c), (1, s), (1, l)]);
}

#[test]
fn a_lost_segment_is_fast_retransmitted() {
    let mut sim = Sim::new(1500, 12);
    let (l, c, s) = sim.connection(80);
    // Open the congestion window first.
    let warm = pattern(60_000, 2);
    assert_eq!(sim.transfer(c, s, &warm, 2000), warm);
    // Lose the first data segment of what follows, once.
    let mut lost = false;
    sim.drop_if = Some(Box::new(move |from, b| {
        if from == 0 && !lost && tcp_of(b).is_some_and(|(_, len)| len > 0) {
            lost = true;
            return true;
        }
        false
    }));
    let x = pattern(60_000, 3);
    let before = sim.st[0].tcpstat.tcps_rexmttimeo;
    assert_eq!(sim.transfer(c, s, &x, 2000), x);
    let st = &sim.st[0].tcpstat;
    assert_eq!(st.tcps_sndrexmitfast, 1, "{st:?}");
    assert_eq!(st.tcps_rexmttimeo, before, "recovered without a timeout");
    assert!(st.tcps_rcvdupack >= 3);
    assert!(sim.st[1].tcpstat.tcps_rcvoopack > 0);
    shut_down(&mut sim, &[(0, c), (1, s), (1, l)]);
}

#[test]
fn urgent_data_goes_out_of_band() {
    let mut sim = Sim::new(1500, 13);
    let (l, c, s) = sim.connection(80);
    tcp_send(&mut sim.st[0], c, b"abc");
    let (n, r) = send_some(&mut sim.st[0], c, b"XYZ!", MSG_OOB);
    assert_eq!((n, r), (4, Ok(())));
    sim.run();
    let st = &mut sim.st[1];
    // The mark is after "abcXYZ": the urgent byte "!" is out of band.
    assert_eq!(st.so(s).so_oobmark, 6);
    let (oob, _) = recv(st, s, 1, MSG_OOB).unwrap();
    assert_eq!(oob, b"!");
    let tp = sototcpcb(st, s).unwrap();
    assert!(st.tp(tp).t_oobflags & TCPOOB_HADDATA != 0);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.extend(tcp_recv(st, s).unwrap_or_default());
    }
    assert_eq!(got, b"abcXYZ");
    shut_down(&mut sim, &[(0, c), (1, s), (1, l)]);
}

#[test]
fn urgent_data_inline_stays_in_the_stream() {
    let mut sim = Sim::new(1500, 14);
    let l = tcp_listen(&mut sim.st[1], 80, 5);
    sim.st[1].so(l).so_options |= SO_OOBINLINE;
    let c = tcp_connect(&mut sim.st[0], addr(1), 80);
    assert!(sim.until(100, |s| s.st[1].so(l).so_qlen() > 0));
    let s = tcp_accept(&mut sim.st[1], l).unwrap();
    assert_eq!(send_some(&mut sim.st[0], c, b"ab!", MSG_OOB).1, Ok(()));
    sim.run();
    assert_eq!(tcp_recv(&mut sim.st[1], s).unwrap(), b"ab");
    assert_eq!(tcp_recv(&mut sim.st[1], s).unwrap(), b"!");
    shut_down(&mut sim, &[(0, c), (1, s), (1, l)]);
}

#[test]
fn window_scaling_is_agreed_when_both_ask() {
    for rfc1323 in [true, false] {
        let mut sim = Sim::new(1500, 15);
        for st in sim.st.iter_mut() {
            st.tcp.tcp_do_rfc1323 = rfc1323;
            st.tcp.tcp_recvspace = 200_000;
            st.tcp.tcp_sendspace = 200_000;
        }
        let (l, c, s) = sim.connection(80);
        for (i, so) in [(0, c), (1, s)] {
            let st = &mut sim.st[i];
            let tp = sototcpcb(st, so).unwrap();
            let t = st.tp(tp);
            let want = if rfc1323 { 2 } else { 0 };
            assert_eq!((t.snd_scale, t.rcv_scale), (want, want), "station {i}");
            assert_eq!(t.t_flags & TF_RCVD_TSTMP != 0, rfc1323);
        }
        let x = pattern(300_000, 4);
        assert_eq!(sim.transfer(c, s, &x, 5000), x);
        if rfc1323 {
            // The peer's window, unscaled, is more than 16 bits hold.
            let tp = sototcpcb(&mut sim.st[0], c).unwrap();
            assert!(sim.st[0].tp(tp).max_sndwnd > 65535);
        }
        shut_down(&mut sim, &[(0, c), (1, s), (1, l)]);
    }
}

#[test]
fn a_new_syn_ends_time_wait() {
    let mut sim = Sim::new(1500, 16);
    let (l, c, s) = sim.connection(80);
    let inp = sim.st[0].so(c).so_pcb.unwrap();
    let port = sim.st[0].pcb(inp).inp_lport;
    // The server closes first and waits in TIME_WAIT.
    soclose(&mut sim.st[1], s);
    sim.run();
    soclose(&mut sim.st[0], c);
    sim.run();
    assert_eq!(sim.st[1].tcpcbs.len(), 2, "the listener and TIME_WAIT");
    let tw = sim.st[1]
        .tcpcbs
        .iter()
        .find(|(_, t)| t.t_state == TCPS_TIME_WAIT)
        .map(|(i, _)| i)
        .expect("TIME_WAIT");
    let old_nxt = sim.st[1].tp(tw).snd_nxt;
    // The same 4-tuple again a second later, with higher sequence
    // numbers (RFC 6528's clock moved on).
    sim.ticks(10);
    let c2 = common::tcpsim::tcp_socket(&mut sim.st[0]);
    sobind(&mut sim.st[0], c2, &sin(0, port)).unwrap();
    soconnect(&mut sim.st[0], c2, &sin(addr(1), 80)).unwrap();
    sim.run();
    assert!(connected(&mut sim.st[0], c2), "the new connection is up");
    let s2 = tcp_accept(&mut sim.st[1], l).expect("accepted");
    let tp = sototcpcb(&mut sim.st[1], s2).unwrap();
    assert_eq!(sim.st[1].tp(tp).iss, old_nxt.wrapping_add(TCP_ISSINCR));
    assert!(!sim.st[1].tcpcbs.iter().any(|(_, t)| t.t_state == TCPS_TIME_WAIT));
    shut_down(&mut sim, &[(0, c2), (1, s2), (1, l)]);
}

#[test]
fn a_reset_while_established_reports_econnreset() {
    let mut sim = Sim::new(1500, 17);
    let (l, c, s) = sim.connection(80);
    let ts0 = sim.st[1].tcpstat.tcps_drops;
    let st = &mut sim.st[0];
    let so = st.so(c);
    so.so_options |= SO_LINGER;
    so.so_linger = 0;
    soclose(st, c);
    sim.run();
    assert_eq!(sim.st[1].so(s).so_error, bsdinet::bsd::sys::errno::ECONNRESET);
    assert_eq!(sim.st[1].tcpstat.tcps_drops, ts0 + 1);
    assert!(sototcpcb(&mut sim.st[1], s).is_none());
    shut_down(&mut sim, &[(1, s), (1, l)]);
}

// ---------------------------------------------------------------------
// More by hand: trimming, ACK processing, the FIN states, the trace.

/// The ACK station 1 sent, if exactly one segment.
fn one_ack(out: &[Vec<u8>]) -> Tcphdr {
    assert_eq!(out.len(), 1, "one segment");
    tcp_of(&out[0]).unwrap().0
}

#[test]
fn duplicate_and_partly_duplicate_data_is_trimmed() {
    let mut sim = station();
    let (l, seq, ack) = handshake(&mut sim, Vec::new());
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    let mut d = Seg::new(80, seq, ack, TH_ACK);
    d.data = b"0123456789".to_vec();
    inject(&mut sim, &d.bytes());
    // All of it again: a duplicate, ACKed at once.
    let th = one_ack(&inject(&mut sim, &d.bytes()));
    assert_eq!(th.th_ack, seq + 10);
    assert_eq!((sim.st[1].tcpstat.tcps_rcvduppack, sim.st[1].tcpstat.tcps_rcvdupbyte), (1, 10));
    // Half old, half new.
    d.seq = seq + 5;
    d.data = b"56789abcde".to_vec();
    inject(&mut sim, &d.bytes());
    let st = &sim.st[1].tcpstat;
    assert_eq!((st.tcps_rcvpartduppack, st.tcps_rcvpartdupbyte), (1, 5));
    assert_eq!(tcp_recv(&mut sim.st[1], so).unwrap(), b"0123456789abcde");
    close_all(&mut sim);
}

#[test]
fn data_beyond_the_window_is_trimmed_and_a_probe_taken() {
    let mut sim = station();
    let (l, seq, ack) = handshake(&mut sim, Vec::new());
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    let wnd = sim.st[1].so(so).so_rcv.sbspace() as u32;
    // A segment that runs 100 bytes past the window: those are cut.
    let mut d = Seg::new(80, seq, ack, TH_ACK | TH_FIN);
    d.data = vec![b'x'; wnd as usize + 100];
    d.data.truncate(1400);
    let n = d.data.len() as u32;
    if n > wnd {
        inject(&mut sim, &d.bytes());
        let st = &sim.st[1].tcpstat;
        assert_eq!((st.tcps_rcvpackafterwin, st.tcps_rcvbyteafterwin), (1, u64::from(n - wnd)));
    }
    // Entirely after the window: dropped, ACKed.
    let tp = sototcpcb(&mut sim.st[1], so).unwrap();
    let (nxt, w) = (sim.st[1].tp(tp).rcv_nxt, sim.st[1].tp(tp).rcv_wnd);
    let mut far = Seg::new(80, nxt.wrapping_add(w).wrapping_add(10), ack, TH_ACK);
    far.data = b"far".to_vec();
    let th = one_ack(&inject(&mut sim, &far.bytes()));
    assert_eq!(th.th_ack, nxt);
    let _ = seq;
    close_all(&mut sim);
}

#[test]
fn an_ack_for_data_never_sent_is_answered_and_dropped() {
    let mut sim = station();
    let (l, seq, ack) = handshake(&mut sim, Vec::new());
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    let mut d = Seg::new(80, seq, ack + 1000, TH_ACK);
    d.data = b"data".to_vec();
    let th = one_ack(&inject(&mut sim, &d.bytes()));
    assert_eq!((th.th_seq, th.th_ack), (ack, seq), "our state, the data not taken");
    assert_eq!(sim.st[1].tcpstat.tcps_rcvacktoomuch, 1);
    assert_eq!(tcp_recv(&mut sim.st[1], so), Err(bsdinet::bsd::sys::errno::EWOULDBLOCK));
    close_all(&mut sim);
}

#[test]
fn a_window_update_is_counted_and_recorded() {
    let mut sim = station();
    let (_l, seq, ack) = handshake(&mut sim, Vec::new());
    let tp = conn_tp(&mut sim.st[1]);
    let mut u = Seg::new(80, seq, ack, TH_ACK);
    u.win = 20000;
    inject(&mut sim, &u.bytes());
    let t = sim.st[1].tp(tp);
    assert_eq!((t.snd_wnd, t.max_sndwnd, t.snd_wl1, t.snd_wl2), (20000, 20000, seq, ack));
    assert_eq!(sim.st[1].tcpstat.tcps_rcvwinupd, 1);
    // An older segment does not take the window back.
    u.seq = seq.wrapping_sub(1);
    u.win = 100;
    inject(&mut sim, &u.bytes());
    assert_eq!(sim.st[1].tp(tp).snd_wnd, 20000);
    close_all(&mut sim);
}

#[test]
fn the_peer_closing_first_goes_to_close_wait_then_last_ack() {
    let mut sim = station();
    let (l, seq, ack) = handshake(&mut sim, Vec::new());
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    let th = one_ack(&inject(&mut sim, &Seg::new(80, seq, ack, TH_ACK | TH_FIN).bytes()));
    assert_eq!(th.th_ack, seq + 1, "the FIN acknowledged at once");
    let tp = sototcpcb(&mut sim.st[1], so).unwrap();
    assert_eq!(sim.st[1].tp(tp).t_state, TCPS_CLOSE_WAIT);
    assert_eq!(tcp_recv(&mut sim.st[1], so), Ok(Vec::new()), "end of file");
    // Our close sends our FIN; its ACK ends the connection.
    soclose(&mut sim.st[1], so);
    let (fin, _) = tcp_of(&drain(&mut sim.st[1])[0]).unwrap();
    assert_eq!(fin.th_flags & TH_FIN, TH_FIN);
    assert_eq!(sim.st[1].tp(tp).t_state, TCPS_LAST_ACK);
    inject(&mut sim, &Seg::new(80, seq + 1, fin.th_seq + 1, TH_ACK).bytes());
    assert!(sim.st[1].tcpcbs.get(tp).is_none_or(|t| t.t_state == TCPS_LISTEN));
    assert_eq!(sim.st[1].tcpcbs.len(), 1, "only the listener");
    let _ = l;
    close_all(&mut sim);
}

#[test]
fn closing_first_goes_through_fin_wait_to_time_wait() {
    let mut sim = station();
    sim.st[1].tcp.tcp_msl = 3;
    let (l, seq, _ack) = handshake(&mut sim, Vec::new());
    let so = tcp_accept(&mut sim.st[1], l).unwrap();
    let tp = sototcpcb(&mut sim.st[1], so).unwrap();
    soclose(&mut sim.st[1], so);
    let (fin, _) = tcp_of(&drain(&mut sim.st[1])[0]).unwrap();
    assert_eq!(sim.st[1].tp(tp).t_state, TCPS_FIN_WAIT_1);
    // The FIN acknowledged: FIN_WAIT_2, and as the socket is gone, the
    // timer that keeps it from waiting for ever.
    inject(&mut sim, &Seg::new(80, seq, fin.th_seq + 1, TH_ACK).bytes());
    let st = &mut sim.st[1];
    assert_eq!(st.tp(tp).t_state, TCPS_FIN_WAIT_2);
    let maxidle = st.tcp.tcp_keepcnt * st.tcp.tcp_keepintvl;
    assert_eq!(st.tp(tp).t_timer[TCPT_2MSL], maxidle);
    // The peer's FIN: TIME_WAIT for 2MSL, ACKed.
    let th =
        one_ack(&inject(&mut sim, &Seg::new(80, seq, fin.th_seq + 1, TH_ACK | TH_FIN).bytes()));
    assert_eq!(th.th_ack, seq + 1);
    let st = &mut sim.st[1];
    assert_eq!(st.tp(tp).t_state, TCPS_TIME_WAIT);
    assert_eq!(st.tp(tp).t_timer, [0, 0, 0, 6]);
    // The FIN again: ACKed again. (The book's restart of the 2MSL timer
    // in figure 29.25 is never reached: the duplicate FIN is trimmed
    // off first, figure 28.25.)
    st.tp(tp).t_timer[TCPT_2MSL] = 1;
    let th =
        one_ack(&inject(&mut sim, &Seg::new(80, seq, fin.th_seq + 1, TH_ACK | TH_FIN).bytes()));
    assert_eq!(th.th_ack, seq + 1);
    assert_eq!(sim.st[1].tp(tp).t_state, TCPS_TIME_WAIT);
    close_all(&mut sim);
}

#[test]
fn the_debug_trace_records_input_and_drops() {
    let mut sim = station();
    let l = tcp_listen(&mut sim.st[1], 80, 5);
    sim.st[1].so(l).so_options |= SO_DEBUG;
    syn_to_listener(&mut sim, &Seg::new(80, 1000, 0, TH_SYN));
    // A segment without ACK for the new connection is dropped.
    inject(&mut sim, &Seg::new(80, 1001, 0, 0).bytes());
    use bsdinet::bsd::netinet::tcp_debug::{TA_DROP, TA_INPUT};
    let acts: Vec<(u8, i16, i16)> = sim.st[1]
        .tcp_debug
        .entries
        .iter()
        .filter(|e| e.td_act == TA_INPUT || e.td_act == TA_DROP)
        .map(|e| (e.td_act, e.td_ostate, e.td_cb.t_state))
        .collect();
    assert!(acts.contains(&(TA_INPUT, TCPS_LISTEN, TCPS_SYN_RECEIVED)), "{acts:?}");
    assert!(acts.contains(&(TA_DROP, TCPS_SYN_RECEIVED, TCPS_SYN_RECEIVED)), "{acts:?}");
    assert_eq!(sim.st[1].tcpstat.tcps_rcvbadflags, 1);
    close_all(&mut sim);
}

#[test]
fn syn_sent_answers() {
    // A bad ACK gets a RST at its number; a RST with a good ACK refuses
    // the connection; a SYN|ACK establishes it with the window scale.
    let mut sim = station();
    let so = tcp_connect(&mut sim.st[1], addr(0), 1234);
    let (syn, _) = tcp_of(&drain(&mut sim.st[1])[0]).unwrap();
    assert_eq!(syn.th_flags, TH_SYN);
    let mut bad = Seg::new(80, 5000, syn.th_seq.wrapping_add(99), TH_SYN | TH_ACK);
    bad.sport = 1234;
    bad.dport = syn.th_sport;
    let th = one_ack(&inject(&mut sim, &bad.bytes()));
    assert_eq!((th.th_flags & TH_RST, th.th_seq), (TH_RST, syn.th_seq.wrapping_add(99)));
    let mut ok = bad.clone();
    ok.ack = syn.th_seq.wrapping_add(1);
    ok.opts = vec![TCPOPT_MAXSEG, 4, 0x02, 0x18, TCPOPT_NOP, TCPOPT_WINDOW, 3, 1];
    let out = inject(&mut sim, &ok.bytes());
    let th = one_ack(&out);
    assert_eq!((th.th_flags & (TH_ACK | TH_SYN), th.th_ack), (TH_ACK, 5001));
    assert!(connected(&mut sim.st[1], so));
    let tp = sototcpcb(&mut sim.st[1], so).unwrap();
    let t = sim.st[1].tp(tp);
    assert_eq!((t.t_state, t.t_maxseg, t.snd_scale), (TCPS_ESTABLISHED, 536, 1));
    close_all(&mut sim);

    let mut sim = station();
    let so = tcp_connect(&mut sim.st[1], addr(0), 1234);
    let (syn, _) = tcp_of(&drain(&mut sim.st[1])[0]).unwrap();
    let mut rst = Seg::new(syn.th_sport, 0, syn.th_seq.wrapping_add(1), TH_RST | TH_ACK);
    rst.sport = 1234;
    assert!(inject(&mut sim, &rst.bytes()).is_empty());
    assert_eq!(sim.st[1].so(so).so_error, bsdinet::bsd::sys::errno::ECONNREFUSED);
    close_all(&mut sim);
}
