//! ICMP (`netinet/ip_icmp.h`, `ip_icmp.c`; book chapter 11): requests
//! answered by reflecting them, errors generated for IP and the transport
//! protocols, and errors received passed up to the protocols through
//! `pr_ctlinput`.

use crate::bsd::kern::uipc_domain::*;
use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::net::if_::{IFF_BROADCAST, IFF_POINTOPOINT};
use crate::bsd::net::route::{rtredirect, RTF_GATEWAY, RTF_HOST};
use crate::bsd::netinet::in_::{in_multicast, InIfaddr, INADDR_ANY, INADDR_BROADCAST};
use crate::bsd::netinet::in_cksum::in_cksum;
use crate::bsd::netinet::in_proto::ip_protox;
use crate::bsd::netinet::ip::*;
use crate::bsd::netinet::ip_options::*;
use crate::bsd::netinet::ip_output::*;
use crate::bsd::netinet::raw_ip::rip_input;
use crate::bsd::stack::Stack;

/// Echo reply.
pub const ICMP_ECHOREPLY: u8 = 0;
/// Destination unreachable, with its codes.
pub const ICMP_UNREACH: u8 = 3;
pub const ICMP_UNREACH_NET: u8 = 0;
pub const ICMP_UNREACH_HOST: u8 = 1;
pub const ICMP_UNREACH_PROTOCOL: u8 = 2;
pub const ICMP_UNREACH_PORT: u8 = 3;
pub const ICMP_UNREACH_NEEDFRAG: u8 = 4;
pub const ICMP_UNREACH_SRCFAIL: u8 = 5;
pub const ICMP_UNREACH_NET_UNKNOWN: u8 = 6;
pub const ICMP_UNREACH_HOST_UNKNOWN: u8 = 7;
pub const ICMP_UNREACH_ISOLATED: u8 = 8;
pub const ICMP_UNREACH_NET_PROHIB: u8 = 9;
pub const ICMP_UNREACH_HOST_PROHIB: u8 = 10;
pub const ICMP_UNREACH_TOSNET: u8 = 11;
pub const ICMP_UNREACH_TOSHOST: u8 = 12;
/// Source quench.
pub const ICMP_SOURCEQUENCH: u8 = 4;
/// Redirect, with its codes.
pub const ICMP_REDIRECT: u8 = 5;
pub const ICMP_REDIRECT_NET: u8 = 0;
pub const ICMP_REDIRECT_HOST: u8 = 1;
pub const ICMP_REDIRECT_TOSNET: u8 = 2;
pub const ICMP_REDIRECT_TOSHOST: u8 = 3;
/// Echo request.
pub const ICMP_ECHO: u8 = 8;
/// Router advertisement and solicitation.
pub const ICMP_ROUTERADVERT: u8 = 9;
pub const ICMP_ROUTERSOLICIT: u8 = 10;
/// Time exceeded, with its codes.
pub const ICMP_TIMXCEED: u8 = 11;
pub const ICMP_TIMXCEED_INTRANS: u8 = 0;
pub const ICMP_TIMXCEED_REASS: u8 = 1;
/// Parameter problem.
pub const ICMP_PARAMPROB: u8 = 12;
pub const ICMP_PARAMPROB_OPTABSENT: u8 = 1;
/// Timestamp request and reply.
pub const ICMP_TSTAMP: u8 = 13;
pub const ICMP_TSTAMPREPLY: u8 = 14;
/// Information request and reply.
pub const ICMP_IREQ: u8 = 15;
pub const ICMP_IREQREPLY: u8 = 16;
/// Address mask request and reply.
pub const ICMP_MASKREQ: u8 = 17;
pub const ICMP_MASKREPLY: u8 = 18;
/// The largest type counted in the histograms.
pub const ICMP_MAXTYPE: u8 = 18;

/// Shortest ICMP message.
pub const ICMP_MINLEN: usize = 8;
/// Length of a timestamp message.
pub const ICMP_TSLEN: usize = 8 + 3 * 4;
/// Length of an address mask message.
pub const ICMP_MASKLEN: usize = 12;
/// Shortest error message: header, an IP header, 8 bytes.
pub const ICMP_ADVLENMIN: usize = 8 + IP_HDRLEN + 8;

/// Whether `ty` is a query or reply, not an error (`ICMP_INFOTYPE`).
pub fn icmp_infotype(ty: u8) -> bool {
    matches!(
        ty,
        ICMP_ECHOREPLY
            | ICMP_ECHO
            | ICMP_ROUTERADVERT
            | ICMP_ROUTERSOLICIT
            | ICMP_TSTAMP
            | ICMP_TSTAMPREPLY
            | ICMP_IREQ
            | ICMP_IREQREPLY
            | ICMP_MASKREQ
            | ICMP_MASKREPLY
    )
}

/// ICMP statistics (`struct icmpstat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Icmpstat {
    /// Calls to `icmp_error`.
    pub icps_error: u64,
    /// No error sent: the datagram was too short.
    pub icps_oldshort: u64,
    /// No error sent: the datagram was an ICMP error itself.
    pub icps_oldicmp: u64,
    /// Messages sent, by type.
    pub icps_outhist: [u64; ICMP_MAXTYPE as usize + 1],
    /// Received with a bad code.
    pub icps_badcode: u64,
    /// Received shorter than ICMP_MINLEN.
    pub icps_tooshort: u64,
    /// Received with a bad checksum.
    pub icps_checksum: u64,
    /// Received with a length too short for its type.
    pub icps_badlen: u64,
    /// Replies sent.
    pub icps_reflect: u64,
    /// Messages received, by type.
    pub icps_inhist: [u64; ICMP_MAXTYPE as usize + 1],
}

/// Offset of the ICMP checksum in the message.
const ICMP_CKSUM_OFF: usize = 2;

/// Sends an ICMP error of type `ty` and code `code` about datagram `n`,
/// which is consumed (`icmp_error`). `word` is the message's second
/// 32-bit word: the pointer (top byte) of a parameter problem, the next
/// MTU (low 16 bits) of "fragmentation needed", the gateway of a redirect.
pub fn icmp_error(st: &mut Stack, n: Mbuf, ty: u8, code: u8, word: u32) {
    st.icmpstat.icps_error += 1;
    let mut oip = [0u8; IP_MAXHDRLEN + 8];
    let nlen = n.m_pkthdr().map_or(0, |ph| ph.len);
    let oiplen = n.mtod().first().map_or(0, |&b| usize::from(b & 0x0f) << 2);
    if oiplen < IP_HDRLEN || nlen < oiplen || ty > ICMP_MAXTYPE {
        st.icmpstat.icps_oldshort += 1;
        return m_freem(&mut st.mbpool, n);
    }
    // The datagram's header and up to 8 bytes of what follows it.
    let icmplen = oiplen + (nlen - oiplen).min(8);
    if m_copydata(&n, 0, &mut oip[..icmplen]).is_err() {
        return m_freem(&mut st.mbpool, n);
    }
    let oip = &oip[..icmplen];
    let src = get_addr(oip, IP_SRC_OFF);
    // ip_input flags datagrams for broadcast and multicast addresses with
    // M_BCAST or M_MCAST too, whatever the link said.
    let never = (ty != ICMP_REDIRECT && get16(oip, IP_OFF_OFF) & IP_OFFMASK != 0)
        || n.m_flags() & (M_BCAST | M_MCAST) != 0
        // Not to a source that names no single host (RFC 1122 3.2.2; the
        // book relies on the M_BCAST test alone).
        || src == INADDR_ANY
        || src == INADDR_BROADCAST
        || in_multicast(src);
    if never {
        return m_freem(&mut st.mbpool, n);
    }
    if oip[9] == IPPROTO_ICMP_U8 && ty != ICMP_REDIRECT {
        // An ICMP message too short for its header may be an error as
        // well as not: nothing is sent about it (FreeBSD; the book sends
        // an error then, even when the type it has is one).
        if icmplen < oiplen + ICMP_MINLEN {
            st.icmpstat.icps_oldshort += 1;
            return m_freem(&mut st.mbpool, n);
        }
        if !icmp_infotype(oip[oiplen]) {
            st.icmpstat.icps_oldicmp += 1;
            return m_freem(&mut st.mbpool, n);
        }
    }
    let rcvif = n.m_pkthdr().and_then(|ph| ph.rcvif);
    m_freem(&mut st.mbpool, n);

    let total = IP_HDRLEN + ICMP_MINLEN + icmplen;
    let Ok(mut m) = m_gethdr(&mut st.mbpool, MT_HEADER) else { return };
    if m.m_align(total).and_then(|()| m.set_len(total)).is_err() {
        return m_freem(&mut st.mbpool, m);
    }
    if let Some(ph) = m.m_pkthdr_mut() {
        ph.len = total;
        ph.rcvif = rcvif;
    }
    let Some(b) = m.mtod_mut() else { return m_freem(&mut st.mbpool, m) };
    // The new IP header starts as a copy of the old one's fixed part:
    // icmp_reflect swaps the addresses.
    b[..IP_HDRLEN].copy_from_slice(&oip[..IP_HDRLEN]);
    b[0] = (IPVERSION << 4) | (IP_HDRLEN >> 2) as u8;
    b[1] = 0;
    put16(b, IP_LEN_OFF, total as u16);
    b[9] = IPPROTO_ICMP_U8;
    let icp = &mut b[IP_HDRLEN..];
    icp[0] = ty;
    icp[1] = code;
    icp[4..8].copy_from_slice(&word.to_be_bytes());
    icp[ICMP_MINLEN..].copy_from_slice(oip);
    st.icmpstat.icps_outhist[usize::from(ty)] += 1;
    icmp_reflect(st, m);
}

/// `IPPROTO_ICMP` as the byte of the IP header.
const IPPROTO_ICMP_U8: u8 = 1;

/// The `PRC_*` command for a received ICMP error, or `None` for a bad code
/// (the mapping at the top of the book's `icmp_input`).
fn icmp_prc(ty: u8, code: u8) -> Option<u32> {
    Some(match (ty, code) {
        (ICMP_UNREACH, ICMP_UNREACH_NET..=ICMP_UNREACH_PORT | ICMP_UNREACH_SRCFAIL) => {
            PRC_UNREACH_NET + u32::from(code)
        }
        (ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG) => PRC_MSGSIZE,
        (
            ICMP_UNREACH,
            ICMP_UNREACH_NET_UNKNOWN | ICMP_UNREACH_NET_PROHIB | ICMP_UNREACH_TOSNET,
        ) => PRC_UNREACH_NET,
        (
            ICMP_UNREACH,
            ICMP_UNREACH_HOST_UNKNOWN
            | ICMP_UNREACH_ISOLATED
            | ICMP_UNREACH_HOST_PROHIB
            | ICMP_UNREACH_TOSHOST,
        ) => PRC_UNREACH_HOST,
        (ICMP_TIMXCEED, 0..=1) => PRC_TIMXCEED_INTRANS + u32::from(code),
        (ICMP_PARAMPROB, 0..=1) => PRC_PARAMPROB,
        (ICMP_SOURCEQUENCH, 0) => PRC_QUENCH,
        _ => return None,
    })
}

/// ICMP input (`icmp_input`): the IP entry's `pr_input` for protocol 1.
pub fn icmp_input(st: &mut Stack, m: Mbuf, hlen: usize) {
    let ip_len = m.m_pkthdr().map_or(0, |ph| ph.len);
    let icmplen = ip_len.saturating_sub(hlen);
    if icmplen < ICMP_MINLEN {
        st.icmpstat.icps_tooshort += 1;
        return m_freem(&mut st.mbpool, m);
    }
    let want = (hlen + icmplen.min(ICMP_ADVLENMIN)).min(MHLEN);
    let mut m = match m_pullup(&mut st.mbpool, m, want) {
        Ok(m) => m,
        Err(_) => return st.icmpstat.icps_tooshort += 1,
    };
    if in_cksum(m.segments_range(hlen, icmplen)) != 0 {
        st.icmpstat.icps_checksum += 1;
        return m_freem(&mut st.mbpool, m);
    }
    let (ty, code) = (m.mtod()[hlen], m.mtod()[hlen + 1]);
    if ty > ICMP_MAXTYPE {
        return rip_input(st, m, hlen);
    }
    st.icmpstat.icps_inhist[usize::from(ty)] += 1;
    match ty {
        ICMP_UNREACH | ICMP_TIMXCEED | ICMP_PARAMPROB | ICMP_SOURCEQUENCH => {
            let Some(cmd) = icmp_prc(ty, code) else {
                st.icmpstat.icps_badcode += 1;
                return rip_input(st, m, hlen);
            };
            // The quoted datagram: its header and 8 bytes.
            let icp = &m.mtod()[hlen..];
            let ihl = icp.get(ICMP_MINLEN).map_or(0, |&b| usize::from(b & 0x0f) << 2);
            if icmplen < ICMP_ADVLENMIN || ihl < IP_HDRLEN || icmplen < ICMP_MINLEN + ihl + 8 {
                st.icmpstat.icps_badlen += 1;
                return m_freem(&mut st.mbpool, m);
            }
            let mut quoted = [0u8; IP_MAXHDRLEN + 8];
            let q = &mut quoted[..ihl + 8];
            if m_copydata(&m, hlen + ICMP_MINLEN, q).is_ok() {
                let dst = get_addr(q, IP_DST_OFF);
                if let Some(ctlinput) = ip_protox(q[9]).pr_ctlinput {
                    ctlinput(st, cmd, dst, Some(q));
                }
            }
        }
        ICMP_ECHO => return icmp_reply(st, m, hlen, ICMP_ECHOREPLY),
        ICMP_TSTAMP => {
            if icmplen < ICMP_TSLEN {
                st.icmpstat.icps_badlen += 1;
                return m_freem(&mut st.mbpool, m);
            }
            if let Ok(b) = m_writable(&mut st.mbpool, &mut m) {
                // Receive and transmit times (the book sets both at once).
                let t = crate::platform::iptime().to_be_bytes();
                b[hlen + 12..hlen + 16].copy_from_slice(&t);
                b[hlen + 16..hlen + 20].copy_from_slice(&t);
            }
            return icmp_reply(st, m, hlen, ICMP_TSTAMPREPLY);
        }
        ICMP_MASKREQ if st.icmpmaskrepl && icmplen >= ICMP_MASKLEN => {
            let h = m.mtod();
            let (src, dst) = (get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
            let rcvif = m.m_pkthdr().and_then(|ph| ph.rcvif);
            let Some(ia) = rcvif.and_then(|ifp| st.ifaof_ifpforaddr(dst, ifp)) else {
                return rip_input(st, m, hlen);
            };
            let if_flags = st.ifnet.get(ia.ia_ifp).map_or(0, |i| i.if_flags);
            if let Ok(b) = m_writable(&mut st.mbpool, &mut m) {
                b[hlen + 8..hlen + 12].copy_from_slice(&ia.ia_subnetmask.to_be_bytes());
                // A request from a host that does not know its address yet
                // is answered to the broadcast (or the other end).
                if src == INADDR_ANY {
                    if if_flags & IFF_BROADCAST != 0 {
                        put_addr(b, IP_SRC_OFF, ia.ia_broadaddr);
                    } else if if_flags & IFF_POINTOPOINT != 0 {
                        put_addr(b, IP_SRC_OFF, ia.ia_dstaddr());
                    }
                }
            }
            return icmp_reply(st, m, hlen, ICMP_MASKREPLY);
        }
        // A router says `dst` is better reached through another gateway:
        // the routing table learns it at once (`rtredirect`), as the book
        // "short circuits" routing redirects. Raw sockets see it too.
        ICMP_REDIRECT => {
            let icp = &m.mtod()[hlen..];
            let ihl = icp.get(ICMP_MINLEN).map_or(0, |&b| usize::from(b & 0x0f) << 2);
            if code > ICMP_REDIRECT_TOSHOST {
                st.icmpstat.icps_badcode += 1;
            } else if icmplen < ICMP_ADVLENMIN || ihl < IP_HDRLEN || icmplen < ICMP_MINLEN + ihl + 8
            {
                st.icmpstat.icps_badlen += 1;
                return m_freem(&mut st.mbpool, m);
            } else {
                let gw = get_addr(icp, 4);
                let dst = get_addr(&icp[ICMP_MINLEN..], IP_DST_OFF);
                let src = get_addr(m.mtod(), IP_SRC_OFF);
                let _ = rtredirect(st, dst, gw, None, RTF_GATEWAY | RTF_HOST, src);
            }
        }
        // Replies and everything else go to raw sockets only.
        _ => {}
    }
    rip_input(st, m, hlen)
}

/// Turns request `m` into a reply of type `ty` and sends it back.
fn icmp_reply(st: &mut Stack, mut m: Mbuf, hlen: usize, ty: u8) {
    if let Ok(b) = m_writable(&mut st.mbpool, &mut m) {
        b[hlen] = ty;
    }
    st.icmpstat.icps_reflect += 1;
    st.icmpstat.icps_outhist[usize::from(ty)] += 1;
    icmp_reflect(st, m);
}

/// Sends ICMP message `m` back where it came from (`icmp_reflect`): the
/// source becomes the destination, and the source is the address the
/// message was sent to, or else an address of the interface it came in on.
/// Record route, timestamp and security options are reflected, and the
/// reversed source route, if any, is used.
pub fn icmp_reflect(st: &mut Stack, mut m: Mbuf) {
    let h = m.mtod();
    let hlen = usize::from(h[0] & 0x0f) << 2;
    let (osrc, odst) = (get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
    let rcvif = m.m_pkthdr().and_then(|ph| ph.rcvif);
    let bcast = |ia: &InIfaddr| {
        st.ifnet.get(ia.ia_ifp).is_some_and(|i| i.if_flags & IFF_BROADCAST != 0)
            && ia.ia_broadaddr == odst
    };
    let ia = st
        .in_ifaddr
        .iter()
        .find(|ia| ia.ia_addr == odst || bcast(ia))
        .copied()
        .or_else(|| rcvif.and_then(|ifp| st.ifaof_ifpforaddr(osrc, ifp)))
        .or_else(|| st.in_ifaddr.first().copied());
    let Some(ia) = ia else { return m_freem(&mut st.mbpool, m) };

    let mut opts = None;
    if hlen > IP_HDRLEN {
        let mut o = ip_srcroute(st).unwrap_or(Ipoption {
            ipopt_dst: INADDR_ANY,
            ipopt_list: [0; MAX_IPOPTLEN],
            ipopt_len: 0,
        });
        let h = m.mtod();
        let mut cp = IP_HDRLEN;
        while cp < hlen {
            let opt = h[cp];
            if opt == IPOPT_EOL {
                break;
            }
            let len =
                if opt == IPOPT_NOP { 1 } else { usize::from(h.get(cp + 1).copied().unwrap_or(0)) };
            if len == 0 || cp + len > hlen {
                break;
            }
            if matches!(opt, IPOPT_RR | IPOPT_TS | IPOPT_SECURITY)
                && o.ipopt_len + len <= MAX_IPOPTLEN
            {
                o.ipopt_list[o.ipopt_len..o.ipopt_len + len].copy_from_slice(&h[cp..cp + len]);
                o.ipopt_len += len;
            }
            cp += len;
        }
        // Pad with EOL to a whole number of words.
        o.ipopt_len = (o.ipopt_len + 3) & !3;
        // ip_stripoptions needs the header writable.
        if m_writable(&mut st.mbpool, &mut m).is_err() {
            return m_freem(&mut st.mbpool, m);
        }
        ip_stripoptions(&mut m);
        opts = Some(o);
    }
    let Ok(b) = m_writable(&mut st.mbpool, &mut m) else { return m_freem(&mut st.mbpool, m) };
    put_addr(b, IP_DST_OFF, osrc);
    put_addr(b, IP_SRC_OFF, ia.ia_addr);
    b[IP_TTL_OFF] = MAXTTL;
    icmp_send(st, m, opts.as_ref());
}

/// Computes the ICMP checksum of `m` and sends it (`icmp_send`).
fn icmp_send(st: &mut Stack, mut m: Mbuf, opts: Option<&Ipoption>) {
    let hlen = usize::from(m.mtod()[0] & 0x0f) << 2;
    let len = m.m_pkthdr().map_or(0, |ph| ph.len).saturating_sub(hlen);
    if let Ok(b) = m_writable(&mut st.mbpool, &mut m) {
        put16(b, hlen + ICMP_CKSUM_OFF, 0);
    }
    let sum = in_cksum(m.segments_range(hlen, len));
    if let Ok(b) = m_writable(&mut st.mbpool, &mut m) {
        put16(b, hlen + ICMP_CKSUM_OFF, sum);
    }
    // Errors about our replies are not reported to anyone.
    let _ = ip_output(st, m, opts, 0, None);
}
