//! Raw IP sockets (`netinet/raw_ip.c`; book chapter 32).
//!
//! `rip_input` gives a copy of each datagram to every raw socket that
//! matches it; `rip_output` sends a user's datagram, with a header built
//! here or (IP_HDRINCL) given by the user. Unlike the book, a received
//! header is delivered as it arrived, `ip_len` and `ip_off` in network
//! byte order and `ip_len` counting the header (as FreeBSD does now and
//! as Linux does).

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::kern::uipc_socket::{
    pru_notsupp, Pru, SO_BROADCAST, SO_DONTROUTE, SS_ISCONNECTED, SS_PRIV,
};
use crate::bsd::kern::uipc_socket2::{
    free_record, socantsendmore, soisconnected, soisdisconnected, soreserve, sorwakeup,
};
use crate::bsd::netinet::in_::{in_control, InAddr, SockaddrIn, INADDR_ANY};
use crate::bsd::netinet::in_pcb::{
    in_pcballoc, in_pcbdetach, in_pcbrehash, in_pcbs_on_port, in_setpeeraddr, in_setsockaddr,
    InpHead, INP_HDRINCL,
};
use crate::bsd::netinet::ip::{IP_HDRLEN, IP_MAXPACKET};
use crate::bsd::netinet::ip_output::*;
use crate::bsd::netinet::udp_usrreq::ip_savecontrol;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// Raw socket send buffer size (`rip_sendspace`).
pub const RIP_SENDSPACE: usize = 8192;
/// Raw socket receive buffer size (`rip_recvspace`).
pub const RIP_RECVSPACE: usize = 8192;

/// Raw IP input (`rip_input`): every raw socket whose protocol, local
/// and foreign addresses match (or are wildcards) gets a copy, with the
/// sender's address. A datagram nobody wanted counts as `ips_noproto`.
pub fn rip_input(st: &mut Stack, m: Mbuf, _hlen: usize) {
    let h = m.mtod();
    let (p, src, dst) = (h[9], get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
    let ripsrc = SockaddrIn::new(src, 0);
    // Raw PCBs have no port: they are the PCBs of port 0.
    let Ok(list) = in_pcbs_on_port(st, InpHead::Raw, 0) else {
        return m_freem(&mut st.mbpool, m);
    };
    let mut last: Option<usize> = None;
    for &inp in list.iter() {
        let pcb = st.pcb(inp);
        if (pcb.inp_ip_p != 0 && pcb.inp_ip_p != p)
            || (pcb.inp_laddr != INADDR_ANY && pcb.inp_laddr != dst)
            || (pcb.inp_faddr != INADDR_ANY && pcb.inp_faddr != src)
        {
            continue;
        }
        if let Some(prev) = last.replace(inp) {
            if let Ok(n) = m_copy(&mut st.mbpool, &m, 0, M_COPYALL) {
                rip_append(st, prev, ripsrc, n);
            }
        }
    }
    match last {
        Some(inp) => rip_append(st, inp, ripsrc, m),
        None => {
            m_freem(&mut st.mbpool, m);
            st.ipstat.ips_noproto += 1;
            st.ipstat.ips_delivered -= 1;
        }
    }
}

/// Queues datagram `m` from `src` on the socket of PCB `inp`, with the
/// control messages it asked for (FreeBSD's rip_input; the book's passes
/// none), or drops it when the receive buffer is full.
fn rip_append(st: &mut Stack, inp: usize, src: SockaddrIn, m: Mbuf) {
    let so = st.pcb(inp).inp_socket;
    // ip_input left the header, options and all, in the first mbuf.
    let h = m.mtod();
    let hlen = h.first().map_or(IP_HDRLEN, |&b| usize::from(b & 0x0f) << 2);
    let opts = h.get(IP_HDRLEN..hlen).unwrap_or(&[]);
    let control = ip_savecontrol(st, inp, get_addr(h, IP_DST_OFF), opts);
    match st.so(so).so_rcv.sbappendaddr(src, m, control) {
        Ok(()) => sorwakeup(st, so),
        Err(r) => {
            st.so(so).so_rcv.sb_drops += 1;
            free_record(&mut st.mbpool, r);
        }
    }
}

/// Raw IP output (`rip_output`): builds the IP header in front of the
/// user's data, or checks the one the user gave (IP_HDRINCL), and sends.
pub fn rip_output(st: &mut Stack, m: Mbuf, so: usize, dst: InAddr) -> Result {
    let Some(inp) = st.so(so).so_pcb else {
        m_freem(&mut st.mbpool, m);
        return Err(EINVAL);
    };
    let len = m.m_pkthdr().map_or(0, |ph| ph.len);
    let pcb = st.pcb(inp);
    let (flags, p, laddr, ttl, tos) =
        (pcb.inp_flags, pcb.inp_ip_p, pcb.inp_laddr, pcb.inp_ip_ttl, pcb.inp_ip_tos);
    let opts = pcb.inp_options;
    let imo = pcb.inp_moptions;
    let mut ipflags = u32::from(st.so(so).so_options & (SO_DONTROUTE | SO_BROADCAST));
    let mut m = m;
    if flags & INP_HDRINCL == 0 {
        if len + IP_HDRLEN > IP_MAXPACKET {
            m_freem(&mut st.mbpool, m);
            return Err(EMSGSIZE);
        }
        m = M_PREPEND(&mut st.mbpool, m, IP_HDRLEN)?;
        let Some(h) = m.mtod_mut() else {
            m_freem(&mut st.mbpool, m);
            return Err(ENOBUFS);
        };
        h[..IP_HDRLEN].fill(0);
        h[1] = tos;
        put16(h, IP_LEN_OFF, (len + IP_HDRLEN) as u16);
        h[IP_TTL_OFF] = ttl;
        h[9] = p;
        put_addr(h, IP_SRC_OFF, laddr);
        put_addr(h, IP_DST_OFF, dst);
        return ip_output(st, m, opts.as_ref(), ipflags, imo.as_ref());
    }
    // The user's header: it must hold together. Like Linux, bsdinet fills
    // in the total length, and the identifier when it is 0.
    if !(IP_HDRLEN..=IP_MAXPACKET).contains(&len) {
        m_freem(&mut st.mbpool, m);
        return Err(EINVAL);
    }
    let hlen = m.mtod().first().map_or(0, |&b| usize::from(b & 0x0f) << 2);
    if hlen < IP_HDRLEN || hlen > len {
        m_freem(&mut st.mbpool, m);
        return Err(EINVAL);
    }
    m = m_pullup(&mut st.mbpool, m, hlen)?;
    st.ip_id = st.ip_id.wrapping_add(1);
    let id = st.ip_id;
    let Ok(h) = m_writable(&mut st.mbpool, &mut m) else {
        m_freem(&mut st.mbpool, m);
        return Err(ENOBUFS);
    };
    put16(h, IP_LEN_OFF, len as u16);
    if get16(h, IP_ID_OFF) == 0 {
        put16(h, IP_ID_OFF, id);
    }
    ipflags |= IP_RAWOUTPUT;
    st.ipstat.ips_rawout += 1;
    ip_output(st, m, None, ipflags, imo.as_ref())
}

/// The user requests of raw IP sockets.
pub fn rip_usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
    if let Pru::Control { cmd, data, ifp, admin } = req {
        return in_control(st, cmd, data, ifp, admin);
    }
    let inp = st.so(so).so_pcb;
    let inp = match (inp, &req) {
        (None, Pru::Attach { .. }) => 0,
        (Some(_), Pru::Attach { .. }) | (None, _) => return Err(EINVAL),
        (Some(inp), _) => inp,
    };
    match req {
        Pru::Attach { proto } => {
            // Only a privileged user may see raw IP (CAP_NET_RAW).
            if st.so(so).so_state & SS_PRIV == 0 {
                return Err(EACCES);
            }
            soreserve(st, so, RIP_SENDSPACE, RIP_RECVSPACE)?;
            let inp = in_pcballoc(st, so, InpHead::Raw)?;
            // socket() accepted only 0..=255 (checked by the platform).
            st.pcb(inp).inp_ip_p = proto as u8;
        }
        Pru::Detach => {
            // The routing daemon's socket closing ends multicast routing
            // (the book's `rip_detach`: `if (so == ip_mrouter)
            // ip_mrouter_done()`).
            if st.ip_mrouter == Some(so) {
                crate::bsd::netinet::ip_mroute::ip_mrouter_done(st);
            }
            in_pcbdetach(st, inp)
        }
        Pru::Bind(nam) => {
            let sin = SockaddrIn::parse(nam)?;
            if st.ifnet.is_empty()
                || (sin.sin_addr != INADDR_ANY && st.ifa_ifwithaddr(sin.sin_addr).is_none())
            {
                return Err(EADDRNOTAVAIL);
            }
            st.pcb(inp).inp_laddr = sin.sin_addr;
            in_pcbrehash(st, inp);
        }
        Pru::Connect(nam) => {
            let sin = SockaddrIn::parse(nam)?;
            if st.ifnet.is_empty() {
                return Err(EADDRNOTAVAIL);
            }
            st.pcb(inp).inp_faddr = sin.sin_addr;
            in_pcbrehash(st, inp);
            soisconnected(st, so);
        }
        // The book's raw disconnect falls through to PRU_DETACH, which
        // leaves a socket without a PCB that a later connect() cannot use;
        // like FreeBSD, forget the peer and keep the PCB.
        Pru::Disconnect => {
            if st.so(so).so_state & SS_ISCONNECTED == 0 {
                return Err(ENOTCONN);
            }
            st.pcb(inp).inp_faddr = INADDR_ANY;
            in_pcbrehash(st, inp);
            st.so(so).so_state &= !SS_ISCONNECTED;
        }
        Pru::Shutdown => socantsendmore(st, so),
        Pru::Send { data, nam, control } => {
            if let Err(e) = ip_checkcontrol(&mut st.mbpool, control) {
                m_freem(&mut st.mbpool, data);
                return Err(e);
            }
            let dst = if st.so(so).so_state & SS_ISCONNECTED != 0 {
                match nam {
                    Some(_) => Err(EISCONN),
                    None => Ok(st.pcb(inp).inp_faddr),
                }
            } else {
                match nam {
                    Some(nam) => SockaddrIn::parse(nam).map(|sin| sin.sin_addr),
                    None => Err(ENOTCONN),
                }
            };
            return match dst {
                Ok(dst) => rip_output(st, data, so, dst),
                Err(e) => {
                    m_freem(&mut st.mbpool, data);
                    Err(e)
                }
            };
        }
        Pru::Sockaddr(out) => *out = in_setsockaddr(st.pcb(inp)),
        Pru::Peeraddr(out) => {
            if st.so(so).so_state & SS_ISCONNECTED == 0 {
                return Err(ENOTCONN);
            }
            *out = in_setpeeraddr(st.pcb(inp));
        }
        Pru::Listen => return Err(EOPNOTSUPP),
        // As the book: an abort drops the socket; the requests of
        // connection protocols are not raw IP's.
        Pru::Abort => {
            soisdisconnected(st, so);
            in_pcbdetach(st, inp);
        }
        // (PRU_CONTROL was answered above.)
        req @ (Pru::Accept(_)
        | Pru::Rcvd { .. }
        | Pru::Rcvoob { .. }
        | Pru::SendOob { .. }
        | Pru::Control { .. }) => return pru_notsupp(st, req),
    }
    Ok(())
}

use crate::bsd::kern::uipc_domain::SockOpt;
use crate::bsd::kern::uipc_socket::{sooptcopyout, sooptint};
use crate::bsd::netinet::in_::IPPROTO_IP;
use crate::bsd::netinet::ip_mroute::{ip_mrouter_ctl, MRT_ASSERT, MRT_INIT};

/// Socket options of raw IP sockets (`rip_ctloutput`): IP_HDRINCL here,
/// everything else in `ip_ctloutput`. IP_HDRINCL reads as 0 or 1, as
/// `ip_ctloutput`'s flags do (the book gives the INP_HDRINCL bit).
pub fn rip_ctloutput(st: &mut Stack, so: usize, op: SockOpt<'_>) -> Result<usize> {
    let (level, name) = match &op {
        SockOpt::Set { level, name, .. } | SockOpt::Get { level, name, .. } => (*level, *name),
    };
    if level == IPPROTO_IP && (MRT_INIT..=MRT_ASSERT).contains(&name) {
        return ip_mrouter_ctl(st, so, op);
    }
    if level != IPPROTO_IP || name != IP_HDRINCL {
        return ip_ctloutput(st, so, op);
    }
    let Some(inp) = st.so(so).so_pcb else {
        return Err(EINVAL);
    };
    let inp = st.pcb(inp);
    match op {
        SockOpt::Set { val, .. } => {
            if sooptint(val)? != 0 {
                inp.inp_flags |= INP_HDRINCL;
            } else {
                inp.inp_flags &= !INP_HDRINCL;
            }
            Ok(0)
        }
        SockOpt::Get { out, .. } => {
            let v = i32::from(inp.inp_flags & INP_HDRINCL != 0);
            Ok(sooptcopyout(out, &v.to_ne_bytes()))
        }
    }
}
