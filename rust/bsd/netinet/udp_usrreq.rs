//! UDP (`netinet/udp.h`, `udp_var.h`, `udp_usrreq.c`; book chapter 23).
//!
//! As in the book, an unconnected socket's sendto() picks its source
//! address per datagram; unlike the book, it does so without connecting
//! the PCB for the duration (FreeBSD's `in_pcbladdr`), so a sendto() to a
//! destination that another socket is connected from cannot fail with
//! EADDRINUSE.

use crate::bsd::kern::uipc_domain::PRC_NCMDS;
use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::kern::uipc_socket::*;
use crate::bsd::kern::uipc_socket2::*;
use crate::bsd::netinet::in_::*;
use crate::bsd::netinet::in_cksum::in_cksum;
use crate::bsd::netinet::in_pcb::*;
use crate::bsd::netinet::ip::{IP_HDRLEN, IP_MAXPACKET};
use crate::bsd::netinet::ip_icmp::{icmp_error, ICMP_UNREACH, ICMP_UNREACH_PORT};
use crate::bsd::netinet::ip_input::INETCTLERRMAP;
use crate::bsd::netinet::ip_options::{ip_srcroute, ip_stripoptions, MAX_IPOPTLEN};
use crate::bsd::netinet::ip_output::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// The UDP header's length.
pub const UDP_HDRLEN: usize = 8;
/// The IP and UDP headers (the book's `struct udpiphdr`).
const UDPIP_HDRLEN: usize = IP_HDRLEN + UDP_HDRLEN;

/// Default send buffer: the largest datagram (`udp_sendspace`).
pub const UDP_SENDSPACE: usize = 9216;
/// Default receive buffer: 40 1K datagrams with their addresses
/// (`udp_recvspace`).
pub const UDP_RECVSPACE: usize = 40 * (1024 + SockaddrIn::LEN);

/// UDP statistics (`struct udpstat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Udpstat {
    /// Datagrams received.
    pub udps_ipackets: u64,
    /// Shorter than the headers.
    pub udps_hdrops: u64,
    /// Bad checksum.
    pub udps_badsum: u64,
    /// Data length larger than the packet.
    pub udps_badlen: u64,
    /// No socket on the port.
    pub udps_noport: u64,
    /// Of those, broadcast or multicast.
    pub udps_noportbcast: u64,
    /// Dropped because the socket's receive buffer was full.
    pub udps_fullsock: u64,
    /// Lookups that missed the one-entry cache (the hash replaced the
    /// cache; counted as lookups).
    pub udpps_pcbcachemiss: u64,
    /// Datagrams sent.
    pub udps_opackets: u64,
}

/// Offsets of the UDP header's fields behind a 20-byte IP header.
const UH_SPORT: usize = IP_HDRLEN;
const UH_DPORT: usize = IP_HDRLEN + 2;
const UH_ULEN: usize = IP_HDRLEN + 4;
const UH_SUM: usize = IP_HDRLEN + 6;

/// The UDP checksum of `ulen` bytes of UDP header and data at offset
/// `off` of `m`, with the pseudo-header for `src` and `dst`.
fn udp_cksum(m: &Mbuf, off: usize, ulen: usize, src: InAddr, dst: InAddr) -> u16 {
    let mut ph = [0u8; 12];
    ph[0..4].copy_from_slice(&src.0.to_be_bytes());
    ph[4..8].copy_from_slice(&dst.0.to_be_bytes());
    ph[9] = IPPROTO_UDP as u8;
    ph[10..12].copy_from_slice(&(ulen as u16).to_be_bytes());
    in_cksum(core::iter::once(&ph[..]).chain(m.segments_range(off, ulen)))
}

/// UDP input (`udp_input`): the IP entry's `pr_input` for protocol 17.
pub fn udp_input(st: &mut Stack, mut m: Mbuf, iphlen: usize) {
    st.udpstat.udps_ipackets += 1;
    // Options are not passed up (the book strips them here too), but a
    // socket may ask for them with IP_RECVOPTS: keep a copy.
    let mut optbuf = [0u8; MAX_IPOPTLEN];
    let nopts = iphlen.saturating_sub(IP_HDRLEN).min(MAX_IPOPTLEN);
    if nopts > 0 {
        if m_copydata(&m, IP_HDRLEN, &mut optbuf[..nopts]).is_err() {
            st.udpstat.udps_hdrops += 1;
            return m_freem(&mut st.mbpool, m);
        }
        ip_stripoptions(&mut m);
    }
    let opts = &optbuf[..nopts];
    let mut m = match m_pullup(&mut st.mbpool, m, UDPIP_HDRLEN) {
        Ok(m) => m,
        Err(_) => return st.udpstat.udps_hdrops += 1,
    };
    let h = m.mtod();
    let (src, dst) = (get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
    let (sport, dport) = (get16(h, UH_SPORT), get16(h, UH_DPORT));
    let (ulen, sum) = (usize::from(get16(h, UH_ULEN)), get16(h, UH_SUM));
    let len = usize::from(get16(h, IP_LEN_OFF)) - IP_HDRLEN;
    // The UDP length may be shorter than IP's (the rest is dropped), never
    // longer, and never shorter than its own header.
    if ulen != len {
        if ulen > len || ulen < UDP_HDRLEN {
            st.udpstat.udps_badlen += 1;
            return m_freem(&mut st.mbpool, m);
        }
        m_adj(&mut m, -((len - ulen) as isize));
    }
    if sum != 0 && st.udpcksum && udp_cksum(&m, IP_HDRLEN, ulen, src, dst) != 0 {
        st.udpstat.udps_badsum += 1;
        return m_freem(&mut st.mbpool, m);
    }
    let rcvif = m.m_pkthdr().and_then(|ph| ph.rcvif);
    let from = SockaddrIn::new(src, sport);

    if in_multicast(dst) || rcvif.is_some_and(|ifp| in_broadcast(st, dst, ifp)) {
        // Every socket bound to the port and address gets a copy, as long
        // as the sockets say they share it (SO_REUSEPORT/SO_REUSEADDR).
        let Ok(list) = in_pcbs_on_port(st, InpHead::Udp, dport) else {
            return m_freem(&mut st.mbpool, m);
        };
        let mut last: Option<usize> = None;
        for &inp in list.iter() {
            let p = st.pcb(inp);
            if (p.inp_laddr != INADDR_ANY && p.inp_laddr != dst)
                || (p.inp_faddr != INADDR_ANY && (p.inp_faddr != src || p.inp_fport != sport))
            {
                continue;
            }
            let so = p.inp_socket;
            if let Some(prev) = last.replace(inp) {
                if let Ok(n) = m_copy(&mut st.mbpool, &m, UDPIP_HDRLEN, M_COPYALL) {
                    udp_append(st, prev, from, n, dst, opts);
                }
            }
            if st.so(so).so_options & (SO_REUSEPORT | SO_REUSEADDR) == 0 {
                break;
            }
        }
        match last {
            Some(inp) => {
                m_adj(&mut m, UDPIP_HDRLEN as isize);
                udp_append(st, inp, from, m, dst, opts);
            }
            None => {
                st.udpstat.udps_noportbcast += 1;
                m_freem(&mut st.mbpool, m);
            }
        }
        return;
    }

    st.udpstat.udpps_pcbcachemiss += 1;
    match in_pcblookup(st, InpHead::Udp, src, sport, dst, dport, INPLOOKUP_WILDCARD) {
        Some(inp) => {
            m_adj(&mut m, UDPIP_HDRLEN as isize);
            udp_append(st, inp, from, m, dst, opts);
        }
        None => {
            st.udpstat.udps_noport += 1;
            if m.m_flags() & (M_BCAST | M_MCAST) != 0 {
                st.udpstat.udps_noportbcast += 1;
                return m_freem(&mut st.mbpool, m);
            }
            icmp_error(st, m, ICMP_UNREACH, ICMP_UNREACH_PORT, 0);
        }
    }
}

/// Queues datagram `m` from `from` on the socket of PCB `inp`, with the
/// control messages it asked for about it (sent to `dst` with options
/// `opts`), counting a drop when the receive buffer is full.
fn udp_append(st: &mut Stack, inp: usize, from: SockaddrIn, m: Mbuf, dst: InAddr, opts: &[u8]) {
    let so = st.pcb(inp).inp_socket;
    let control = ip_savecontrol(st, inp, dst, opts);
    match st.so(so).so_rcv.sbappendaddr(from, m, control) {
        Ok(()) => sorwakeup(st, so),
        Err(r) => {
            st.udpstat.udps_fullsock += 1;
            st.so(so).so_rcv.sb_drops += 1;
            free_record(&mut st.mbpool, r);
        }
    }
}

/// The control messages that PCB `inp` asked for about a datagram sent
/// to `dst` with IP options `opts`, as a chain of one mbuf each:
/// IP_RECVDSTADDR its destination, IP_RECVOPTS its options as received,
/// IP_RECVRETOPTS the reversed source route to reply by, in the form
/// IP_OPTIONS takes. The book's udp_input builds the first with
/// `udp_saveopt` and has the others "notyet"; FreeBSD's `ip_savecontrol`,
/// used for raw sockets too, has them all. A message that cannot be had
/// is left out: the datagram goes up all the same, as in the book.
pub fn ip_savecontrol(st: &mut Stack, inp: usize, dst: InAddr, opts: &[u8]) -> Option<Mbuf> {
    let flags = st.pcb(inp).inp_flags;
    if flags & INP_CONTROLOPTS == 0 {
        return None;
    }
    let mut chain = None;
    let mp = &mut st.mbpool;
    if flags & INP_RECVDSTADDR != 0 {
        if let Ok(m) = sbcreatecontrol(mp, &dst.0.to_be_bytes(), IP_RECVDSTADDR, IPPROTO_IP) {
            m_link(&mut chain, m);
        }
    }
    if flags & INP_RECVOPTS != 0 && !opts.is_empty() {
        if let Ok(m) = sbcreatecontrol(mp, opts, IP_RECVOPTS, IPPROTO_IP) {
            m_link(&mut chain, m);
        }
    }
    if let Some(opt) = (flags & INP_RECVRETOPTS != 0).then(|| ip_srcroute(st)).flatten() {
        let mut out = [0u8; MAX_IPOPTLEN + 4];
        let n = ip_optundo(&opt, &mut out);
        if let Ok(m) = sbcreatecontrol(&mut st.mbpool, &out[..n], IP_RECVRETOPTS, IPPROTO_IP) {
            m_link(&mut chain, m);
        }
    }
    chain
}

/// An ICMP error about a datagram we sent (`udp_ctlinput`): connected
/// sockets that sent it learn the error, as the book's `in_pcbnotify`
/// finds only PCBs with that foreign address.
pub fn udp_ctlinput(st: &mut Stack, cmd: u32, dst: InAddr, ip: Option<&[u8]>) {
    let errno = match INETCTLERRMAP.get(cmd as usize) {
        Some(&e) if cmd < PRC_NCMDS && e != Errno(0) => e,
        _ => return,
    };
    let Some(ip) = ip else {
        return in_pcbnotify(st, InpHead::Udp, dst, 0, INADDR_ANY, 0, errno, in_notify_error);
    };
    let hl = usize::from(ip.first().copied().unwrap_or(0) & 0x0f) << 2;
    if ip.len() < hl + 4 {
        return;
    }
    let (sport, dport) = (get16(ip, hl), get16(ip, hl + 2));
    let src = get_addr(ip, IP_SRC_OFF);
    in_pcbnotify(st, InpHead::Udp, dst, dport, src, sport, errno, in_notify_error);
}

/// UDP output (`udp_output`): prepends the headers and sends the datagram
/// in `m` to `to`, or to the connected peer.
fn udp_output(st: &mut Stack, inp: usize, m: Mbuf, to: Option<&[u8]>) -> Result {
    let r = (|| {
        let p = st.pcb(inp);
        let (faddr, fport) = (p.inp_faddr, p.inp_fport);
        match to {
            Some(nam) => {
                if faddr != INADDR_ANY {
                    return Err(EISCONN);
                }
                let mut sin = SockaddrIn::parse(nam)?;
                if sin.sin_port == 0 {
                    return Err(EADDRNOTAVAIL);
                }
                let laddr = in_pcbladdr(st, inp, &mut sin)?;
                if st.pcb(inp).inp_lport == 0 {
                    in_pcbbind(st, inp, None)?;
                }
                Ok((laddr, sin.sin_addr, sin.sin_port))
            }
            None if faddr == INADDR_ANY => Err(ENOTCONN),
            None => Ok((st.pcb(inp).inp_laddr, faddr, fport)),
        }
    })();
    let (src, dst, dport) = match r {
        Ok(a) => a,
        Err(e) => {
            m_freem(&mut st.mbpool, m);
            return Err(e);
        }
    };
    let len = m.m_pkthdr().map_or(0, |ph| ph.len);
    if len + UDPIP_HDRLEN > IP_MAXPACKET {
        m_freem(&mut st.mbpool, m);
        return Err(EMSGSIZE);
    }
    let mut m = M_PREPEND(&mut st.mbpool, m, UDPIP_HDRLEN)?;
    let p = st.pcb(inp);
    let (sport, ttl, tos, opts) = (p.inp_lport, p.inp_ip_ttl, p.inp_ip_tos, p.inp_options);
    let ulen = len + UDP_HDRLEN;
    let Some(h) = m.mtod_mut() else {
        m_freem(&mut st.mbpool, m);
        return Err(ENOBUFS);
    };
    h[..UDPIP_HDRLEN].fill(0);
    h[1] = tos;
    put16(h, IP_LEN_OFF, (ulen + IP_HDRLEN) as u16);
    h[IP_TTL_OFF] = ttl;
    h[9] = IPPROTO_UDP as u8;
    put_addr(h, IP_SRC_OFF, src);
    put_addr(h, IP_DST_OFF, dst);
    put16(h, UH_SPORT, sport);
    put16(h, UH_DPORT, dport);
    put16(h, UH_ULEN, ulen as u16);
    if st.udpcksum {
        // A source chosen by ip_output would be too late for the
        // pseudo-header: in_pcbladdr chose it above.
        let sum = match udp_cksum(&m, IP_HDRLEN, ulen, src, dst) {
            0 => 0xffff,
            s => s,
        };
        if let Some(h) = m.mtod_mut() {
            put16(h, UH_SUM, sum);
        }
    }
    st.udpstat.udps_opackets += 1;
    let so = st.pcb(inp).inp_socket;
    let flags = u32::from(st.so(so).so_options & (SO_DONTROUTE | SO_BROADCAST));
    let imo = st.pcb(inp).inp_moptions;
    ip_output(st, m, opts.as_ref(), flags, imo.as_ref())
}

/// The user requests of UDP sockets (`udp_usrreq`).
pub fn udp_usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
    if let Pru::Control { cmd, data, ifp, admin } = req {
        return in_control(st, cmd, data, ifp, admin);
    }
    let inp = match (st.so(so).so_pcb, &req) {
        (None, Pru::Attach { .. }) => 0,
        (Some(_), Pru::Attach { .. }) | (None, _) => return Err(EINVAL),
        (Some(inp), _) => inp,
    };
    match req {
        Pru::Attach { .. } => {
            soreserve(st, so, UDP_SENDSPACE, UDP_RECVSPACE)?;
            in_pcballoc(st, so, InpHead::Udp)?;
        }
        Pru::Detach => in_pcbdetach(st, inp),
        Pru::Bind(nam) => in_pcbbind(st, inp, Some(nam))?,
        Pru::Listen => return Err(EOPNOTSUPP),
        Pru::Connect(nam) => {
            if st.pcb(inp).inp_faddr != INADDR_ANY {
                return Err(EISCONN);
            }
            in_pcbconnect(st, inp, nam)?;
            soisconnected(st, so);
        }
        Pru::Disconnect => {
            if st.pcb(inp).inp_faddr == INADDR_ANY {
                return Err(ENOTCONN);
            }
            in_pcbdisconnect(st, inp);
            // The book forgets the local address too; the port stays.
            st.pcb(inp).inp_laddr = INADDR_ANY;
            in_pcbrehash(st, inp);
            st.so(so).so_state &= !SS_ISCONNECTED;
        }
        Pru::Shutdown => socantsendmore(st, so),
        Pru::Send { data, nam, control } => {
            if let Err(e) = ip_checkcontrol(&mut st.mbpool, control) {
                m_freem(&mut st.mbpool, data);
                return Err(e);
            }
            return udp_output(st, inp, data, nam);
        }
        Pru::Sockaddr(out) => *out = in_setsockaddr(st.pcb(inp)),
        Pru::Peeraddr(out) => {
            if st.so(so).so_state & SS_ISCONNECTED == 0 {
                return Err(ENOTCONN);
            }
            *out = in_setpeeraddr(st.pcb(inp));
        }
        // As the book: an abort drops the socket; the requests of
        // connection protocols are not UDP's.
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
