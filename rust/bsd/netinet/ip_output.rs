//! IP output (`netinet/ip_output.c`; book chapter 8.6 and 10.3):
//! `ip_output` chooses a route and a source address, checks broadcasts,
//! and fragments datagrams longer than the interface's MTU.
//!
//! Headers stay in network byte order in the mbuf; the book's callers fill
//! in `ip_len` in host order, ours in network order.

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::net::if_::{if_output, IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST, IFF_UP};
use crate::bsd::net::route::{rtalloc, rtfree, RTF_BLACKHOLE, RTF_GATEWAY, RTF_LLINFO, RTF_REJECT};
use crate::bsd::netinet::in_::{in_broadcast, in_multicast, InAddr, INADDR_ANY};
use crate::bsd::netinet::in_cksum::in_cksum;
use crate::bsd::netinet::in_mcast::{
    in_lookup_multi, ip_getmoptions, ip_mloopback, ip_setmoptions, IpMoptions,
    IP_DEFAULT_MULTICAST_TTL,
};
use crate::bsd::netinet::ip::*;
use crate::bsd::netinet::ip_options::{ip_insertoptions, ip_optcopy, Ipoption};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// `ip_output` flag: the datagram is being forwarded.
pub const IP_FORWARDING: u32 = 0x1;
/// `ip_output` flag: the raw header came from the user (IP_HDRINCL).
pub const IP_RAWOUTPUT: u32 = 0x2;
/// `ip_output` flag: bypass routing, send on a directly attached network
/// (the socket's SO_DONTROUTE, same bit).
pub const IP_ROUTETOIF: u32 = 0x10;
/// `ip_output` flag: broadcasts allowed (the socket's SO_BROADCAST).
pub const IP_ALLOWBROADCAST: u32 = 0x20;

/// Reads the 16-bit field at `off` of a header.
pub fn get16(b: &[u8], off: usize) -> u16 {
    match b.get(off..off + 2) {
        Some(w) => u16::from_be_bytes([w[0], w[1]]),
        None => 0,
    }
}

/// Writes the 16-bit field at `off` of a header.
pub fn put16(b: &mut [u8], off: usize, v: u16) {
    if let Some(w) = b.get_mut(off..off + 2) {
        w.copy_from_slice(&v.to_be_bytes());
    }
}

/// Reads the address at `off` of a header.
pub fn get_addr(b: &[u8], off: usize) -> InAddr {
    match b.get(off..off + 4) {
        Some(w) => InAddr(u32::from_be_bytes([w[0], w[1], w[2], w[3]])),
        None => INADDR_ANY,
    }
}

/// Writes the address at `off` of a header.
pub fn put_addr(b: &mut [u8], off: usize, a: InAddr) {
    if let Some(w) = b.get_mut(off..off + 4) {
        w.copy_from_slice(&a.0.to_be_bytes());
    }
}

/// Offsets of the IP header's fields.
pub const IP_LEN_OFF: usize = 2;
/// `ip_id`.
pub const IP_ID_OFF: usize = 4;
/// `ip_off`.
pub const IP_OFF_OFF: usize = 6;
/// `ip_ttl`.
pub const IP_TTL_OFF: usize = 8;
/// `ip_sum`.
pub const IP_SUM_OFF: usize = 10;
/// `ip_src`.
pub const IP_SRC_OFF: usize = 12;
/// `ip_dst`.
pub const IP_DST_OFF: usize = 16;

/// Sets the header checksum of the `hlen`-byte header at the front of `h`.
pub fn ip_sum(h: &mut [u8], hlen: usize) {
    put16(h, IP_SUM_OFF, 0);
    let sum = in_cksum([h.get(..hlen).unwrap_or(&[])]);
    put16(h, IP_SUM_OFF, sum);
}

/// Sends the datagram in `m`, whose header the caller filled in (protocol,
/// addresses, length, TTL, TOS; `ip_src` may be the wildcard), with
/// options `opt` and, for a multicast destination, the socket's
/// multicast options `imo`. `flags` are the IP_* flags above. The mbuf
/// is consumed whatever happens.
///
/// A multicast datagram (book section 12.15) goes out on IP_MULTICAST_IF's
/// interface, else on the route's; with the socket's TTL (1 without
/// options; a raw IP_HDRINCL header keeps its own, as in Linux); a copy
/// loops back when we are in the group and the socket did not turn
/// IP_MULTICAST_LOOP off; a multicast router forwards one we originate;
/// TTL 0 or lo0 send nothing on the wire. Unlike the book (as FreeBSD),
/// IP_MULTICAST_IF's interface needs no route to the group.
pub fn ip_output(
    st: &mut Stack,
    m: Mbuf,
    opt: Option<&Ipoption>,
    flags: u32,
    imo: Option<&IpMoptions>,
) -> Result {
    let mut m = m;
    let mut hlen = IP_HDRLEN;
    if let Some(opt) = opt.filter(|o| o.ipopt_len > 0) {
        (m, hlen) = ip_insertoptions(&mut st.mbpool, m, opt)?;
    }
    let h = match m_writable(&mut st.mbpool, &mut m) {
        Ok(h) if h.len() >= IP_HDRLEN => h,
        _ => {
            m_freem(&mut st.mbpool, m);
            return Err(ENOBUFS);
        }
    };
    if flags & (IP_FORWARDING | IP_RAWOUTPUT) == 0 {
        // Fill in the fields that are ours to fill.
        h[0] = (IPVERSION << 4) | (hlen >> 2) as u8;
        let off = get16(h, IP_OFF_OFF) & IP_DF;
        put16(h, IP_OFF_OFF, off);
        st.ip_id = st.ip_id.wrapping_add(1);
        put16(h, IP_ID_OFF, st.ip_id);
        st.ipstat.ips_localout += 1;
    } else {
        hlen = usize::from(h[0] & 0x0f) << 2;
    }
    let dst = get_addr(h, IP_DST_OFF);

    // Route: IP_MULTICAST_IF's interface, a directly attached network
    // only, or the routing table.
    let mcast = in_multicast(dst);
    let mifp = if mcast { imo.and_then(|i| i.imo_multicast_ifp) } else { None };
    let (ifp, ifa, next_hop) = if let Some(ifp) = mifp {
        let ifa =
            st.in_ifaddr.iter().find(|ia| ia.ia_ifp == ifp).map_or(INADDR_ANY, |ia| ia.ia_addr);
        (ifp, ifa, dst)
    } else if flags & IP_ROUTETOIF != 0 {
        match st.ifa_ifwithdstaddr(dst).or_else(|| st.ifa_ifwithnet(dst)) {
            Some(ia) => (ia.ia_ifp, ia.ia_addr, dst),
            None => {
                st.ipstat.ips_noroute += 1;
                m_freem(&mut st.mbpool, m);
                return Err(ENETUNREACH);
            }
        }
    } else {
        match rtalloc(st, dst) {
            Some(rt) => {
                let r = st.rt(rt);
                r.rt_use += 1;
                let gw = if r.rt_flags & RTF_GATEWAY != 0 { r.gateway_in() } else { dst };
                let out = (r.rt_ifp, r.rt_ifa, gw);
                // A reject route (not an ARP entry held down: ARP says
                // that itself) refuses; a blackhole route swallows (the
                // book's looutput does both for routes through lo0).
                let (reject, hole) = (
                    r.rt_flags & (RTF_REJECT | RTF_LLINFO) == RTF_REJECT,
                    r.rt_flags & RTF_BLACKHOLE != 0,
                );
                rtfree(st, rt);
                if reject || hole {
                    m_freem(&mut st.mbpool, m);
                    return if hole { Ok(()) } else { Err(EHOSTUNREACH) };
                }
                out
            }
            None => {
                st.ipstat.ips_noroute += 1;
                m_freem(&mut st.mbpool, m);
                return Err(EHOSTUNREACH);
            }
        }
    };
    let Some(ifnet) = st.ifnet.get(ifp) else {
        m_freem(&mut st.mbpool, m);
        return Err(ENETUNREACH);
    };
    let (if_flags, mtu) = (ifnet.if_flags, ifnet.if_data.ifi_mtu as usize);
    let Ok(h) = m_writable(&mut st.mbpool, &mut m) else {
        m_freem(&mut st.mbpool, m);
        return Err(ENOBUFS);
    };
    if get_addr(h, IP_SRC_OFF) == INADDR_ANY {
        put_addr(h, IP_SRC_OFF, ifa);
    }
    let ip_len = usize::from(get16(h, IP_LEN_OFF));
    if m.m_pkthdr().map(|ph| ph.len) != Some(ip_len) || hlen < IP_HDRLEN || hlen > ip_len {
        m_freem(&mut st.mbpool, m);
        return Err(EINVAL);
    }

    if mcast {
        m.set_flags(M_MCAST);
        let next_hop = dst;
        if flags & IP_RAWOUTPUT == 0 {
            let ttl = imo.map_or(IP_DEFAULT_MULTICAST_TTL, |i| i.imo_multicast_ttl);
            if let Ok(h) = m_writable(&mut st.mbpool, &mut m) {
                h[IP_TTL_OFF] = ttl;
            }
        }
        if if_flags & IFF_MULTICAST == 0 {
            st.ipstat.ips_noroute += 1;
            m_freem(&mut st.mbpool, m);
            return Err(ENETUNREACH);
        }
        let loop_ = imo.is_none_or(|i| i.imo_multicast_loop);
        if loop_ && in_lookup_multi(st, dst, ifp).is_some() {
            ip_mloopback(st, ifp, &m, hlen);
        } else if st.ip_mrouter.is_some() && flags & IP_FORWARDING == 0 {
            // A multicast router forwards what this host originates too,
            // as though it had come in on the interface it leaves by (a
            // looped copy is forwarded by its input instead).
            if crate::bsd::netinet::ip_mroute::ip_mforward(st, &m, Some(ifp)) != 0 {
                m_freem(&mut st.mbpool, m);
                return Ok(());
            }
        }
        // TTL 0 keeps it on this host; lo0 has had its copy.
        let ttl = m.mtod().get(IP_TTL_OFF).copied().unwrap_or(0);
        if ttl == 0 || if_flags & IFF_LOOPBACK != 0 {
            m_freem(&mut st.mbpool, m);
            return Ok(());
        }
        return ip_sendit(st, m, hlen, ifp, if_flags, mtu, next_hop);
    }

    // A broadcast must be allowed by the interface and by the socket, and
    // is never fragmented.
    if in_broadcast(st, dst, ifp) {
        let e = if if_flags & IFF_BROADCAST == 0 {
            Some(EADDRNOTAVAIL)
        } else if flags & IP_ALLOWBROADCAST == 0 {
            Some(EACCES)
        } else if ip_len > mtu {
            Some(EMSGSIZE)
        } else {
            None
        };
        if let Some(e) = e {
            m_freem(&mut st.mbpool, m);
            return Err(e);
        }
        m.set_flags(M_BCAST);
    } else {
        m.clear_flags(M_BCAST);
    }
    ip_sendit(st, m, hlen, ifp, if_flags, mtu, next_hop)
}

/// The book's `sendit` label: a datagram for interface `ifp` (its flags
/// `if_flags`) goes out whole with its checksum, or in fragments.
fn ip_sendit(
    st: &mut Stack,
    mut m: Mbuf,
    hlen: usize,
    ifp: usize,
    if_flags: u16,
    mtu: usize,
    next_hop: InAddr,
) -> Result {
    if if_flags & IFF_UP == 0 {
        m_freem(&mut st.mbpool, m);
        return Err(ENETDOWN);
    }
    let ip_len = m.m_pkthdr().map_or(0, |ph| ph.len);
    if ip_len <= mtu {
        if let Ok(h) = m_writable(&mut st.mbpool, &mut m) {
            ip_sum(h, hlen);
        }
        return if_output(st, ifp, m, next_hop);
    }
    ip_fragment(st, m, hlen, ifp, mtu, next_hop)
}

/// Splits the datagram in `m` into fragments that fit `mtu` and sends
/// them (the second half of the book's `ip_output`).
fn ip_fragment(
    st: &mut Stack,
    mut m: Mbuf,
    hlen: usize,
    ifp: usize,
    mtu: usize,
    dst: InAddr,
) -> Result {
    let mut hdr = [0u8; IP_MAXHDRLEN];
    if m_copydata(&m, 0, &mut hdr[..hlen]).is_err() {
        m_freem(&mut st.mbpool, m);
        return Err(EINVAL);
    }
    let ip_off = get16(&hdr, IP_OFF_OFF);
    let ip_len = usize::from(get16(&hdr, IP_LEN_OFF));
    let len = (mtu.saturating_sub(hlen)) & !7;
    if ip_off & IP_DF != 0 || len < 8 {
        st.ipstat.ips_cantfrag += 1;
        m_freem(&mut st.mbpool, m);
        return Err(EMSGSIZE);
    }
    // The header of every fragment after the first: the options that
    // are copied, then the first fragment's fixed part.
    let mut mhdr = [0u8; IP_MAXHDRLEN];
    mhdr[..IP_HDRLEN].copy_from_slice(&hdr[..IP_HDRLEN]);
    let mhlen = IP_HDRLEN + ip_optcopy(&hdr[..hlen], &mut mhdr[IP_HDRLEN..]);
    mhdr[0] = (hdr[0] & 0xf0) | (mhlen >> 2) as u8;

    // Build every fragment before sending any, as the book does, so that
    // a failure sends nothing.
    let mut frags = crate::platform::Vec::new();
    let mut off = hlen + len;
    let mut err = frags.reserve(ip_len.saturating_sub(off).div_ceil(len)).map_err(|_| ENOBUFS);
    while err.is_ok() && off < ip_len {
        let flen = len.min(ip_len - off);
        let more = off + flen < ip_len || ip_off & IP_MF != 0;
        let fm = m_gethdr(&mut st.mbpool, MT_HEADER).and_then(|mut fm| {
            // Filled in a closure so that every failure frees `fm`.
            let r = (|| {
                fm.m_align(mhlen)?;
                fm.set_len(mhlen)?;
                let h = fm.mtod_mut().ok_or(ENOBUFS)?;
                h.copy_from_slice(&mhdr[..mhlen]);
                let foff = ((off - hlen) >> 3) as u16 + (ip_off & IP_OFFMASK);
                put16(h, IP_OFF_OFF, foff | if more { IP_MF } else { 0 });
                put16(h, IP_LEN_OFF, (flen + mhlen) as u16);
                ip_sum(h, mhlen);
                let data = m_copy(&mut st.mbpool, &m, off, flen)?;
                m_cat(&mut st.mbpool, &mut fm, data);
                if let Some(ph) = fm.m_pkthdr_mut() {
                    ph.len = mhlen + flen;
                }
                Ok(())
            })();
            match r {
                Ok(()) => Ok(fm),
                Err(e) => {
                    m_freem(&mut st.mbpool, fm);
                    Err(e)
                }
            }
        });
        match fm {
            Ok(fm) => {
                let _ = frags.push(fm); // room was reserved
            }
            Err(e) => err = Err(e),
        }
        off += flen;
    }
    if err.is_ok() {
        // The first fragment is the original datagram, cut short: sent
        // only if its header can say so.
        m_adj(&mut m, -((ip_len - (hlen + len)) as isize));
        err = m_writable(&mut st.mbpool, &mut m).map(|h| {
            put16(h, IP_OFF_OFF, ip_off | IP_MF);
            put16(h, IP_LEN_OFF, (hlen + len) as u16);
            ip_sum(h, hlen);
        });
    }
    if let Err(e) = err {
        m_freem(&mut st.mbpool, m);
        while let Some(f) = frags.pop() {
            m_freem(&mut st.mbpool, f);
        }
        return Err(e);
    }
    st.ipstat.ips_ofragments += frags.len() as u64 + 1;
    st.ipstat.ips_fragmented += 1;
    let mut r = if_output(st, ifp, m, dst);
    while let Some(f) = frags.remove(0) {
        if r.is_ok() {
            r = if_output(st, ifp, f, dst);
        } else {
            m_freem(&mut st.mbpool, f);
        }
    }
    r
}

// Socket options of level IPPROTO_IP (`ip_ctloutput`; book sections
// 8.8 and 9.9). The names are the book's (`netinet/in.h`), with its
// values; the platform maps Linux's numbers onto them
// (`linux_ip_optname`).

use crate::bsd::kern::uipc_domain::SockOpt;
use crate::bsd::kern::uipc_socket::{sooptcopyout, sooptint, SOL_SOCKET};
use crate::bsd::kern::uipc_socket2::cmsgs;
use crate::bsd::netinet::in_::IPPROTO_IP;
use crate::bsd::netinet::in_pcb::{INP_RECVDSTADDR, INP_RECVOPTS, INP_RECVRETOPTS};
use crate::bsd::netinet::ip_options::{
    ip_pcbopts, IPOPT_EOL, IPOPT_LSRR, IPOPT_NOP, IPOPT_OFFSET, IPOPT_OLEN, IPOPT_SSRR,
    MAX_IPOPTLEN,
};

/// IP options for outgoing datagrams (bytes, as in the header).
pub const IP_OPTIONS: i32 = 1;
/// The user gives the IP header (raw sockets; `rip_ctloutput`).
pub const IP_HDRINCL: i32 = 2;
/// Type of service of outgoing datagrams (int).
pub const IP_TOS: i32 = 3;
/// Time to live of outgoing datagrams (int).
pub const IP_TTL: i32 = 4;
/// Receive the IP options with datagrams (bool).
pub const IP_RECVOPTS: i32 = 5;
/// Receive the IP options for a reply with datagrams (bool).
pub const IP_RECVRETOPTS: i32 = 6;
/// Receive the destination address with datagrams (bool).
pub const IP_RECVDSTADDR: i32 = 7;
/// The book's other name for IP_OPTIONS (its setting is `#ifdef notyet`).
pub const IP_RETOPTS: i32 = 8;
/// Multicast interface (chapter 12).
pub const IP_MULTICAST_IF: i32 = 9;
/// Multicast TTL.
pub const IP_MULTICAST_TTL: i32 = 10;
/// Multicast loopback.
pub const IP_MULTICAST_LOOP: i32 = 11;
/// Join a multicast group.
pub const IP_ADD_MEMBERSHIP: i32 = 12;
/// Leave a multicast group.
pub const IP_DROP_MEMBERSHIP: i32 = 13;

/// `BSDINET_IP_RECVDSTADDR` of `<linux/bsdinet.h>`: Linux has no
/// IP_RECVDSTADDR, so bsdinet numbers it 1000 + the book's number, clear
/// of every IPPROTO_IP option number Linux uses (1..52 IP_*, 64..131
/// netfilter, 200..213 MRT_*, 1152.. IP_VS).
pub const BSDINET_IP_RECVDSTADDR: i32 = 1000 + IP_RECVDSTADDR;
/// `BSDINET_MRT_INIT` ... `BSDINET_MRT_ASSERT`: the multicast routing
/// daemon's options, 1000 + the book's numbers (Linux's own MRT_* are
/// 200 ... and take Linux's structures: the LD_PRELOAD library
/// translates them).
pub const BSDINET_MRT_BASE: i32 = 1000 + crate::bsd::netinet::ip_mroute::MRT_INIT;

/// The book's name for Linux's IPPROTO_IP option number `name`
/// (`linux/in.h`, the ABI bsdinet keeps), or `None` for an option
/// bsdinet does not have. Linux's IP_RETOPTS (7) is a flag, the book's
/// IP_RECVRETOPTS; Linux's IP_RECVRETOPTS is another name for it.
pub fn linux_ip_optname(name: i32) -> Option<i32> {
    Some(match name {
        1 => IP_TOS,
        2 => IP_TTL,
        3 => IP_HDRINCL,
        4 => IP_OPTIONS,
        6 => IP_RECVOPTS,
        7 => IP_RECVRETOPTS,
        32 => IP_MULTICAST_IF,
        33 => IP_MULTICAST_TTL,
        34 => IP_MULTICAST_LOOP,
        35 => IP_ADD_MEMBERSHIP,
        36 => IP_DROP_MEMBERSHIP,
        BSDINET_IP_RECVDSTADDR => IP_RECVDSTADDR,
        n if (BSDINET_MRT_BASE..=BSDINET_MRT_BASE + 7).contains(&n) => n - 1000,
        _ => return None,
    })
}

/// Linux's cmsg type for a control message of level IPPROTO_IP that
/// bsdinet delivers (the book's `IP_RECVDSTADDR`, `IP_RECVOPTS`,
/// `IP_RECVRETOPTS`), as Linux names the ones it has: its IP_RETOPTS
/// message answers IP_RECVRETOPTS.
pub fn linux_ip_cmsgtype(ty: i32) -> Option<i32> {
    Some(match ty {
        IP_RECVOPTS => 6,
        IP_RECVRETOPTS => 7,
        IP_RECVDSTADDR => BSDINET_IP_RECVDSTADDR,
        _ => return None,
    })
}

/// Checks the control messages given to sendmsg() on a UDP or raw socket
/// and frees them. 4.4BSD frees them unread (udp_output's "XXX"); here a
/// malformed one is EINVAL, and so is any of level SOL_SOCKET or
/// IPPROTO_IP, since bsdinet acts on none (Linux answers EINVAL for those
/// it does not know); other levels are ignored, as both stacks do.
pub fn ip_checkcontrol(mp: &mut MbufPool, control: Option<Mbuf>) -> Result {
    let Some(c) = control else {
        return Ok(());
    };
    let r = cmsgs(&c).try_for_each(|m| match m? {
        (SOL_SOCKET | IPPROTO_IP, _, _) => Err(EINVAL),
        _ => Ok(()),
    });
    m_freem(mp, c);
    r
}

/// The options of `opt` as the user gave them to `ip_pcbopts`: the first
/// hop of the source route, which `ip_pcbopts` moved to `ipopt_dst`, goes
/// back in front of the route's addresses. Returns the length in `out`.
pub fn ip_optundo(opt: &Ipoption, out: &mut [u8; MAX_IPOPTLEN + 4]) -> usize {
    let list = opt.options();
    let n = list.len();
    out[..n].copy_from_slice(list);
    if opt.ipopt_dst == INADDR_ANY {
        return n;
    }
    // ip_pcbopts took the first hop of the last source route.
    let mut srr = None;
    let mut i = 0;
    while let Some(&o) = list.get(i) {
        if o == IPOPT_EOL {
            break;
        }
        if o == IPOPT_NOP {
            i += 1;
            continue;
        }
        let olen = list.get(i + IPOPT_OLEN).map_or(0, |&l| usize::from(l));
        if olen < 2 {
            break;
        }
        if o == IPOPT_LSRR || o == IPOPT_SSRR {
            srr = Some(i);
        }
        i += olen;
    }
    let Some(i) = srr else {
        return n;
    };
    let at = i + IPOPT_OFFSET + 1;
    if at > n || n + 4 > out.len() {
        return n;
    }
    out.copy_within(at..n, at + 4);
    out[at..at + 4].copy_from_slice(&opt.ipopt_dst.0.to_be_bytes());
    out[i + IPOPT_OLEN] = out[i + IPOPT_OLEN].saturating_add(4);
    n + 4
}

/// Whether `name` is one of chapter 12's multicast options.
fn is_moption(name: i32) -> bool {
    matches!(
        name,
        IP_MULTICAST_IF
            | IP_MULTICAST_TTL
            | IP_MULTICAST_LOOP
            | IP_ADD_MEMBERSHIP
            | IP_DROP_MEMBERSHIP
    )
}

/// The socket options of level IPPROTO_IP for UDP and raw sockets
/// (`ip_ctloutput`; the protocol's `pr_ctloutput`). Values shorter than
/// an int are EINVAL, longer ones are read for their first int.
///
/// Differences from the book:
/// - Another level and an unknown option are ENOPROTOOPT, as Linux
///   answers (the book says EINVAL for setting them). The multicast
///   options are `ip_setmoptions` and `ip_getmoptions` (`in_mcast.rs`).
/// - IP_TTL must be 1..=255, or -1 for the default (`ip_defttl`), as in
///   Linux; IP_TOS must be 0..=255 (Linux keeps the low byte). The book
///   stores the low byte of anything.
/// - Getting IP_OPTIONS gives the options as they were set, the first
///   hop back in its source route, as Linux does; the book gives the
///   first hop (0.0.0.0 without a source route), then the options.
pub fn ip_ctloutput(st: &mut Stack, so: usize, op: SockOpt<'_>) -> Result<usize> {
    let Some(inp) = st.so(so).so_pcb else {
        return Err(EINVAL);
    };
    let defttl = st.ip_defttl;
    match op {
        SockOpt::Set { level: IPPROTO_IP, name, val } if is_moption(name) => {
            return ip_setmoptions(st, inp, name, val).map(|()| 0);
        }
        SockOpt::Get { level: IPPROTO_IP, name, out } if is_moption(name) => {
            return ip_getmoptions(st, inp, name, out);
        }
        _ => {}
    }
    let inp = st.pcb(inp);
    let flag = |name| match name {
        IP_RECVOPTS => Some(INP_RECVOPTS),
        IP_RECVRETOPTS => Some(INP_RECVRETOPTS),
        IP_RECVDSTADDR => Some(INP_RECVDSTADDR),
        _ => None,
    };
    match op {
        SockOpt::Set { level, .. } | SockOpt::Get { level, .. } if level != IPPROTO_IP => {
            Err(ENOPROTOOPT)
        }
        SockOpt::Set { name, val, .. } => {
            match (name, flag(name)) {
                (IP_OPTIONS, _) => inp.inp_options = ip_pcbopts(val)?,
                (_, Some(bit)) => {
                    if sooptint(val)? != 0 {
                        inp.inp_flags |= bit;
                    } else {
                        inp.inp_flags &= !bit;
                    }
                }
                (IP_TOS, _) => inp.inp_ip_tos = u8::try_from(sooptint(val)?).map_err(|_| EINVAL)?,
                (IP_TTL, _) => {
                    inp.inp_ip_ttl = match sooptint(val)? {
                        -1 => defttl,
                        v => u8::try_from(v).ok().filter(|&t| t >= 1).ok_or(EINVAL)?,
                    }
                }
                _ => return Err(ENOPROTOOPT),
            }
            Ok(0)
        }
        SockOpt::Get { name, out, .. } => {
            let v = match (name, flag(name)) {
                (IP_OPTIONS | IP_RETOPTS, _) => {
                    let mut b = [0u8; MAX_IPOPTLEN + 4];
                    let n = inp.inp_options.as_ref().map_or(0, |o| ip_optundo(o, &mut b));
                    return Ok(sooptcopyout(out, &b[..n]));
                }
                (_, Some(bit)) => i32::from(inp.inp_flags & bit != 0),
                (IP_TOS, _) => i32::from(inp.inp_ip_tos),
                (IP_TTL, _) => i32::from(inp.inp_ip_ttl),
                _ => return Err(ENOPROTOOPT),
            };
            Ok(sooptcopyout(out, &v.to_ne_bytes()))
        }
    }
}
