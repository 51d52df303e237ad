//! TCP's timers and output end to end (book chapters 25-27): two stacks
//! on the simulated link of `common/tcpsim.rs`, with links that fail on
//! purpose: retransmission after loss and its timeout, the persist timer
//! against a closed window, keepalives, TIME_WAIT, delayed ACKs, and the
//! route metrics a connection leaves behind.

mod common;
use common::tcpsim::*;
use common::*;

use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::net::route::rtalloc1;
use bsdinet::bsd::netinet::in_::InAddr;
use bsdinet::bsd::netinet::tcp::*;
use bsdinet::bsd::netinet::tcp_fsm::*;
use bsdinet::bsd::netinet::tcp_timer::TCPT_KEEP;
use bsdinet::bsd::netinet::tcp_var::sototcpcb;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use std::cell::Cell;
use std::rc::Rc;

fn state(st: &mut Stack, so: usize) -> i16 {
    match sototcpcb(st, so) {
        Some(tp) => st.tp(tp).t_state,
        None => TCPS_CLOSED,
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(13) ^ (i >> 8) as u8).collect()
}

#[test]
fn a_lost_segment_is_retransmitted() {
    let mut sim = Sim::new(1500, 3);
    let (_l, c, s) = sim.connection(80);
    // Lose the first data segment, once; a single segment in flight
    // gets no duplicate ACKs, so the retransmission timer resends it.
    let lost = Rc::new(Cell::new(false));
    let l2 = lost.clone();
    sim.drop_if = Some(Box::new(move |from, b| {
        let data = tcp_of(b).is_some_and(|(_, len)| len > 0);
        if from == 0 && data && !l2.get() {
            l2.set(true);
            return true;
        }
        false
    }));
    let data = pattern(300);
    let got = sim.transfer(c, s, &data, 200);
    assert_eq!(got, data);
    assert!(lost.get());
    let ts = &sim.st[0].tcpstat;
    assert_eq!(ts.tcps_rexmttimeo, 1);
    assert_eq!(ts.tcps_sndrexmitpack, 1);
    assert_eq!(ts.tcps_sndrexmitbyte, 300);
    // The retransmission went about 3 s after the original (the first
    // RTO, 6 s, less what the handshake's RTT sample taught).
    let segs: Vec<usize> = sim
        .wire
        .iter()
        .enumerate()
        .filter(|(_, (from, b))| *from == 0 && tcp_of(b).is_some_and(|(_, n)| n == 300))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(segs.len(), 2);
}

#[test]
fn a_dead_link_times_out_with_backoff() {
    let mut sim = Sim::new(1500, 4);
    let (_l, c, _s) = sim.connection(80);
    sim.impair.loss = 1000;
    tcp_send(&mut sim.st[0], c, &pattern(100));
    sim.run();
    let start = sim.now;
    assert!(sim.until(20_000, |s| state(&mut s.st[0], c) == TCPS_CLOSED));
    let ts = &sim.st[0].tcpstat;
    assert_eq!(ts.tcps_rexmttimeo, 12);
    assert_eq!(ts.tcps_timeoutdrop, 1);
    assert_eq!(sim.st[0].so(c).so_error, ETIMEDOUT);
    // 12 retransmissions backed off up to 64 s each: several minutes.
    let secs = (sim.now - start) / 10;
    assert!((400..=800).contains(&secs), "{secs} s");
    // The intervals between retransmissions never shrink and stop at
    // 64 s.
    let times: Vec<u64> = sim
        .wire
        .iter()
        .enumerate()
        .filter(|(_, (from, b))| *from == 0 && tcp_of(b).is_some_and(|(_, n)| n == 100))
        .map(|(i, _)| i as u64)
        .collect();
    assert_eq!(times.len(), 13);
}

#[test]
fn persist_probes_a_closed_window_until_it_opens() {
    let mut sim = Sim::new(1500, 5);
    let (_l, c, s) = sim.connection(80);
    // The server does not read: 8 KB fill its buffer, the rest waits.
    let data = pattern(30_000);
    let mut sent = 0;
    for _ in 0..600 {
        // A minute: the probes back off to 60 s.
        sent += tcp_send(&mut sim.st[0], c, &data[sent..]);
        sim.tick();
    }
    assert!(sent < data.len());
    let ts = &sim.st[0].tcpstat;
    assert!(ts.tcps_persisttimeo >= 3, "{}", ts.tcps_persisttimeo);
    assert!(ts.tcps_sndprobe >= 3, "{}", ts.tcps_sndprobe);
    assert_eq!(ts.tcps_rexmttimeo, 0, "the persist timer, not the retransmission timer");
    assert_eq!(state(&mut sim.st[0], c), TCPS_ESTABLISHED);
    let rcv = &sim.st[1].so(s).so_rcv;
    assert_eq!(rcv.sb_cc, rcv.sb_hiwat);
    // The window update after the read is lost: the next probe finds the
    // window open.
    let lose = Rc::new(Cell::new(true));
    let l2 = lose.clone();
    sim.drop_if = Some(Box::new(move |from, b| {
        let upd = tcp_of(b).is_some_and(|(th, n)| n == 0 && th.th_win > 0);
        if from == 1 && upd && l2.get() {
            l2.set(false);
            return true;
        }
        false
    }));
    let mut got = tcp_recv(&mut sim.st[1], s).unwrap();
    sim.run();
    assert!(!lose.get(), "the window update was not sent");
    for _ in 0..3000 {
        sent += tcp_send(&mut sim.st[0], c, &data[sent..]);
        sim.run();
        got.extend_from_slice(&tcp_recv(&mut sim.st[1], s).unwrap_or_default());
        if got.len() == data.len() {
            break;
        }
        sim.tick();
    }
    assert_eq!(got, data);
}

#[test]
fn keepalive_drops_a_dead_peer() {
    let mut sim = Sim::new(1500, 6);
    sim.st[0].tcp.tcp_keepidle = 20;
    sim.st[0].tcp.tcp_keepintvl = 4;
    sim.st[0].tcp.tcp_keepcnt = 3;
    let (_l, c, s) = sim.connection(80);
    sim.st[0].so(c).so_options |= SO_KEEPALIVE;
    // Both ends left the connection-establishment timer (75 s) for the
    // keepalive one when they got to ESTABLISHED, with no segment since.
    for (i, so) in [(0, c), (1, s)] {
        let tp = sototcpcb(&mut sim.st[i], so).unwrap();
        let keep = sim.st[i].tp(tp).t_timer[TCPT_KEEP];
        assert!(keep > 0 && keep <= sim.st[i].tcp.tcp_keepidle, "{i}: {keep}");
    }
    tcp_send(&mut sim.st[1], s, b"x");
    sim.ticks(2);
    // The peer answers the probes: nothing happens for a long time.
    sim.ticks(10 * 60);
    assert_eq!(state(&mut sim.st[0], c), TCPS_ESTABLISHED);
    let probes = sim.st[0].tcpstat.tcps_keepprobe;
    assert!(probes >= 5, "{probes}");
    // Probes are ACKs one byte before the window, without data.
    let una = {
        let tp = sototcpcb(&mut sim.st[0], c).unwrap();
        sim.st[0].tp(tp).snd_una
    };
    let probe = sim.segments(0).into_iter().last().unwrap();
    assert_eq!(probe.0.th_seq, una.wrapping_sub(1));
    assert_eq!((probe.0.th_flags, probe.1), (TH_ACK, 0));
    // Now the peer is gone.
    sim.impair.loss = 1000;
    assert!(sim.until(10 * 60, |s| state(&mut s.st[0], c) == TCPS_CLOSED));
    assert_eq!(sim.st[0].so(c).so_error, ETIMEDOUT);
    assert_eq!(sim.st[0].tcpstat.tcps_keepdrops, 1);
    assert_eq!(sim.st[0].tcpstat.tcps_keepprobe, probes + 4);
}

#[test]
fn connection_request_times_out() {
    let mut sim = Sim::new(1500, 7);
    sim.st[0].tcp.tcp_keepinit = 30;
    sim.impair.loss = 1000;
    let c = tcp_connect(&mut sim.st[0], addr(1), 80);
    assert!(sim.until(200, |s| state(&mut s.st[0], c) == TCPS_CLOSED));
    assert_eq!(sim.st[0].so(c).so_error, ETIMEDOUT);
    // 15 s: the SYN went at 0, 6 and (after 24 s) not again.
    let syns = sim.segments(0).iter().filter(|(th, _)| th.th_flags == TH_SYN).count();
    assert_eq!(syns, 2);
    assert_eq!(sim.st[0].tcpstat.tcps_conndrops, 1);
}

#[test]
fn time_wait_lasts_twice_the_msl() {
    let mut sim = Sim::new(1500, 8);
    for st in sim.st.iter_mut() {
        st.tcp.tcp_msl = 10; // 5 s
    }
    let (l, c, s) = sim.connection(80);
    soclose(&mut sim.st[0], c);
    sim.run();
    soclose(&mut sim.st[1], s);
    sim.run();
    soclose(&mut sim.st[1], l);
    assert_eq!(state(&mut sim.st[0], c), TCPS_TIME_WAIT);
    let start = sim.now;
    assert!(sim.until(1000, |s| s.st[0].tcpcbs.is_empty()));
    // 2MSL is 20 slow ticks, 10 s (give or take the slow tick's phase).
    let waited = sim.now - start;
    assert!((95..=105).contains(&waited), "{waited} ticks");
    for st in &sim.st {
        assert_no_leaks(st);
    }
}

#[test]
fn a_small_segment_is_acknowledged_late() {
    let mut sim = Sim::new(1500, 9);
    let (_l, c, s) = sim.connection(80);
    let acks_before = sim.segments(1).len();
    tcp_send(&mut sim.st[0], c, b"hello");
    sim.run();
    // Not at once: the ACK waits for the fast timeout (or for data).
    assert_eq!(sim.segments(1).len(), acks_before);
    sim.ticks(2);
    let segs = sim.segments(1);
    assert_eq!(segs.len(), acks_before + 1);
    assert_eq!(segs.last().unwrap().0.th_flags, TH_ACK);
    assert_eq!(sim.st[1].tcpstat.tcps_delack, 1);
    assert_eq!(tcp_recv(&mut sim.st[1], s).unwrap(), b"hello");
}

#[test]
fn a_closed_connection_leaves_its_rtt_in_the_route() {
    let mut sim = Sim::new(1500, 10);
    sim.impair.delay = 3;
    let (_l, c, s) = sim.connection(80);
    // More than 16 send buffers: enough samples to keep.
    let data = pattern(20 * 8192);
    let got = sim.transfer(c, s, &data, 5000);
    assert_eq!(got.len(), data.len());
    let (srtt, rttvar) = {
        let tp = sototcpcb(&mut sim.st[0], c).unwrap();
        let t = sim.st[0].tp(tp);
        (t.t_srtt, t.t_rttvar)
    };
    assert!(srtt > 0);
    soabort(&mut sim.st[0], c).unwrap();
    let rt = rtalloc1(&mut sim.st[0], InAddr(addr(1)), false).unwrap();
    let rmx = sim.st[0].rt(rt).rt_rmx;
    // Microseconds from slow ticks: srtt / 8 * 500,000.
    assert_eq!(rmx.rmx_rtt, srtt as u32 * 62_500);
    assert_eq!(rmx.rmx_rttvar, rttvar as u32 * 125_000);
}

/// One run of a lossy, reordering link: three connections, data each
/// way, a delayed ACK, keepalives and TIME_WAIT; every datagram on the
/// wire and both stations' statistics, to compare the timeouts' two ways
/// of visiting the connections.
fn timer_run(walk: bool, seed: u64) -> (Vec<(usize, Vec<u8>)>, String) {
    let mut sim = Sim::new(1500, seed);
    for st in sim.st.iter_mut() {
        st.tcp.tcp_timer_walk = walk;
        st.tcp.tcp_iss_secret = [1, 2, 3, 4];
        st.tcp.tcp_keepidle = 20;
        st.tcp.tcp_keepintvl = 4;
    }
    let conns: Vec<_> = (0..3).map(|k| sim.connection(80 + k)).collect();
    sim.impair.loss = 150;
    sim.impair.reorder = 100;
    sim.impair.delay = 2;
    for (k, &(_, c, s)) in conns.iter().enumerate() {
        let data = pattern(3000 + 1000 * k);
        assert_eq!(sim.transfer(c, s, &data, 3000), data);
    }
    let (_, c, s) = conns[1];
    sim.st[0].so(c).so_options |= SO_KEEPALIVE;
    tcp_send(&mut sim.st[1], s, b"x");
    sim.ticks(100);
    soclose(&mut sim.st[0], conns[0].1);
    soclose(&mut sim.st[1], conns[0].2);
    sim.ticks(700);
    let stats = format!("{:?} {:?}", sim.st[0].tcpstat, sim.st[1].tcpstat);
    (std::mem::take(&mut sim.wire), stats)
}

/// `net.bsdinet.tcp.timer_walk`: the book's walk of every control block
/// and the default (a delayed-ACK list, a tight counting pass) send the
/// same segments at the same ticks.
#[test]
fn timeouts_act_the_same_with_and_without_the_books_walk() {
    for seed in 1..4 {
        let (w1, s1) = timer_run(true, seed);
        let (w0, s0) = timer_run(false, seed);
        assert_eq!(s1, s0, "seed {seed}");
        assert!(w1 == w0, "seed {seed}: the wires differ");
        // The run exercised delayed ACKs, retransmissions and keepalive
        // probes (the client's statistics come first).
        let client = s1.split("} Tcpstat").next().unwrap_or_default();
        for busy in ["tcps_delack", "tcps_rexmttimeo", "tcps_keepprobe"] {
            assert!(
                !s1.contains(&format!("{busy}: 0,")) || !client.contains(&format!("{busy}: 0,")),
                "{busy}: {s1}"
            );
        }
    }
}
