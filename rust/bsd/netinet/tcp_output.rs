//! TCP output (`netinet/tcp_output.c`; book chapter 26).

use crate::bsd::kern::uipc_mbuf::{m_cat, m_copydata, m_copym, m_freem, m_gethdr, MT_HEADER};
use crate::bsd::kern::uipc_socket::{SO_DEBUG, SO_DONTROUTE};
use crate::bsd::netinet::in_::INADDR_ANY;
use crate::bsd::netinet::ip::IP_HDRLEN;
use crate::bsd::netinet::ip_output::{ip_output, put16};
use crate::bsd::netinet::tcp::*;
use crate::bsd::netinet::tcp_debug::{tcp_trace, TA_OUTPUT};
use crate::bsd::netinet::tcp_fsm::{tcps_havercvdsyn, TCPS_LISTEN, TCPS_SYN_SENT, TCP_OUTFLAGS};
use crate::bsd::netinet::tcp_input::tcp_mss;
use crate::bsd::netinet::tcp_seq::{seq_gt, seq_lt, seq_sub};
use crate::bsd::netinet::tcp_subr::{
    tcp_cksum, tcp_fill_iphdr, tcp_inline_room, tcp_quench, tcp_template, MAX_LINKHDR, TCPIP_HDRLEN,
};
use crate::bsd::netinet::tcp_timer::{
    tcpt_rangeset, TCPT_PERSIST, TCPT_REXMT, TCP_BACKOFF, TCP_MAXRXTSHIFT,
};
use crate::bsd::netinet::tcp_var::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Errno, Result, EHOSTUNREACH, ENETDOWN, ENOBUFS};

/// Most option bytes `tcp_output` sends (`MAX_TCPOPTLEN`).
pub const MAX_TCPOPTLEN: usize = 32;

/// Sends what control block `tp` may send now (`tcp_output`): data,
/// SYN, FIN, window updates, ACKs and persist probes, as the book
/// decides (figures 26.1-26.32).
pub fn tcp_output(st: &mut Stack, tp: usize) -> Result {
    if st.tcpcbs.get(tp).is_none() {
        st.bug("tcp_output of no tcpcb");
        return Ok(());
    }
    let inp = st.tp(tp).t_inpcb;
    let Some(so) = st.inpcbs.get(inp).map(|p| p.inp_socket) else {
        st.bug("tcp_output: tcpcb without a pcb");
        return Ok(());
    };
    // A listener or a control block that never had a peer has nobody to
    // send to (the book never calls tcp_output then; the window update
    // test below would send a segment to 0.0.0.0).
    if st.tp(tp).t_state == TCPS_LISTEN || st.pcb(inp).inp_faddr == INADDR_ANY {
        return Ok(());
    }

    // Figure 26.1: when nothing is outstanding and the connection was
    // idle for an RTO, the pipe may have changed: slow start again.
    let t = st.tp(tp);
    let idle = t.snd_max == t.snd_una;
    if idle && t.t_idle >= t.t_rxtcur {
        t.snd_cwnd = u32::from(t.t_maxseg);
    }

    loop {
        let mut sendalot = false;
        let sb_cc = st.so(so).so_snd.sb_cc as i64;
        let t = st.tp(tp);
        let mut off = i64::from(seq_sub(t.snd_nxt, t.snd_una));
        if off < 0 {
            // snd_nxt behind snd_una: tcp_input pulls it up, so this does
            // not happen; should it, send from snd_una.
            t.snd_nxt = t.snd_una;
            off = 0;
        }
        let mut win = i64::from(t.snd_wnd.min(t.snd_cwnd));
        let mut flags = TCP_OUTFLAGS.get(t.t_state as usize).copied().unwrap_or(0);

        // Our SYN is out and not acknowledged (off counts it, the send
        // buffer does not hold it). Not in the book, whose tcp_output
        // sends the SYN again whenever it is called in SYN_SENT (a send()
        // before the connection completes, a window update) and restarts
        // the retransmission timer: here SYN_SENT sends its SYN only
        // when it is due (the first time, or a retransmission, which
        // pulls snd_nxt back to snd_una), as FreeBSD does. SYN_RECEIVED
        // keeps the book's SYN|ACK on every call.
        if flags & TH_SYN != 0 && seq_gt(t.snd_nxt, t.snd_una) {
            off -= 1;
            if t.t_state == TCPS_SYN_SENT {
                return Ok(());
            }
        }

        // Figure 26.2: a forced send (persist probe, OOB) into a closed
        // window sends one byte; into an open one it stops the persist
        // timer.
        if t.t_force {
            if win == 0 {
                // The FIN waits for the data before it.
                if off < sb_cc {
                    flags &= !TH_FIN;
                }
                win = 1;
            } else {
                t.t_timer[TCPT_PERSIST] = 0;
                t.t_rxtshift = 0;
            }
        }

        // Figure 26.3: how much data may go.
        let mut len = sb_cc.min(win) - off;
        if len < 0 {
            // A FIN was sent, or the window shrank: nothing to send. With
            // a closed window, cancel the retransmission and wait for the
            // persist timer.
            len = 0;
            if win == 0 {
                t.t_timer[TCPT_REXMT] = 0;
                t.snd_nxt = t.snd_una;
            }
        }
        // No data goes with a SYN (in SYN_SENT the peer's window is not
        // known yet, so the book sends none either; in SYN_RECEIVED
        // after a simultaneous open the book could).
        if flags & TH_SYN != 0 {
            len = 0;
        }
        let maxseg = i64::from(t.t_maxseg);
        if len > maxseg {
            len = maxseg;
            sendalot = true;
        }
        // No FIN while data stays behind this segment.
        if seq_lt(t.snd_nxt.wrapping_add(len as u32), t.snd_una.wrapping_add(sb_cc as u32)) {
            flags &= !TH_FIN;
        }
        let (rcv_space, rcv_hiwat) = {
            let s = st.so(so);
            (s.so_rcv.sbspace() as i64, s.so_rcv.sb_hiwat as i64)
        };
        let mut win = rcv_space;
        let t = st.tp(tp);

        // Figure 26.4: sender silly window avoidance and Nagle. Send a
        // full segment; all that is left when idle or with TF_NODELAY; a
        // forced byte; half the largest window the peer offered; or a
        // retransmission.
        // (rcv_scale is at most TCP_MAX_WINSHIFT; the shifts below must
        // not overflow whatever it holds.)
        let rcv_scale = u32::from(t.rcv_scale.min(TCP_MAX_WINSHIFT));
        let mut send = len != 0
            && (len == maxseg
                || ((idle || t.t_flags & TF_NODELAY != 0) && len + off >= sb_cc)
                || t.t_force
                || len >= i64::from(t.max_sndwnd / 2)
                || seq_lt(t.snd_nxt, t.snd_max));

        // Figure 26.5: a window update when the window can grow by two
        // segments or by half the receive buffer (the book's code tests
        // 2 * adv >= sb_hiwat).
        if !send && win > 0 {
            let adv = win.min(i64::from(TCP_MAXWIN) << rcv_scale)
                - i64::from(seq_sub(t.rcv_adv, t.rcv_nxt));
            if adv >= 2 * maxseg || 2 * adv >= rcv_hiwat {
                send = true;
            }
        }

        // Figure 26.6: an ACK owed, a SYN or RST, urgent data, a FIN not
        // sent yet or to be retransmitted.
        if !send
            && (t.t_flags & TF_ACKNOW != 0
                || flags & (TH_SYN | TH_RST) != 0
                || seq_gt(t.snd_up, t.snd_una)
                || (flags & TH_FIN != 0 && (t.t_flags & TF_SENTFIN == 0 || t.snd_nxt == t.snd_una)))
        {
            send = true;
        }

        if !send {
            // Figure 26.8: data waits, nothing is in flight and no timer
            // will come back to it: the window is closed, probe it.
            if sb_cc != 0 && t.t_timer[TCPT_REXMT] == 0 && t.t_timer[TCPT_PERSIST] == 0 {
                t.t_rxtshift = 0;
                tcp_setpersist(st, tp);
            }
            return Ok(());
        }

        // An ACK or window update while the peer's window is closed and
        // data waits: nothing else would come back to the data, so the
        // persist timer starts here too (FreeBSD's addition to the book,
        // which arms it only when it sends nothing).
        if len == 0
            && sb_cc != 0
            && t.snd_wnd == 0
            && t.t_timer[TCPT_REXMT] == 0
            && t.t_timer[TCPT_PERSIST] == 0
        {
            t.t_rxtshift = 0;
            tcp_setpersist(st, tp);
        }

        // Figure 26.9 on: build the segment. Options first.
        let mut opt = [0u8; MAX_TCPOPTLEN];
        let mut optlen = 0usize;
        if flags & TH_SYN != 0 {
            st.tp(tp).snd_nxt = st.tp(tp).iss;
            if st.tp(tp).t_flags & TF_NOOPT == 0 {
                let mss = tcp_mss(st, tp, 0);
                opt[0] = TCPOPT_MAXSEG;
                opt[1] = TCPOLEN_MAXSEG as u8;
                put16(&mut opt, 2, mss);
                optlen = 4;
                // Window scale: in our SYN, or in our SYN|ACK when the
                // peer's SYN had it (figure 26.23).
                let t = st.tp(tp);
                if t.t_flags & TF_REQ_SCALE != 0
                    && (flags & TH_ACK == 0 || t.t_flags & TF_RCVD_SCALE != 0)
                {
                    let w = u32::from(TCPOPT_NOP) << 24
                        | u32::from(TCPOPT_WINDOW) << 16
                        | (TCPOLEN_WINDOW as u32) << 8
                        | u32::from(t.request_r_scale);
                    put32(&mut opt, optlen, w);
                    optlen += 4;
                }
            }
        }
        let tcp_now = st.tcp.tcp_now;
        let t = st.tp(tp);
        // Timestamps (RFC 1323 Appendix A layout): in a SYN asking for
        // them, and in every segment once both sides agreed; never in a
        // RST.
        if t.t_flags & (TF_REQ_TSTMP | TF_NOOPT) == TF_REQ_TSTMP
            && flags & TH_RST == 0
            && (flags & (TH_SYN | TH_ACK) == TH_SYN || t.t_flags & TF_RCVD_TSTMP != 0)
        {
            put32(&mut opt, optlen, TCPOPT_TSTAMP_HDR);
            put32(&mut opt, optlen + 4, tcp_now);
            put32(&mut opt, optlen + 8, t.ts_recent);
            optlen += TCPOLEN_TSTAMP_APPA;
        }
        let hdrlen = TCPIP_HDRLEN + optlen;

        // The options take room from the data (figure 26.24).
        let room = maxseg - optlen as i64;
        if len > room {
            // More is left to send: no FIN yet (the book's `flags &=
            // ~TH_FIN` here; without it the FIN goes before the end of
            // the data).
            flags &= !TH_FIN;
            len = room.max(0);
            sendalot = true;
        }
        // Loop only while segments carry data: with a segment size no
        // larger than the options (TCP_MAXSEG lets the user set 1) the
        // book's unsigned arithmetic skips this test; here it would loop
        // forever.
        if len == 0 {
            sendalot = false;
        }

        // Figure 26.25: count, then get an mbuf for the headers and the
        // data (in it when small, else a copy of the send buffer's).
        let (snd_nxt, snd_max, snd_up, snd_una, force) =
            (t.snd_nxt, t.snd_max, t.snd_up, t.snd_una, t.t_force);
        let acknow = st.tp(tp).t_flags & TF_ACKNOW != 0;
        let ts = &mut st.tcpstat;
        if len != 0 {
            if force && len == 1 {
                ts.tcps_sndprobe += 1;
            } else if seq_lt(snd_nxt, snd_max) {
                ts.tcps_sndrexmitpack += 1;
                ts.tcps_sndrexmitbyte += len as u64;
            } else {
                ts.tcps_sndpack += 1;
                ts.tcps_sndbyte += len as u64;
            }
        } else if acknow {
            ts.tcps_sndacks += 1;
        } else if flags & (TH_SYN | TH_FIN | TH_RST) != 0 {
            ts.tcps_sndctrl += 1;
        } else if seq_gt(snd_up, snd_una) {
            ts.tcps_sndurg += 1;
        } else {
            ts.tcps_sndwinup += 1;
        }
        let mut m = match m_gethdr(&mut st.mbpool, MT_HEADER) {
            Ok(m) => m,
            Err(_) => return tcp_output_error(st, tp, inp, ENOBUFS),
        };
        let inline = len != 0 && (len as usize) <= tcp_inline_room(hdrlen);
        let first = hdrlen + if inline { len as usize } else { 0 };
        if m.m_align(first + MAX_LINKHDR).is_err() || m.set_len(first).is_err() {
            m_freem(&mut st.mbpool, m);
            return tcp_output_error(st, tp, inp, ENOBUFS);
        }
        if len != 0 {
            let (s, mp) = st.so_mbpool(so);
            let data = s.so_snd.sb_mb.first().and_then(|r| r.data.as_ref());
            let ok = match data {
                Some(d) if inline => match m.mtod_mut().and_then(|b| b.get_mut(hdrlen..first)) {
                    Some(dst) => m_copydata(d, off as usize, dst).is_ok(),
                    None => false,
                },
                // (m_cat, not a bare link: the copy of the buffer's
                // first mbuf would bring a packet header along.)
                Some(d) => match m_copym(mp, d, off as usize, len as usize) {
                    Ok(n) => {
                        m_cat(mp, &mut m, n);
                        true
                    }
                    Err(_) => false,
                },
                None => false,
            };
            if !ok {
                // As the book: without the copy, the segment goes
                // without data (an ACK all the same), but not with the
                // FIN meant to follow the data (the book's would go
                // ahead of it and the data after it).
                len = 0;
                flags &= !TH_FIN;
                tcp_rexmt_if_idle(st, tp, so);
                if inline {
                    let _ = m.set_len(hdrlen);
                }
            }
            if off + len == sb_cc {
                flags |= TH_PUSH;
            }
        }

        // Figure 26.26: the header, from the template.
        let mut ti = st.tp(tp).t_template;
        if ti.ti_dst == INADDR_ANY {
            ti = tcp_template(st, tp);
        }
        let t = st.tp(tp);
        // A retransmitted FIN goes with the FIN's sequence number.
        if flags & TH_FIN != 0 && t.t_flags & TF_SENTFIN != 0 && t.snd_nxt == t.snd_max {
            t.snd_nxt = t.snd_nxt.wrapping_sub(1);
        }
        // A segment that takes no sequence space says snd_max, so that a
        // lost window probe is not taken for one (figure 26.26).
        let th_seq = if len != 0 || flags & (TH_SYN | TH_FIN) != 0 || t.t_timer[TCPT_PERSIST] != 0 {
            t.snd_nxt
        } else {
            t.snd_max
        };
        // Figure 26.27: the window. Do not advertise a silly window;
        // never more than the scale allows; never shrink it.
        if win < rcv_hiwat / 4 && win < maxseg {
            win = 0;
        }
        let maxwin = i64::from(TCP_MAXWIN) << rcv_scale;
        if win > maxwin {
            win = maxwin;
        }
        let advertised = i64::from(seq_sub(t.rcv_adv, t.rcv_nxt));
        if win < advertised {
            win = advertised;
        }
        let mut th = Tcphdr {
            th_sport: ti.ti_sport,
            th_dport: ti.ti_dport,
            th_seq,
            th_ack: t.rcv_nxt,
            th_off: ((TCP_HDRLEN + optlen) >> 2) as u8,
            th_flags: flags,
            th_win: (win >> rcv_scale).clamp(0, 0xffff) as u16,
            th_sum: 0,
            th_urp: 0,
        };
        // Urgent data ahead: its offset from this segment.
        if seq_gt(t.snd_up, t.snd_nxt) {
            th.th_urp = seq_sub(t.snd_up, t.snd_nxt).clamp(0, 0xffff) as u16;
            th.th_flags |= TH_URG;
        } else {
            // Drag the urgent pointer along.
            t.snd_up = t.snd_una;
        }
        let (ttl, tos, ipopts) = {
            let p = st.pcb(inp);
            (p.inp_ip_ttl, p.inp_ip_tos, p.inp_options)
        };
        let tlen = hdrlen - IP_HDRLEN + len as usize;
        if let Some(h) = m.mtod_mut() {
            tcp_fill_iphdr(h, &ti, hdrlen + len as usize, ttl, tos);
            th.emit(h.get_mut(IP_HDRLEN..).unwrap_or_default());
            if let Some(o) = h.get_mut(TCPIP_HDRLEN..hdrlen) {
                o.copy_from_slice(opt.get(..optlen).unwrap_or_default());
            }
        }
        if let Some(ph) = m.m_pkthdr_mut() {
            ph.len = hdrlen + len as usize;
            ph.rcvif = None;
        }
        let sum = tcp_cksum(&m, ti.ti_src, ti.ti_dst, tlen);
        if let Some(h) = m.mtod_mut() {
            put16(h, IP_HDRLEN + TH_SUM, sum);
        }

        // Figure 26.28: advance snd_nxt and snd_max, time the segment,
        // and start the retransmission timer. A forced probe of a closed
        // window (the persist timer running) advances only snd_max.
        let t = st.tp(tp);
        let mut timed = false;
        if !t.t_force || t.t_timer[TCPT_PERSIST] == 0 {
            let startseq = t.snd_nxt;
            if flags & TH_SYN != 0 {
                t.snd_nxt = t.snd_nxt.wrapping_add(1);
            }
            if flags & TH_FIN != 0 {
                t.snd_nxt = t.snd_nxt.wrapping_add(1);
                t.t_flags |= TF_SENTFIN;
            }
            t.snd_nxt = t.snd_nxt.wrapping_add(len as u32);
            if seq_gt(t.snd_nxt, t.snd_max) {
                t.snd_max = t.snd_nxt;
                // Time this segment if nothing else is being timed.
                if t.t_rtt == 0 {
                    t.t_rtt = 1;
                    t.t_rtseq = startseq;
                    timed = true;
                }
            }
            // The retransmission timer, unless running already; it
            // replaces the persist timer (figure 26.29).
            if t.t_timer[TCPT_REXMT] == 0 && t.snd_nxt != t.snd_una {
                t.t_timer[TCPT_REXMT] = t.t_rxtcur;
                if t.t_timer[TCPT_PERSIST] != 0 {
                    t.t_timer[TCPT_PERSIST] = 0;
                    t.t_rxtshift = 0;
                }
            }
        } else if seq_gt(t.snd_nxt.wrapping_add(len as u32), t.snd_max) {
            t.snd_max = t.snd_nxt.wrapping_add(len as u32);
        }
        if timed {
            st.tcpstat.tcps_segstimed += 1;
        }
        let state = st.tp(tp).t_state;
        if st.so(so).so_options & SO_DEBUG != 0 {
            tcp_trace(st, TA_OUTPUT, state, Some(tp), Some((ti, th, len as usize)), 0);
        }

        // Figure 26.32: send it.
        let dontroute = u32::from(st.so(so).so_options & SO_DONTROUTE);
        if let Err(e) = ip_output(st, m, ipopts.as_ref(), dontroute, None) {
            return tcp_output_error(st, tp, inp, e);
        }
        st.tcpstat.tcps_sndtotal += 1;

        // What we advertised, and that the ACK went.
        let t = st.tp(tp);
        if win > 0 && seq_gt(t.rcv_nxt.wrapping_add(win as u32), t.rcv_adv) {
            t.rcv_adv = t.rcv_nxt.wrapping_add(win as u32);
        }
        t.last_ack_sent = t.rcv_nxt;
        t.t_flags &= !(TF_ACKNOW | TF_DELACK);
        if !sendalot {
            return Ok(());
        }
    }
}

/// The error paths at `out:` of the book's `tcp_output` (figure 26.32):
/// out of buffers, the connection slows down (source quench) and the
/// retransmission timer will try again; an unreachable host or a down
/// network after the SYN is kept as a soft error; other errors go to the
/// caller.
fn tcp_output_error(st: &mut Stack, tp: usize, inp: usize, e: Errno) -> Result {
    if e == ENOBUFS {
        tcp_quench(st, inp, Errno(0));
        let so = st.pcb(inp).inp_socket;
        tcp_rexmt_if_idle(st, tp, so);
        return Ok(());
    }
    let t = st.tp(tp);
    if (e == EHOSTUNREACH || e == ENETDOWN) && tcps_havercvdsyn(t.t_state) {
        t.t_softerror = e.0;
        return Ok(());
    }
    Err(e)
}

/// After a send that memory cut short: with data waiting and no timer
/// to come back to it, the retransmission timer will (FreeBSD's rule;
/// the book relies on the next ACK or user request, which may never
/// come).
fn tcp_rexmt_if_idle(st: &mut Stack, tp: usize, so: usize) {
    let waiting = st.so(so).so_snd.sb_cc != 0;
    let t = st.tp(tp);
    if t.t_timer[TCPT_REXMT] == 0
        && t.t_timer[TCPT_PERSIST] == 0
        && (waiting || t.snd_max != t.snd_una)
    {
        t.t_timer[TCPT_REXMT] = t.t_rxtcur.max(1);
    }
}

/// Starts the persist timer (`tcp_setpersist`, figure 25.13): the RTO the
/// estimators give, backed off exponentially by `t_rxtshift`, between
/// `tcp_persmin` and `tcp_persmax`.
pub fn tcp_setpersist(st: &mut Stack, tp: usize) {
    let (pmin, pmax) = (st.tcp.tcp_persmin, st.tcp.tcp_persmax);
    if st.tcpcbs.get(tp).is_none() {
        return;
    }
    if st.tp(tp).t_timer[TCPT_REXMT] != 0 {
        // The book panics: the two timers never run together.
        st.bug("tcp_setpersist with the retransmission timer running");
    }
    let t = st.tp(tp);
    let base = (t.t_srtt >> 2).saturating_add(t.t_rttvar) >> 1;
    let backoff = TCP_BACKOFF.get(t.t_rxtshift.max(0) as usize).copied().unwrap_or(64);
    t.t_timer[TCPT_PERSIST] = tcpt_rangeset(base.saturating_mul(backoff), pmin, pmax);
    if t.t_rxtshift < TCP_MAXRXTSHIFT {
        t.t_rxtshift += 1;
    }
}
