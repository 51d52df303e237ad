//! TCP timers (`netinet/tcp_timer.h`, `netinet/tcp_timer.c`; book
//! chapter 25).

use crate::bsd::kern::uipc_socket::{PRU_SLOWTIMO, SO_KEEPALIVE};
use crate::bsd::netinet::in_pcb::in_losing;
use crate::bsd::netinet::tcp_debug::{tcp_trace, TA_USER};
use crate::bsd::netinet::tcp_fsm::{TCPS_CLOSE_WAIT, TCPS_ESTABLISHED, TCPS_TIME_WAIT};
use crate::bsd::netinet::tcp_output::{tcp_output, tcp_setpersist};
use crate::bsd::netinet::tcp_seq::TCP_ISSINCR;
use crate::bsd::netinet::tcp_subr::{tcp_close, tcp_drop, tcp_respond, tcp_template};
use crate::bsd::netinet::tcp_var::{Tcpcb, TCP_RTT_SHIFT, TF_ACKNOW, TF_DELACK};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Errno, ETIMEDOUT};

/// Slow timeouts a second (`PR_SLOWHZ`).
pub const PR_SLOWHZ: i32 = 2;
/// Fast timeouts a second (`PR_FASTHZ`).
pub const PR_FASTHZ: i32 = 5;

/// The retransmission timer.
pub const TCPT_REXMT: usize = 0;
/// The persist timer.
pub const TCPT_PERSIST: usize = 1;
/// The keepalive timer (and the connection-establishment timer).
pub const TCPT_KEEP: usize = 2;
/// The 2MSL timer (and the FIN_WAIT_2 timer).
pub const TCPT_2MSL: usize = 3;
/// How many timers a connection has.
pub const TCPT_NTIMERS: usize = 4;

/// The timers' names, for trpt.
pub const TCPTIMERS: [&str; TCPT_NTIMERS] = ["REXMT", "PERSIST", "KEEP", "2MSL"];

// Times in slow ticks (figure 25.3).
/// Maximum segment lifetime: 30 s.
pub const TCPTV_MSL: i32 = 30 * PR_SLOWHZ;
/// The smoothed RTT of a connection without samples (`TCPTV_SRTTBASE`).
pub const TCPTV_SRTTBASE: i32 = 0;
/// The RTO assumed before any RTT sample (`TCPTV_SRTTDFLT`): 3 s.
pub const TCPTV_SRTTDFLT: i32 = 3 * PR_SLOWHZ;
/// Smallest persist interval: 5 s.
pub const TCPTV_PERSMIN: i32 = 5 * PR_SLOWHZ;
/// Largest persist interval: 60 s.
pub const TCPTV_PERSMAX: i32 = 60 * PR_SLOWHZ;
/// Connection establishment time limit: 75 s.
pub const TCPTV_KEEP_INIT: i32 = 75 * PR_SLOWHZ;
/// Idle time before the first keepalive probe: 2 hours.
pub const TCPTV_KEEP_IDLE: i32 = 120 * 60 * PR_SLOWHZ;
/// Interval between keepalive probes: 75 s.
pub const TCPTV_KEEPINTVL: i32 = 75 * PR_SLOWHZ;
/// Keepalive probes before the connection is dropped.
pub const TCPTV_KEEPCNT: i32 = 8;
/// Smallest retransmission timeout: 1 s.
pub const TCPTV_MIN: i32 = PR_SLOWHZ;
/// Largest retransmission timeout: 64 s.
pub const TCPTV_REXMTMAX: i32 = 64 * PR_SLOWHZ;
/// Retransmissions before the connection is dropped.
pub const TCP_MAXRXTSHIFT: i32 = 12;

/// The backoff multipliers of the retransmission timeout.
pub const TCP_BACKOFF: [i32; TCP_MAXRXTSHIFT as usize + 1] =
    [1, 2, 4, 8, 16, 32, 64, 64, 64, 64, 64, 64, 64];

/// `TCPT_RANGESET`: `value` forced into `[tvmin, tvmax]`.
pub fn tcpt_rangeset(value: i32, tvmin: i32, tvmax: i32) -> i32 {
    value.max(tvmin).min(tvmax)
}

/// Turns every timer off (`tcp_canceltimers`).
pub fn tcp_canceltimers(tp: &mut Tcpcb) {
    tp.t_timer = [0; TCPT_NTIMERS];
}

/// Every slot of the control block table, in index order: the book walks
/// the PCB list instead. Walking indices needs no memory, and a timer
/// that closes a connection frees only its own slot.
fn tcpcb_slots(st: &Stack) -> usize {
    st.tcpcbs.chunks().saturating_mul(st.tcpcbs.per_chunk())
}

/// Sends control block `i`'s delayed ACK, if it has one.
fn tcp_delack_timeout(st: &mut Stack, i: usize) {
    let Some(t) = st.tcpcbs.get_mut(i) else { return };
    if t.t_flags & TF_DELACK != 0 {
        t.t_flags &= !TF_DELACK;
        t.t_flags |= TF_ACKNOW;
        st.tcpstat.tcps_delack += 1;
        let _ = tcp_output(st, i);
    }
}

/// The fast timeout, every 200 ms (`tcp_fasttimo`): sends the delayed
/// ACKs. The book walks every connection; here only those that
/// `tcp_delack` marked since the last time are visited, unless
/// `tcp_timer_walk` asks for the book's walk (or the list lost entries).
pub fn tcp_fasttimo(st: &mut Stack) {
    if st.tcp.tcp_timer_walk || st.tcp.tcp_delacks_lost {
        st.tcp.tcp_delacks_lost = false;
        st.tcp.tcp_delacks.clear();
        for i in 0..tcpcb_slots(st) {
            tcp_delack_timeout(st, i);
        }
        return;
    }
    // Entries added meanwhile (none are: tcp_output sets no delayed ACK)
    // would be taken in this pass too.
    let mut k = 0;
    while let Some(&i) = st.tcp.tcp_delacks.get(k) {
        tcp_delack_timeout(st, i);
        k += 1;
    }
    st.tcp.tcp_delacks.clear();
}

/// Timer `timer` of control block `i` has expired: `tcp_timers`, traced
/// as the book's `tcp_usrreq(PRU_SLOWTIMO)` traces it. False when the
/// connection is gone.
fn tcp_timer_fire(st: &mut Stack, i: usize, timer: usize) -> bool {
    let Some(t) = st.tcpcbs.get(i) else { return false };
    let ostate = t.t_state;
    if tcp_timers(st, i, timer).is_none() {
        return false;
    }
    let req = PRU_SLOWTIMO | (timer as i32) << 8;
    tcp_trace(st, TA_USER, ostate, Some(i), None, req);
    true
}

/// The book's slow-timeout work on control block `i` from timer `first`
/// on: count each running timer down, call `tcp_timers` for those that
/// reach 0, then count the idle time and the RTT being timed.
fn tcp_slowtimo_tcb(st: &mut Stack, i: usize, first: usize) {
    for timer in first..TCPT_NTIMERS {
        let Some(t) = st.tcpcbs.get_mut(i) else { return };
        if t.t_timer[timer] != 0 {
            t.t_timer[timer] = t.t_timer[timer].saturating_sub(1);
            if t.t_timer[timer] == 0 && !tcp_timer_fire(st, i, timer) {
                return;
            }
        }
    }
    if let Some(t) = st.tcpcbs.get_mut(i) {
        t.t_idle = t.t_idle.saturating_add(1);
        if t.t_rtt != 0 {
            t.t_rtt = t.t_rtt.saturating_add(1);
        }
    }
}

/// The slow timeout, every 500 ms (`tcp_slowtimo`): counts down every
/// connection's timers and calls `tcp_timers` for those that expire;
/// advances `tcp_iss` and `tcp_now`.
///
/// The book's loop (`tcp_timer_walk`) looks every connection up by its
/// index and each of its timers in turn. By default a first, tight pass
/// over the table does the counting for every connection whose timers
/// do not expire, and stops at a connection's first timer that does,
/// noting it; a second pass fires the noted timers and goes on with the
/// same connection's later timers exactly as the book's loop would (a
/// timeout acts on its own connection only, so the order between
/// connections does not matter). With 100,000 idle connections the
/// tight pass is what makes an idle stack cheap.
pub fn tcp_slowtimo(st: &mut Stack) {
    if st.tcp.tcp_timer_walk {
        for i in 0..tcpcb_slots(st) {
            if st.tcpcbs.get(i).is_some() {
                tcp_slowtimo_tcb(st, i, 0);
            }
        }
    } else {
        let mut expired = core::mem::take(&mut st.tcp.tcp_expired);
        expired.clear();
        for (i, t) in st.tcpcbs.iter_mut() {
            let mut fired = false;
            for timer in 0..TCPT_NTIMERS {
                if t.t_timer[timer] != 0 {
                    t.t_timer[timer] -= 1;
                    if t.t_timer[timer] == 0 {
                        if expired.push((i, timer)).is_err() {
                            // No memory to note it: it expires on the
                            // next tick instead, with the rest of this
                            // connection's counting.
                            t.t_timer[timer] = 1;
                        }
                        fired = true;
                        break;
                    }
                }
            }
            if !fired {
                t.t_idle = t.t_idle.saturating_add(1);
                if t.t_rtt != 0 {
                    t.t_rtt = t.t_rtt.saturating_add(1);
                }
            }
        }
        for &(i, timer) in expired.iter() {
            if tcp_timer_fire(st, i, timer) {
                tcp_slowtimo_tcb(st, i, timer + 1);
            }
        }
        expired.clear();
        st.tcp.tcp_expired = expired;
    }
    st.tcp.tcp_iss = st.tcp.tcp_iss.wrapping_add(TCP_ISSINCR / PR_SLOWHZ as u32);
    st.tcp.tcp_now = st.tcp.tcp_now.wrapping_add(1);
}

/// How long a connection may stay idle once probing starts
/// (`tcp_maxidle`): `tcp_keepcnt` probes `tcp_keepintvl` apart.
pub fn tcp_maxidle(st: &Stack) -> i32 {
    st.tcp.tcp_keepcnt.saturating_mul(st.tcp.tcp_keepintvl)
}

/// Timer `timer` of control block `tp` expired (`tcp_timers`, figures
/// 25.10-25.26). Returns the control block, or `None` when the connection
/// was closed.
pub fn tcp_timers(st: &mut Stack, tp: usize, timer: usize) -> Option<usize> {
    st.tcpcbs.get(tp)?;
    let maxidle = tcp_maxidle(st);
    match timer {
        // 2MSL: TIME_WAIT is over; or FIN_WAIT_2 has waited long enough,
        // unless the peer was heard from lately (figure 25.10).
        TCPT_2MSL => {
            let keepintvl = st.tcp.tcp_keepintvl;
            let t = st.tp(tp);
            if t.t_state != TCPS_TIME_WAIT && t.t_idle <= maxidle {
                t.t_timer[TCPT_2MSL] = keepintvl;
            } else {
                return tcp_close(st, tp);
            }
        }
        // Retransmission (figures 25.25 and 25.26).
        TCPT_REXMT => {
            let t = st.tp(tp);
            t.t_rxtshift += 1;
            if t.t_rxtshift > TCP_MAXRXTSHIFT {
                t.t_rxtshift = TCP_MAXRXTSHIFT;
                let e = if t.t_softerror != 0 { Errno(t.t_softerror) } else { ETIMEDOUT };
                st.tcpstat.tcps_timeoutdrop += 1;
                return tcp_drop(st, tp, e);
            }
            st.tcpstat.tcps_rexmttimeo += 1;
            let rmax = st.tcp.tcp_rexmtmax;
            let t = st.tp(tp);
            let backoff = TCP_BACKOFF.get(t.t_rxtshift as usize).copied().unwrap_or(64);
            // TCP_REXMTVAL, saturating.
            let rexmtval = (t.t_srtt >> TCP_RTT_SHIFT).saturating_add(t.t_rttvar);
            let rexmt = rexmtval.saturating_mul(backoff);
            t.t_rxtcur = tcpt_rangeset(rexmt, t.t_rttmin, rmax);
            t.t_timer[TCPT_REXMT] = t.t_rxtcur;
            // After several tries the route may be bad, and the RTT
            // estimate too: forget the route and smooth no more on the
            // old estimate (in_losing).
            if t.t_rxtshift > TCP_MAXRXTSHIFT / 4 {
                let inp = t.t_inpcb;
                t.t_rttvar = t.t_rttvar.saturating_add(t.t_srtt >> TCP_RTT_SHIFT);
                t.t_srtt = 0;
                in_losing(st, inp);
            }
            let t = st.tp(tp);
            t.snd_nxt = t.snd_una;
            // Do not time the retransmission (Karn).
            t.t_rtt = 0;
            // Back to slow start, with half the window as the threshold.
            let maxseg = u32::from(t.t_maxseg.max(1));
            let win = (t.snd_wnd.min(t.snd_cwnd) / 2 / maxseg).max(2);
            t.snd_cwnd = maxseg;
            t.snd_ssthresh = win * maxseg;
            t.t_dupacks = 0;
            let _ = tcp_output(st, tp);
        }
        // The persist timer: probe the closed window (figure 25.13).
        TCPT_PERSIST => {
            st.tcpstat.tcps_persisttimeo += 1;
            // The book probes a closed window for ever; a peer that never
            // opens it (or is gone) would hold the connection so, with no
            // descriptor left to close it. FreeBSD's limit: once the
            // backoff is at its end, a connection that heard nothing for
            // the keepalive idle time, or for the whole backoff, goes.
            let t = st.tp(tp);
            let (idle, shift) = (t.t_idle, t.t_rxtshift);
            let total: i32 = TCP_BACKOFF.iter().sum();
            let whole = crate::bsd::netinet::tcp_var::tcp_rexmtval(st.tp(tp)).saturating_mul(total);
            if shift >= TCP_MAXRXTSHIFT && (idle >= st.tcp.tcp_keepidle || idle >= whole) {
                st.tcpstat.tcps_persistdrop += 1;
                return tcp_drop(st, tp, ETIMEDOUT);
            }
            tcp_setpersist(st, tp);
            st.tp(tp).t_force = true;
            let _ = tcp_output(st, tp);
            if let Some(t) = st.tcpcbs.get_mut(tp) {
                t.t_force = false;
            }
        }
        // Keepalive, or connection establishment (figure 25.16).
        TCPT_KEEP => {
            st.tcpstat.tcps_keeptimeo += 1;
            let t = st.tp(tp);
            let (state, idle, inp) = (t.t_state, t.t_idle, t.t_inpcb);
            if state < TCPS_ESTABLISHED {
                st.tcpstat.tcps_keepdrops += 1;
                return tcp_drop(st, tp, ETIMEDOUT);
            }
            let so = st.pcb(inp).inp_socket;
            let keepalive = st.so(so).so_options & SO_KEEPALIVE != 0;
            let (keepidle, keepintvl) = (st.tcp.tcp_keepidle, st.tcp.tcp_keepintvl);
            if keepalive && state <= TCPS_CLOSE_WAIT {
                if idle >= keepidle.saturating_add(maxidle) {
                    st.tcpstat.tcps_keepdrops += 1;
                    return tcp_drop(st, tp, ETIMEDOUT);
                }
                // A segment the peer must answer: one byte before its
                // window, carrying no data (the book's old 4.2BSD
                // compatible probe without the garbage byte).
                st.tcpstat.tcps_keepprobe += 1;
                let mut ti = st.tp(tp).t_template;
                if ti.ti_dst == crate::bsd::netinet::in_::INADDR_ANY {
                    ti = tcp_template(st, tp);
                }
                let t = st.tp(tp);
                let (ack, seq) = (t.rcv_nxt, t.snd_una.wrapping_sub(1));
                tcp_respond(st, Some(tp), ti, None, ack, seq, 0);
                st.tp(tp).t_timer[TCPT_KEEP] = keepintvl;
            } else {
                st.tp(tp).t_timer[TCPT_KEEP] = keepidle;
            }
        }
        _ => {}
    }
    Some(tp)
}
