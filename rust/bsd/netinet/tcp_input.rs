//! TCP input (`netinet/tcp_input.c`; book chapters 27-29).
//!
//! `tcp_input` follows the book's order and names: the checks of the
//! header (figures 28.2-28.4), the PCB lookup (28.5), the listener's new
//! socket (28.7), header prediction (28.11-28.13), the LISTEN and SYN_SENT
//! states (28.15-28.20), PAWS and trimming (28.22-28.28), RST and SYN in
//! the window (28.36-28.37), ACK processing (chapter 29), window update,
//! urgent data, data and FIN (29.17-29.25), and the three exits
//! `dropafterack`, `dropwithreset` and `drop` (29.27). The book's gotos
//! become the `Exit` each step returns.
//!
//! Where bsdinet differs from the book (listed for Documentation/):
//! - the segment's data is taken out of its mbuf right after the header
//!   checks, so that `goto findpcb` sees the same data as the first pass
//!   (the book drops the headers a second time there);
//! - the duplicate-data test is the book's correction of figure 28.25
//!   (p. 960, as 4.4BSD-Lite2 has it), and a RST found left of the
//!   window is dropped as in figure 28.25;
//! - with `tcp_challenge_ack` (the default), RFC 5961: a RST in the
//!   window but not at `rcv_nxt`, and a SYN in a synchronized state
//!   whatever its sequence number (but one above a TIME_WAIT
//!   connection's, a new incarnation), get a challenge ACK
//!   (`tcps_challengeack`) instead of closing or being dropped;
//! - a RST is never sent to a broadcast or multicast source either, as
//!   FreeBSD checks;
//! - an RTT sample from a timestamp echo is taken only when the echo is
//!   not zero and gives a sane RTT (the book trusts any echo);
//! - the FIN that `TCP_REASS` hands on is the one left after the trims
//!   (the book reads it from the header, trims or not);
//! - `tcp_reass` trims data before `rcv_nxt` too: the ACK that
//!   completes a handshake can deliver queued data past its own
//!   segment's (already trimmed) start;
//! - the urgent byte is taken out of the data when it reaches the socket
//!   (`TCPOOB_PENDING`), not when it arrives, so that the reassembly
//!   queue keeps a byte per sequence number;
//! - ACKs for unacceptable segments (`dropafterack`, the duplicate
//!   segment's ACK, challenge ACKs) are limited to `TCP_ACK_WAR_CNT` a
//!   second per connection, as FreeBSD limits them, and an unacceptable
//!   ACK in SYN_RECEIVED gets a RST there (FreeBSD's LAND fix);
//! - only a SYN to a listener makes a socket (the book makes one for any
//!   segment and aborts it when the segment is not a SYN);
//! - a segment the socket buffer has no room to take a first record for
//!   (memory) is dropped before `rcv_nxt` moves (`tcps_rcvmemdrop`), as
//!   is one the reassembly queue has no room for.

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::kern::uipc_socket::*;
use crate::bsd::kern::uipc_socket2::*;
use crate::bsd::net::route::RTV_RTT;
use crate::bsd::netinet::in_::*;
use crate::bsd::netinet::in_cksum::in_cksum;
use crate::bsd::netinet::in_pcb::*;
use crate::bsd::netinet::ip::IP_HDRLEN;
use crate::bsd::netinet::ip_options::{ip_srcroute, ip_stripoptions};
use crate::bsd::netinet::ip_output::{get16, get_addr, IP_DST_OFF, IP_LEN_OFF, IP_SRC_OFF};
use crate::bsd::netinet::tcp::*;
use crate::bsd::netinet::tcp_debug::{tcp_trace, TA_DROP, TA_INPUT};
use crate::bsd::netinet::tcp_fsm::*;
use crate::bsd::netinet::tcp_output::tcp_output;
use crate::bsd::netinet::tcp_seq::*;
use crate::bsd::netinet::tcp_subr::{
    tcp_close, tcp_drop, tcp_iss, tcp_respond, tcp_rtalloc, tcp_template,
};
use crate::bsd::netinet::tcp_timer::*;
use crate::bsd::netinet::tcp_var::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{ECONNREFUSED, ECONNRESET};

/// Duplicate ACKs in a row that make a fast retransmit (`tcprexmtthresh`).
pub const TCPREXMTTHRESH: i32 = 3;
/// How long `ts_recent` stays valid without an update (`TCP_PAWS_IDLE`):
/// 24 days, in slow ticks.
pub const TCP_PAWS_IDLE: u32 = 24 * 24 * 60 * 60 * PR_SLOWHZ as u32;
/// The unit of the routes' `rmx_rtt` and `rmx_rttvar` (`RTM_RTTUNIT`):
/// microseconds.
pub const RTM_RTTUNIT: u32 = 1_000_000;
/// The largest RTT sample a timestamp echo may give, in slow ticks:
/// longer than any RTO, so that a bogus echo cannot blow up the
/// estimators.
const TS_RTT_MAX: u32 = 4 * 64 * 60 * PR_SLOWHZ as u32;

/// ACKs for unacceptable segments a connection sends per
/// `TCP_ACK_WAR_TIME` slow ticks (FreeBSD's `tcp_ack_war_cnt` and
/// `tcp_ack_war_time_window`): two ends that no longer agree on the
/// sequence numbers (a forged segment was taken) would otherwise ACK
/// each other's ACKs for ever.
pub const TCP_ACK_WAR_CNT: u32 = 5;
/// The period of `TCP_ACK_WAR_CNT`: one second.
pub const TCP_ACK_WAR_TIME: u32 = PR_SLOWHZ as u32;

/// Whether `tp` may send another ACK for an unacceptable segment now
/// (counting it when so).
fn ack_war_ok(st: &mut Stack, tp: usize) -> bool {
    let now = st.tcp.tcp_now;
    let t = st.tp(tp);
    if (now.wrapping_sub(t.t_ackwar_end) as i32) >= 0
        || t.t_ackwar_end.wrapping_sub(now) > TCP_ACK_WAR_TIME
    {
        t.t_ackwar_end = now.wrapping_add(TCP_ACK_WAR_TIME);
        t.t_ackwar_cnt = 0;
    }
    if t.t_ackwar_cnt >= TCP_ACK_WAR_CNT {
        return false;
    }
    t.t_ackwar_cnt += 1;
    true
}

/// A `t_oobflags` bit of bsdinet's: the urgent byte at `rcv_up - 1` is
/// still in the data, to be taken out when it reaches the socket.
pub const TCPOOB_PENDING: u8 = 0x80;

/// `TSTMP_LT`: timestamps compare as sequence numbers do.
fn tstmp_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `TSTMP_GEQ`.
fn tstmp_geq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

/// The segment being processed: the book's `ti` fields in host order,
/// changed by the trims as the book changes them, and `tiflags`/`tiwin`.
#[derive(Clone, Copy)]
struct Seg {
    src: InAddr,
    dst: InAddr,
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    /// Data bytes (`ti_len`).
    len: u32,
    /// `tiflags`.
    flags: u8,
    /// The window, scaled (`tiwin`).
    win: u32,
    urp: u32,
    /// M_BCAST and M_MCAST of the mbuf it came in.
    mflags: u16,
    rcvif: Option<usize>,
    /// The header as it came, for the trace (`tcp_saveti`).
    th: Tcphdr,
    /// Its options, until `tcp_dooptions` has read them (`optp`).
    opts: [u8; TCP_MAXOLEN],
    optlen: usize,
    optp: bool,
}

impl Seg {
    /// The connection's addresses as a reply carries them: ours first.
    fn reply_ti(&self) -> TcpIpHdr {
        TcpIpHdr { ti_src: self.dst, ti_dst: self.src, ti_sport: self.dport, ti_dport: self.sport }
    }

    /// The segment's addresses as the trace records them.
    fn trace_hdr(&self) -> (TcpIpHdr, Tcphdr, usize) {
        let ti = TcpIpHdr {
            ti_src: self.src,
            ti_dst: self.dst,
            ti_sport: self.sport,
            ti_dport: self.dport,
        };
        (ti, self.th, self.len as usize)
    }
}

/// The timestamp option of the segment (`ts_present`, `ts_val`,
/// `ts_ecr`).
#[derive(Clone, Copy, Default)]
pub struct TcpTs {
    /// The segment carried one (`ts_present`).
    pub present: bool,
    /// The sender's clock (`ts_val`).
    pub val: u32,
    /// The clock it echoes (`ts_ecr`).
    pub ecr: u32,
}

/// The rest of `tcp_input`'s locals.
struct Ctx {
    /// The segment's data (headers removed), until it is queued or freed.
    m: Option<Mbuf>,
    tp: Option<usize>,
    inp: usize,
    so: usize,
    ostate: i16,
    /// The socket was made by `sonewconn` for this segment and goes
    /// with it unless the connection gets going (`dropsocket`).
    dropsocket: bool,
    needoutput: bool,
    ts: TcpTs,
    /// The ISS for a connection that replaces one in TIME_WAIT (`iss`).
    iss: Option<u32>,
}

/// How a step of `tcp_input` ends: the book's labels.
enum Exit {
    /// The segment was taken care of.
    Done,
    /// Look the PCB up again (`goto findpcb`).
    FindPcb,
    Drop,
    DropAfterAck,
    DropWithReset,
}

/// The TCP checksum of `tlen` bytes at `off` of `m`, with the
/// pseudo-header.
fn tcp_cksum(m: &Mbuf, off: usize, tlen: usize, src: InAddr, dst: InAddr) -> u16 {
    let mut ph = [0u8; 12];
    ph[0..4].copy_from_slice(&src.0.to_be_bytes());
    ph[4..8].copy_from_slice(&dst.0.to_be_bytes());
    ph[9] = IPPROTO_TCP as u8;
    ph[10..12].copy_from_slice(&(tlen as u16).to_be_bytes());
    in_cksum(core::iter::once(&ph[..]).chain(m.segments_range(off, tlen)))
}

/// TCP's `pr_input`: a segment from IP, with its IP header of `iphlen`
/// bytes in front (`tcp_input`). As UDP receives it: `ip_len` is the
/// whole datagram's length in network order, the chain as long.
pub fn tcp_input(st: &mut Stack, m: Mbuf, iphlen: usize) {
    st.tcpstat.tcps_rcvtotal += 1;
    let mut m = m;
    // Options are not passed up (figure 28.2).
    if iphlen > IP_HDRLEN {
        ip_stripoptions(&mut m);
    }
    // The header length as it is now (options a shared cluster kept stay).
    let hl = m.mtod().first().map_or(IP_HDRLEN, |&b| usize::from(b & 0x0f) << 2).max(IP_HDRLEN);
    let mut m = match m_pullup(&mut st.mbpool, m, hl + TCP_HDRLEN) {
        Ok(m) => m,
        Err(_) => return st.tcpstat.tcps_rcvshort += 1,
    };
    let h = m.mtod();
    let ip_len = usize::from(get16(h, IP_LEN_OFF));
    let (src, dst) = (get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
    let off = usize::from(h.get(hl + TH_OFF).map_or(0, |&b| b >> 4)) << 2;
    if ip_len < hl + TCP_HDRLEN || m.m_length() < ip_len {
        st.tcpstat.tcps_rcvshort += 1;
        return m_freem(&mut st.mbpool, m);
    }
    let total = m.m_length();
    if total > ip_len {
        m_adj(&mut m, -((total - ip_len) as isize));
    }
    let mut tlen = ip_len - hl;
    // Checksum the TCP header and data with the pseudo-header (28.3).
    if tcp_cksum(&m, hl, tlen, src, dst) != 0 {
        st.tcpstat.tcps_rcvbadsum += 1;
        return m_freem(&mut st.mbpool, m);
    }
    // The data offset must make sense (28.4).
    if off < TCP_HDRLEN || off > tlen {
        st.tcpstat.tcps_rcvbadoff += 1;
        return m_freem(&mut st.mbpool, m);
    }
    tlen -= off;
    let mut opts = [0u8; TCP_MAXOLEN];
    let optlen = off - TCP_HDRLEN;
    if optlen > 0 {
        if m.m_len() < hl + off {
            m = match m_pullup(&mut st.mbpool, m, hl + off) {
                Ok(m) => m,
                Err(_) => return st.tcpstat.tcps_rcvshort += 1,
            };
        }
        if let (Some(d), Some(s)) =
            (opts.get_mut(..optlen), m.mtod().get(hl + TCP_HDRLEN..hl + off))
        {
            d.copy_from_slice(s);
        }
    }
    let Some(th) = m.mtod().get(hl..).and_then(Tcphdr::parse) else {
        st.tcpstat.tcps_rcvshort += 1;
        return m_freem(&mut st.mbpool, m);
    };
    let mut ts = TcpTs::default();
    let mut optp = optlen > 0;
    // The quick look for the timestamp option in RFC 1323's layout
    // (figure 28.4): the options need no parsing then.
    if (optlen == TCPOLEN_TSTAMP_APPA
        || (optlen > TCPOLEN_TSTAMP_APPA && opts[TCPOLEN_TSTAMP_APPA] == TCPOPT_EOL))
        && get32(&opts, 0) == TCPOPT_TSTAMP_HDR
        && th.th_flags & TH_SYN == 0
    {
        ts = TcpTs { present: true, val: get32(&opts, 4), ecr: get32(&opts, 8) };
        optp = false;
    }
    let mflags = m.m_flags() & (M_BCAST | M_MCAST);
    let rcvif = m.m_pkthdr().and_then(|ph| ph.rcvif);
    // From here on `m` is the data only.
    m_adj(&mut m, (hl + off) as isize);
    let mut s = Seg {
        src,
        dst,
        sport: th.th_sport,
        dport: th.th_dport,
        seq: th.th_seq,
        ack: th.th_ack,
        len: tlen as u32,
        flags: th.th_flags,
        win: u32::from(th.th_win),
        urp: u32::from(th.th_urp),
        mflags,
        rcvif,
        th,
        opts,
        optlen,
        optp,
    };
    let mut c = Ctx {
        m: Some(m),
        tp: None,
        inp: usize::MAX,
        so: usize::MAX,
        ostate: TCPS_CLOSED,
        dropsocket: false,
        needoutput: false,
        ts,
        iss: None,
    };
    // `goto findpcb` happens once at most: the connection it closed
    // cannot be found again. (Bounded all the same.)
    for _ in 0..2 {
        let exit = tcp_input_pcb(st, &mut c, &mut s);
        match exit {
            Exit::FindPcb => continue,
            Exit::Done => return,
            Exit::Drop => return drop_segment(st, c, &s),
            Exit::DropAfterAck => return dropafterack(st, c, &s),
            Exit::DropWithReset => return dropwithreset(st, c, &s),
        }
    }
    st.bug("tcp_input: findpcb again and again");
    drop_segment(st, c, &s);
}

/// The PCB of the segment, through the one-entry cache (`findpcb`,
/// figure 28.5).
fn tcp_findpcb(st: &mut Stack, s: &Seg) -> Option<usize> {
    let cached = st.tcp.tcp_last_inpcb.filter(|&i| {
        st.inpcbs.get(i).is_some_and(|p| {
            p.inp_head == InpHead::Tcp
                && p.inp_lport == s.dport
                && p.inp_fport == s.sport
                && p.inp_faddr == s.src
                && p.inp_laddr == s.dst
        })
    });
    if cached.is_some() {
        return cached;
    }
    let inp = in_pcblookup(st, InpHead::Tcp, s.src, s.sport, s.dst, s.dport, INPLOOKUP_WILDCARD);
    if inp.is_some() {
        st.tcp.tcp_last_inpcb = inp;
    }
    st.tcpstat.tcps_pcbcachemiss += 1;
    inp
}

/// Everything from `findpcb` to the end of the segment's processing.
fn tcp_input_pcb(st: &mut Stack, c: &mut Ctx, s: &mut Seg) -> Exit {
    c.tp = None;
    let Some(inp) = tcp_findpcb(st, s) else {
        st.tcpstat.tcps_noport += 1;
        return Exit::DropWithReset;
    };
    c.inp = inp;
    // A PCB without a control block, or one still CLOSED (embryonic:
    // it will listen or connect soon), takes nothing.
    let Some(tp) = intotcpcb(st, inp) else {
        st.tcpstat.tcps_noport += 1;
        return Exit::DropWithReset;
    };
    if st.tcpcbs.get(tp).is_none() {
        st.bug("tcp_input: pcb names no tcpcb");
        st.tcpstat.tcps_noport += 1;
        return Exit::DropWithReset;
    }
    c.tp = Some(tp);
    if st.tp(tp).t_state == TCPS_CLOSED {
        st.tcpstat.tcps_rcvbadflags += 1;
        return Exit::Drop;
    }
    // The window is scaled but in a SYN (figure 28.6).
    s.win = if s.flags & TH_SYN == 0 {
        u32::from(s.th.th_win) << st.tp(tp).snd_scale.min(TCP_MAX_WINSHIFT)
    } else {
        u32::from(s.th.th_win)
    };
    c.so = st.pcb(inp).inp_socket;
    c.ostate = st.tp(tp).t_state;
    if st.so(c.so).so_options & SO_ACCEPTCONN != 0 {
        if let Some(e) = tcp_listen_newconn(st, c, s) {
            return e;
        }
    }
    let tp = c.tp.unwrap_or(tp);

    // A segment on the connection: it is not idle, and the keepalive
    // timer starts again (figure 28.9).
    st.tp(tp).t_idle = 0;
    if tcps_haveestablished(st.tp(tp).t_state) {
        st.tp(tp).t_timer[TCPT_KEEP] = st.tcp.tcp_keepidle;
    }
    // Options now, but for a listener: after the peer's address is set.
    if s.optp && st.tp(tp).t_state != TCPS_LISTEN {
        tcp_dooptions(st, tp, &s.opts[..s.optlen], s.th.th_flags, &mut c.ts);
        s.optp = false;
    }

    if let Some(e) = header_prediction(st, c, s, tp) {
        return e;
    }

    // The receive window: the room in the buffer, but never less than
    // what was advertised (figure 28.14).
    let win = st.so(c.so).so_rcv.sbspace() as u32;
    let t = st.tp(tp);
    let adv = seq_sub(t.rcv_adv, t.rcv_nxt).max(0) as u32;
    t.rcv_wnd = win.max(adv);

    match st.tp(tp).t_state {
        TCPS_LISTEN => {
            if let Some(e) = tcp_listen(st, c, s, tp) {
                return e;
            }
            trimthenstep6(st, c, s, tp);
        }
        TCPS_SYN_SENT => {
            if let Some(e) = tcp_syn_sent(st, c, s, tp) {
                return e;
            }
            trimthenstep6(st, c, s, tp);
        }
        _ => {
            if let Some(e) = tcp_synchronized(st, c, s, tp) {
                return e;
            }
        }
    }
    step6(st, c, s)
}

/// A segment for a listener (figure 28.7): a new socket from `sonewconn`,
/// whose PCB takes the segment's local address and port, in LISTEN.
/// `None` to go on with the new connection's control block in `c`.
fn tcp_listen_newconn(st: &mut Stack, c: &mut Ctx, s: &Seg) -> Option<Exit> {
    let head = c.so;
    // Only a SYN alone may make a socket: a RST or a non-SYN would be
    // dropped by the new socket's LISTEN state anyway, and an ACK get a
    // reset, which the listener's own control block can send as well.
    // (The book makes the socket first and aborts it; the end is the
    // same without the work.)
    if s.flags & (TH_SYN | TH_ACK | TH_RST) != TH_SYN {
        return None;
    }
    let so = match sonewconn(st, head, 0) {
        Ok(so) => so,
        Err(_) => {
            st.tcpstat.tcps_listendrop += 1;
            return Some(Exit::Drop);
        }
    };
    c.so = so;
    c.dropsocket = true;
    let Some(inp) = st.sockets.get(so).and_then(|x| x.so_pcb) else {
        c.tp = None;
        st.tcpstat.tcps_listendrop += 1;
        return Some(Exit::Drop);
    };
    let Some(tp) = intotcpcb(st, inp).filter(|&t| st.tcpcbs.get(t).is_some()) else {
        c.tp = None;
        st.tcpstat.tcps_listendrop += 1;
        return Some(Exit::Drop);
    };
    c.inp = inp;
    c.tp = Some(tp);
    let opts = ip_srcroute(st);
    let p = st.pcb(inp);
    p.inp_laddr = s.dst;
    p.inp_lport = s.dport;
    p.inp_options = opts;
    in_pcbrehash(st, inp);
    st.tp(tp).t_state = TCPS_LISTEN;
    // The window scale to ask for, from the buffer's size.
    let hiwat = st.so(so).so_rcv.sb_hiwat;
    let t = st.tp(tp);
    while t.request_r_scale < TCP_MAX_WINSHIFT && (TCP_MAXWIN as usize) << t.request_r_scale < hiwat
    {
        t.request_r_scale += 1;
    }
    None
}

/// Header prediction (figures 28.11-28.13): a pure ACK of new data, or
/// the next data in order with nothing else to do, the two common cases
/// of a one-way transfer.
fn header_prediction(st: &mut Stack, c: &mut Ctx, s: &Seg, tp: usize) -> Option<Exit> {
    let now = st.tcp.tcp_now;
    let t = st.tp(tp);
    if !(t.t_state == TCPS_ESTABLISHED
        && s.flags & (TH_SYN | TH_FIN | TH_RST | TH_URG | TH_ACK) == TH_ACK
        && (!c.ts.present || tstmp_geq(c.ts.val, t.ts_recent))
        && s.seq == t.rcv_nxt
        && s.win != 0
        && s.win == t.snd_wnd
        && t.snd_nxt == t.snd_max)
    {
        return None;
    }
    // If the last ACK we sent falls within the segment, keep its
    // timestamp.
    if c.ts.present
        && seq_leq(s.seq, t.last_ack_sent)
        && seq_lt(t.last_ack_sent, s.seq.wrapping_add(s.len))
    {
        t.ts_recent_age = now;
        t.ts_recent = c.ts.val;
    }
    let so = c.so;
    if s.len == 0 {
        let t = st.tp(tp);
        if seq_gt(s.ack, t.snd_una) && seq_leq(s.ack, t.snd_max) && t.snd_cwnd >= t.snd_wnd {
            // A pure ACK of outstanding data.
            st.tcpstat.tcps_predack += 1;
            rtt_sample(st, tp, &c.ts, s.ack);
            let acked = s.ack.wrapping_sub(st.tp(tp).snd_una);
            st.tcpstat.tcps_rcvackpack += 1;
            st.tcpstat.tcps_rcvackbyte += u64::from(acked);
            let (sock, mp) = st.so_mbpool(so);
            sock.so_snd.sbdrop(mp, acked as usize);
            let t = st.tp(tp);
            t.snd_una = s.ack;
            if let Some(m) = c.m.take() {
                m_freem(&mut st.mbpool, m);
            }
            // All acknowledged: no retransmission timer; else start it
            // again with the current (perhaps backed off) value.
            let t = st.tp(tp);
            if t.snd_una == t.snd_max {
                t.t_timer[TCPT_REXMT] = 0;
            } else if t.t_timer[TCPT_PERSIST] == 0 {
                t.t_timer[TCPT_REXMT] = t.t_rxtcur;
            }
            sowwakeup(st, so);
            trace_input(st, c, s);
            if st.so(so).so_snd.sb_cc != 0 {
                let _ = tcp_output(st, tp);
            }
            return Some(Exit::Done);
        }
    } else if s.ack == st.tp(tp).snd_una
        && st.tp(tp).t_segq.is_empty()
        && s.len as usize <= st.so(so).so_rcv.sbspace()
    {
        // The next data in order, nothing queued, room for it.
        if !rcv_ready(st, so) {
            st.tcpstat.tcps_rcvmemdrop += 1;
            return Some(Exit::Drop);
        }
        st.tcpstat.tcps_preddat += 1;
        let t = st.tp(tp);
        t.rcv_nxt = t.rcv_nxt.wrapping_add(s.len);
        st.tcpstat.tcps_rcvpack += 1;
        st.tcpstat.tcps_rcvbyte += u64::from(s.len);
        if let Some(m) = c.m.take() {
            rcv_deliver(st, tp, so, s.seq, s.len, m);
        }
        sorwakeup(st, so);
        tcp_delack(st, tp);
        trace_input(st, c, s);
        return Some(Exit::Done);
    }
    None
}

/// Takes an RTT sample at an ACK of `ack`: from the timestamp echo if
/// there is one, else from the timed segment if `ack` covers it
/// (figures 28.12 and 29.6; Karn: `t_rtt` is 0 after a retransmission).
fn rtt_sample(st: &mut Stack, tp: usize, ts: &TcpTs, ack: u32) {
    if ts.present && ts.ecr != 0 {
        let rtt = st.tcp.tcp_now.wrapping_sub(ts.ecr).wrapping_add(1);
        if (1..=TS_RTT_MAX).contains(&rtt) {
            tcp_xmit_timer(st, tp, rtt as i32);
            return;
        }
    }
    let t = st.tp(tp);
    if t.t_rtt != 0 && seq_gt(ack, t.t_rtseq) {
        let rtt = t.t_rtt;
        tcp_xmit_timer(st, tp, rtt);
    }
}

/// Whether the receive buffer of `so` can take data: `sbappend` needs
/// memory only for the first record, reserved here.
fn rcv_ready(st: &mut Stack, so: usize) -> bool {
    let sb = &mut st.so(so).so_rcv;
    !sb.sb_mb.is_empty() || sb.sb_mb.reserve(1).is_ok()
}

/// Appends data to the receive buffer of `so` (`sbappend`), after
/// `rcv_ready`.
fn rcv_append(st: &mut Stack, so: usize, m: Mbuf) {
    let (sock, mp) = st.so_mbpool(so);
    if let Err(m) = sock.so_rcv.sbappend(mp, m) {
        // Cannot happen after `rcv_ready`.
        m_freem(mp, m);
        st.tcpstat.tcps_rcvmemdrop += 1;
    }
}

/// The LISTEN state (figures 28.16-28.17): only a SYN to a single host
/// starts a connection.
fn tcp_listen(st: &mut Stack, c: &mut Ctx, s: &mut Seg, tp: usize) -> Option<Exit> {
    if s.flags & TH_RST != 0 {
        st.tcpstat.tcps_rcvbadflags += 1;
        return Some(Exit::Drop);
    }
    if s.flags & TH_ACK != 0 {
        st.tcpstat.tcps_badsyn += 1;
        return Some(Exit::DropWithReset);
    }
    if s.flags & TH_SYN == 0 {
        st.tcpstat.tcps_rcvbadflags += 1;
        return Some(Exit::Drop);
    }
    // RFC 1122 4.2.3.10: no connection from a broadcast or multicast SYN.
    if s.mflags & (M_BCAST | M_MCAST) != 0
        || in_multicast(s.dst)
        || s.rcvif.is_some_and(|ifp| in_broadcast(st, s.dst, ifp))
        || in_multicast(s.src)
        || s.src == INADDR_ANY
        || s.src == INADDR_BROADCAST
    {
        st.tcpstat.tcps_badsyn += 1;
        return Some(Exit::Drop);
    }
    // Connect the PCB to the peer.
    let inp = c.inp;
    let laddr = st.pcb(inp).inp_laddr;
    if laddr == INADDR_ANY {
        st.pcb(inp).inp_laddr = s.dst;
        in_pcbrehash(st, inp);
    }
    let sin = SockaddrIn::new(s.src, s.sport).emit();
    if in_pcbconnect(st, inp, &sin).is_err() {
        st.pcb(inp).inp_laddr = laddr;
        in_pcbrehash(st, inp);
        st.tcpstat.tcps_badsyn += 1;
        return Some(Exit::Drop);
    }
    let template = tcp_template(st, tp);
    st.tp(tp).t_template = template;
    if s.optp {
        tcp_dooptions(st, tp, &s.opts[..s.optlen], s.th.th_flags, &mut c.ts);
        s.optp = false;
    }
    let iss = match c.iss {
        Some(iss) => iss,
        None => tcp_iss(st, s.dst, s.dport, s.src, s.sport),
    };
    let keepinit = st.tcp.tcp_keepinit;
    let t = st.tp(tp);
    t.iss = iss;
    t.irs = s.seq;
    t.tcp_sendseqinit();
    t.tcp_rcvseqinit();
    t.t_flags |= TF_ACKNOW;
    t.t_state = TCPS_SYN_RECEIVED;
    t.t_timer[TCPT_KEEP] = keepinit;
    // Committed to the socket.
    c.dropsocket = false;
    st.tcpstat.tcps_accepts += 1;
    None
}

/// The SYN_SENT state (figures 28.18-28.20): the answer to our SYN.
fn tcp_syn_sent(st: &mut Stack, c: &mut Ctx, s: &mut Seg, tp: usize) -> Option<Exit> {
    let t = st.tp(tp);
    if s.flags & TH_ACK != 0 && (seq_leq(s.ack, t.iss) || seq_gt(s.ack, t.snd_max)) {
        st.tcpstat.tcps_rcvbadflags += 1;
        return Some(Exit::DropWithReset);
    }
    if s.flags & TH_RST != 0 {
        if s.flags & TH_ACK != 0 {
            c.tp = tcp_drop(st, tp, ECONNREFUSED);
        } else {
            st.tcpstat.tcps_rcvbadflags += 1;
        }
        return Some(Exit::Drop);
    }
    if s.flags & TH_SYN == 0 {
        st.tcpstat.tcps_rcvbadflags += 1;
        return Some(Exit::Drop);
    }
    let t = st.tp(tp);
    if s.flags & TH_ACK != 0 {
        t.snd_una = s.ack;
        if seq_lt(t.snd_nxt, t.snd_una) {
            t.snd_nxt = t.snd_una;
        }
    }
    t.t_timer[TCPT_REXMT] = 0;
    t.irs = s.seq;
    t.tcp_rcvseqinit();
    t.t_flags |= TF_ACKNOW;
    if s.flags & TH_ACK != 0 && seq_gt(t.snd_una, t.iss) {
        st.tcpstat.tcps_connects += 1;
        soisconnected(st, c.so);
        let keepidle = st.tcp.tcp_keepidle;
        let t = st.tp(tp);
        t.t_state = TCPS_ESTABLISHED;
        // The connection-establishment timer gives way to keepalive's
        // (the segment that got here did not reset it: see above).
        t.t_timer[TCPT_KEEP] = keepidle;
        // Window scaling when both asked for it.
        if t.t_flags & (TF_RCVD_SCALE | TF_REQ_SCALE) == (TF_RCVD_SCALE | TF_REQ_SCALE) {
            t.snd_scale = t.requested_s_scale;
            t.rcv_scale = t.request_r_scale;
        }
        tcp_reass(st, tp, None);
        // The SYN's RTT, if it was not retransmitted.
        let rtt = st.tp(tp).t_rtt;
        if rtt != 0 {
            tcp_xmit_timer(st, tp, rtt);
        }
    } else {
        // A simultaneous open.
        t.t_state = TCPS_SYN_RECEIVED;
    }
    None
}

/// `trimthenstep6` (figure 28.20): past the SYN, and the data trimmed to
/// the window, dropping a FIN beyond it.
fn trimthenstep6(st: &mut Stack, c: &mut Ctx, s: &mut Seg, tp: usize) {
    s.seq = s.seq.wrapping_add(1);
    let rcv_wnd = st.tp(tp).rcv_wnd;
    if s.len > rcv_wnd {
        let todrop = s.len - rcv_wnd;
        if let Some(m) = c.m.as_mut() {
            m_adj(m, -(todrop as isize));
        }
        s.len = rcv_wnd;
        s.flags &= !TH_FIN;
        st.tcpstat.tcps_rcvpackafterwin += 1;
        st.tcpstat.tcps_rcvbyteafterwin += u64::from(todrop);
    }
    let t = st.tp(tp);
    t.snd_wl1 = s.seq.wrapping_sub(1);
    t.rcv_up = s.seq;
}

/// The states after SYN_SENT, up to `step6`: PAWS, trimming to the
/// window, RST, SYN and ACK processing. `None` goes on to `step6`.
fn tcp_synchronized(st: &mut Stack, c: &mut Ctx, s: &mut Seg, tp: usize) -> Option<Exit> {
    // PAWS (figures 28.22-28.23): a timestamp older than ts_recent marks
    // an old duplicate, unless ts_recent itself is too old to trust.
    let now = st.tcp.tcp_now;
    let t = st.tp(tp);
    if c.ts.present && s.flags & TH_RST == 0 && t.ts_recent != 0 && tstmp_lt(c.ts.val, t.ts_recent)
    {
        if now.wrapping_sub(t.ts_recent_age) as i32 > TCP_PAWS_IDLE as i32 {
            // Invalid now; the age is set again when ts_recent is.
            t.ts_recent = 0;
        } else {
            st.tcpstat.tcps_rcvduppack += 1;
            st.tcpstat.tcps_rcvdupbyte += u64::from(s.len);
            st.tcpstat.tcps_pawsdrop += 1;
            return Some(Exit::DropAfterAck);
        }
    }

    // RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK
    // whatever its sequence number (the book trims an old one as a
    // duplicate and, without ACK, drops it unanswered). A SYN above a
    // TIME_WAIT connection's sequence space starts a new one (below).
    let challenge = st.tcp.tcp_challenge_ack;
    let t = st.tp(tp);
    if s.flags & (TH_SYN | TH_RST) == TH_SYN
        && challenge
        && tcps_haveestablished(t.t_state)
        && !(t.t_state == TCPS_TIME_WAIT && seq_gt(s.seq, t.rcv_nxt))
    {
        return Some(challenge_ack(st, c, tp));
    }

    // Data before rcv_nxt is a duplicate (figures 28.24-28.25 with the
    // book's correction, p. 960).
    let mut todrop = seq_sub(st.tp(tp).rcv_nxt, s.seq);
    if todrop > 0 {
        if s.flags & TH_RST != 0 {
            // A RST left of the window: old, dropped (figure 28.25's
            // dropafterack, which never answers a RST).
            st.tcpstat.tcps_rcvduppack += 1;
            return Some(Exit::Drop);
        }
        if s.flags & TH_SYN != 0 {
            s.flags &= !TH_SYN;
            s.seq = s.seq.wrapping_add(1);
            if s.urp > 1 {
                s.urp -= 1;
            } else {
                s.flags &= !TH_URG;
            }
            todrop -= 1;
        }
        let len = s.len as i32;
        if todrop > len || (todrop == len && s.flags & TH_FIN == 0) {
            // Any valid FIN is left of the window: this one is a
            // duplicate. ACK to resynchronize, drop the data, but go on
            // for the ACK.
            s.flags &= !TH_FIN;
            if ack_war_ok(st, tp) {
                st.tp(tp).t_flags |= TF_ACKNOW;
            }
            todrop = len;
            st.tcpstat.tcps_rcvduppack += 1;
            st.tcpstat.tcps_rcvdupbyte += u64::from(s.len);
        } else {
            st.tcpstat.tcps_rcvpartduppack += 1;
            st.tcpstat.tcps_rcvpartdupbyte += todrop as u64;
        }
        let todrop_u = todrop.max(0) as u32;
        if let Some(m) = c.m.as_mut() {
            m_adj(m, todrop_u as isize);
        }
        s.seq = s.seq.wrapping_add(todrop_u);
        s.len -= todrop_u.min(s.len);
        if s.urp > todrop_u {
            s.urp -= todrop_u;
        } else {
            s.flags &= !TH_URG;
            s.urp = 0;
        }
    }

    // Data after the process has closed: reset the peer (figure 28.26).
    if st.so(c.so).so_state & SS_NOFDREF != 0 && st.tp(tp).t_state > TCPS_CLOSE_WAIT && s.len != 0 {
        c.tp = tcp_close(st, tp);
        st.tcpstat.tcps_rcvafterclose += 1;
        return Some(Exit::DropWithReset);
    }

    // Data after the window is trimmed, with PUSH and FIN (figures
    // 28.27-28.29).
    let t = st.tp(tp);
    let todrop = seq_sub(s.seq.wrapping_add(s.len), t.rcv_nxt.wrapping_add(t.rcv_wnd));
    if todrop > 0 {
        st.tcpstat.tcps_rcvpackafterwin += 1;
        let todrop = todrop as u32;
        if todrop >= s.len {
            st.tcpstat.tcps_rcvbyteafterwin += u64::from(s.len);
            // A new connection request for a connection in TIME_WAIT,
            // with sequence numbers above the old ones: the old one
            // goes and the new one starts over.
            let t = st.tp(tp);
            if s.flags & TH_SYN != 0 && t.t_state == TCPS_TIME_WAIT && seq_gt(s.seq, t.rcv_nxt) {
                c.iss = Some(t.snd_nxt.wrapping_add(TCP_ISSINCR));
                c.tp = tcp_close(st, tp);
                return Some(Exit::FindPcb);
            }
            // A closed window takes only a probe at its edge, data
            // dropped but ACKed; anything else is dropped and ACKed.
            if t.rcv_wnd == 0 && s.seq == t.rcv_nxt {
                t.t_flags |= TF_ACKNOW;
                st.tcpstat.tcps_rcvwinprobe += 1;
            } else {
                return Some(Exit::DropAfterAck);
            }
        } else {
            st.tcpstat.tcps_rcvbyteafterwin += u64::from(todrop);
        }
        let todrop = todrop.min(s.len);
        if let Some(m) = c.m.as_mut() {
            m_adj(m, -(todrop as isize));
        }
        s.len -= todrop;
        s.flags &= !(TH_PUSH | TH_FIN);
    }

    // The timestamp to echo, when the segment covers the last ACK sent
    // (figure 28.35).
    let t = st.tp(tp);
    let synfin = u32::from(s.flags & (TH_SYN | TH_FIN) != 0);
    if c.ts.present
        && seq_leq(s.seq, t.last_ack_sent)
        && seq_lt(t.last_ack_sent, s.seq.wrapping_add(s.len).wrapping_add(synfin))
    {
        t.ts_recent_age = now;
        t.ts_recent = c.ts.val;
    }

    // RST (figure 28.36).
    if s.flags & TH_RST != 0 {
        let challenge = st.tcp.tcp_challenge_ack;
        let t = st.tp(tp);
        if challenge && s.seq != t.rcv_nxt {
            // RFC 5961 3.2: in the window but not exactly next: perhaps
            // blind. A challenge ACK makes a real peer send the RST
            // again at rcv_nxt.
            return Some(challenge_ack(st, c, tp));
        }
        let so = c.so;
        match t.t_state {
            TCPS_SYN_RECEIVED | TCPS_ESTABLISHED | TCPS_FIN_WAIT_1 | TCPS_FIN_WAIT_2
            | TCPS_CLOSE_WAIT => {
                let e = if t.t_state == TCPS_SYN_RECEIVED { ECONNREFUSED } else { ECONNRESET };
                st.so(so).set_error(e);
                st.tp(tp).t_state = TCPS_CLOSED;
                st.tcpstat.tcps_drops += 1;
                c.tp = tcp_close(st, tp);
                return Some(Exit::Drop);
            }
            _ => {
                c.tp = tcp_close(st, tp);
                return Some(Exit::Drop);
            }
        }
    }

    // A SYN in the window is an error (figure 28.37): the book resets
    // the connection; RFC 5961 4.2 sends a challenge ACK instead.
    if s.flags & TH_SYN != 0 {
        if st.tcp.tcp_challenge_ack && tcps_haveestablished(st.tp(tp).t_state) {
            return Some(challenge_ack(st, c, tp));
        }
        c.tp = tcp_drop(st, tp, ECONNRESET);
        st.tcpstat.tcps_badsyn += 1;
        return Some(Exit::DropWithReset);
    }

    // Without ACK, nothing more to do (figure 29.1).
    if s.flags & TH_ACK == 0 {
        st.tcpstat.tcps_rcvbadflags += 1;
        return Some(Exit::Drop);
    }
    tcp_ack(st, c, s, tp)
}

/// Sends a challenge ACK (RFC 5961) and drops the segment.
fn challenge_ack(st: &mut Stack, c: &mut Ctx, tp: usize) -> Exit {
    if let Some(m) = c.m.take() {
        m_freem(&mut st.mbpool, m);
    }
    if !ack_war_ok(st, tp) {
        return Exit::Done;
    }
    st.tcpstat.tcps_challengeack += 1;
    st.tp(tp).t_flags |= TF_ACKNOW;
    let _ = tcp_output(st, tp);
    Exit::Done
}

/// ACK processing (chapter 29, figures 29.2-29.15). `None` goes on to
/// `step6`.
fn tcp_ack(st: &mut Stack, c: &mut Ctx, s: &mut Seg, tp: usize) -> Option<Exit> {
    let so = c.so;
    let t = st.tp(tp);
    let queued_at_nxt = t.t_segq.first().is_some_and(|r| r.seq == t.rcv_nxt);
    if t.t_state == TCPS_SYN_RECEIVED {
        // Our SYN acknowledged: established (figure 29.2).
        if seq_gt(t.snd_una, s.ack) || seq_gt(s.ack, t.snd_max) {
            st.tcpstat.tcps_rcvbadflags += 1;
            return Some(Exit::DropWithReset);
        }
        st.tcpstat.tcps_connects += 1;
        soisconnected(st, so);
        let keepidle = st.tcp.tcp_keepidle;
        let t = st.tp(tp);
        t.t_state = TCPS_ESTABLISHED;
        t.t_timer[TCPT_KEEP] = keepidle;
        if t.t_flags & (TF_RCVD_SCALE | TF_REQ_SCALE) == (TF_RCVD_SCALE | TF_REQ_SCALE) {
            t.snd_scale = t.requested_s_scale;
            t.rcv_scale = t.request_r_scale;
        }
        tcp_reass(st, tp, None);
        st.tp(tp).snd_wl1 = s.seq.wrapping_sub(1);
    } else if queued_at_nxt {
        // Closed in SYN_RECEIVED (now FIN_WAIT_1): what was queued then
        // goes on at the first ACK too (the book leaves it for the next
        // segment with data).
        tcp_reass(st, tp, None);
    }

    let t = st.tp(tp);
    if seq_leq(s.ack, t.snd_una) {
        // Duplicate ACKs (figures 29.3-29.5): the third in a row with
        // data outstanding retransmits the segment that seems lost (fast
        // retransmit), and each one after that lets another segment
        // out, as one has left the network (fast recovery).
        if s.len == 0 && s.win == t.snd_wnd {
            st.tcpstat.tcps_rcvdupack += 1;
            let t = st.tp(tp);
            if t.t_timer[TCPT_REXMT] == 0 || s.ack != t.snd_una {
                t.t_dupacks = 0;
            } else {
                t.t_dupacks = t.t_dupacks.saturating_add(1);
                if t.t_dupacks == TCPREXMTTHRESH {
                    let onxt = t.snd_nxt;
                    let maxseg = u32::from(t.t_maxseg.max(1));
                    let win = (t.snd_wnd.min(t.snd_cwnd) / 2 / maxseg).max(2);
                    t.snd_ssthresh = win * maxseg;
                    t.t_timer[TCPT_REXMT] = 0;
                    t.t_rtt = 0;
                    t.snd_nxt = s.ack;
                    t.snd_cwnd = maxseg;
                    st.tcpstat.tcps_sndrexmitfast += 1;
                    let _ = tcp_output(st, tp);
                    let t = st.tp(tp);
                    t.snd_cwnd =
                        t.snd_ssthresh.saturating_add(maxseg.saturating_mul(t.t_dupacks as u32));
                    if seq_gt(onxt, t.snd_nxt) {
                        t.snd_nxt = onxt;
                    }
                    return Some(Exit::Drop);
                } else if t.t_dupacks > TCPREXMTTHRESH {
                    t.snd_cwnd = t.snd_cwnd.saturating_add(u32::from(t.t_maxseg));
                    let _ = tcp_output(st, tp);
                    return Some(Exit::Drop);
                }
            }
        } else {
            st.tp(tp).t_dupacks = 0;
        }
        return None;
    }

    // New data acknowledged. A congestion window inflated by fast
    // recovery comes back to ssthresh (figure 29.6).
    if t.t_dupacks > TCPREXMTTHRESH && t.snd_cwnd > t.snd_ssthresh {
        t.snd_cwnd = t.snd_ssthresh;
    }
    t.t_dupacks = 0;
    if seq_gt(s.ack, t.snd_max) {
        st.tcpstat.tcps_rcvacktoomuch += 1;
        return Some(Exit::DropAfterAck);
    }
    let acked = s.ack.wrapping_sub(t.snd_una);
    st.tcpstat.tcps_rcvackpack += 1;
    st.tcpstat.tcps_rcvackbyte += u64::from(acked);

    rtt_sample(st, tp, &c.ts, s.ack);

    // All acknowledged: the retransmission timer stops, and output
    // decides what next; else it starts again (figure 29.7).
    let t = st.tp(tp);
    if s.ack == t.snd_max {
        t.t_timer[TCPT_REXMT] = 0;
        c.needoutput = true;
    } else if t.t_timer[TCPT_PERSIST] == 0 {
        t.t_timer[TCPT_REXMT] = t.t_rxtcur;
    }

    // Open the congestion window: by a segment per ACK below ssthresh
    // (slow start), by about a segment per window above it (congestion
    // avoidance), with the book's maxseg/8 (figure 29.7).
    let cw = u64::from(t.snd_cwnd);
    let mut incr = u64::from(t.t_maxseg);
    if cw > u64::from(t.snd_ssthresh) && cw > 0 {
        incr = incr * incr / cw + incr / 8;
    }
    let maxwin = u64::from(TCP_MAXWIN) << t.snd_scale.min(TCP_MAX_WINSHIFT);
    t.snd_cwnd = (cw + incr).min(maxwin) as u32;

    // Drop what was acknowledged from the send buffer; beyond it, the
    // ACK covers our FIN (figure 29.8).
    let (sock, mp) = st.so_mbpool(so);
    let cc = sock.so_snd.sb_cc;
    let ourfinisacked;
    if acked as usize > cc {
        sock.so_snd.sbdrop(mp, cc);
        let t = st.tp(tp);
        t.snd_wnd = t.snd_wnd.saturating_sub(cc as u32);
        ourfinisacked = true;
    } else {
        sock.so_snd.sbdrop(mp, acked as usize);
        let t = st.tp(tp);
        t.snd_wnd = t.snd_wnd.saturating_sub(acked);
        ourfinisacked = false;
    }
    sowwakeup(st, so);
    let t = st.tp(tp);
    t.snd_una = s.ack;
    if seq_lt(t.snd_nxt, t.snd_una) {
        t.snd_nxt = t.snd_una;
    }

    // The states our FIN moves on (figures 29.9-29.13).
    match t.t_state {
        TCPS_FIN_WAIT_1 if ourfinisacked => {
            // Nothing more can be received: the user may go. The timer
            // is against the specification, but without it a peer that
            // never sends its FIN holds us forever.
            if st.so(so).so_state & SS_CANTRCVMORE != 0 {
                soisdisconnected(st, so);
                let maxidle = st.tcp.tcp_keepcnt.saturating_mul(st.tcp.tcp_keepintvl);
                st.tp(tp).t_timer[TCPT_2MSL] = maxidle;
            }
            st.tp(tp).t_state = TCPS_FIN_WAIT_2;
        }
        TCPS_CLOSING if ourfinisacked => {
            let msl2 = st.tcp.tcp_msl.saturating_mul(2);
            let t = st.tp(tp);
            t.t_state = TCPS_TIME_WAIT;
            tcp_canceltimers(t);
            t.t_timer[TCPT_2MSL] = msl2;
            soisdisconnected(st, so);
        }
        TCPS_LAST_ACK if ourfinisacked => {
            c.tp = tcp_close(st, tp);
            return Some(Exit::Drop);
        }
        TCPS_TIME_WAIT => {
            // Only the peer's FIN again: ACK it and wait 2MSL more.
            let msl2 = st.tcp.tcp_msl.saturating_mul(2);
            st.tp(tp).t_timer[TCPT_2MSL] = msl2;
            return Some(Exit::DropAfterAck);
        }
        _ => {}
    }
    None
}

/// `step6`: the window update, urgent data, the data and the FIN
/// (figures 29.15-29.26), then output.
fn step6(st: &mut Stack, c: &mut Ctx, s: &mut Seg) -> Exit {
    let Some(tp) = c.tp else { return Exit::Drop };
    let so = c.so;
    // The window update, from the newest segment (figure 29.15); none
    // without ACK.
    let t = st.tp(tp);
    if s.flags & TH_ACK != 0
        && (seq_lt(t.snd_wl1, s.seq)
            || (t.snd_wl1 == s.seq
                && (seq_lt(t.snd_wl2, s.ack) || (t.snd_wl2 == s.ack && s.win > t.snd_wnd))))
    {
        if s.len == 0 && t.snd_wl2 == s.ack && s.win > t.snd_wnd {
            st.tcpstat.tcps_rcvwinupd += 1;
        }
        let t = st.tp(tp);
        t.snd_wnd = s.win;
        t.snd_wl1 = s.seq;
        t.snd_wl2 = s.ack;
        if t.snd_wnd > t.max_sndwnd {
            t.max_sndwnd = t.snd_wnd;
        }
        c.needoutput = true;
    }

    // Urgent data (figures 29.17-29.19).
    let mut dodata = true;
    if s.flags & TH_URG != 0 && s.urp != 0 && !tcps_havercvdfin(st.tp(tp).t_state) {
        let cc = st.so(so).so_rcv.sb_cc;
        if (s.urp as usize).saturating_add(cc) > st.sb_max {
            // An absurd urgent pointer is ignored (the book's kludge).
            s.urp = 0;
            s.flags &= !TH_URG;
            dodata = false;
        }
        if dodata {
            let t = st.tp(tp);
            if seq_gt(s.seq.wrapping_add(s.urp), t.rcv_up) {
                // The pointer moves on: mark the stream.
                t.rcv_up = s.seq.wrapping_add(s.urp);
                let ahead = t.rcv_up.wrapping_sub(t.rcv_nxt) as usize;
                t.t_oobflags &= !(TCPOOB_HAVEDATA | TCPOOB_HADDATA | TCPOOB_PENDING);
                let sock = st.so(so);
                sock.so_oobmark = cc.saturating_add(ahead).saturating_sub(1);
                if sock.so_oobmark == 0 {
                    sock.so_state |= SS_RCVATMARK;
                }
                sohasoutofband(st, so);
            }
            // Take the urgent byte out of the data unless it goes
            // inline: when the data reaches the socket (`rcv_deliver`),
            // so that what waits on the reassembly queue keeps a byte
            // per sequence number (the book takes it out here).
            if s.urp <= s.len && st.so(so).so_options & SO_OOBINLINE == 0 {
                st.tp(tp).t_oobflags |= TCPOOB_PENDING;
            }
        }
    } else {
        // No urgent data expected: the urgent pointer follows the window.
        let t = st.tp(tp);
        if seq_gt(t.rcv_nxt, t.rcv_up) {
            t.rcv_up = t.rcv_nxt;
        }
    }

    // The data (figure 29.22), unless a FIN came already.
    if (s.len != 0 || s.flags & TH_FIN != 0) && !tcps_havercvdfin(st.tp(tp).t_state) {
        let fin = s.flags & TH_FIN != 0;
        let m = c.m.take();
        let t = st.tp(tp);
        // TCP_REASS: in order with nothing queued goes straight to the
        // socket, with a delayed ACK; else through the queue, ACKed now.
        let inorder = s.seq == t.rcv_nxt && t.t_segq.is_empty() && t.t_state == TCPS_ESTABLISHED;
        if inorder && rcv_ready(st, so) {
            tcp_delack(st, tp);
            let t = st.tp(tp);
            t.rcv_nxt = t.rcv_nxt.wrapping_add(s.len);
            st.tcpstat.tcps_rcvpack += 1;
            st.tcpstat.tcps_rcvbyte += u64::from(s.len);
            if let Some(m) = m {
                rcv_deliver(st, tp, so, s.seq, s.len, m);
            }
            sorwakeup(st, so);
        } else {
            let m = match m {
                Some(m) => m,
                None => match m_get(&mut st.mbpool, MT_DATA) {
                    Ok(m) => m,
                    Err(_) => {
                        st.tcpstat.tcps_rcvmemdrop += 1;
                        return Exit::Drop;
                    }
                },
            };
            let dup = reass_insert(st, tp, s.seq, s.len, fin, m);
            if tcp_reass_present(st, tp) {
                s.flags |= TH_FIN;
            } else {
                s.flags &= !TH_FIN;
            }
            // An ACK at once (for the peer's fast retransmit), but not
            // without end for the same segment again.
            if !dup || ack_war_ok(st, tp) {
                st.tp(tp).t_flags |= TF_ACKNOW;
            }
        }
    } else {
        if let Some(m) = c.m.take() {
            m_freem(&mut st.mbpool, m);
        }
        s.flags &= !TH_FIN;
    }

    // The FIN (figure 29.25): ACK it, tell the user, change state.
    if s.flags & TH_FIN != 0 {
        if !tcps_havercvdfin(st.tp(tp).t_state) {
            socantrcvmore(st, so);
            let t = st.tp(tp);
            t.t_flags |= TF_ACKNOW;
            t.rcv_nxt = t.rcv_nxt.wrapping_add(1);
        }
        let msl2 = st.tcp.tcp_msl.saturating_mul(2);
        let t = st.tp(tp);
        match t.t_state {
            TCPS_SYN_RECEIVED | TCPS_ESTABLISHED => t.t_state = TCPS_CLOSE_WAIT,
            TCPS_FIN_WAIT_1 => t.t_state = TCPS_CLOSING,
            TCPS_FIN_WAIT_2 => {
                t.t_state = TCPS_TIME_WAIT;
                tcp_canceltimers(t);
                t.t_timer[TCPT_2MSL] = msl2;
                soisdisconnected(st, so);
            }
            TCPS_TIME_WAIT => t.t_timer[TCPT_2MSL] = msl2,
            _ => {}
        }
    }
    trace_input(st, c, s);

    // Output, if it is due.
    if c.needoutput || st.tp(tp).t_flags & TF_ACKNOW != 0 {
        let _ = tcp_output(st, tp);
    }
    Exit::Done
}

/// The SO_DEBUG trace of the segment (figure 29.26).
fn trace_input(st: &mut Stack, c: &Ctx, s: &Seg) {
    if let Some(tp) = c.tp {
        tcp_trace(st, TA_INPUT, c.ostate, Some(tp), Some(s.trace_hdr()), 0);
    }
}

/// `dropafterack` (figure 29.27): an ACK that reflects our state, for a
/// segment that did not belong; never for a RST.
fn dropafterack(st: &mut Stack, mut c: Ctx, s: &Seg) {
    let Some(tp) = c.tp else { return drop_segment(st, c, s) };
    if s.flags & TH_RST != 0 {
        return drop_segment(st, c, s);
    }
    // In SYN_RECEIVED an unacceptable ACK gets a RST (FreeBSD: this ends
    // the loop of the LAND attack, and an ACK storm between two
    // listeners sent forged SYNs in each other's name).
    let t = st.tp(tp);
    if t.t_state == TCPS_SYN_RECEIVED
        && s.flags & TH_ACK != 0
        && (seq_gt(t.snd_una, s.ack) || seq_gt(s.ack, t.snd_max))
    {
        return dropwithreset(st, c, s);
    }
    if !ack_war_ok(st, tp) {
        return drop_segment(st, c, s);
    }
    if let Some(m) = c.m.take() {
        m_freem(&mut st.mbpool, m);
    }
    st.tp(tp).t_flags |= TF_ACKNOW;
    let _ = tcp_output(st, tp);
}

/// `dropwithreset` (figure 29.27): a RST the sender will accept: at its
/// ACK if it had one, else acknowledging it. Never for a RST, never to a
/// broadcast or multicast address.
fn dropwithreset(st: &mut Stack, mut c: Ctx, s: &Seg) {
    let bcast = s.mflags & (M_BCAST | M_MCAST) != 0
        || in_multicast(s.dst)
        || in_multicast(s.src)
        || s.src == INADDR_ANY
        || s.src == INADDR_BROADCAST
        || s.rcvif.is_some_and(|ifp| in_broadcast(st, s.dst, ifp) || in_broadcast(st, s.src, ifp));
    if s.flags & TH_RST != 0 || bcast {
        return drop_segment(st, c, s);
    }
    let m = c.m.take();
    let ti = s.reply_ti();
    if s.flags & TH_ACK != 0 {
        tcp_respond(st, c.tp, ti, m, 0, s.ack, TH_RST);
    } else {
        let len = s.len.wrapping_add(u32::from(s.flags & TH_SYN != 0));
        tcp_respond(st, c.tp, ti, m, s.seq.wrapping_add(len), 0, TH_RST | TH_ACK);
    }
    if c.dropsocket {
        let _ = soabort(st, c.so);
    }
}

/// `drop` (figure 29.27): the segment goes, traced.
fn drop_segment(st: &mut Stack, mut c: Ctx, s: &Seg) {
    if let Some(tp) = c.tp {
        tcp_trace(st, TA_DROP, c.ostate, Some(tp), Some(s.trace_hdr()), 0);
    }
    if let Some(m) = c.m.take() {
        m_freem(&mut st.mbpool, m);
    }
    if c.dropsocket {
        let _ = soabort(st, c.so);
    }
}

/// The reassembly queue (`tcp_reass`, figures 27.19-27.21): puts `seg`
/// (sequence number, length, FIN, data) in its place on the queue,
/// trimming what other segments hold already, then hands the data that
/// is now in order to the socket. With `None`, only the handing on (a
/// connection just established). Returns whether a FIN was handed on.
pub fn tcp_reass(st: &mut Stack, tp: usize, seg: Option<(u32, u32, bool, Mbuf)>) -> bool {
    if let Some((seq, len, fin, m)) = seg {
        reass_insert(st, tp, seq, len, fin, m);
    }
    tcp_reass_present(st, tp)
}

/// The first half of `tcp_reass` (figures 27.19-27.20): puts the segment
/// on the queue. Returns true when it brought nothing new (a duplicate,
/// or no memory), for the ACK it gets to be limited as for other
/// unacceptable segments.
fn reass_insert(st: &mut Stack, tp: usize, seq: u32, len: u32, fin: bool, m: Mbuf) -> bool {
    let (mut seq, mut len, mut fin, mut m) = (seq, len, fin, m);
    if st.tp(tp).t_segq.reserve(1).is_err() {
        // No room on the queue: the segment is lost, and the peer sends
        // it again.
        st.tcpstat.tcps_rcvmemdrop += 1;
        m_freem(&mut st.mbpool, m);
        return true;
    }
    let t = st.tp(tp);
    // Data before rcv_nxt: tcp_input trims it, but the ACK that completes
    // the handshake may move rcv_nxt over queued data after its own
    // segment was trimmed (the book queues that data where it can never
    // be delivered).
    let behind = seq_sub(t.rcv_nxt, seq);
    if behind > 0 && tcps_havercvdsyn(t.t_state) {
        let behind = behind as u32;
        if behind > len || (behind == len && !fin) {
            st.tcpstat.tcps_rcvduppack += 1;
            st.tcpstat.tcps_rcvdupbyte += u64::from(len);
            m_freem(&mut st.mbpool, m);
            return true;
        }
        m_adj(&mut m, behind as isize);
        len -= behind;
        seq = seq.wrapping_add(behind);
    }
    let t = st.tp(tp);
    let q = &mut t.t_segq;
    // The first segment that begins after this one.
    let i = q.iter().position(|r| seq_gt(r.seq, seq)).unwrap_or(q.len());
    // The one before may hold some or all of our data.
    if let Some(p) = i.checked_sub(1).and_then(|p| q.get_mut(p)) {
        let over = seq_sub(p.seq.wrapping_add(p.len as u32), seq);
        if over > 0 || (over == 0 && len == 0) {
            let over = over as u32;
            if over >= len {
                // All of it is there already; a FIN just at the end of
                // the one before goes with that one (the book would queue
                // a FIN alone again and again).
                if fin && over == len {
                    p.fin = true;
                }
                st.tcpstat.tcps_rcvduppack += 1;
                st.tcpstat.tcps_rcvdupbyte += u64::from(len);
                m_freem(&mut st.mbpool, m);
                return true;
            }
            m_adj(&mut m, over as isize);
            len -= over;
            seq = seq.wrapping_add(over);
        }
    }
    st.tcpstat.tcps_rcvoopack += 1;
    st.tcpstat.tcps_rcvoobyte += u64::from(len);
    // The ones after that we cover are trimmed, or dequeued when we
    // cover them whole.
    let q = &mut st.tp(tp).t_segq;
    let mut freed = None;
    while let Some(r) = q.get_mut(i) {
        let over = seq_sub(seq.wrapping_add(len), r.seq);
        if over <= 0 {
            break;
        }
        let over = over as u32;
        if (over as usize) < r.len {
            r.seq = r.seq.wrapping_add(over);
            r.len -= over as usize;
            m_adj(&mut r.m, over as isize);
            break;
        }
        if let Some(r) = q.remove(i) {
            // A FIN at the very end of what we cover stays with us
            // (the book loses it with the segment).
            if r.fin && r.seq.wrapping_add(r.len as u32) == seq.wrapping_add(len) {
                fin = true;
            }
            m_link(&mut freed, r.m);
        }
    }
    let entry = TcpReass { seq, len: len as usize, fin, m };
    // Cannot fail: room was reserved above.
    let _ = q.insert(i, entry);
    if let Some(f) = freed {
        m_freem(&mut st.mbpool, f);
    }
    false
}

/// The "present" half of `tcp_reass` (figure 27.21): the data now in
/// order goes to the socket, `rcv_nxt` past it.
fn tcp_reass_present(st: &mut Stack, tp: usize) -> bool {
    let t = st.tp(tp);
    if !tcps_havercvdsyn(t.t_state) {
        return false;
    }
    let Some(first) = t.t_segq.first() else { return false };
    if first.seq != t.rcv_nxt || (t.t_state == TCPS_SYN_RECEIVED && first.len != 0) {
        return false;
    }
    let inp = t.t_inpcb;
    let so = st.pcb(inp).inp_socket;
    if !rcv_ready(st, so) {
        st.tcpstat.tcps_rcvmemdrop += 1;
        return false;
    }
    let mut flags = false;
    loop {
        let t = st.tp(tp);
        match t.t_segq.first() {
            Some(r) if r.seq == t.rcv_nxt => {}
            _ => break,
        }
        let Some(r) = t.t_segq.remove(0) else { break };
        t.rcv_nxt = t.rcv_nxt.wrapping_add(r.len as u32);
        flags = r.fin;
        if st.so(so).so_state & SS_CANTRCVMORE != 0 {
            m_freem(&mut st.mbpool, r.m);
        } else {
            rcv_deliver(st, tp, so, r.seq, r.len as u32, r.m);
        }
    }
    sorwakeup(st, so);
    flags
}

/// Hands data `m`, sequence numbers `seq` and `len` of them, to the
/// receive buffer of `so` (after `rcv_ready`), taking out the urgent
/// byte first if it is in there, waiting (TCPOOB_PENDING) at `rcv_up - 1`.
fn rcv_deliver(st: &mut Stack, tp: usize, so: usize, seq: u32, len: u32, mut m: Mbuf) {
    let t = st.tp(tp);
    if t.t_oobflags & TCPOOB_PENDING != 0 {
        let off = t.rcv_up.wrapping_sub(1).wrapping_sub(seq);
        if off < len {
            t.t_oobflags &= !TCPOOB_PENDING;
            tcp_pulloutofband(st, tp, off as usize, &mut m);
        }
    }
    rcv_append(st, so, m);
}

/// Takes the urgent byte, at offset `cnt` of the data `m` (the book's
/// `urp - 1`), out of the data into `t_iobc` (`tcp_pulloutofband`,
/// figure 29.20).
fn tcp_pulloutofband(st: &mut Stack, tp: usize, cnt: usize, m: &mut Mbuf) {
    let mut cnt = cnt;
    let mut cur = Some(&mut *m);
    let mut found = None;
    while let Some(x) = cur {
        if x.m_len() > cnt {
            let len = x.m_len();
            if let Ok(d) = m_writable(&mut st.mbpool, x) {
                if let Some(&b) = d.get(cnt) {
                    found = Some(b);
                    d.copy_within(cnt + 1.., cnt);
                }
            }
            if found.is_some() {
                // Shrinking always works.
                let _ = x.set_len(len - 1);
            }
            break;
        }
        cnt -= x.m_len();
        cur = x.m_next_mut();
    }
    match found {
        Some(b) => {
            if let Some(ph) = m.m_pkthdr_mut() {
                ph.len = ph.len.saturating_sub(1);
            }
            let t = st.tp(tp);
            t.t_iobc = b;
            t.t_oobflags |= TCPOOB_HAVEDATA;
        }
        // The book panics; the caller checked the length, so this is a
        // bug of ours, or no memory to unshare a cluster.
        None => st.tcpstat.tcps_rcvmemdrop += 1,
    }
}

/// The options of a segment (`tcp_dooptions`, figure 28.9-28.10): the
/// MSS (which `tcp_mss` takes), the window scale and SACK-permitted in a
/// SYN, timestamps into `ts`. Malformed options end the parse.
pub fn tcp_dooptions(st: &mut Stack, tp: usize, opts: &[u8], thflags: u8, ts: &mut TcpTs) {
    let mut cp = opts;
    while let Some(&opt) = cp.first() {
        if opt == TCPOPT_EOL {
            break;
        }
        let optlen = if opt == TCPOPT_NOP {
            1
        } else {
            match cp.get(1) {
                Some(&l) if l >= 2 && usize::from(l) <= cp.len() => usize::from(l),
                _ => break,
            }
        };
        let o = cp.get(..optlen).unwrap_or(&[]);
        match opt {
            TCPOPT_MAXSEG if optlen == TCPOLEN_MAXSEG && thflags & TH_SYN != 0 => {
                let mss = get16(o, 2);
                tcp_mss(st, tp, mss);
            }
            TCPOPT_WINDOW if optlen == TCPOLEN_WINDOW && thflags & TH_SYN != 0 => {
                let t = st.tp(tp);
                t.t_flags |= TF_RCVD_SCALE;
                t.requested_s_scale = o.get(2).copied().unwrap_or(0).min(TCP_MAX_WINSHIFT);
            }
            TCPOPT_SACK_PERMITTED if optlen == 2 && thflags & TH_SYN != 0 => {
                st.tp(tp).t_flags |= TF_SACK_PERMIT;
            }
            TCPOPT_TIMESTAMP if optlen == TCPOLEN_TIMESTAMP => {
                *ts = TcpTs { present: true, val: get32(o, 2), ecr: get32(o, 6) };
                // A timestamp in a SYN: we may send them.
                if thflags & TH_SYN != 0 {
                    let now = st.tcp.tcp_now;
                    let t = st.tp(tp);
                    t.t_flags |= TF_RCVD_TSTMP;
                    t.ts_recent = ts.val;
                    t.ts_recent_age = now;
                }
            }
            _ => {}
        }
        cp = cp.get(optlen..).unwrap_or(&[]);
    }
}

/// Updates the RTT estimators with a sample of `rtt` slow ticks
/// (`tcp_xmit_timer`, figure 25.26): srtt scaled by 8 and rttvar by 4,
/// the book's fixed point, then the RTO.
pub fn tcp_xmit_timer(st: &mut Stack, tp: usize, rtt: i32) {
    st.tcpstat.tcps_rttupdated += 1;
    let rexmtmax = st.tcp.tcp_rexmtmax;
    let t = st.tp(tp);
    let rtt = rtt.clamp(0, i32::MAX >> 4);
    if t.t_srtt != 0 {
        // srtt = 7/8 srtt + 1/8 rtt, rtt taken from origin 0.
        let mut delta = rtt - 1 - (t.t_srtt >> TCP_RTT_SHIFT);
        t.t_srtt = t.t_srtt.saturating_add(delta);
        if t.t_srtt <= 0 {
            t.t_srtt = 1;
        }
        // rttvar = 3/4 rttvar + 1/4 |delta|.
        delta = delta.saturating_abs();
        delta -= t.t_rttvar >> TCP_RTTVAR_SHIFT;
        t.t_rttvar = t.t_rttvar.saturating_add(delta);
        if t.t_rttvar <= 0 {
            t.t_rttvar = 1;
        }
    } else {
        // The first sample: srtt is it, rttvar half of it.
        t.t_srtt = rtt << TCP_RTT_SHIFT;
        t.t_rttvar = rtt << (TCP_RTTVAR_SHIFT - 1);
    }
    t.t_rtt = 0;
    t.t_rxtshift = 0;
    t.t_rxtcur = tcpt_rangeset(tcp_rexmtval(t), t.t_rttmin, rexmtmax);
    t.t_softerror = 0;
}

/// The MSS to use with the peer and the one to offer (`tcp_mss`, figures
/// 27.3-27.5): from the route and its metrics, the interface's MTU and the
/// peer's `offer` (0 when it named none). Sets `t_maxseg`, `snd_cwnd`,
/// `snd_ssthresh` and the RTT estimates cached in the route, and rounds
/// the socket buffers to multiples of the MSS.
pub fn tcp_mss(st: &mut Stack, tp: usize, offer: u16) -> u16 {
    let inp = st.tp(tp).t_inpcb;
    // The route the PCB caches (the book's `inp_route`).
    let Some(rt) = tcp_rtalloc(st, inp) else {
        return st.tcp.tcp_mssdflt;
    };
    let r = st.rt(rt);
    let (ifp, rmx) = (r.rt_ifp, r.rt_rmx);
    let so = st.pcb(inp).inp_socket;
    let faddr = st.pcb(inp).inp_faddr;

    // Cached RTT estimates, in microseconds, to slow ticks scaled.
    let rexmtmax = st.tcp.tcp_rexmtmax;
    let t = st.tp(tp);
    if t.t_srtt == 0 && rmx.rmx_rtt != 0 {
        let rtt = rmx.rmx_rtt;
        if rmx.rmx_locks & RTV_RTT != 0 {
            t.t_rttmin = (rtt / (RTM_RTTUNIT / PR_SLOWHZ as u32)) as i32;
        }
        t.t_srtt = (rtt / (RTM_RTTUNIT / (PR_SLOWHZ * TCP_RTT_SCALE) as u32))
            .min(i32::MAX as u32 >> 4) as i32;
        t.t_rttvar = if rmx.rmx_rttvar != 0 {
            (rmx.rmx_rttvar / (RTM_RTTUNIT / (PR_SLOWHZ * TCP_RTTVAR_SCALE) as u32))
                .min(i32::MAX as u32 >> 4) as i32
        } else {
            // The default variation: plus or minus one RTT.
            t.t_srtt * TCP_RTTVAR_SCALE / TCP_RTT_SCALE
        };
        t.t_rxtcur = tcpt_rangeset(((t.t_srtt >> 2) + t.t_rttvar) >> 1, t.t_rttmin, rexmtmax);
    }

    // The route's MTU if it has one, else the interface's, rounded down
    // to clusters and kept to the default off the local net.
    let hdrs = (IP_HDRLEN + TCP_HDRLEN) as u32;
    let mut mss: u32 = if rmx.rmx_mtu != 0 {
        rmx.rmx_mtu.saturating_sub(hdrs)
    } else {
        let mtu = st.ifnet.get(ifp).map_or(0, |i| i.if_data.ifi_mtu);
        let mut mss = mtu.saturating_sub(hdrs);
        if mss >= MCLBYTES as u32 {
            mss &= !(MCLBYTES as u32 - 1);
        }
        if !in_localaddr(st, faddr) {
            mss = mss.min(u32::from(st.tcp.tcp_mssdflt));
        }
        mss
    };
    // Smaller than the current t_maxseg: take it; larger: offer it, but
    // use it only if the peer offered as much. Never under 32.
    if offer != 0 {
        mss = mss.min(u32::from(offer));
    }
    mss = mss.clamp(32, 65535);
    let maxseg = u32::from(st.tp(tp).t_maxseg);
    if mss < maxseg || offer != 0 {
        // The buffers, to multiples of the MSS (a pipe size from the
        // route if it has one); an MSS larger than the send buffer
        // shrinks to it.
        let sb_max = st.sb_max;
        let sock = st.so(so);
        let sndbuf =
            if rmx.rmx_sendpipe != 0 { rmx.rmx_sendpipe as usize } else { sock.so_snd.sb_hiwat };
        if sndbuf < mss as usize {
            mss = (sndbuf as u32).max(32);
        } else {
            let b = sndbuf.div_ceil(mss as usize).saturating_mul(mss as usize).min(sb_max);
            let _ = sock.so_snd.sbreserve(b, sb_max);
        }
        let rcvbuf =
            if rmx.rmx_recvpipe != 0 { rmx.rmx_recvpipe as usize } else { sock.so_rcv.sb_hiwat };
        if rcvbuf > mss as usize {
            let b = rcvbuf.div_ceil(mss as usize).saturating_mul(mss as usize).min(sb_max);
            let _ = sock.so_rcv.sbreserve(b, sb_max);
        }
        st.tp(tp).t_maxseg = mss as u16;
    }
    let t = st.tp(tp);
    t.snd_cwnd = mss;
    if rmx.rmx_ssthresh != 0 {
        // A buffer limit on the path: slow start up to it, and no less
        // than two segments.
        t.snd_ssthresh = rmx.rmx_ssthresh.max(2 * mss);
    }
    mss as u16
}
