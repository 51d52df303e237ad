//! TCP output, timers and support functions in isolation (book chapters
//! 25-27): a hand-made connection on a tun interface, whose segments are
//! read from the interface's send queue.

mod common;

use bsdinet::bsd::kern::uipc_domain::{PRC_QUENCH, PRC_UNREACH_HOST};
use bsdinet::bsd::kern::uipc_mbuf::*;
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::soreserve;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::if_ethersubr::if_link_state;
use bsdinet::bsd::net::if_tun::tunattach;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_cksum::in_cksum;
use bsdinet::bsd::netinet::in_pcb::*;
use bsdinet::bsd::netinet::in_proto::INETSW;
use bsdinet::bsd::netinet::tcp::*;
use bsdinet::bsd::netinet::tcp_debug::TA_OUTPUT;
use bsdinet::bsd::netinet::tcp_fsm::*;
use bsdinet::bsd::netinet::tcp_output::*;
use bsdinet::bsd::netinet::tcp_seq::TCP_ISSINCR;
use bsdinet::bsd::netinet::tcp_subr::*;
use bsdinet::bsd::netinet::tcp_timer::*;
use bsdinet::bsd::netinet::tcp_var::*;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::sockio::*;
use common::*;

const LOCAL: u32 = 0x0a00_0001;
const PEER: u32 = 0x0a00_0002;
const LPORT: u16 = 1234;
const PPORT: u16 = 80;
const ISS: u32 = 1000;
const IRS: u32 = 5000;

/// A segment caught on the tun interface.
#[derive(Debug)]
struct Seg {
    ttl: u8,
    src: u32,
    dst: u32,
    th: Tcphdr,
    opts: Vec<u8>,
    data: Vec<u8>,
}

impl Seg {
    fn parse(b: &[u8]) -> Seg {
        assert_eq!(b[0] >> 4, 4);
        let hl = usize::from(b[0] & 0xf) * 4;
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        assert_eq!(len, b.len(), "ip_len");
        assert_eq!(b[9], 6, "protocol");
        let src = u32::from_be_bytes(b[12..16].try_into().unwrap());
        let dst = u32::from_be_bytes(b[16..20].try_into().unwrap());
        let tcp = &b[hl..];
        // The checksum over the pseudo-header and the segment is 0.
        let mut ph = Vec::new();
        ph.extend_from_slice(&b[12..20]);
        ph.extend_from_slice(&[0, 6]);
        ph.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        assert_eq!(in_cksum([&ph[..], tcp]), 0, "TCP checksum");
        let th = Tcphdr::parse(tcp).unwrap();
        let off = usize::from(th.th_off) * 4;
        Seg {
            ttl: b[8],
            src,
            dst,
            th,
            opts: tcp[TCP_HDRLEN..off].to_vec(),
            data: tcp[off..].to_vec(),
        }
    }
    fn flags(&self) -> u8 {
        self.th.th_flags
    }
}

/// A stack with tun0 (10.0.0.1 -> 10.0.0.2) up, and a TCP connection
/// from 10.0.0.1:1234 to 10.0.0.2:80 made by hand, in `state`.
struct Conn {
    st: Stack,
    so: usize,
    inp: usize,
    tp: usize,
}

fn tun_stack() -> Stack {
    let mut st = stack();
    let ifp = tunattach(&mut st, b"tun0", 1500, 1).unwrap();
    if_link_state(&mut st, ifp, true);
    if_up(&mut st, ifp);
    let mut req = [0u8; IFALIASREQ_LEN];
    req[..4].copy_from_slice(b"tun0");
    set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(LOCAL), 0)).unwrap();
    set_sockaddr_at(&mut req, IFRA_BROADADDR, &SockaddrIn::new(InAddr(PEER), 0)).unwrap();
    in_control(&mut st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
    st
}

impl Conn {
    fn new(state: i16) -> Conn {
        let mut st = tun_stack();
        st.tcp.tcp_iss_random = false;
        let so = st.sockets.insert(Socket::new(&INETSW[2], Cred::ROOT, 0)).unwrap();
        soreserve(&mut st, so, 8192, 8192).unwrap();
        let inp = in_pcballoc(&mut st, so, InpHead::Tcp).unwrap();
        in_pcbbind(&mut st, inp, Some(&sin(LOCAL, LPORT))).unwrap();
        in_pcbconnect(&mut st, inp, &sin(PEER, PPORT)).unwrap();
        let tp = tcp_newtcpcb(&mut st, inp).unwrap();
        let ti = tcp_template(&mut st, tp);
        let t = st.tp(tp);
        t.t_template = ti;
        t.t_state = state;
        t.iss = ISS;
        t.tcp_sendseqinit();
        if state >= TCPS_SYN_RECEIVED {
            t.irs = IRS;
            t.tcp_rcvseqinit();
            t.rcv_wnd = 8192;
            t.rcv_adv = t.rcv_nxt.wrapping_add(8192);
        }
        if state >= TCPS_ESTABLISHED {
            // The SYN was sent and acknowledged.
            t.snd_una = ISS + 1;
            t.snd_nxt = ISS + 1;
            t.snd_max = ISS + 1;
            t.snd_up = ISS + 1;
            t.snd_wnd = 8192;
            t.max_sndwnd = 8192;
            t.snd_cwnd = 65535;
            t.t_flags &= !(TF_REQ_SCALE | TF_REQ_TSTMP);
        }
        let mut c = Conn { st, so, inp, tp };
        c.out(); // (nothing yet)
        c
    }

    /// Queues `data` in the send buffer, as PRU_SEND does.
    fn queue(&mut self, data: &[u8]) {
        let m = m_devget(&mut self.st.mbpool, data, 0, None).unwrap();
        let (s, mp) = self.st.so_mbpool(self.so);
        s.so_snd.sbappend(mp, m).unwrap();
    }

    fn output(&mut self) -> Vec<Seg> {
        tcp_output(&mut self.st, self.tp).unwrap();
        self.out()
    }

    /// The segments sent since last asked.
    fn out(&mut self) -> Vec<Seg> {
        let mut v = Vec::new();
        self.st.if_snd_drain(|_, m| {
            let mut b = vec![0u8; m.m_pkthdr().unwrap().len];
            m_copydata(m, 0, &mut b).unwrap();
            v.push(Seg::parse(&b));
        });
        v
    }

    fn t(&mut self) -> &mut Tcpcb {
        self.st.tp(self.tp)
    }

    /// One slow tick; the segments it sent.
    fn slow(&mut self) -> Vec<Seg> {
        tcp_slowtimo(&mut self.st);
        self.out()
    }

    /// `n` slow ticks: the tick (1-based) and segment of each segment sent.
    fn slow_n(&mut self, n: usize) -> Vec<(usize, Seg)> {
        let mut v = Vec::new();
        for i in 1..=n {
            for s in self.slow() {
                v.push((i, s));
            }
        }
        v
    }

    fn alive(&self) -> bool {
        self.st.tcpcbs.get(self.tp).is_some()
    }

    /// The peer acknowledges up to `ack` (what tcp_input does with an
    /// acceptable ACK, as far as these tests need).
    fn acked(&mut self, ack: u32) {
        let t = self.st.tp(self.tp);
        let n = ack.wrapping_sub(t.snd_una) as usize;
        t.snd_una = ack;
        if bsdinet::bsd::netinet::tcp_seq::seq_lt(t.snd_nxt, ack) {
            t.snd_nxt = ack;
        }
        t.t_timer[TCPT_REXMT] = 0;
        let (s, mp) = self.st.so_mbpool(self.so);
        s.so_snd.sbdrop(mp, n);
    }
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn syn_carries_mss_window_scale_and_timestamps() {
    let mut c = Conn::new(TCPS_SYN_SENT);
    c.t().request_r_scale = 3;
    c.st.tcp.tcp_now = 0x1234_5678;
    let segs = c.output();
    assert_eq!(segs.len(), 1);
    let s = &segs[0];
    assert_eq!((s.src, s.dst), (LOCAL, PEER));
    assert_eq!((s.th.th_sport, s.th.th_dport), (LPORT, PPORT));
    assert_eq!(s.ttl, 64);
    assert_eq!(s.flags(), TH_SYN);
    assert_eq!(s.th.th_seq, ISS);
    assert_eq!(s.th.th_ack, 0);
    assert!(s.data.is_empty());
    // MSS (4), NOP + window scale (4), NOP NOP timestamp (12).
    assert_eq!(s.opts.len(), 20);
    assert_eq!(&s.opts[0..2], &[TCPOPT_MAXSEG, 4]);
    let mss = u16::from_be_bytes([s.opts[2], s.opts[3]]);
    assert!(mss >= 512, "{mss}");
    assert_eq!(&s.opts[4..8], &[TCPOPT_NOP, TCPOPT_WINDOW, 3, 3]);
    assert_eq!(&s.opts[8..12], &[TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP, 10]);
    assert_eq!(&s.opts[12..16], &0x1234_5678u32.to_be_bytes());
    assert_eq!(&s.opts[16..20], &[0, 0, 0, 0]);
    // The receive window: the whole buffer.
    assert_eq!(s.th.th_win, 8192);
    let t = c.t();
    assert_eq!((t.snd_nxt, t.snd_max), (ISS + 1, ISS + 1));
    assert_eq!(t.t_timer[TCPT_REXMT], t.t_rxtcur);
    assert_eq!(t.t_rxtcur, 12, "the first RTO is 6 s");
    assert_eq!((t.t_rtt, t.t_rtseq), (1, ISS));
    assert_eq!(c.st.tcpstat.tcps_sndctrl, 1);
    assert_eq!(c.st.tcpstat.tcps_segstimed, 1);
    assert_eq!(c.st.tcpstat.tcps_sndtotal, 1);
    // Nothing more to send: the SYN is out.
    assert!(c.output().is_empty());
}

#[test]
fn syn_without_rfc1323_has_only_mss() {
    let mut c = Conn::new(TCPS_SYN_SENT);
    c.t().t_flags &= !(TF_REQ_SCALE | TF_REQ_TSTMP);
    let s = &c.output()[0];
    assert_eq!(s.opts.len(), 4);
    c = Conn::new(TCPS_SYN_SENT);
    c.t().t_flags |= TF_NOOPT;
    let s = &c.output()[0];
    assert!(s.opts.is_empty());
}

#[test]
fn syn_ack_scales_only_when_the_peer_did() {
    let mut c = Conn::new(TCPS_SYN_RECEIVED);
    c.t().t_flags |= TF_REQ_SCALE | TF_REQ_TSTMP;
    let s = &c.output()[0];
    assert_eq!(s.flags(), TH_SYN | TH_ACK);
    assert_eq!(s.th.th_ack, IRS + 1);
    // Neither scale nor timestamps were in the peer's SYN: MSS only.
    assert_eq!(s.opts.len(), 4);

    let mut c = Conn::new(TCPS_SYN_RECEIVED);
    c.t().t_flags |= TF_REQ_SCALE | TF_RCVD_SCALE | TF_REQ_TSTMP | TF_RCVD_TSTMP;
    c.t().ts_recent = 77;
    let s = &c.output()[0];
    assert_eq!(s.opts.len(), 20);
    assert_eq!(&s.opts[16..20], &77u32.to_be_bytes());
}

#[test]
fn data_goes_in_segments_of_maxseg_with_push_on_the_last() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    let data = payload(3000);
    c.queue(&data);
    let segs = c.output();
    assert_eq!(
        segs.iter().map(|s| s.data.len()).collect::<Vec<_>>(),
        [512, 512, 512, 512, 512, 440]
    );
    let mut got = Vec::new();
    let mut seq = ISS + 1;
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(s.th.th_seq, seq);
        assert_eq!(s.th.th_ack, IRS + 1);
        let push = if i == 5 { TH_PUSH } else { 0 };
        assert_eq!(s.flags(), TH_ACK | push);
        seq += s.data.len() as u32;
        got.extend_from_slice(&s.data);
    }
    assert_eq!(got, data);
    let t = c.t();
    assert_eq!((t.snd_nxt, t.snd_max), (ISS + 3001, ISS + 3001));
    assert_eq!(t.t_rtseq, ISS + 1, "the first segment is timed");
    assert_ne!(t.t_timer[TCPT_REXMT], 0);
    assert_eq!(c.st.tcpstat.tcps_sndpack, 6);
    assert_eq!(c.st.tcpstat.tcps_sndbyte, 3000);
    assert_eq!(c.st.tcpstat.tcps_segstimed, 1);
    // Both inline and chained (cluster) data leave nothing behind once
    // sent and acknowledged.
    c.acked(ISS + 3001);
    assert_eq!(c.st.so(c.so).so_snd.sb_cc, 0);
}

#[test]
fn the_congestion_window_limits_and_idle_restarts_slow_start() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.t().snd_cwnd = 1024;
    c.queue(&payload(3000));
    assert_eq!(c.output().len(), 2);
    c.acked(ISS + 1025);
    c.t().snd_cwnd = 65535;
    // Idle for an RTO after everything was acknowledged: one segment.
    c.acked(ISS + 1025);
    c.queue(&[]);
    let t = c.t();
    t.snd_nxt = t.snd_una;
    t.snd_max = t.snd_una;
    t.t_idle = t.t_rxtcur;
    let segs = c.output();
    assert_eq!(segs.len(), 1);
    assert_eq!(c.t().snd_cwnd, 512);
}

#[test]
fn nagle_holds_a_small_segment_while_data_is_unacknowledged() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(100));
    // Idle: the small segment goes.
    assert_eq!(c.output().len(), 1);
    c.queue(&payload(100));
    // Not idle: it waits for the ACK.
    assert!(c.output().is_empty());
    // TF_NODELAY sends it.
    c.t().t_flags |= TF_NODELAY;
    let segs = c.output();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].data.len(), 100);
    assert_eq!(segs[0].th.th_seq, ISS + 101);
}

#[test]
fn nagle_off_after_the_ack() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(100));
    assert_eq!(c.output().len(), 1);
    c.queue(&payload(50));
    assert!(c.output().is_empty());
    c.acked(ISS + 101);
    let segs = c.output();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].data.len(), 50);
}

#[test]
fn sender_silly_window_avoidance_then_persist() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    // The peer offered 8192 once; now only 100 bytes fit.
    c.t().snd_wnd = 100;
    c.queue(&payload(1000));
    // 100 < max_sndwnd / 2, and more data waits: nothing goes.
    assert!(c.output().is_empty());
    // Nothing in flight: the persist timer will come back.
    let t = c.t();
    assert_eq!(t.t_timer[TCPT_REXMT], 0);
    assert_eq!(t.t_timer[TCPT_PERSIST], 12);
    assert_eq!(t.t_rxtshift, 1);
    // A window half the largest ever offered is worth a segment.
    c.t().snd_wnd = 4096;
    assert_eq!(c.output().len(), 2);
}

#[test]
fn persist_probes_back_off_to_persmax() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.t().snd_wnd = 0;
    c.queue(&payload(10));
    assert!(c.output().is_empty());
    let sent = c.slow_n(1200);
    let ticks: Vec<usize> = sent.iter().map(|(i, _)| *i).collect();
    let gaps: Vec<usize> =
        std::iter::once(ticks[0]).chain(ticks.windows(2).map(|w| w[1] - w[0])).collect();
    // Initial srtt 0 and rttvar 3 s: a base of 6 s (12 ticks), doubled
    // each time, within 5-60 s.
    assert_eq!(&gaps[..7], &[12, 24, 48, 96, 120, 120, 120]);
    for (_, s) in &sent {
        // A probe: one byte, at snd_una; snd_nxt stays.
        assert_eq!(s.data.len(), 1);
        assert_eq!(s.th.th_seq, ISS + 1);
    }
    let t = c.t();
    assert_eq!(t.snd_nxt, ISS + 1);
    assert_eq!(t.snd_max, ISS + 2);
    assert_eq!(t.t_timer[TCPT_REXMT], 0);
    assert_eq!(c.st.tcpstat.tcps_sndprobe, sent.len() as u64);
    assert_eq!(c.st.tcpstat.tcps_persisttimeo, sent.len() as u64);
    // The window opens: data goes, and the retransmission timer runs.
    c.t().snd_wnd = 8192;
    c.t().t_force = false;
    let segs = c.output();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].data.len(), 10);
    let t = c.t();
    assert_ne!(t.t_timer[TCPT_REXMT], 0);
    assert_eq!(t.t_timer[TCPT_PERSIST], 0);
}

#[test]
fn persist_with_a_short_tunable() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.st.tcp.tcp_persmin = 1;
    c.st.tcp.tcp_persmax = 4;
    // A base of ((srtt >> 2) + rttvar) >> 1 = 1 tick.
    c.t().t_rttvar = 2;
    c.t().snd_wnd = 0;
    c.queue(&payload(10));
    c.output();
    assert_eq!(c.t().t_timer[TCPT_PERSIST], 1);
    let ticks: Vec<usize> = c.slow_n(12).iter().map(|(i, _)| *i).collect();
    assert_eq!(ticks, [1, 3, 7, 11]);
}

#[test]
fn retransmission_backs_off_then_drops_with_etimedout() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(100));
    assert_eq!(c.output().len(), 1);
    let sent = c.slow_n(2000);
    assert!(!c.alive());
    let ticks: Vec<usize> = sent.iter().map(|(i, _)| *i).collect();
    let gaps: Vec<usize> =
        std::iter::once(ticks[0]).chain(ticks.windows(2).map(|w| w[1] - w[0])).collect();
    // 6 s, then REXMTVAL (12 s) doubled each time, up to 64 s: 12
    // retransmissions, and at the 13th timeout the RST.
    assert_eq!(gaps, [12, 48, 96, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128]);
    for (_, s) in &sent[..12] {
        assert_eq!(s.th.th_seq, ISS + 1);
        assert_eq!(s.data.len(), 100);
        assert_eq!(s.flags(), TH_ACK | TH_PUSH);
    }
    let rst = &sent[12].1;
    assert_eq!(rst.flags() & TH_RST, TH_RST);
    let ts = &c.st.tcpstat;
    assert_eq!(ts.tcps_rexmttimeo, 12);
    assert_eq!(ts.tcps_sndrexmitpack, 12);
    assert_eq!(ts.tcps_sndrexmitbyte, 1200);
    assert_eq!(ts.tcps_timeoutdrop, 1);
    assert_eq!(ts.tcps_drops, 1);
    assert_eq!(ts.tcps_closed, 1);
    // The socket stays (its descriptor is open) with the error.
    assert_eq!(c.st.so(c.so).so_error, ETIMEDOUT);
    assert_eq!(c.st.so(c.so).so_pcb, None);
    assert!(c.st.so(c.so).so_state & SS_CANTSENDMORE != 0);
}

#[test]
fn retransmission_resets_cwnd_and_ssthresh() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(4096));
    assert_eq!(c.output().len(), 8);
    c.t().t_timer[TCPT_REXMT] = 1;
    let segs = c.slow();
    // One segment again from snd_una: cwnd is one segment.
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].th.th_seq, ISS + 1);
    let t = c.t();
    assert_eq!(t.snd_cwnd, 512);
    assert_eq!(t.snd_ssthresh, 4096);
    assert_eq!(t.snd_nxt, ISS + 513);
    assert_eq!(t.snd_max, ISS + 4097);
    assert_eq!(t.t_rtt, 0, "a retransmission is not timed (Karn)");
}

#[test]
fn softerror_replaces_etimedout() {
    let mut c = Conn::new(TCPS_SYN_SENT);
    c.output();
    // An ICMP host unreachable before the connection is made: soft.
    let mut ip = vec![0x45u8; 1];
    ip.resize(28, 0);
    ip[12..16].copy_from_slice(&LOCAL.to_be_bytes());
    ip[16..20].copy_from_slice(&PEER.to_be_bytes());
    ip[20..22].copy_from_slice(&LPORT.to_be_bytes());
    ip[22..24].copy_from_slice(&PPORT.to_be_bytes());
    tcp_ctlinput(&mut c.st, PRC_UNREACH_HOST, InAddr(PEER), Some(&ip));
    assert_eq!(c.t().t_softerror, EHOSTUNREACH.0);
    assert_eq!(c.st.so(c.so).so_error, Errno(0));
    // Another port: not this connection.
    ip[20..22].copy_from_slice(&(LPORT + 1).to_be_bytes());
    c.t().t_softerror = 0;
    tcp_ctlinput(&mut c.st, PRC_UNREACH_HOST, InAddr(PEER), Some(&ip));
    assert_eq!(c.t().t_softerror, 0);
    ip[20..22].copy_from_slice(&LPORT.to_be_bytes());
    tcp_ctlinput(&mut c.st, PRC_UNREACH_HOST, InAddr(PEER), Some(&ip));
    // The SYN is never answered: dropped with the soft error, no RST
    // (no SYN was received).
    let sent = c.slow_n(2000);
    assert!(!c.alive());
    assert!(sent.iter().all(|(_, s)| s.flags() == TH_SYN));
    assert_eq!(c.st.so(c.so).so_error, EHOSTUNREACH);
    assert_eq!(c.st.tcpstat.tcps_conndrops, 1);
}

#[test]
fn notify_ignores_unreachable_while_established() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    tcp_notify(&mut c.st, c.inp, EHOSTUNREACH);
    assert_eq!(c.t().t_softerror, 0);
    tcp_notify(&mut c.st, c.inp, ECONNREFUSED);
    assert_eq!(c.t().t_softerror, ECONNREFUSED.0);
    // Early, after retransmissions and a soft error already: hard.
    let mut c = Conn::new(TCPS_SYN_SENT);
    c.t().t_rxtshift = 4;
    c.t().t_softerror = EHOSTUNREACH.0;
    tcp_notify(&mut c.st, c.inp, EHOSTUNREACH);
    assert_eq!(c.st.so(c.so).so_error, EHOSTUNREACH);
}

#[test]
fn source_quench_closes_the_congestion_window() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    tcp_ctlinput(&mut c.st, PRC_QUENCH, InAddr(PEER), None);
    assert_eq!(c.t().snd_cwnd, 512);
}

#[test]
fn keepalive_probes_then_drop() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.st.tcp.tcp_keepidle = 10;
    c.st.tcp.tcp_keepintvl = 4;
    c.st.tcp.tcp_keepcnt = 3;
    c.st.so(c.so).so_options |= SO_KEEPALIVE;
    c.t().t_timer[TCPT_KEEP] = 10;
    let sent = c.slow_n(40);
    assert!(!c.alive());
    let ticks: Vec<usize> = sent.iter().map(|(i, _)| *i).collect();
    // Probes at idle 10, then every 4 until idle reaches
    // keepidle + keepcnt * keepintvl = 22; the drop sends a RST.
    assert_eq!(ticks, [10, 14, 18, 22, 26]);
    for (_, s) in &sent[..4] {
        assert_eq!(s.flags(), TH_ACK);
        assert_eq!(s.th.th_seq, ISS);
        assert_eq!(s.th.th_ack, IRS + 1);
        assert!(s.data.is_empty());
        assert_eq!(s.th.th_win, 8192);
    }
    assert_ne!(sent[4].1.flags() & TH_RST, 0);
    assert_eq!(c.st.tcpstat.tcps_keepprobe, 4);
    assert_eq!(c.st.tcpstat.tcps_keepdrops, 1);
    assert_eq!(c.st.tcpstat.tcps_keeptimeo, 5);
    assert_eq!(c.st.so(c.so).so_error, ETIMEDOUT);
}

#[test]
fn keepalive_answered_keeps_the_connection() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.st.tcp.tcp_keepidle = 10;
    c.st.tcp.tcp_keepintvl = 4;
    c.st.tcp.tcp_keepcnt = 3;
    c.st.so(c.so).so_options |= SO_KEEPALIVE;
    c.t().t_timer[TCPT_KEEP] = 10;
    for _ in 0..100 {
        c.slow();
        // The peer answers each probe (tcp_input zeroes t_idle).
        if c.t().t_timer[TCPT_KEEP] == 4 {
            c.t().t_idle = 0;
        }
    }
    assert!(c.alive());
}

#[test]
fn keepalive_off_rearms_with_keepidle() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.st.tcp.tcp_keepidle = 10;
    c.t().t_timer[TCPT_KEEP] = 1;
    assert!(c.slow().is_empty());
    assert_eq!(c.t().t_timer[TCPT_KEEP], 10);
}

#[test]
fn connection_establishment_timeout() {
    let mut c = Conn::new(TCPS_SYN_SENT);
    c.st.tcp.tcp_keepinit = 20;
    c.output();
    c.t().t_timer[TCPT_KEEP] = 20;
    c.slow_n(20);
    assert!(!c.alive());
    assert_eq!(c.st.so(c.so).so_error, ETIMEDOUT);
    assert_eq!(c.st.tcpstat.tcps_keepdrops, 1);
}

#[test]
fn time_wait_ends_after_2msl() {
    let mut c = Conn::new(TCPS_TIME_WAIT);
    c.st.tcp.tcp_msl = 3;
    c.t().t_timer[TCPT_2MSL] = 2 * c.st.tcp.tcp_msl;
    c.slow_n(5);
    assert!(c.alive());
    c.slow();
    assert!(!c.alive());
    assert_eq!(c.st.tcpstat.tcps_closed, 1);
    assert_eq!(c.st.so(c.so).so_error, Errno(0));
}

#[test]
fn closed_socket_goes_with_its_connection() {
    let mut c = Conn::new(TCPS_TIME_WAIT);
    // The descriptor was closed (soclose marks SS_NOFDREF).
    c.st.so(c.so).so_state |= SS_NOFDREF;
    c.t().t_timer[TCPT_2MSL] = 1;
    c.slow();
    assert!(!c.alive());
    assert!(c.st.sockets.get(c.so).is_none());
    assert!(c.st.inpcbs.get(c.inp).is_none());
    assert_eq!(c.st.pcbinfo[InpHead::Tcp as usize].len(), 0);
}

#[test]
fn fin_wait_2_waits_while_the_peer_is_heard() {
    let mut c = Conn::new(TCPS_FIN_WAIT_2);
    c.st.tcp.tcp_keepintvl = 4;
    c.st.tcp.tcp_keepcnt = 2;
    c.t().t_timer[TCPT_2MSL] = 1;
    c.slow();
    // Idle 0 <= maxidle 8: again in keepintvl.
    assert_eq!(c.t().t_timer[TCPT_2MSL], 4);
    c.slow_n(3);
    c.slow();
    assert_eq!(c.t().t_timer[TCPT_2MSL], 4);
    // At idle 8 <= 8, once more.
    c.slow_n(4);
    assert!(c.alive());
    // Idle 12 > 8: closed.
    c.slow_n(4);
    assert!(!c.alive());
}

#[test]
fn fin_after_the_data_and_its_retransmission() {
    let mut c = Conn::new(TCPS_FIN_WAIT_1);
    c.t().t_flags &= !(TF_REQ_SCALE | TF_REQ_TSTMP);
    c.t().snd_una = ISS + 1;
    c.t().snd_nxt = ISS + 1;
    c.t().snd_max = ISS + 1;
    c.t().snd_wnd = 8192;
    c.t().max_sndwnd = 8192;
    c.queue(&payload(600));
    let segs = c.output();
    assert_eq!(segs.len(), 2);
    assert_eq!(segs[0].flags(), TH_ACK);
    assert_eq!(segs[1].flags(), TH_ACK | TH_FIN | TH_PUSH);
    let t = c.t();
    assert_eq!(t.snd_nxt, ISS + 602);
    assert!(t.t_flags & TF_SENTFIN != 0);
    // The data is acknowledged, not the FIN: the FIN alone again, with
    // its own sequence number.
    c.acked(ISS + 601);
    c.t().t_timer[TCPT_REXMT] = 1;
    let segs = c.slow();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].flags(), TH_ACK | TH_FIN);
    assert_eq!(segs[0].th.th_seq, ISS + 601);
    assert!(segs[0].data.is_empty());
    assert_eq!(c.t().snd_nxt, ISS + 602);
}

#[test]
fn window_update_and_ack_counters() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    // Nothing to say.
    assert!(c.output().is_empty());
    // The window the peer knows is closed; the buffer is empty: update.
    let t = c.t();
    t.rcv_adv = t.rcv_nxt;
    let segs = c.output();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].th.th_win, 8192);
    assert_eq!(segs[0].th.th_seq, ISS + 1);
    assert_eq!(c.st.tcpstat.tcps_sndwinup, 1);
    assert_eq!(c.t().rcv_adv, IRS + 1 + 8192);
    // A small opening (less than two segments, under half the buffer)
    // is not worth a segment.
    c.t().rcv_adv = c.t().rcv_nxt.wrapping_add(8192 - 1000);
    assert!(c.output().is_empty());
    // A delayed ACK goes at the fast timeout (tcp_delack marks it, as
    // tcp_input does).
    tcp_delack(&mut c.st, c.tp);
    tcp_fasttimo(&mut c.st);
    let segs = c.out();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].flags(), TH_ACK);
    assert_eq!(c.st.tcpstat.tcps_delack, 1);
    assert_eq!(c.st.tcpstat.tcps_sndacks, 1);
    assert_eq!(c.t().t_flags & (TF_DELACK | TF_ACKNOW), 0);
    assert_eq!(c.t().last_ack_sent, IRS + 1);
    tcp_fasttimo(&mut c.st);
    assert!(c.out().is_empty());
}

#[test]
fn the_window_never_shrinks_and_silly_windows_are_not_offered() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    // 8192 advertised; the buffer fills up to 7800 bytes.
    let m = m_devget(&mut c.st.mbpool, &payload(7800), 0, None).unwrap();
    let (s, mp) = c.st.so_mbpool(c.so);
    s.so_rcv.sbappend(mp, m).unwrap();
    c.t().rcv_nxt = c.t().rcv_nxt.wrapping_add(7800);
    c.t().t_flags |= TF_ACKNOW;
    let segs = c.output();
    // 392 bytes of room (less than a segment and a quarter of the
    // buffer) would be a silly window; what was advertised stays.
    assert_eq!(segs[0].th.th_win, 392);
    let mut c = Conn::new(TCPS_ESTABLISHED);
    let m = m_devget(&mut c.st.mbpool, &payload(7800), 0, None).unwrap();
    let (s, mp) = c.st.so_mbpool(c.so);
    s.so_rcv.sbappend(mp, m).unwrap();
    c.t().rcv_nxt = c.t().rcv_nxt.wrapping_add(7800);
    c.t().rcv_adv = c.t().rcv_nxt;
    c.t().t_flags |= TF_ACKNOW;
    assert_eq!(c.output()[0].th.th_win, 0);
}

#[test]
fn window_is_scaled() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.t().rcv_scale = 2;
    c.t().t_flags |= TF_ACKNOW;
    assert_eq!(c.output()[0].th.th_win, 8192 >> 2);
}

#[test]
fn urgent_pointer() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(1000));
    c.t().snd_up = ISS + 1 + 1000;
    let segs = c.output();
    assert_eq!(segs.len(), 2);
    assert_ne!(segs[0].flags() & TH_URG, 0);
    assert_eq!(segs[0].th.th_urp, 1000);
    assert_ne!(segs[1].flags() & TH_URG, 0);
    assert_eq!(segs[1].th.th_urp, 1000 - 512);
    // Once sent, the pointer is dragged along with snd_una.
    c.acked(ISS + 1001);
    c.t().t_flags |= TF_ACKNOW;
    let segs = c.output();
    assert_eq!(segs[0].flags() & TH_URG, 0);
    assert_eq!(c.t().snd_up, ISS + 1001);
}

#[test]
fn timestamps_on_every_segment_once_agreed() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.t().t_flags |= TF_REQ_TSTMP | TF_RCVD_TSTMP;
    c.t().ts_recent = 99;
    c.st.tcp.tcp_now = 5;
    c.queue(&payload(1000));
    let segs = c.output();
    // 12 option bytes come out of each segment's 512.
    assert_eq!(segs.iter().map(|s| s.data.len()).collect::<Vec<_>>(), [500, 500]);
    for s in &segs {
        assert_eq!(s.opts.len(), 12);
        assert_eq!(&s.opts[..4], &TCPOPT_TSTAMP_HDR.to_be_bytes());
        assert_eq!(&s.opts[4..8], &5u32.to_be_bytes());
        assert_eq!(&s.opts[8..12], &99u32.to_be_bytes());
    }
}

#[test]
fn drop_after_syn_received_sends_rst() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    assert!(tcp_drop(&mut c.st, c.tp, ECONNABORTED).is_none());
    let segs = c.out();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].flags(), TH_RST | TH_ACK);
    assert_eq!(segs[0].th.th_seq, ISS + 1);
    assert_eq!(c.st.so(c.so).so_error, ECONNABORTED);
    assert_eq!(c.st.tcpstat.tcps_drops, 1);
    // Before a SYN came: no RST.
    let mut c = Conn::new(TCPS_SYN_SENT);
    tcp_drop(&mut c.st, c.tp, ECONNREFUSED);
    assert!(c.out().is_empty());
    assert_eq!(c.st.tcpstat.tcps_conndrops, 1);
}

#[test]
fn respond_without_a_control_block() {
    let mut st = tun_stack();
    let ti = TcpIpHdr { ti_src: InAddr(LOCAL), ti_dst: InAddr(PEER), ti_sport: 7, ti_dport: 9 };
    tcp_respond(&mut st, None, ti, None, 42, 17, TH_RST | TH_ACK);
    let mut v = Vec::new();
    st.if_snd_drain(|_, m| {
        let mut b = vec![0u8; m.m_pkthdr().unwrap().len];
        m_copydata(m, 0, &mut b).unwrap();
        v.push(Seg::parse(&b));
    });
    assert_eq!(v.len(), 1);
    let s = &v[0];
    assert_eq!((s.src, s.dst, s.th.th_sport, s.th.th_dport), (LOCAL, PEER, 7, 9));
    assert_eq!((s.th.th_seq, s.th.th_ack, s.flags(), s.th.th_win), (17, 42, TH_RST | TH_ACK, 0));
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

#[test]
fn the_debug_trace_records_output() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.st.so(c.so).so_options |= SO_DEBUG;
    c.queue(&payload(10));
    c.output();
    let e = c.st.tcp_debug.entries.last().unwrap();
    assert_eq!(e.td_act, TA_OUTPUT);
    assert_eq!(e.td_th.unwrap().1, 10);
    c.t().t_timer[TCPT_REXMT] = 1;
    c.slow();
    let e = c.st.tcp_debug.entries.last().unwrap();
    assert_eq!(e.td_req, PRU_SLOWTIMO | (TCPT_REXMT as i32) << 8);
}

#[test]
fn newtcpcb_initial_values() {
    let c = Conn::new(TCPS_CLOSED);
    let mut st = c.st;
    let t = st.tp(c.tp);
    assert_eq!((t.t_srtt, t.t_rttvar, t.t_rttmin, t.t_rxtcur), (0, 24, 2, 12));
    assert_eq!(t.snd_cwnd, 65535 << 14);
    assert_eq!(t.t_maxseg, 512);
    assert_eq!(st.pcb(c.inp).inp_ppcb, Some(c.tp));
}

#[test]
fn iss_rfc6528_differs_per_connection_and_follows_the_clock() {
    let mut st = Stack::new();
    st.tcp.tcp_iss_secret = [1, 2, 3, 4];
    let a = tcp_iss(&mut st, InAddr(LOCAL), 1000, InAddr(PEER), 80);
    let a2 = tcp_iss(&mut st, InAddr(LOCAL), 1000, InAddr(PEER), 80);
    let b = tcp_iss(&mut st, InAddr(LOCAL), 1001, InAddr(PEER), 80);
    let c = tcp_iss(&mut st, InAddr(LOCAL), 1000, InAddr(PEER + 1), 80);
    // The same connection again in the same tick: a little later.
    assert_eq!(a2.wrapping_sub(a), 1);
    // Others: far apart (the hash).
    for (x, y) in [(a, b), (a, c), (b, c)] {
        let d = x.wrapping_sub(y);
        assert!(d > 1_000_000 && d < u32::MAX - 1_000_000, "{x} {y}");
    }
    st.ticks += 10;
    let a3 = tcp_iss(&mut st, InAddr(LOCAL), 1000, InAddr(PEER), 80);
    // One second is 250,000 ticks of 4 µs (and 3 calls in between).
    assert_eq!(a3.wrapping_sub(a), 250_000 + 4);
    // Another key, another ISN.
    st.tcp.tcp_iss_secret = [1, 2, 3, 5];
    let d = tcp_iss(&mut st, InAddr(LOCAL), 1000, InAddr(PEER), 80).wrapping_sub(a3);
    assert!(d > 1_000_000 && d < u32::MAX - 1_000_000);
}

#[test]
fn iss_book_clock() {
    let mut st = Stack::new();
    st.tcp.tcp_iss_random = false;
    st.tcp.tcp_iss = 1;
    assert_eq!(tcp_iss(&mut st, InAddr(LOCAL), 1, InAddr(PEER), 2), 1);
    assert_eq!(tcp_iss(&mut st, InAddr(LOCAL), 3, InAddr(PEER), 4), 1 + TCP_ISSINCR / 2);
    tcp_slowtimo(&mut st);
    assert_eq!(st.tcp.tcp_iss, 1 + TCP_ISSINCR + TCP_ISSINCR / 2);
    assert_eq!(st.tcp.tcp_now, 1);
}

#[test]
fn siphash_reference_vectors() {
    let k = [0x0302_0100, 0x0706_0504, 0x0b0a_0908, 0x0f0e_0d0c];
    assert_eq!(siphash24(k, &[]), 0x726f_db47_dd0e_0e31);
    let m: Vec<u8> = (0..15).collect();
    assert_eq!(siphash24(k, &m), 0xa129_ca61_49be_45e5);
}

#[test]
fn route_cache_and_metrics() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    let rt = tcp_rtalloc(&mut c.st, c.inp).unwrap();
    assert_eq!(tcp_rtalloc(&mut c.st, c.inp), Some(rt));
    let refs = c.st.rt(rt).rt_refcnt;
    assert!(refs >= 1);
    // Enough data went for the estimates to count.
    let t = c.t();
    t.snd_max = ISS.wrapping_add(16 * 8192 + 100);
    t.t_srtt = 8 * 4; // 2 s
    t.t_rttvar = 4 * 2; // 1 s
    t.snd_ssthresh = 4096;
    tcp_close(&mut c.st, c.tp);
    let r = c.st.rt(rt);
    assert_eq!(r.rt_refcnt, refs - 1);
    assert_eq!(r.rt_rmx.rmx_rtt, 2_000_000);
    assert_eq!(r.rt_rmx.rmx_rttvar, 1_000_000);
    // No pipe size and no earlier value: no news to act on yet.
    assert_eq!(r.rt_rmx.rmx_ssthresh, 0);
}

#[test]
fn redirect_forgets_the_cached_route() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    let rt = tcp_rtalloc(&mut c.st, c.inp).unwrap();
    let refs = c.st.rt(rt).rt_refcnt;
    tcp_ctlinput(&mut c.st, bsdinet::bsd::kern::uipc_domain::PRC_REDIRECT_HOST, InAddr(PEER), None);
    assert_eq!(c.st.pcb(c.inp).inp_route, None);
    assert_eq!(c.st.rt(rt).rt_refcnt, refs - 1);
}

#[test]
fn drain_frees_the_reassembly_queue() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    let m = m_devget(&mut c.st.mbpool, &payload(100), 0, None).unwrap();
    c.t().t_segq.push(TcpReass { seq: IRS + 10, len: 100, fin: false, m }).unwrap();
    tcp_drain(&mut c.st);
    assert!(c.t().t_segq.is_empty());
}

#[test]
fn nothing_leaks() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(5000));
    c.output();
    c.st.so(c.so).so_state |= SS_NOFDREF;
    tcp_drop(&mut c.st, c.tp, ECONNABORTED);
    c.out();
    assert!(c.st.sockets.get(c.so).is_none());
    assert_eq!(c.st.tcpcbs.len(), 0);
    assert_eq!((c.st.mbpool.mbstat.m_mbufs, c.st.mbpool.mbstat.m_clusters), (0, 0));
}

#[test]
fn out_of_mbufs_is_a_source_quench() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(100));
    c.st.mbpool.nmbufs = c.st.mbpool.mbstat.m_mbufs;
    assert_eq!(tcp_output(&mut c.st, c.tp), Ok(()));
    assert!(c.out().is_empty());
    assert_eq!(c.t().snd_cwnd, 512);
    assert_eq!(c.t().snd_nxt, ISS + 1, "nothing was sent");
    c.st.mbpool.nmbufs = usize::MAX;
    assert_eq!(c.output().len(), 1);
}

#[test]
fn a_listener_sends_nothing() {
    let mut c = Conn::new(TCPS_LISTEN);
    c.t().t_flags |= TF_ACKNOW;
    assert!(c.output().is_empty());
    // Nor does a SYN_SENT connection whose SYN is out, when asked again
    // (a send() before the connection completes).
    let mut c = Conn::new(TCPS_SYN_SENT);
    assert_eq!(c.output().len(), 1);
    c.queue(&payload(10));
    assert!(c.output().is_empty());
    assert_eq!(c.t().snd_nxt, ISS + 1);
    assert_ne!(c.t().t_timer[TCPT_REXMT], 0);
}

#[test]
fn a_down_network_after_the_syn_is_a_soft_error() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    let ifp = c.st.ifnet.iter().find(|(_, i)| i.if_name.as_bytes() == b"tun0").unwrap().0;
    if_down(&mut c.st, ifp);
    c.queue(&payload(10));
    assert_eq!(tcp_output(&mut c.st, c.tp), Ok(()));
    assert_ne!(c.t().t_softerror, 0);
    assert_eq!(c.st.so(c.so).so_error, Errno(0));
}

#[test]
fn a_tiny_segment_size_does_not_loop() {
    for maxseg in [1u16, 12, 13] {
        let mut c = Conn::new(TCPS_ESTABLISHED);
        c.t().t_flags |= TF_REQ_TSTMP | TF_RCVD_TSTMP;
        c.t().t_maxseg = maxseg;
        c.queue(&payload(40));
        let segs = c.output();
        let per = usize::from(maxseg.saturating_sub(12));
        match 40usize.checked_div(per) {
            Some(n) => assert_eq!(segs.len(), n),
            // Options only: one segment without data, then nothing.
            None => assert!(segs.len() <= 1),
        }
    }
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Whatever a control block holds, output and the timers neither
    /// panic (the build checks overflow) nor loop, and leak nothing once
    /// the connection is dropped.
    #[test]
    fn output_and_timers_never_panic(
        state in 0i16..11,
        una in any::<u32>(), nxt_off in -3000i32..3000, max_off in -3000i32..3000,
        wnd in any::<u32>(), cwnd in any::<u32>(), max_sndwnd in any::<u32>(),
        rcv_adv_off in -70_000i32..70_000, up_off in -3000i32..3000,
        maxseg in 0u16..1400, scale in any::<u8>(), flags in any::<u16>(),
        force in any::<bool>(), timers in proptest::array::uniform4(-2i32..30),
        rxtshift in -1i32..20, srtt in -100i32..100_000, rttvar in -100i32..100_000,
        data in 0usize..6000, rcvdata in 0usize..9000, ticks in 0usize..40,
    ) {
        let mut c = Conn::new(TCPS_ESTABLISHED);
        c.queue(&payload(data));
        let m = m_devget(&mut c.st.mbpool, &payload(rcvdata), 0, None).unwrap();
        let (s, mp) = c.st.so_mbpool(c.so);
        let _ = s.so_rcv.sbappend(mp, m);
        let t = c.t();
        t.t_state = state;
        t.snd_una = una;
        t.snd_nxt = una.wrapping_add(nxt_off as u32);
        t.snd_max = una.wrapping_add(max_off as u32);
        t.snd_up = una.wrapping_add(up_off as u32);
        t.snd_wnd = wnd;
        t.snd_cwnd = cwnd;
        t.max_sndwnd = max_sndwnd;
        t.rcv_adv = t.rcv_nxt.wrapping_add(rcv_adv_off as u32);
        t.t_maxseg = maxseg;
        t.rcv_scale = scale;
        t.request_r_scale = scale;
        t.t_flags = flags;
        t.t_force = force;
        t.t_timer = timers;
        t.t_rxtshift = rxtshift;
        t.t_srtt = srtt;
        t.t_rttvar = rttvar;
        c.st.so(c.so).so_options |= SO_KEEPALIVE | SO_DEBUG;
        let _ = tcp_output(&mut c.st, c.tp);
        for _ in 0..ticks {
            tcp_fasttimo(&mut c.st);
            tcp_slowtimo(&mut c.st);
        }
        c.out();
        c.st.so(c.so).so_state |= SS_NOFDREF;
        if c.alive() {
            tcp_drop(&mut c.st, c.tp, ECONNABORTED);
        } else {
            // Closed by a timer: the socket stayed for its descriptor.
            let so = c.so;
            bsdinet::bsd::kern::uipc_socket::sofree(&mut c.st, so);
        }
        c.out();
        prop_assert!(c.st.sockets.get(c.so).is_none());
        prop_assert_eq!(c.st.tcpcbs.len(), 0);
        prop_assert_eq!(c.st.mbpool.mbstat.m_mbufs, 0);
    }
}

#[test]
fn losing_drops_the_cached_route_and_the_rtt_estimate() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.queue(&payload(100));
    c.output();
    let rt = tcp_rtalloc(&mut c.st, c.inp).unwrap();
    c.t().t_srtt = 40;
    c.t().t_rttvar = 8;
    for i in 1..=4 {
        c.t().t_timer[TCPT_REXMT] = 1;
        c.slow();
        // Three retransmissions keep the route; the fourth gives it up.
        assert_eq!(c.st.pcb(c.inp).inp_route.is_some(), i <= 3, "{i}");
    }
    let t = c.t();
    assert_eq!((t.t_srtt, t.t_rttvar), (0, 8 + 5));
    // A route that is still in the table stays there.
    assert!(c.st.rtable.rtentries.get(rt).is_some());
}

#[test]
fn losing_deletes_a_route_a_redirect_made() {
    use bsdinet::bsd::net::route::RTF_DYNAMIC;
    let mut c = Conn::new(TCPS_ESTABLISHED);
    let rt = tcp_rtalloc(&mut c.st, c.inp).unwrap();
    c.st.rt(rt).rt_flags |= RTF_DYNAMIC;
    let dst = c.st.rt(rt).rt_dst;
    in_losing(&mut c.st, c.inp);
    assert_eq!(c.st.pcb(c.inp).inp_route, None);
    assert_ne!(c.st.rtable.rn_lookup(dst, InAddr(!0)), Some(rt));
}

#[test]
fn respond_with_a_control_block_offers_its_window() {
    let mut c = Conn::new(TCPS_ESTABLISHED);
    c.t().rcv_scale = 1;
    c.st.pcb(c.inp).inp_ip_ttl = 9;
    c.st.so(c.so).so_options |= SO_DEBUG;
    let ti = c.t().t_template;
    let m = m_devget(&mut c.st.mbpool, &payload(60), 0, None).unwrap();
    tcp_respond(&mut c.st, Some(c.tp), ti, Some(m), 7, 8, TH_ACK);
    let segs = c.out();
    assert_eq!(segs.len(), 1);
    let s = &segs[0];
    assert_eq!((s.th.th_ack, s.th.th_seq, s.th.th_win, s.ttl), (7, 8, 4096, 9));
    assert_eq!((s.th.th_sport, s.th.th_dport), (LPORT, PPORT));
    let e = c.st.tcp_debug.entries.last().unwrap();
    assert_eq!(e.td_act, bsdinet::bsd::netinet::tcp_debug::TA_RESPOND);
    // The received segment was freed.
    c.st.so(c.so).so_state |= SS_NOFDREF;
    tcp_close(&mut c.st, c.tp);
    assert_eq!(c.st.mbpool.mbstat.m_mbufs, 0);
}

#[test]
fn host_dead_reaches_every_connection_to_the_host() {
    let mut c = Conn::new(TCPS_SYN_SENT);
    let mut ip = vec![0x45u8; 1];
    ip.resize(28, 0);
    ip[12..16].copy_from_slice(&LOCAL.to_be_bytes());
    ip[16..20].copy_from_slice(&PEER.to_be_bytes());
    // Another connection's ports: PRC_HOSTDEAD ignores them.
    ip[20..22].copy_from_slice(&9u16.to_be_bytes());
    ip[22..24].copy_from_slice(&9u16.to_be_bytes());
    tcp_ctlinput(&mut c.st, bsdinet::bsd::kern::uipc_domain::PRC_HOSTDEAD, InAddr(PEER), Some(&ip));
    assert_eq!(c.t().t_softerror, EHOSTDOWN.0);
    // Commands without an error are ignored; another host is not ours.
    c.t().t_softerror = 0;
    tcp_ctlinput(&mut c.st, bsdinet::bsd::kern::uipc_domain::PRC_IFDOWN, InAddr(PEER), None);
    tcp_ctlinput(&mut c.st, PRC_UNREACH_HOST, InAddr(PEER + 1), None);
    tcp_ctlinput(&mut c.st, 99, InAddr(PEER), None);
    assert_eq!(c.t().t_softerror, 0);
    tcp_ctlinput(&mut c.st, PRC_UNREACH_HOST, InAddr(PEER), None);
    assert_eq!(c.t().t_softerror, EHOSTUNREACH.0);
}
