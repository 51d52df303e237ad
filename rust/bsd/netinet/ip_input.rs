//! IP input (`netinet/ip_input.c`; book chapter 8): `ipintr` takes
//! datagrams off `ipintrq`, checks them, decides whether they are ours,
//! reassembles fragments and hands them to their protocol. Options are in
//! `ip_options.rs` and reassembly in `ip_reass.rs`.

use crate::bsd::kern::uipc_domain::PRC_NCMDS;
use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::net::if_::IFF_BROADCAST;
use crate::bsd::net::route::{rtalloc, rtfree, RTF_DYNAMIC, RTF_GATEWAY, RTF_MODIFIED};
use crate::bsd::netinet::in_::in_canforward;
use crate::bsd::netinet::in_::IPPROTO_IGMP;
use crate::bsd::netinet::in_::{in_broadcast, in_multicast, InAddr, INADDR_ANY, INADDR_BROADCAST};
use crate::bsd::netinet::in_cksum::in_cksum;
use crate::bsd::netinet::in_mcast::in_lookup_multi;
use crate::bsd::netinet::in_proto::ip_protox;
use crate::bsd::netinet::ip::*;
use crate::bsd::netinet::ip_icmp::*;
use crate::bsd::netinet::ip_mroute::ip_mforward;
use crate::bsd::netinet::ip_options::{ip_dooptions, DoOpt};
use crate::bsd::netinet::ip_output::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// The errno that a `PRC_*` command from ICMP means to a socket, 0 for
/// none (`inetctlerrmap`).
pub const INETCTLERRMAP: [Errno; PRC_NCMDS as usize] = [
    Errno(0),
    Errno(0),
    Errno(0),
    Errno(0),
    Errno(0),
    EMSGSIZE,
    EHOSTDOWN,
    EHOSTUNREACH,
    EHOSTUNREACH,
    EHOSTUNREACH,
    ECONNREFUSED,
    ECONNREFUSED,
    EMSGSIZE,
    EHOSTUNREACH,
    Errno(0),
    Errno(0),
    Errno(0),
    Errno(0),
    Errno(0),
    Errno(0),
    ENOPROTOOPT,
];

/// The IP software interrupt (`ipintr`): processes every queued datagram.
/// Datagrams that processing queues (replies on lo0) are processed too.
pub fn ipintr(st: &mut Stack) {
    while let Some(m) = st.ipintrq.dequeue() {
        ip_input(st, m);
    }
}

/// Frees `m`, counting the drop with `count`.
fn drop_counted(st: &mut Stack, m: Mbuf, count: fn(&mut Ipstat)) {
    count(&mut st.ipstat);
    m_freem(&mut st.mbpool, m);
}

/// Processes one received datagram (the body of the book's `ipintr`).
pub fn ip_input(st: &mut Stack, m: Mbuf) {
    st.ipstat.ips_total += 1;
    let mut m = if m.m_len() < IP_HDRLEN {
        match m_pullup(&mut st.mbpool, m, IP_HDRLEN) {
            Ok(m) => m,
            Err(_) => return st.ipstat.ips_toosmall += 1,
        }
    } else {
        m
    };
    let h = m.mtod();
    if h[0] >> 4 != IPVERSION {
        return drop_counted(st, m, |s| s.ips_badvers += 1);
    }
    let mut hlen = usize::from(h[0] & 0x0f) << 2;
    if hlen < IP_HDRLEN {
        return drop_counted(st, m, |s| s.ips_badhlen += 1);
    }
    if hlen > m.m_len() {
        m = match m_pullup(&mut st.mbpool, m, hlen) {
            Ok(m) => m,
            Err(_) => return st.ipstat.ips_badhlen += 1,
        };
    }
    let h = m.mtod();
    if in_cksum([&h[..hlen]]) != 0 {
        return drop_counted(st, m, |s| s.ips_badsum += 1);
    }
    let ip_len = usize::from(get16(h, IP_LEN_OFF));
    if ip_len < hlen {
        return drop_counted(st, m, |s| s.ips_badlen += 1);
    }
    // The link may have padded the datagram; it may not have cut it.
    let pktlen = m.m_pkthdr().map_or(0, |ph| ph.len);
    if pktlen < ip_len {
        return drop_counted(st, m, |s| s.ips_tooshort += 1);
    }
    if pktlen > ip_len {
        m_adj(&mut m, -((pktlen - ip_len) as isize));
    }

    // A datagram for a broadcast or multicast address is flagged as one,
    // whatever the link said (lo0 says nothing), before a source route
    // can rewrite ip_dst: icmp_error must not answer it (RFC 1122 3.2.2).
    // The book relies on the link's M_BCAST and M_MCAST alone.
    let dst = get_addr(m.mtod(), IP_DST_OFF);
    let rcvif = m.m_pkthdr().and_then(|ph| ph.rcvif);
    if in_multicast(dst) {
        m.set_flags(M_MCAST);
    } else if dst == INADDR_BROADCAST
        || dst == INADDR_ANY
        || rcvif.is_some_and(|ifp| in_broadcast(st, dst, ifp))
    {
        m.set_flags(M_BCAST);
    }

    // Without options this returns at once, after forgetting the last
    // datagram's source route (the book's `ip_nhops = 0`).
    match ip_dooptions(st, &mut m) {
        // Options recorded here changed the header: keep its checksum
        // right for raw sockets, which see the header as it is. The header
        // must be writable anyway: protocols strip the options in place
        // (ip_stripoptions), and one left in a shared cluster would keep
        // them, its transport header read from the options.
        DoOpt::Continue if hlen > IP_HDRLEN => match m_writable(&mut st.mbpool, &mut m) {
            Ok(h) => ip_sum(h, hlen),
            Err(_) => return drop_counted(st, m, |s| s.ips_odropped += 1),
        },
        DoOpt::Continue => {}
        DoOpt::Forward => return ip_forward(st, m, true),
        // ips_badoptions is counted already.
        DoOpt::Error { ty, code, ptr } => {
            return icmp_error(st, m, ty, code, u32::from(ptr) << 24);
        }
        DoOpt::Drop => return drop_counted(st, m, |s| s.ips_odropped += 1),
    }

    let dst = get_addr(m.mtod(), IP_DST_OFF);
    if in_multicast(dst) {
        // A multicast router forwards a copy first (ip_mforward); IGMP is
        // the router's own business. Then the datagram is ours only if
        // we belong to the group on the interface it came in on (book
        // figure 12.39).
        let igmp = i32::from(m.mtod()[9]) == IPPROTO_IGMP;
        if st.ip_mrouter.is_some() {
            if ip_mforward(st, &m, rcvif) != 0 {
                return drop_counted(st, m, |s| s.ips_cantforward += 1);
            }
            if !igmp {
                st.ipstat.ips_forward += 1;
            }
        }
        let router_igmp = igmp && st.ip_mrouter.is_some();
        if !router_igmp && rcvif.is_none_or(|i| in_lookup_multi(st, dst, i).is_none()) {
            return drop_counted(st, m, |s| s.ips_cantforward += 1);
        }
    } else if !ip_ours(st, dst, rcvif) {
        return ip_forward(st, m, false);
    }

    // Fragments wait for the rest of their datagram.
    let off = get16(m.mtod(), IP_OFF_OFF);
    if off & (IP_MF | IP_OFFMASK) != 0 {
        let (ipq, mp, ipstat) = (&mut st.ipq, &mut st.mbpool, &mut st.ipstat);
        m = match ipq.ip_reass(mp, ipstat, m) {
            Some(m) => m,
            None => return,
        };
        // The datagram has its first fragment's header, whose options may
        // make it longer or shorter than this fragment's: its protocol
        // must be given that length. (The book passes this fragment's
        // `hlen` on; FreeBSD reads `ip_hl` again here.)
        hlen = m.mtod().first().map_or(IP_HDRLEN, |&b| usize::from(b & 0x0f) << 2);
        if m.m_len() < hlen {
            m = match m_pullup(&mut st.mbpool, m, hlen) {
                Ok(m) => m,
                Err(_) => return st.ipstat.ips_toosmall += 1,
            };
        }
    }

    st.ipstat.ips_delivered += 1;
    let p = m.mtod()[9];
    if let Some(input) = ip_protox(p).pr_input {
        input(st, m, hlen);
    } else {
        m_freem(&mut st.mbpool, m);
    }
}

/// Whether a datagram for `dst` that arrived on `rcvif` is for this host:
/// one of our addresses, a broadcast address of the interface it came
/// in on, or the limited broadcast (book figure 8.13).
fn ip_ours(st: &Stack, dst: InAddr, rcvif: Option<usize>) -> bool {
    if dst == INADDR_BROADCAST || dst == INADDR_ANY {
        return true;
    }
    st.in_ifaddr.iter().any(|ia| {
        if ia.ia_addr == dst {
            return true;
        }
        let bcast_if = Some(ia.ia_ifp) == rcvif
            && st.ifnet.get(ia.ia_ifp).is_some_and(|i| i.if_flags & IFF_BROADCAST != 0);
        // The old-style all-zeros host part counts as broadcast too.
        bcast_if
            && (dst == ia.ia_broadaddr
                || dst == ia.ia_netbroadcast
                || dst.0 == ia.ia_subnet
                || dst.0 == ia.ia_net)
    })
}

/// Forwards a datagram that is not ours (`ip_forward`; book section
/// 8.5), when `ipforwarding` is on (else it is counted and dropped, as
/// on a host). The TTL goes down by one; a datagram that dies, has no
/// route or cannot be sent gets the ICMP error the book sends, from a
/// copy of its first 64 bytes; one that leaves by the interface it came
/// in on, for a neighbour on the sender's own subnet, makes us send the
/// sender a redirect (not for source-routed datagrams, `srcrt`).
/// Source-routed datagrams need `ipforwarding` too (the book forwards
/// them regardless; FreeBSD added `ip_dosourceroute` for that).
fn ip_forward(st: &mut Stack, mut m: Mbuf, srcrt: bool) {
    let h = m.mtod();
    let dst = get_addr(h, IP_DST_OFF);
    if !st.ipforwarding || m.m_flags() & (M_BCAST | M_MCAST) != 0 || !in_canforward(dst) {
        return drop_counted(st, m, |s| s.ips_cantforward += 1);
    }
    if h[IP_TTL_OFF] <= IPTTLDEC {
        return icmp_error(st, m, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS, 0);
    }
    let src = get_addr(h, IP_SRC_OFF);
    let ip_len = usize::from(get16(h, IP_LEN_OFF));
    match m_writable(&mut st.mbpool, &mut m) {
        // ip_output computes the checksum again.
        Ok(h) => h[IP_TTL_OFF] -= IPTTLDEC,
        Err(_) => return drop_counted(st, m, |s| s.ips_cantforward += 1),
    }
    let Some(rt) = rtalloc(st, dst) else {
        return icmp_error(st, m, ICMP_UNREACH, ICMP_UNREACH_HOST, 0);
    };
    let (rt_ifp, rt_flags, rt_dst, gateway, rt_ifa) = {
        let r = st.rt(rt);
        (r.rt_ifp, r.rt_flags, r.rt_dst, r.gateway_in(), r.rt_ifa)
    };
    rtfree(st, rt);
    // Keep the first 64 bytes for an ICMP error (the header and 8 bytes
    // are what icmp_error quotes; the book keeps 64).
    let mcopy = m_copy(&mut st.mbpool, &m, 0, ip_len.min(64)).ok();

    // A redirect is due when the datagram leaves by the interface it came
    // in on, by a route that is not itself a redirect's, towards a
    // neighbour of a sender on the subnet of that interface.
    let rcvif = m.m_pkthdr().and_then(|ph| ph.rcvif);
    let mut redirect = None;
    if Some(rt_ifp) == rcvif
        && rt_flags & (RTF_DYNAMIC | RTF_MODIFIED) == 0
        && rt_dst != INADDR_ANY
        && st.ipsendredirects
        && !srcrt
    {
        if let Some(ia) = st.ifa_ifwithaddr(rt_ifa) {
            if src.0 & ia.ia_subnetmask == ia.ia_subnet {
                let next = if rt_flags & RTF_GATEWAY != 0 { gateway } else { dst };
                redirect = Some(next);
            }
        }
    }
    let mtu = st.ifnet.get(rt_ifp).map_or(0, |i| i.if_data.ifi_mtu);
    let error = ip_output(st, m, None, IP_FORWARDING | IP_ALLOWBROADCAST, None);
    let (ty, code, word) = match error {
        Ok(()) => {
            st.ipstat.ips_forward += 1;
            let Some(next) = redirect else {
                if let Some(c) = mcopy {
                    m_freem(&mut st.mbpool, c);
                }
                return;
            };
            st.ipstat.ips_redirectsent += 1;
            (ICMP_REDIRECT, ICMP_REDIRECT_HOST, next.0)
        }
        Err(e) => {
            st.ipstat.ips_cantforward += 1;
            match e {
                // The next hop's MTU goes in the message (RFC 1191).
                EMSGSIZE => (ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, mtu),
                ENOBUFS => (ICMP_SOURCEQUENCH, 0, 0),
                _ => (ICMP_UNREACH, ICMP_UNREACH_HOST, 0),
            }
        }
    };
    if let Some(c) = mcopy {
        icmp_error(st, c, ty, code, word);
    }
}

/// The IP entry's `pr_slowtimo`, every 500 ms (`ip_slowtimo`): ages the
/// reassembly queues. A datagram that times out after its first fragment
/// came gets ICMP time exceeded in reassembly (RFC 1122 3.3.2; the book
/// sends nothing).
pub fn ip_slowtimo(st: &mut Stack) {
    crate::bsd::netinet::ip_mroute::mrt_slowtimo(st);
    let (ipq, mp, ipstat) = (&mut st.ipq, &mut st.mbpool, &mut st.ipstat);
    let mut expired = ipq.ip_slowtimo(mp, ipstat);
    while let Some(m) = expired.pop() {
        icmp_error(st, m, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS, 0);
    }
}

/// The IP entry's `pr_drain` (`ip_drain`): frees every datagram being
/// reassembled.
pub fn ip_drain(st: &mut Stack) {
    let (ipq, mp, ipstat) = (&mut st.ipq, &mut st.mbpool, &mut st.ipstat);
    ipq.ip_drain(mp, ipstat);
}
