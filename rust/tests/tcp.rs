//! TCP end to end (book chapters 24-30): two stacks on a simulated link
//! (`common/tcpsim.rs`), driven through the socket layer as a program
//! drives them, checked against the states of figure 24.15 and the
//! bytes each side gets.

mod common;
use common::tcpsim::*;
use common::*;

use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::netinet::tcp::*;
use bsdinet::bsd::netinet::tcp_fsm::*;
use bsdinet::bsd::netinet::tcp_var::sototcpcb;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use proptest::prelude::*;

/// The TCP state of socket `so`, CLOSED once its control block is gone.
fn state(st: &mut Stack, so: usize) -> i16 {
    match sototcpcb(st, so) {
        Some(tp) => st.tp(tp).t_state,
        None => TCPS_CLOSED,
    }
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8).collect()
}

/// Sends `a` from `x` to `y` and `b` back, reading both, until all is
/// across or `limit` ticks pass; returns what each side read.
fn exchange(
    sim: &mut Sim,
    x: usize,
    y: usize,
    a: &[u8],
    b: &[u8],
    limit: u64,
) -> (Vec<u8>, Vec<u8>) {
    let (mut sa, mut sb) = (0, 0);
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for _ in 0..limit {
        sa += tcp_send(&mut sim.st[0], x, &a[sa..]);
        sb += tcp_send(&mut sim.st[1], y, &b[sb..]);
        sim.run();
        if let Ok(d) = tcp_recv(&mut sim.st[1], y) {
            rb.extend_from_slice(&d);
        }
        if let Ok(d) = tcp_recv(&mut sim.st[0], x) {
            ra.extend_from_slice(&d);
        }
        if rb.len() == a.len() && ra.len() == b.len() {
            break;
        }
        sim.tick();
    }
    (rb, ra)
}

fn no_leaks(sim: &Sim) {
    for st in &sim.st {
        assert_eq!(st.tcpcbs.len(), 0, "tcpcbs left");
        assert_eq!(st.inpcbs.len(), 0, "PCBs left");
        assert_no_leaks(st);
    }
}

#[test]
fn three_way_handshake_transfer_and_close() {
    let mut sim = Sim::new(1500, 1);
    for st in sim.st.iter_mut() {
        st.tcp.tcp_msl = 2;
    }
    let (l, c, s) = sim.connection(80);
    assert_eq!(state(&mut sim.st[0], c), TCPS_ESTABLISHED);
    assert_eq!(state(&mut sim.st[1], s), TCPS_ESTABLISHED);
    assert_eq!(state(&mut sim.st[1], l), TCPS_LISTEN);
    // SYN, SYN|ACK, ACK with MSS options on the SYNs.
    let a = sim.segments(0);
    let b = sim.segments(1);
    assert_eq!(a[0].0.th_flags, TH_SYN);
    assert_eq!(b[0].0.th_flags, TH_SYN | TH_ACK);
    assert_eq!(b[0].0.th_ack, a[0].0.th_seq.wrapping_add(1));
    assert_eq!(a[1].0.th_flags & (TH_SYN | TH_ACK), TH_ACK);

    let (x, y) = (pattern(100_000, 1), pattern(30_000, 2));
    let (got_b, got_a) = exchange(&mut sim, c, s, &x, &y, 2000);
    assert!(got_b == x && got_a == y, "streams differ");

    // The client closes first: FIN_WAIT_1 → FIN_WAIT_2; the server sees
    // the end (CLOSE_WAIT), closes (LAST_ACK → gone), the client waits
    // in TIME_WAIT for 2MSL.
    soclose(&mut sim.st[0], c);
    sim.run();
    assert_eq!(state(&mut sim.st[0], c), TCPS_FIN_WAIT_2);
    assert_eq!(state(&mut sim.st[1], s), TCPS_CLOSE_WAIT);
    assert_eq!(tcp_recv(&mut sim.st[1], s), Ok(Vec::new()));
    soclose(&mut sim.st[1], s);
    sim.run();
    assert_eq!(state(&mut sim.st[0], c), TCPS_TIME_WAIT);
    assert_eq!(sim.st[1].tcpcbs.len(), 1, "only the listener is left");
    soclose(&mut sim.st[1], l);
    assert!(sim.until(100, |s| s.st[0].tcpcbs.is_empty()), "TIME_WAIT never ended");
    no_leaks(&sim);
    assert!(sim.st[0].tcpstat.tcps_connects >= 1 && sim.st[1].tcpstat.tcps_accepts == 1);
}

#[test]
fn a_syn_to_a_closed_port_is_refused() {
    let mut sim = Sim::new(1500, 2);
    let c = tcp_connect(&mut sim.st[0], addr(1), 9);
    sim.run();
    let b = sim.segments(1);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].0.th_flags & (TH_RST | TH_ACK), TH_RST | TH_ACK);
    assert_eq!(st_error(&mut sim.st[0], c), ECONNREFUSED);
    assert_eq!(state(&mut sim.st[0], c), TCPS_CLOSED);
    soclose(&mut sim.st[0], c);
    no_leaks(&sim);
}

fn st_error(st: &mut Stack, so: usize) -> Errno {
    std::mem::replace(&mut st.so(so).so_error, Errno(0))
}

#[test]
fn half_close_keeps_the_other_direction() {
    let mut sim = Sim::new(1500, 3);
    let (l, c, s) = sim.connection(80);
    soshutdown(&mut sim.st[0], c, SHUT_WR).unwrap();
    sim.run();
    assert_eq!(state(&mut sim.st[0], c), TCPS_FIN_WAIT_2);
    assert_eq!(state(&mut sim.st[1], s), TCPS_CLOSE_WAIT);
    assert_eq!(tcp_recv(&mut sim.st[1], s), Ok(Vec::new()));
    let y = pattern(20_000, 5);
    let mut sent = 0;
    let mut got = Vec::new();
    for _ in 0..500 {
        sent += tcp_send(&mut sim.st[1], s, &y[sent..]);
        sim.run();
        got.extend(tcp_recv(&mut sim.st[0], c).unwrap_or_default());
        if got.len() == y.len() {
            break;
        }
        sim.tick();
    }
    assert_eq!(got, y);
    for so in [s, l] {
        soclose(&mut sim.st[1], so);
    }
    sim.run();
    assert_eq!(state(&mut sim.st[0], c), TCPS_TIME_WAIT);
    soclose(&mut sim.st[0], c);
}

#[test]
fn simultaneous_close_goes_through_closing() {
    let mut sim = Sim::new(1500, 4);
    for st in sim.st.iter_mut() {
        st.tcp.tcp_msl = 2;
    }
    let (l, c, s) = sim.connection(80);
    soclose(&mut sim.st[1], l);
    // Both FINs cross on the wire.
    sim.impair.delay = 1;
    soclose(&mut sim.st[0], c);
    soclose(&mut sim.st[1], s);
    sim.run();
    assert_eq!(state(&mut sim.st[0], c), TCPS_FIN_WAIT_1);
    sim.tick();
    sim.tick();
    let (a, b) = (state(&mut sim.st[0], c), state(&mut sim.st[1], s));
    assert!(a == TCPS_CLOSING || a == TCPS_TIME_WAIT, "{}", tcpstate_name(a));
    assert!(b == TCPS_CLOSING || b == TCPS_TIME_WAIT, "{}", tcpstate_name(b));
    assert!(sim.until(200, |s| s.st[0].tcpcbs.is_empty() && s.st[1].tcpcbs.is_empty()));
    no_leaks(&sim);
}

#[test]
fn simultaneous_open_goes_through_syn_received() {
    let mut sim = Sim::new(1500, 5);
    let a = tcp_socket(&mut sim.st[0]);
    let b = tcp_socket(&mut sim.st[1]);
    sobind(&mut sim.st[0], a, &sin(0, 1000)).unwrap();
    sobind(&mut sim.st[1], b, &sin(0, 2000)).unwrap();
    sim.impair.delay = 1;
    soconnect(&mut sim.st[0], a, &sin(addr(1), 2000)).unwrap();
    soconnect(&mut sim.st[1], b, &sin(addr(0), 1000)).unwrap();
    sim.run();
    sim.tick();
    // Each got the other's SYN while in SYN_SENT.
    assert!(sim.until(50, |s| connected(&mut s.st[0], a) && connected(&mut s.st[1], b)));
    assert_eq!(state(&mut sim.st[0], a), TCPS_ESTABLISHED);
    assert_eq!(state(&mut sim.st[1], b), TCPS_ESTABLISHED);
    sim.impair.delay = 0;
    let (got_b, got_a) = exchange(&mut sim, a, b, b"hello", b"world", 100);
    assert_eq!((got_b.as_slice(), got_a.as_slice()), (&b"hello"[..], &b"world"[..]));
}

#[test]
fn zero_linger_close_resets() {
    let mut sim = Sim::new(1500, 6);
    let (_l, c, s) = sim.connection(80);
    let so = sim.st[0].so(c);
    so.so_options |= SO_LINGER;
    so.so_linger = 0;
    soclose(&mut sim.st[0], c);
    sim.run();
    assert!(sim.segments(0).last().unwrap().0.th_flags & TH_RST != 0);
    assert_eq!(st_error(&mut sim.st[1], s), ECONNRESET);
    assert_eq!(state(&mut sim.st[1], s), TCPS_CLOSED);
    assert!(sim.st[0].tcpcbs.is_empty());
}

#[test]
fn a_full_listen_queue_drops_syns_and_counts_them() {
    let mut sim = Sim::new(1500, 7);
    sim.st[1].somaxconn = 1;
    let _l = tcp_listen(&mut sim.st[1], 80, 1);
    // sonewconn takes 3/2 of the limit + 1... = 2 connections.
    let cs: Vec<usize> = (0..4).map(|_| tcp_connect(&mut sim.st[0], addr(1), 80)).collect();
    sim.run();
    let n = cs.iter().filter(|&&c| connected(&mut sim.st[0], c)).count();
    assert_eq!(n, sonewconn_max(1));
    assert_eq!(sim.st[1].tcpstat.tcps_listendrop, (4 - n) as u64);
}

#[test]
fn tcp_nodelay_and_maxseg_options() {
    let mut sim = Sim::new(1500, 8);
    let (_l, c, _s) = sim.connection(80);
    let st = &mut sim.st[0];
    let mut out = [0u8; 4];
    assert_eq!(sogetopt(st, c, IPPROTO_TCP_LEVEL, TCP_NODELAY, &mut out), Ok(4));
    assert_eq!(i32::from_ne_bytes(out), 0);
    sosetopt(st, c, IPPROTO_TCP_LEVEL, TCP_NODELAY, &1i32.to_ne_bytes()).unwrap();
    sogetopt(st, c, IPPROTO_TCP_LEVEL, TCP_NODELAY, &mut out).unwrap();
    assert_eq!(i32::from_ne_bytes(out), 1);
    sogetopt(st, c, IPPROTO_TCP_LEVEL, TCP_MAXSEG, &mut out).unwrap();
    let mss = i32::from_ne_bytes(out);
    // The MTU less 40 bytes of headers: the book's t_maxseg leaves the
    // options to tcp_output (each segment then carries 1448 bytes of
    // data); Linux would say 1448.
    assert_eq!(mss, 1460);
    assert_eq!(
        sosetopt(st, c, IPPROTO_TCP_LEVEL, TCP_MAXSEG, &(mss + 1).to_ne_bytes()),
        Err(EINVAL)
    );
    sosetopt(st, c, IPPROTO_TCP_LEVEL, TCP_MAXSEG, &536i32.to_ne_bytes()).unwrap();
    assert_eq!(sosetopt(st, c, IPPROTO_TCP_LEVEL, 99, &1i32.to_ne_bytes()), Err(ENOPROTOOPT));
}

const IPPROTO_TCP_LEVEL: i32 = 6;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random writes both ways over a link that loses, duplicates and
    /// reorders: both streams arrive exactly once and in order, both
    /// ends close cleanly, nothing is left.
    #[test]
    fn streams_survive_a_bad_link(seed in 1u64..u64::MAX, loss in 0u32..80, dup in 0u32..50,
                                  reorder in 0u32..100, na in 0usize..40_000, nb in 0usize..20_000) {
        let mut sim = Sim::new(1500, seed);
        for st in sim.st.iter_mut() {
            st.tcp.tcp_msl = 2;
        }
        let (l, c, s) = sim.connection(80);
        sim.impair = Impair { loss, dup, reorder, delay: 1 };
        let (x, y) = (pattern(na, 3), pattern(nb, 4));
        let (got_b, got_a) = exchange(&mut sim, c, s, &x, &y, 20_000);
        prop_assert!(got_b == x, "a→b: {} of {}", got_b.len(), x.len());
        prop_assert!(got_a == y, "b→a: {} of {}", got_a.len(), y.len());
        soclose(&mut sim.st[0], c);
        soclose(&mut sim.st[1], s);
        soclose(&mut sim.st[1], l);
        prop_assert!(sim.until(3000, |s| s.st[0].tcpcbs.is_empty() && s.st[1].tcpcbs.is_empty()));
        for st in &sim.st {
            prop_assert_eq!(st.sockets.len(), 0);
            prop_assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
        }
    }
}

/// The congestion window through slow start, a fast retransmit and fast
/// recovery, then congestion avoidance, read from the SO_DEBUG trace of
/// the sender (every ACK it took, with the control block after it), and
/// checked against the book's rules (figures 29.3-29.7): one segment more
/// per ACK in slow start; at the third duplicate ACK ssthresh is half the
/// window (at least two segments) and cwnd ssthresh plus three segments;
/// one more segment per further duplicate; the ACK of new data deflates
/// cwnd to ssthresh (and, cwnd being no more than ssthresh then, opens it
/// by the segment of slow start); then less than a segment per ACK.
#[test]
fn congestion_window_through_slow_start_fast_retransmit_and_recovery() {
    use bsdinet::bsd::netinet::tcp_debug::{TA_DROP, TA_INPUT};
    let mut sim = Sim::new(1500, 9);
    for st in sim.st.iter_mut() {
        st.tcp.tcp_sendspace = 65536;
        st.tcp.tcp_recvspace = 65536;
    }
    let (_l, c, s) = sim.connection(80);
    sim.st[0].so(c).so_options |= SO_DEBUG;
    let tp = sototcpcb(&mut sim.st[0], c).unwrap();
    let maxseg = u32::from(sim.st[0].tp(tp).t_maxseg);
    let seg = maxseg as usize - 12;
    // Lose the 12th data segment once.
    let mut n = 0;
    sim.drop_if = Some(Box::new(move |from, b| {
        if from == 0 && tcp_of(b).is_some_and(|(_, len)| len > 0) {
            n += 1;
            return n == 12;
        }
        false
    }));
    let x = pattern(40 * seg, 7);
    let mut sent = 0;
    let mut got = Vec::new();
    for _ in 0..200 {
        sent += tcp_send(&mut sim.st[0], c, &x[sent..]);
        sim.run();
        got.extend(tcp_recv(&mut sim.st[1], s).unwrap_or_default());
        if got.len() == x.len() {
            break;
        }
        sim.tick();
    }
    assert!(got == x, "{} of {}", got.len(), x.len());
    assert_eq!(sim.st[0].tcpstat.tcps_sndrexmitfast, 1);
    assert_eq!(sim.st[0].tcpstat.tcps_rexmttimeo, 0, "recovered without a timeout");

    // (cwnd, ssthresh, ack, data length) after each segment taken.
    let d = &sim.st[0].tcp_debug;
    let k = d.entries.len();
    let trace: Vec<_> = (0..k)
        .map(|i| &d.entries[(d.tcp_debx + i) % k])
        // (Duplicate ACKs end at the book's `drop`: traced TA_DROP.)
        .filter(|e| (e.td_act == TA_INPUT || e.td_act == TA_DROP) && e.td_tcb == tp)
        .map(|e| {
            (e.td_cb.snd_cwnd, e.td_cb.snd_ssthresh, e.td_th.unwrap().0.th_ack, e.td_th.unwrap().1)
        })
        .collect();
    assert!(trace.len() > 10, "{trace:?}");
    let (mut prev_cwnd, mut prev_ack) = (maxseg, 0u32);
    let (mut dups, mut recovered, mut ss_steps, mut ca_steps) = (0, false, 0, 0);
    let mut ssthresh_fr = 0;
    for &(cwnd, ssthresh, ack, _) in &trace {
        if prev_ack != 0 && ack == prev_ack {
            dups += 1;
            if dups == 3 {
                let want = (prev_cwnd.min(65535) / 2 / maxseg).max(2) * maxseg;
                assert_eq!(ssthresh, want, "ssthresh at the third duplicate");
                assert_eq!(cwnd, ssthresh + 3 * maxseg, "cwnd at the third duplicate");
                ssthresh_fr = ssthresh;
            } else if dups > 3 {
                assert_eq!(cwnd, prev_cwnd + maxseg, "inflation by a duplicate");
            }
        } else if dups >= 3 && !recovered {
            // Deflated to ssthresh, then this ACK's own increase: cwnd is
            // not above ssthresh, so a whole segment (figure 29.7).
            assert_eq!(cwnd, ssthresh_fr + maxseg, "deflated by the new ACK");
            recovered = true;
            dups = 0;
        } else if prev_ack != 0 {
            dups = 0;
            if !recovered && cwnd <= ssthresh {
                assert_eq!(cwnd, prev_cwnd + maxseg, "slow start: a segment an ACK");
                ss_steps += 1;
            } else if recovered && cwnd > prev_cwnd {
                assert!(cwnd - prev_cwnd < maxseg, "congestion avoidance: less than a segment");
                ca_steps += 1;
            }
        }
        prev_cwnd = cwnd;
        prev_ack = ack;
    }
    assert!(recovered && ss_steps >= 3 && ca_steps >= 1, "{ss_steps} {ca_steps} {trace:?}");
}
