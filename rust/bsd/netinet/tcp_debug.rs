//! The SO_DEBUG trace (`netinet/tcp_debug.h`, `netinet/tcp_debug.c`;
//! book section 27.10): a ring of the last `TCP_NDEBUG` events of every
//! connection whose socket has SO_DEBUG, which `trpt` prints.

use crate::bsd::kern::uipc_socket::SO_DEBUG;
use crate::bsd::netinet::tcp::Tcphdr;
use crate::bsd::netinet::tcp_var::TcpIpHdr;
use crate::bsd::stack::Stack;
use crate::platform::Vec;

// `td_act` values.
/// A segment arrived.
pub const TA_INPUT: u8 = 0;
/// A segment was sent.
pub const TA_OUTPUT: u8 = 1;
/// A user request (PRU_*) or a timer (PRU_SLOWTIMO).
pub const TA_USER: u8 = 2;
/// `tcp_respond` sent an ACK or RST.
pub const TA_RESPOND: u8 = 3;
/// A segment was dropped.
pub const TA_DROP: u8 = 4;

/// The actions' names (`tanames[]`).
pub const TANAMES: [&str; 5] = ["input", "output", "user", "respond", "drop"];

/// Entries in the ring (`TCP_NDEBUG`).
pub const TCP_NDEBUG: usize = 100;

/// The parts of a control block a trace entry keeps (the book copies the
/// whole `tcpcb`; these are the fields trpt prints).
#[derive(Clone, Copy, Debug, Default)]
pub struct TcpcbSnap {
    pub t_state: i16,
    pub t_flags: u16,
    pub t_timer: [i32; 4],
    pub t_rxtshift: i32,
    pub t_srtt: i32,
    pub t_rttvar: i32,
    pub snd_una: u32,
    pub snd_nxt: u32,
    pub snd_max: u32,
    pub snd_wnd: u32,
    pub snd_cwnd: u32,
    pub snd_ssthresh: u32,
    pub snd_wl1: u32,
    pub snd_wl2: u32,
    pub rcv_nxt: u32,
    pub rcv_wnd: u32,
    pub rcv_adv: u32,
    pub rcv_up: u32,
    pub snd_up: u32,
    pub iss: u32,
    pub irs: u32,
}

/// One trace entry (`struct tcp_debug`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TcpDebugEntry {
    /// When: the stack's 100 ms ticks (the book's `iptime()`).
    pub td_time: u64,
    /// TA_* action.
    pub td_act: u8,
    /// The state before the event.
    pub td_ostate: i16,
    /// Which control block (an index; the book's `caddr_t td_tcb`).
    pub td_tcb: usize,
    /// The connection's addresses, when a header goes with the event.
    pub td_ti: Option<TcpIpHdr>,
    /// The segment's header and its data length.
    pub td_th: Option<(Tcphdr, usize)>,
    /// The user request (PRU_*) or, for PRU_SLOWTIMO, the timer in the
    /// high byte (`req | timer << 8`, as the book).
    pub td_req: i32,
    /// The control block after the event.
    pub td_cb: TcpcbSnap,
}

/// The ring (`tcp_debug[]` and `tcp_debx`).
#[derive(Default)]
pub struct TcpDebug {
    pub entries: Vec<TcpDebugEntry>,
    /// Where the next entry goes.
    pub tcp_debx: usize,
}

/// Records an event of control block `tp` (`tcp_trace`), when its
/// socket has SO_DEBUG: `ostate` is the state before it, `hdr` the
/// segment's addresses, header and data length, `req` the request.
pub fn tcp_trace(
    st: &mut Stack,
    act: u8,
    ostate: i16,
    tp: Option<usize>,
    hdr: Option<(TcpIpHdr, Tcphdr, usize)>,
    req: i32,
) {
    let Some(tpi) = tp else { return };
    let Some(t) = st.tcpcbs.get(tpi) else { return };
    let so = st.inpcbs.get(t.t_inpcb).map(|p| p.inp_socket);
    let debug = so.and_then(|so| st.sockets.get(so)).is_some_and(|s| s.so_options & SO_DEBUG != 0);
    if !debug {
        return;
    }
    let td_cb = TcpcbSnap {
        t_state: t.t_state,
        t_flags: t.t_flags,
        t_timer: t.t_timer,
        t_rxtshift: t.t_rxtshift,
        t_srtt: t.t_srtt,
        t_rttvar: t.t_rttvar,
        snd_una: t.snd_una,
        snd_nxt: t.snd_nxt,
        snd_max: t.snd_max,
        snd_wnd: t.snd_wnd,
        snd_cwnd: t.snd_cwnd,
        snd_ssthresh: t.snd_ssthresh,
        snd_wl1: t.snd_wl1,
        snd_wl2: t.snd_wl2,
        rcv_nxt: t.rcv_nxt,
        rcv_wnd: t.rcv_wnd,
        rcv_adv: t.rcv_adv,
        rcv_up: t.rcv_up,
        snd_up: t.snd_up,
        iss: t.iss,
        irs: t.irs,
    };
    let e = TcpDebugEntry {
        td_time: st.ticks,
        td_act: act,
        td_ostate: ostate,
        td_tcb: tpi,
        td_ti: hdr.map(|h| h.0),
        td_th: hdr.map(|h| (h.1, h.2)),
        td_req: req,
        td_cb,
    };
    let d = &mut st.tcp_debug;
    if d.entries.len() < TCP_NDEBUG {
        // Without memory the event is lost, as a trace may lose it.
        let _ = d.entries.push(e);
    } else if let Some(slot) = d.entries.get_mut(d.tcp_debx) {
        *slot = e;
    }
    d.tcp_debx = (d.tcp_debx + 1) % TCP_NDEBUG;
}
