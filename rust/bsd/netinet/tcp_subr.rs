//! TCP's support functions (`netinet/tcp_subr.c`; book chapter 27).

use crate::bsd::kern::uipc_domain::{
    PRC_HOSTDEAD, PRC_NCMDS, PRC_QUENCH, PRC_REDIRECT_HOST, PRC_REDIRECT_NET,
};
use crate::bsd::kern::uipc_mbuf::{m_freem, m_gethdr, Mbuf, MHLEN, MT_HEADER};
use crate::bsd::kern::uipc_socket2::{soisdisconnected, sorwakeup, sowwakeup};
use crate::bsd::net::route::{rtalloc, rtfree, RTV_RTT, RTV_RTTVAR, RTV_SSTHRESH};
use crate::bsd::netinet::in_::{InAddr, INADDR_ANY, IPPROTO_TCP};
use crate::bsd::netinet::in_cksum::in_cksum;
use crate::bsd::netinet::in_pcb::{in_pcbdetach, in_pcbnotify, in_rtchange, InpHead};
use crate::bsd::netinet::ip::IP_HDRLEN;
use crate::bsd::netinet::ip_input::INETCTLERRMAP;
use crate::bsd::netinet::ip_output::{
    get16, ip_output, put16, put_addr, IP_DST_OFF, IP_LEN_OFF, IP_SRC_OFF, IP_TTL_OFF,
};
use crate::bsd::netinet::tcp::{Tcphdr, TCP_HDRLEN, TCP_MAXWIN, TCP_MAX_WINSHIFT, TH_ACK, TH_SUM};
use crate::bsd::netinet::tcp_debug::{tcp_trace, TA_RESPOND};
use crate::bsd::netinet::tcp_fsm::{tcps_havercvdsyn, TCPS_CLOSED, TCPS_ESTABLISHED};
use crate::bsd::netinet::tcp_output::tcp_output;
use crate::bsd::netinet::tcp_seq::{seq_lt, TCP_ISSINCR};
use crate::bsd::netinet::tcp_timer::{tcpt_rangeset, PR_SLOWHZ, TCPTV_SRTTBASE, TCPTV_SRTTDFLT};
use crate::bsd::netinet::tcp_var::{
    TcpIpHdr, Tcpcb, TCP_RTTVAR_SCALE, TCP_RTT_SCALE, TF_REQ_SCALE, TF_REQ_TSTMP,
};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{
    Errno, Result, EHOSTDOWN, EHOSTUNREACH, ENETUNREACH, ENOBUFS, ETIMEDOUT,
};

/// Bytes of the IP and TCP headers without options (`struct tcpiphdr`).
pub const TCPIP_HDRLEN: usize = IP_HDRLEN + TCP_HDRLEN;

/// Room left in front of the headers for the link header (the book's
/// `max_linkhdr`: 16, Ethernet's 14 rounded up).
pub const MAX_LINKHDR: usize = 16;

/// The unit of the RTT metrics in routes (`RTM_RTTUNIT`): microseconds.
pub const RTM_RTTUNIT: u32 = 1_000_000;

/// The TCP checksum of the segment at offset `IP_HDRLEN` of `m`, `tlen`
/// bytes of header and data, with the pseudo-header for `src` and `dst`
/// (the book overlays the pseudo-header on the IP header, `ti_len` and
/// all; here it is built apart, as `udp_cksum` builds it).
pub fn tcp_cksum(m: &Mbuf, src: InAddr, dst: InAddr, tlen: usize) -> u16 {
    let mut ph = [0u8; 12];
    ph[0..4].copy_from_slice(&src.0.to_be_bytes());
    ph[4..8].copy_from_slice(&dst.0.to_be_bytes());
    ph[9] = IPPROTO_TCP as u8;
    ph[10..12].copy_from_slice(&(tlen as u16).to_be_bytes());
    in_cksum(core::iter::once(&ph[..]).chain(m.segments_range(IP_HDRLEN, tlen)))
}

/// Writes the IP header fields a TCP segment's sender fills in (the
/// template's part of `struct tcpiphdr` plus length, TTL and TOS) into
/// the first 20 bytes of `h`; `ip_output` fills in the rest.
pub fn tcp_fill_iphdr(h: &mut [u8], ti: &TcpIpHdr, len: usize, ttl: u8, tos: u8) {
    if let Some(ip) = h.get_mut(..IP_HDRLEN) {
        ip.fill(0);
        ip[1] = tos;
        ip[9] = IPPROTO_TCP as u8;
        ip[IP_TTL_OFF] = ttl;
    }
    put16(h, IP_LEN_OFF, len as u16);
    put_addr(h, IP_SRC_OFF, ti.ti_src);
    put_addr(h, IP_DST_OFF, ti.ti_dst);
}

/// The header template of control block `tp` (`tcp_template`): its
/// PCB's addresses and ports.
pub fn tcp_template(st: &mut Stack, tp: usize) -> TcpIpHdr {
    let inp = st.tp(tp).t_inpcb;
    let p = st.pcb(inp);
    TcpIpHdr {
        ti_src: p.inp_laddr,
        ti_dst: p.inp_faddr,
        ti_sport: p.inp_lport,
        ti_dport: p.inp_fport,
    }
}

/// Sends a segment that carries no data (`tcp_respond`): an ACK or RST
/// with `seq`, `ack` and `flags`, addressed as `ti` (source: us). With
/// a control block, its window, TTL and options go with it; without
/// one (a reply to a segment for no connection) the window is 0. `m`, if
/// given, is the received segment, freed here (the book reuses it).
///
/// As the book's keepalive probe asks (`flags` 0, no segment), a segment
/// without flags goes as a bare ACK. The book reuses the received mbuf
/// and sends with the default TTL; a fresh mbuf is built here, with the
/// PCB's TTL and TOS when there is a control block.
pub fn tcp_respond(
    st: &mut Stack,
    tp: Option<usize>,
    ti: TcpIpHdr,
    m: Option<Mbuf>,
    ack: u32,
    seq: u32,
    flags: u8,
) {
    if let Some(m) = m {
        m_freem(&mut st.mbpool, m);
    }
    let flags = if flags == 0 { TH_ACK } else { flags };
    let tp = tp.filter(|&t| st.tcpcbs.get(t).is_some());
    let (mut win, mut ttl, mut tos) = (0u32, st.ip_defttl, 0u8);
    if let Some(t) = tp {
        let (inp, scale) = {
            let t = st.tp(t);
            (t.t_inpcb, t.rcv_scale)
        };
        if let Some(p) = st.inpcbs.get(inp) {
            (ttl, tos) = (p.inp_ip_ttl, p.inp_ip_tos);
            let so = p.inp_socket;
            let space = st.sockets.get(so).map_or(0, |s| s.so_rcv.sbspace());
            let scale = scale.min(TCP_MAX_WINSHIFT);
            win = u32::try_from(space >> scale).unwrap_or(u32::MAX).min(TCP_MAXWIN);
        }
    }
    let Ok(mut m) = m_gethdr(&mut st.mbpool, MT_HEADER) else { return };
    let tlen = TCPIP_HDRLEN;
    if m.m_align(tlen + MAX_LINKHDR).is_err() || m.set_len(tlen).is_err() {
        return m_freem(&mut st.mbpool, m);
    }
    let th = Tcphdr {
        th_sport: ti.ti_sport,
        th_dport: ti.ti_dport,
        th_seq: seq,
        th_ack: ack,
        th_off: (TCP_HDRLEN >> 2) as u8,
        th_flags: flags,
        th_win: win as u16,
        th_sum: 0,
        th_urp: 0,
    };
    let Some(h) = m.mtod_mut() else { return m_freem(&mut st.mbpool, m) };
    tcp_fill_iphdr(h, &ti, tlen, ttl, tos);
    th.emit(h.get_mut(IP_HDRLEN..).unwrap_or_default());
    if let Some(ph) = m.m_pkthdr_mut() {
        ph.len = tlen;
        ph.rcvif = None;
    }
    let sum = tcp_cksum(&m, ti.ti_src, ti.ti_dst, TCP_HDRLEN);
    if let Some(h) = m.mtod_mut() {
        put16(h, IP_HDRLEN + TH_SUM, sum);
    }
    if let Some(t) = tp {
        let state = st.tp(t).t_state;
        tcp_trace(st, TA_RESPOND, state, Some(t), Some((ti, th, 0)), 0);
    }
    // Nothing to tell anyone when it cannot go: the peer retransmits.
    let _ = ip_output(st, m, None, 0, None);
}

/// A control block for PCB `inp` (`tcp_newtcpcb`), hung off it.
pub fn tcp_newtcpcb(st: &mut Stack, inp: usize) -> Result<usize> {
    if st.inpcbs.get(inp).is_none() {
        return Err(ENOBUFS);
    }
    let mut tp = Tcpcb::new(inp);
    tp.t_maxseg = st.tcp.tcp_mssdflt;
    tp.t_flags = if st.tcp.tcp_do_rfc1323 { TF_REQ_SCALE | TF_REQ_TSTMP } else { 0 };
    // The initial RTT estimates (figure 25.20): srtt 0, rttvar such that
    // the first RTO is 6 seconds, as the book's `tcp_rttdflt` of 3 s gives.
    tp.t_srtt = TCPTV_SRTTBASE;
    tp.t_rttvar = ((TCPTV_SRTTDFLT / PR_SLOWHZ) * PR_SLOWHZ) << 2;
    tp.t_rttmin = st.tcp.tcp_rexmtmin;
    tp.t_rxtcur = tcpt_rangeset(
        ((TCPTV_SRTTBASE >> 2) + (TCPTV_SRTTDFLT << 2)) >> 1,
        st.tcp.tcp_rexmtmin,
        st.tcp.tcp_rexmtmax,
    );
    tp.snd_cwnd = TCP_MAXWIN << TCP_MAX_WINSHIFT;
    tp.snd_ssthresh = TCP_MAXWIN << TCP_MAX_WINSHIFT;
    let i = st.tcpcbs.insert(tp)?;
    let ttl = st.ip_defttl;
    let p = st.pcb(inp);
    p.inp_ip_ttl = ttl;
    p.inp_ppcb = Some(i);
    Ok(i)
}

/// Drops the connection (`tcp_drop`): a RST if a SYN was received, the
/// error for the user, then `tcp_close`. Returns `None` (closed).
pub fn tcp_drop(st: &mut Stack, tp: usize, errno: Errno) -> Option<usize> {
    let mut errno = errno;
    if tcps_havercvdsyn(st.tp(tp).t_state) {
        // CLOSED's flags are RST|ACK (figure 24.16).
        st.tp(tp).t_state = TCPS_CLOSED;
        let _ = tcp_output(st, tp);
        st.tcpstat.tcps_drops += 1;
    } else {
        st.tcpstat.tcps_conndrops += 1;
    }
    let t = st.tp(tp);
    if errno == ETIMEDOUT && t.t_softerror != 0 {
        errno = Errno(t.t_softerror);
    }
    let inp = t.t_inpcb;
    if let Some(so) = st.inpcbs.get(inp).map(|p| p.inp_socket) {
        st.so(so).set_error(errno);
    }
    tcp_close(st, tp)
}

/// Saves the RTT estimates and the slow-start threshold of control block
/// `tp` in its cached route, when it sent enough data for them to mean
/// something (figures 27.15 and 27.16).
fn tcp_savemetrics(st: &mut Stack, tp: usize) {
    let t = st.tp(tp);
    let (inp, iss, snd_max) = (t.t_inpcb, t.iss, t.snd_max);
    let (srtt, rttvar, ssthresh, maxseg) = (t.t_srtt, t.t_rttvar, t.snd_ssthresh, t.t_maxseg);
    let Some(so) = st.inpcbs.get(inp).map(|p| p.inp_socket) else { return };
    let hiwat = st.sockets.get(so).map_or(0, |s| s.so_snd.sb_hiwat);
    // "Enough" is 16 times the send buffer: 16 RTT samples at one a
    // window, enough for srtt to converge within 5%.
    let enough = iss.wrapping_add((hiwat as u32).wrapping_mul(16));
    if !seq_lt(enough, snd_max) {
        return;
    }
    // The cached route (the book's `inp_route`, which its ip_output
    // fills); here, as ip_output routes by itself, the route to the peer
    // is looked up if nothing cached one.
    let Some(rt) = tcp_rtalloc(st, inp) else { return };
    let Some(r) = st.rtable.rtentries.get_mut(rt) else { return };
    // Not the default route's.
    if r.rt_dst == INADDR_ANY {
        return;
    }
    let rmx = &mut r.rt_rmx;
    if rmx.rmx_locks & RTV_RTT == 0 {
        let i = (srtt.max(0) as u32)
            .saturating_mul(RTM_RTTUNIT / (PR_SLOWHZ as u32 * TCP_RTT_SCALE as u32));
        rmx.rmx_rtt = if rmx.rmx_rtt != 0 && i != 0 {
            ((u64::from(rmx.rmx_rtt) + u64::from(i)) / 2) as u32
        } else {
            i
        };
    }
    if rmx.rmx_locks & RTV_RTTVAR == 0 {
        let i = (rttvar.max(0) as u32)
            .saturating_mul(RTM_RTTUNIT / (PR_SLOWHZ as u32 * TCP_RTTVAR_SCALE as u32));
        rmx.rmx_rttvar = if rmx.rmx_rttvar != 0 && i != 0 {
            ((u64::from(rmx.rmx_rttvar) + u64::from(i)) / 2) as u32
        } else {
            i
        };
    }
    // The pipe limit, once it was set before or the threshold fell below
    // half the send pipe: wait for bad news, then follow both kinds.
    // (The book's condition reads `locks == 0 && i && ssthresh || i <
    // sendpipe / 2` by C's precedence; the intent is taken here.)
    let i = ssthresh;
    if rmx.rmx_locks & RTV_SSTHRESH == 0
        && i != 0
        && (rmx.rmx_ssthresh != 0 || i < rmx.rmx_sendpipe / 2)
    {
        let maxseg = u32::from(maxseg.max(1));
        // In packets, rounded, at least 2, then in bytes with headers.
        let i = ((i.saturating_add(maxseg / 2)) / maxseg).max(2);
        let i = i.saturating_mul(maxseg + TCPIP_HDRLEN as u32);
        rmx.rmx_ssthresh = if rmx.rmx_ssthresh != 0 {
            ((u64::from(rmx.rmx_ssthresh) + u64::from(i)) / 2) as u32
        } else {
            i
        };
    }
}

/// Closes the connection (`tcp_close`): saves the RTT estimates in the
/// route, frees the reassembly queue, the control block and the PCB,
/// and tells the socket it is disconnected. Returns `None`.
pub fn tcp_close(st: &mut Stack, tp: usize) -> Option<usize> {
    if st.tcpcbs.get(tp).is_none() {
        st.bug("tcp_close of no tcpcb");
        return None;
    }
    tcp_savemetrics(st, tp);
    if let Some(mut t) = st.tcpcbs.remove(tp) {
        while let Some(r) = t.t_segq.pop() {
            m_freem(&mut st.mbpool, r.m);
        }
        if st.tcp.tcp_last_inpcb == Some(t.t_inpcb) {
            st.tcp.tcp_last_inpcb = None;
        }
        let inp = t.t_inpcb;
        if let Some(p) = st.inpcbs.get_mut(inp) {
            p.inp_ppcb = None;
            let so = p.inp_socket;
            soisdisconnected(st, so);
            // Frees the socket too when no descriptor refers to it.
            in_pcbdetach(st, inp);
        }
    }
    st.tcpstat.tcps_closed += 1;
    None
}

/// SipHash-2-4 of `data` under the 128-bit key `k` (for RFC 6528's F).
pub fn siphash24(k: [u32; 4], data: &[u8]) -> u64 {
    let k0 = u64::from(k[0]) | u64::from(k[1]) << 32;
    let k1 = u64::from(k[2]) | u64::from(k[3]) << 32;
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let compress = |v: &mut [u64; 4], m: u64| {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    };
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        compress(&mut v, u64::from_le_bytes(w));
    }
    let mut last = [0u8; 8];
    let rem = chunks.remainder();
    last[..rem.len()].copy_from_slice(rem);
    last[7] = data.len() as u8;
    compress(&mut v, u64::from_le_bytes(last));
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// A new initial send sequence number for a connection from `laddr:lport`
/// to `faddr:fport`: RFC 6528's keyed hash plus a 4 µs clock when
/// `tcp_iss_random` is set, the book's `tcp_iss` otherwise (advanced by
/// TCP_ISSINCR/2 as the book advances it for each connection).
///
/// RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport,
/// secretkey), M a timer ticking every 4 µs (here from the stack's 100 ms
/// clock: 25,000 a tick, plus the book's `tcp_iss` clock advanced by one
/// at each call), F SipHash-2-4 keyed with `tcp_iss_secret`.
pub fn tcp_iss(st: &mut Stack, laddr: InAddr, lport: u16, faddr: InAddr, fport: u16) -> u32 {
    if !st.tcp.tcp_iss_random {
        let iss = st.tcp.tcp_iss;
        st.tcp.tcp_iss = iss.wrapping_add(TCP_ISSINCR / 2);
        return iss;
    }
    let mut b = [0u8; 12];
    b[0..4].copy_from_slice(&laddr.0.to_be_bytes());
    b[4..6].copy_from_slice(&lport.to_be_bytes());
    b[6..10].copy_from_slice(&faddr.0.to_be_bytes());
    b[10..12].copy_from_slice(&fport.to_be_bytes());
    let f = siphash24(st.tcp.tcp_iss_secret, &b) as u32;
    // The clock has only the stack's 100 ms ticks: two connections of
    // one 4-tuple in one tick would get one ISN (a quick reconnection to
    // a peer in TIME_WAIT would then be refused). So M also counts the
    // ISNs handed out, in `tcp_iss`, which the slow timeout advances too
    // (the book's clock, otherwise unused in this mode): M stays
    // monotonic and differs at every call.
    st.tcp.tcp_iss = st.tcp.tcp_iss.wrapping_add(1);
    let m = (st.ticks as u32).wrapping_mul(25_000).wrapping_add(st.tcp.tcp_iss);
    m.wrapping_add(f)
}

/// The ICMP error `errno` arrived for PCB `inp` (`tcp_notify`): kept
/// as a soft error while the connection works, reported otherwise
/// (figure 27.12).
pub fn tcp_notify(st: &mut Stack, inp: usize, errno: Errno) {
    let Some(p) = st.inpcbs.get(inp) else { return };
    let (so, tp) = (p.inp_socket, p.inp_ppcb);
    let Some(tp) = tp.filter(|&t| st.tcpcbs.get(t).is_some()) else { return };
    let t = st.tp(tp);
    // Ignore some errors while the connection works. When it has not
    // been made yet, has retransmitted several times and a second error
    // comes, give up now rather than wait for the timeout.
    if t.t_state == TCPS_ESTABLISHED
        && (errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EHOSTDOWN)
    {
        return;
    } else if t.t_state < TCPS_ESTABLISHED && t.t_rxtshift > 3 && t.t_softerror != 0 {
        st.so(so).set_error(errno);
    } else {
        t.t_softerror = errno.0;
    }
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// A source quench arrived for PCB `inp` (`tcp_quench`): back to slow
/// start.
pub fn tcp_quench(st: &mut Stack, inp: usize, errno: Errno) {
    let _ = errno;
    if let Some(tp) = st.inpcbs.get(inp).and_then(|p| p.inp_ppcb) {
        if let Some(t) = st.tcpcbs.get_mut(tp) {
            t.snd_cwnd = u32::from(t.t_maxseg);
        }
    }
}

/// ICMP errors for TCP (`tcp_ctlinput`, TCP's `pr_ctlinput`). `ip` is
/// the IP header of the segment the error is about, with at least 8
/// bytes of its TCP header. The book's `in_pcbnotify` chooses
/// `in_rtchange` for redirects and zeroes the ports for those and dead
/// hosts; this `in_pcbnotify` leaves that to its callers.
pub fn tcp_ctlinput(st: &mut Stack, cmd: u32, dst: InAddr, ip: Option<&[u8]>) {
    if cmd == PRC_REDIRECT_NET || cmd == PRC_REDIRECT_HOST {
        return in_pcbnotify(st, InpHead::Tcp, dst, 0, INADDR_ANY, 0, Errno(0), in_rtchange);
    }
    let (errno, notify): (Errno, fn(&mut Stack, usize, Errno)) = if cmd == PRC_QUENCH {
        (Errno(0), tcp_quench)
    } else {
        match INETCTLERRMAP.get(cmd as usize) {
            Some(&e) if cmd < PRC_NCMDS && e != Errno(0) => (e, tcp_notify),
            _ => return,
        }
    };
    let ports = ip.filter(|_| cmd != PRC_HOSTDEAD).and_then(|ip| {
        let hl = usize::from(ip.first().copied().unwrap_or(0) & 0x0f) << 2;
        (ip.len() >= hl + 4 && hl >= IP_HDRLEN).then(|| {
            let src = crate::bsd::netinet::ip_output::get_addr(ip, IP_SRC_OFF);
            (get16(ip, hl), get16(ip, hl + 2), src)
        })
    });
    match ports {
        Some((sport, dport, src)) => {
            in_pcbnotify(st, InpHead::Tcp, dst, dport, src, sport, errno, notify)
        }
        None => in_pcbnotify(st, InpHead::Tcp, dst, 0, INADDR_ANY, 0, errno, notify),
    }
}

/// The cached route of PCB `inp` to its foreign address (the book's
/// `inp->inp_route`, allocated as `tcp_mss` does with `rtalloc`): the
/// route stays referenced by the PCB, so the caller does not free it.
/// A route that went down or is to another destination is replaced.
/// `None` without a foreign address or a route.
pub fn tcp_rtalloc(st: &mut Stack, inp: usize) -> Option<usize> {
    let p = st.inpcbs.get(inp)?;
    let (faddr, cached) = (p.inp_faddr, p.inp_route);
    if faddr == INADDR_ANY {
        return None;
    }
    if let Some(rt) = cached {
        let ok = st.rtable.rtentries.get(rt).is_some_and(|r| {
            r.rt_flags & crate::bsd::net::route::RTF_UP != 0 && r.rt_dst.0 == faddr.0 & r.rt_mask.0
        });
        if ok {
            return Some(rt);
        }
        st.pcb(inp).inp_route = None;
        rtfree(st, rt);
    }
    let rt = rtalloc(st, faddr)?;
    st.pcb(inp).inp_route = Some(rt);
    Some(rt)
}

/// Gives memory back (`tcp_drain`, TCP's `pr_drain`): the book's does
/// nothing; bsdinet frees the reassembly queues (the peer retransmits
/// what they held).
pub fn tcp_drain(st: &mut Stack) {
    let Stack { tcpcbs, mbpool, .. } = st;
    for (_, t) in tcpcbs.iter_mut() {
        while let Some(r) = t.t_segq.pop() {
            m_freem(mbpool, r.m);
        }
    }
}

/// Data that fits in the header mbuf behind the headers (`MHLEN` less
/// the headers and the link header's room).
pub fn tcp_inline_room(hdrlen: usize) -> usize {
    MHLEN.saturating_sub(hdrlen + MAX_LINKHDR)
}
