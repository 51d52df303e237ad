//! The TCP control block, statistics and tunables (`netinet/tcp_var.h`,
//! `netinet/tcpip.h`; book sections 24.4, 24.5 and 24.9).

use crate::bsd::kern::uipc_mbuf::Mbuf;
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::netinet::tcp::TCP_MSS;
use crate::bsd::netinet::tcp_fsm::TCPS_CLOSED;
use crate::bsd::netinet::tcp_timer::*;
use crate::bsd::stack::Stack;
use crate::platform::Vec;

// `t_flags` bits (figure 24.14).
/// Send an ACK at once.
pub const TF_ACKNOW: u16 = 0x0001;
/// An ACK is owed, and the fast timer will send it (delayed ACK).
pub const TF_DELACK: u16 = 0x0002;
/// Do not delay small segments (TCP_NODELAY: no Nagle).
pub const TF_NODELAY: u16 = 0x0004;
/// Send no options.
pub const TF_NOOPT: u16 = 0x0008;
/// The FIN has been sent.
pub const TF_SENTFIN: u16 = 0x0010;
/// Window scaling asked for (in our SYN).
pub const TF_REQ_SCALE: u16 = 0x0020;
/// The peer's SYN carried a window scale.
pub const TF_RCVD_SCALE: u16 = 0x0040;
/// Timestamps asked for (in our SYN).
pub const TF_REQ_TSTMP: u16 = 0x0080;
/// The peer's SYN carried a timestamp.
pub const TF_RCVD_TSTMP: u16 = 0x0100;
/// The peer offered SACK (recorded only: 4.4BSD-Lite has no SACK).
pub const TF_SACK_PERMIT: u16 = 0x0200;

// `t_oobflags` bits.
/// Out-of-band data is waiting in `t_iobc`.
pub const TCPOOB_HAVEDATA: u8 = 0x01;
/// Out-of-band data was read.
pub const TCPOOB_HADDATA: u8 = 0x02;

/// Fixed-point scale of `t_srtt`: 3 bits of fraction (`TCP_RTT_SCALE`).
pub const TCP_RTT_SCALE: i32 = 8;
pub const TCP_RTT_SHIFT: u32 = 3;
/// Fixed-point scale of `t_rttvar`: 2 bits of fraction.
pub const TCP_RTTVAR_SCALE: i32 = 4;
pub const TCP_RTTVAR_SHIFT: u32 = 2;

/// The retransmission timeout from the smoothed RTT and its deviation,
/// in slow ticks (`TCP_REXMTVAL`): srtt + 4 * rttvar, unscaled.
pub fn tcp_rexmtval(tp: &Tcpcb) -> i32 {
    (tp.t_srtt >> TCP_RTT_SHIFT) + tp.t_rttvar
}

/// A connection's addresses and ports as its segments carry them: the
/// book's header template (`t_template`, a `struct tcpiphdr` filled by
/// `tcp_template`), of which `tcp_output` and `tcp_respond` use these
/// four fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpIpHdr {
    /// Our address (the segment's source).
    pub ti_src: InAddr,
    /// The peer's address.
    pub ti_dst: InAddr,
    pub ti_sport: u16,
    pub ti_dport: u16,
}

/// One out-of-order segment waiting on the reassembly queue: its first
/// sequence number, its data (headers already removed) and whether a FIN
/// came with it. The book links the segments' `tcpiphdr`s themselves.
pub struct TcpReass {
    pub seq: u32,
    pub len: usize,
    pub fin: bool,
    pub m: Mbuf,
}

/// The TCP control block (`struct tcpcb`, figure 24.13).
pub struct Tcpcb {
    /// Out-of-order segments, in sequence order (`seg_next`).
    pub t_segq: Vec<TcpReass>,
    /// TCPS_* state.
    pub t_state: i16,
    /// The four timers, in slow ticks; 0 is off (`t_timer[]`).
    pub t_timer: [i32; TCPT_NTIMERS],
    /// Retransmissions so far, the index into `tcp_backoff[]`.
    pub t_rxtshift: i32,
    /// The current retransmission timeout, in slow ticks.
    pub t_rxtcur: i32,
    /// Duplicate ACKs in a row.
    pub t_dupacks: i32,
    /// The most data a segment carries (`t_maxseg`).
    pub t_maxseg: u16,
    /// Send even when the window is closed (a persist probe or OOB).
    pub t_force: bool,
    /// TF_* bits.
    pub t_flags: u16,
    /// The addresses and ports segments carry (`t_template`).
    pub t_template: TcpIpHdr,
    /// The PCB this block hangs off (`t_inpcb`).
    pub t_inpcb: usize,

    // Send sequence variables.
    /// Oldest unacknowledged sequence number.
    pub snd_una: u32,
    /// Next sequence number to send.
    pub snd_nxt: u32,
    /// The urgent pointer.
    pub snd_up: u32,
    /// The segment of the last window update (its sequence number).
    pub snd_wl1: u32,
    /// The segment of the last window update (its acknowledgment).
    pub snd_wl2: u32,
    /// Initial send sequence number.
    pub iss: u32,
    /// The peer's offered window.
    pub snd_wnd: u32,

    // Receive sequence variables.
    /// Our receive window.
    pub rcv_wnd: u32,
    /// Next sequence number expected.
    pub rcv_nxt: u32,
    /// The receive urgent pointer.
    pub rcv_up: u32,
    /// Initial receive sequence number.
    pub irs: u32,
    /// The highest sequence number advertised + 1.
    pub rcv_adv: u32,
    /// The highest sequence number sent (for retransmission).
    pub snd_max: u32,

    // Congestion control.
    /// Congestion window.
    pub snd_cwnd: u32,
    /// Slow-start threshold.
    pub snd_ssthresh: u32,

    // RTT estimation.
    /// Slow ticks since the last segment was received.
    pub t_idle: i32,
    /// The RTT being measured, in slow ticks (0 when none).
    pub t_rtt: i32,
    /// The sequence number being timed.
    pub t_rtseq: u32,
    /// Smoothed RTT, scaled by TCP_RTT_SCALE.
    pub t_srtt: i32,
    /// RTT deviation, scaled by TCP_RTTVAR_SCALE.
    pub t_rttvar: i32,
    /// The smallest RTO allowed, in slow ticks.
    pub t_rttmin: i32,
    /// The largest window the peer offered.
    pub max_sndwnd: u32,

    // Out-of-band data.
    /// TCPOOB_* bits.
    pub t_oobflags: u8,
    /// The out-of-band byte.
    pub t_iobc: u8,
    /// An error to report if the connection times out (`t_softerror`).
    pub t_softerror: i32,

    // RFC 1323.
    /// Window scale for sending.
    pub snd_scale: u8,
    /// Window scale for receiving.
    pub rcv_scale: u8,
    /// The receive scale we asked for.
    pub request_r_scale: u8,
    /// The send scale the peer asked for.
    pub requested_s_scale: u8,
    /// The timestamp to echo.
    pub ts_recent: u32,
    /// When `ts_recent` was recorded (`tcp_now`).
    pub ts_recent_age: u32,
    /// The acknowledgment of the last segment sent.
    pub last_ack_sent: u32,

    // bsdinet: the limit on ACKs for unacceptable segments (FreeBSD's
    // `t_challenge_ack_end`/`t_challenge_ack_cnt`), which ends the ACK
    // storm of two ends that no longer agree (RFC 5961 section 7).
    /// When the current period of ACKs ends (`tcp_now`).
    pub t_ackwar_end: u32,
    /// ACKs sent in it.
    pub t_ackwar_cnt: u32,
}

impl Tcpcb {
    /// A control block for PCB `inp`, closed, with the book's initial
    /// values (`tcp_newtcpcb` fills the rest from the stack's tunables).
    pub fn new(inp: usize) -> Tcpcb {
        Tcpcb {
            t_segq: Vec::new(),
            t_state: TCPS_CLOSED,
            t_timer: [0; TCPT_NTIMERS],
            t_rxtshift: 0,
            t_rxtcur: 0,
            t_dupacks: 0,
            t_maxseg: TCP_MSS,
            t_force: false,
            t_flags: 0,
            t_template: TcpIpHdr::default(),
            t_inpcb: inp,
            snd_una: 0,
            snd_nxt: 0,
            snd_up: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            iss: 0,
            snd_wnd: 0,
            rcv_wnd: 0,
            rcv_nxt: 0,
            rcv_up: 0,
            irs: 0,
            rcv_adv: 0,
            snd_max: 0,
            snd_cwnd: 0,
            snd_ssthresh: 0,
            t_idle: 0,
            t_rtt: 0,
            t_rtseq: 0,
            t_srtt: 0,
            t_rttvar: 0,
            t_rttmin: 0,
            max_sndwnd: 0,
            t_oobflags: 0,
            t_iobc: 0,
            t_softerror: 0,
            snd_scale: 0,
            rcv_scale: 0,
            request_r_scale: 0,
            requested_s_scale: 0,
            ts_recent: 0,
            ts_recent_age: 0,
            last_ack_sent: 0,
            t_ackwar_end: 0,
            t_ackwar_cnt: 0,
        }
    }

    /// `tcp_rcvseqinit`: the receive sequence from the peer's ISS.
    pub fn tcp_rcvseqinit(&mut self) {
        self.rcv_adv = self.irs.wrapping_add(1);
        self.rcv_nxt = self.rcv_adv;
    }

    /// `tcp_sendseqinit`: the send sequence from our ISS.
    pub fn tcp_sendseqinit(&mut self) {
        self.snd_una = self.iss;
        self.snd_nxt = self.iss;
        self.snd_max = self.iss;
        self.snd_up = self.iss;
    }
}

/// TCP statistics (`struct tcpstat`, figure 24.7), every counter of the
/// book, then bsdinet's own at the end.
#[derive(Default, Clone, Debug)]
pub struct Tcpstat {
    /// Connections initiated (connect()).
    pub tcps_connattempt: u64,
    /// Connections accepted (SYNs received on listeners).
    pub tcps_accepts: u64,
    /// Connections established (both ways).
    pub tcps_connects: u64,
    /// Connections dropped (after the SYN was acknowledged).
    pub tcps_drops: u64,
    /// Embryonic connections dropped (before).
    pub tcps_conndrops: u64,
    /// Connections closed (including drops).
    pub tcps_closed: u64,
    /// Segments whose RTT was timed.
    pub tcps_segstimed: u64,
    /// Times the RTT estimators were updated.
    pub tcps_rttupdated: u64,
    /// Delayed ACKs sent.
    pub tcps_delack: u64,
    /// Connections dropped by the retransmission timer.
    pub tcps_timeoutdrop: u64,
    /// Retransmission timeouts.
    pub tcps_rexmttimeo: u64,
    /// Persist timeouts.
    pub tcps_persisttimeo: u64,
    /// Keepalive timeouts.
    pub tcps_keeptimeo: u64,
    /// Keepalive probes sent.
    pub tcps_keepprobe: u64,
    /// Connections dropped by keepalive.
    pub tcps_keepdrops: u64,

    /// Segments sent.
    pub tcps_sndtotal: u64,
    /// Data segments sent.
    pub tcps_sndpack: u64,
    /// Data bytes sent.
    pub tcps_sndbyte: u64,
    /// Data segments retransmitted.
    pub tcps_sndrexmitpack: u64,
    /// Data bytes retransmitted.
    pub tcps_sndrexmitbyte: u64,
    /// ACK-only segments sent.
    pub tcps_sndacks: u64,
    /// Window probes sent.
    pub tcps_sndprobe: u64,
    /// Segments sent with only the URG flag.
    pub tcps_sndurg: u64,
    /// Window update segments sent.
    pub tcps_sndwinup: u64,
    /// Control segments sent (SYN, FIN, RST).
    pub tcps_sndctrl: u64,

    /// Segments received.
    pub tcps_rcvtotal: u64,
    /// In-sequence data segments received.
    pub tcps_rcvpack: u64,
    /// In-sequence data bytes received.
    pub tcps_rcvbyte: u64,
    /// Segments with a bad checksum.
    pub tcps_rcvbadsum: u64,
    /// Segments with a bad header offset.
    pub tcps_rcvbadoff: u64,
    /// Segments too short.
    pub tcps_rcvshort: u64,
    /// Completely duplicate segments.
    pub tcps_rcvduppack: u64,
    /// Bytes in them.
    pub tcps_rcvdupbyte: u64,
    /// Partly duplicate segments.
    pub tcps_rcvpartduppack: u64,
    /// Duplicate bytes in them.
    pub tcps_rcvpartdupbyte: u64,
    /// Out-of-order segments.
    pub tcps_rcvoopack: u64,
    /// Out-of-order bytes.
    pub tcps_rcvoobyte: u64,
    /// Segments with data beyond the window.
    pub tcps_rcvpackafterwin: u64,
    /// Bytes beyond the window.
    pub tcps_rcvbyteafterwin: u64,
    /// Segments received after the process closed.
    pub tcps_rcvafterclose: u64,
    /// Window probes received.
    pub tcps_rcvwinprobe: u64,
    /// Duplicate ACKs received.
    pub tcps_rcvdupack: u64,
    /// ACKs for data not sent yet.
    pub tcps_rcvacktoomuch: u64,
    /// ACK segments received.
    pub tcps_rcvackpack: u64,
    /// Bytes acknowledged by them.
    pub tcps_rcvackbyte: u64,
    /// Window updates received.
    pub tcps_rcvwinupd: u64,
    /// Segments dropped by PAWS.
    pub tcps_pawsdrop: u64,
    /// Header prediction hits for pure ACKs.
    pub tcps_predack: u64,
    /// Header prediction hits for in-sequence data.
    pub tcps_preddat: u64,
    /// Times the one-entry PCB cache missed.
    pub tcps_pcbcachemiss: u64,
    /// Connections dropped by the persist timer (Net/3 counts them).
    pub tcps_persistdrop: u64,
    /// Bogus SYNs (a SYN to a listener with other flags wrong).
    pub tcps_badsyn: u64,

    // bsdinet's own.
    /// Connection requests dropped for a full listen queue.
    pub tcps_listendrop: u64,
    /// Fast retransmissions (three duplicate ACKs).
    pub tcps_sndrexmitfast: u64,
    /// Challenge ACKs sent for in-window RSTs and SYNs (RFC 5961).
    pub tcps_challengeack: u64,
    /// Segments dropped for want of mbufs (reassembly, templates).
    pub tcps_rcvmemdrop: u64,
    /// Segments received for no connection (answered with a RST).
    pub tcps_noport: u64,
    /// Segments dropped for flags their connection's state does not
    /// take (a RST or no SYN to a listener, no ACK once synchronized, a
    /// segment for a CLOSED control block...), which the book drops
    /// without counting.
    pub tcps_rcvbadflags: u64,
}

/// TCP's tunables and clocks, one set per stack (the book's globals
/// `tcp_mssdflt`, `tcp_do_rfc1323`, `tcp_keepidle`, `tcp_iss`, `tcp_now`
/// ...). Intervals are in slow ticks (PR_SLOWHZ a second); the platform
/// turns the sysctls' milliseconds into them.
pub struct TcpVars {
    /// The default MSS (`tcp_mssdflt`).
    pub tcp_mssdflt: u16,
    /// Whether to ask for window scaling and timestamps (`tcp_do_rfc1323`).
    pub tcp_do_rfc1323: bool,
    /// Default send buffer size (`tcp_sendspace`).
    pub tcp_sendspace: usize,
    /// Default receive buffer size (`tcp_recvspace`).
    pub tcp_recvspace: usize,
    /// Idle time before the first keepalive probe (`tcp_keepidle`).
    pub tcp_keepidle: i32,
    /// Interval between keepalive probes (`tcp_keepintvl`).
    pub tcp_keepintvl: i32,
    /// Probes without answer before the connection is dropped
    /// (`TCPTV_KEEPCNT`).
    pub tcp_keepcnt: i32,
    /// How long a connection request may take (`TCPTV_KEEP_INIT`).
    pub tcp_keepinit: i32,
    /// The maximum segment lifetime (`TCPTV_MSL`); TIME_WAIT lasts twice
    /// it.
    pub tcp_msl: i32,
    /// The smallest retransmission timeout (`TCPTV_MIN`).
    pub tcp_rexmtmin: i32,
    /// The largest retransmission timeout (`TCPTV_REXMTMAX`).
    pub tcp_rexmtmax: i32,
    /// The smallest persist timeout (`TCPTV_PERSMIN`).
    pub tcp_persmin: i32,
    /// The largest persist timeout (`TCPTV_PERSMAX`).
    pub tcp_persmax: i32,
    /// The book's ISS clock (`tcp_iss`).
    pub tcp_iss: u32,
    /// Whether initial sequence numbers follow RFC 6528 (a keyed hash of
    /// the connection and a clock), bsdinet's default; off gives the
    /// book's `tcp_iss` clock.
    pub tcp_iss_random: bool,
    /// The secret key for RFC 6528 (chosen when the stack starts).
    pub tcp_iss_secret: [u32; 4],
    /// Whether in-window RSTs and SYNs that are not exactly at `rcv_nxt`
    /// get a challenge ACK (RFC 5961), bsdinet's default; off gives the
    /// book's acceptance of any in-window RST.
    pub tcp_challenge_ack: bool,
    /// The timestamp clock (`tcp_now`), in slow ticks.
    pub tcp_now: u32,
    /// The one-entry PCB cache of `tcp_input` (`tcp_last_inpcb`).
    pub tcp_last_inpcb: Option<usize>,
    /// Whether the timeouts walk every control block as the book does
    /// (`net.bsdinet.tcp.timer_walk=1`); off (the default), the fast
    /// timeout visits only the connections in `tcp_delacks` and the slow
    /// one counts down in a tight pass before it calls `tcp_timers`. The
    /// same ACKs and timeouts come at the same ticks either way.
    pub tcp_timer_walk: bool,
    /// Control blocks whose `TF_DELACK` was set since the last fast
    /// timeout (`tcp_delack`); stale or repeated entries are harmless.
    pub tcp_delacks: Vec<usize>,
    /// An entry could not be added to `tcp_delacks` (no memory, or more
    /// than `TCP_DELACKS_MAX`): the next fast timeout walks them all.
    pub tcp_delacks_lost: bool,
    /// The slow timeout's expired timers, (control block, timer), kept
    /// between ticks so that a tick does not allocate.
    pub tcp_expired: Vec<(usize, usize)>,
}

/// Most entries `tcp_delacks` takes before the next fast timeout walks
/// every connection instead.
pub const TCP_DELACKS_MAX: usize = 4096;

/// Marks control block `tp` for a delayed ACK (`tp->t_flags |= TF_DELACK`
/// in the book), remembering it for the fast timeout.
pub fn tcp_delack(st: &mut Stack, tp: usize) {
    let t = st.tp(tp);
    if t.t_flags & TF_DELACK != 0 {
        return;
    }
    t.t_flags |= TF_DELACK;
    let l = &mut st.tcp;
    if l.tcp_delacks.len() >= TCP_DELACKS_MAX || l.tcp_delacks.push(tp).is_err() {
        l.tcp_delacks_lost = true;
    }
}

impl Default for TcpVars {
    fn default() -> Self {
        TcpVars {
            tcp_mssdflt: TCP_MSS,
            tcp_do_rfc1323: true,
            tcp_sendspace: 1024 * 8,
            tcp_recvspace: 1024 * 8,
            tcp_keepidle: TCPTV_KEEP_IDLE,
            tcp_keepintvl: TCPTV_KEEPINTVL,
            tcp_keepcnt: TCPTV_KEEPCNT,
            tcp_keepinit: TCPTV_KEEP_INIT,
            tcp_msl: TCPTV_MSL,
            tcp_rexmtmin: TCPTV_MIN,
            tcp_rexmtmax: TCPTV_REXMTMAX,
            tcp_persmin: TCPTV_PERSMIN,
            tcp_persmax: TCPTV_PERSMAX,
            tcp_iss: 1,
            tcp_iss_random: true,
            tcp_iss_secret: [0; 4],
            tcp_challenge_ack: true,
            tcp_now: 0,
            tcp_last_inpcb: None,
            tcp_timer_walk: false,
            tcp_delacks: Vec::new(),
            tcp_delacks_lost: false,
            tcp_expired: Vec::new(),
        }
    }
}

/// The TCP control block of PCB `inp` (`intotcpcb`), if it has one.
pub fn intotcpcb(st: &mut Stack, inp: usize) -> Option<usize> {
    st.inpcbs.get(inp).and_then(|p| p.inp_ppcb)
}

/// The TCP control block of socket `so` (`sototcpcb`), if it has one.
pub fn sototcpcb(st: &mut Stack, so: usize) -> Option<usize> {
    let inp = st.sockets.get(so)?.so_pcb?;
    intotcpcb(st, inp)
}

/// The socket of control block `tp` (the book's
/// `tp->t_inpcb->inp_socket`), if both are still there.
pub fn tcp_socket(st: &Stack, tp: usize) -> Option<usize> {
    let inp = st.tcpcbs.get(tp)?.t_inpcb;
    st.inpcbs.get(inp).map(|p| p.inp_socket)
}
