//! TCP input (`netinet/tcp_input.c`; book chapters 27-29).

use crate::bsd::kern::uipc_mbuf::{m_freem, Mbuf};
use crate::bsd::stack::Stack;

/// TCP's `pr_input`: a segment from IP, with its IP header of `iphlen`
/// bytes in front (`tcp_input`).
pub fn tcp_input(st: &mut Stack, m: Mbuf, iphlen: usize) {
    let _ = iphlen;
    m_freem(&mut st.mbpool, m);
}

/// Updates the RTT estimators with a sample of `rtt` slow ticks
/// (`tcp_xmit_timer`, figure 25.26).
pub fn tcp_xmit_timer(st: &mut Stack, tp: usize, rtt: i32) {
    let _ = (st, tp, rtt);
}

/// The MSS to use with the peer and the one to offer (`tcp_mss`, figure
/// 27.3): from the route and its metrics, the interface's MTU and the
/// peer's `offer` (0 when it named none). Sets `t_maxseg`, `snd_cwnd`,
/// `snd_ssthresh` and the RTT estimates cached in the route.
pub fn tcp_mss(st: &mut Stack, tp: usize, offer: u16) -> u16 {
    let _ = (st, tp, offer);
    crate::bsd::netinet::tcp::TCP_MSS
}
