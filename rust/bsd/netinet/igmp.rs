//! IGMP, the Internet Group Management Protocol (`netinet/igmp.c`,
//! `igmp.h`, `igmp_var.h`; book chapter 13): a host reports its groups
//! when it joins them and when a multicast router's query asks, each
//! report after a random delay that another member's report for the same
//! group cancels (`igmp_fasttimo`, every 200 ms).
//!
//! IGMPv1 (RFC 1112) is the book's. bsdinet also answers a version-2
//! querier by RFC 2236 (`Stack::igmp_v2`, on by default;
//! `net.bsdinet.igmp.v2=0` gives the book's behaviour): a query with a
//! maximum response time (its code) is a v2 query, answered within that
//! time, group-specific queries only for their group; while no v1 query
//! has been heard for 400 s the reports are v2 reports, and leaving a
//! group whose last report was ours sends a leave message to the
//! all-routers group.
//!
//! Every datagram IGMP takes goes on to the raw IGMP sockets (the
//! multicast routing daemon's, `rip_input`), as in the book.

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::net::if_::IFF_LOOPBACK;
use crate::bsd::netinet::in_::{in_multicast, InAddr, INADDR_ANY, IPPROTO_IGMP};
use crate::bsd::netinet::in_cksum::in_cksum;
use crate::bsd::netinet::in_mcast::*;
use crate::bsd::netinet::ip::IP_HDRLEN;
use crate::bsd::netinet::ip_output::*;
use crate::bsd::netinet::raw_ip::rip_input;
use crate::bsd::stack::Stack;

/// The fixed IGMP message (`IGMP_MINLEN`): type, code (v2's maximum
/// response time), checksum, group.
pub const IGMP_MINLEN: usize = 8;
/// Message types (`IGMP_HOST_MEMBERSHIP_QUERY` ...).
pub const IGMP_HOST_MEMBERSHIP_QUERY: u8 = 0x11;
pub const IGMP_HOST_MEMBERSHIP_REPORT: u8 = 0x12;
/// Routing messages of DVMRP, which the book's mrouted uses; passed to
/// the daemon (`IGMP_DVMRP`).
pub const IGMP_DVMRP: u8 = 0x13;
/// RFC 2236's version-2 report and leave.
pub const IGMP_V2_MEMBERSHIP_REPORT: u8 = 0x16;
pub const IGMP_V2_LEAVE_GROUP: u8 = 0x17;
/// Longest delay of a report, in seconds (`IGMP_MAX_HOST_REPORT_DELAY`).
pub const IGMP_MAX_HOST_REPORT_DELAY: u32 = 10;
/// Fast timeouts per second (`PR_FASTHZ`).
pub const PR_FASTHZ: u32 = 5;
/// How long a v1 querier is remembered, in fast ticks (RFC 2236's
/// Version 1 Router Present Timeout, 400 s).
pub const IGMP_V1_ROUTER_TIMEOUT: u32 = 400 * PR_FASTHZ;

/// IGMP statistics (`struct igmpstat`), with bsdinet's counts of v2
/// messages and of unknown types at the end.
#[derive(Clone, Copy, Default, Debug)]
pub struct Igmpstat {
    /// Messages received.
    pub igps_rcv_total: u64,
    /// Received with fewer than IGMP_MINLEN bytes.
    pub igps_rcv_tooshort: u64,
    /// Received with a bad checksum.
    pub igps_rcv_badsum: u64,
    /// Queries received.
    pub igps_rcv_queries: u64,
    /// Queries received that were invalid (not to the all-hosts group,
    /// or a group-specific one for a group that is not class D).
    pub igps_rcv_badqueries: u64,
    /// Reports received.
    pub igps_rcv_reports: u64,
    /// Reports received that were invalid (group not class D or not the
    /// destination).
    pub igps_rcv_badreports: u64,
    /// Reports received for groups we belong to.
    pub igps_rcv_ourreports: u64,
    /// Reports sent.
    pub igps_snd_reports: u64,
    /// Leave messages sent (RFC 2236).
    pub igps_snd_leaves: u64,
    /// v2 queries received (RFC 2236).
    pub igps_rcv_v2queries: u64,
    /// Messages of a type IGMP does not know (passed to raw sockets).
    pub igps_rcv_unknown: u64,
}

/// IGMP's per-stack state beyond the memberships.
#[derive(Default)]
pub struct IgmpVars {
    /// Whether some membership's timer runs (`igmp_timers_are_running`).
    pub igmp_timers_are_running: bool,
    /// Fast ticks left until a v1 querier is forgotten, by interface
    /// index (RFC 2236); a slot is 0 when none was heard.
    pub v1_router: [(usize, u32); 8],
}

/// A random report delay, 1 to 10 s in fast ticks (`IGMP_RANDOM_DELAY`),
/// or within `max` ticks when a v2 query says so.
fn igmp_random_delay(max: u32) -> u32 {
    let max = max.clamp(1, IGMP_MAX_HOST_REPORT_DELAY * PR_FASTHZ);
    crate::platform::random_u32() % max + 1
}

/// `igmp_init`: the all-hosts group and the timers (the stack starts
/// with them off: nothing to do here but keep the book's entry).
pub fn igmp_init(st: &mut Stack) {
    st.igmp.igmp_timers_are_running = false;
}

/// Whether a v1 querier was heard on `ifp` lately (RFC 2236 4).
fn v1_router_present(st: &Stack, ifp: usize) -> bool {
    !st.igmp_v2 || st.igmp.v1_router.iter().any(|&(i, t)| i == ifp && t > 0)
}

/// Remembers a v1 querier on `ifp` for 400 s.
fn v1_router_heard(st: &mut Stack, ifp: usize) {
    let slots = &mut st.igmp.v1_router;
    let k = slots
        .iter()
        .position(|&(i, t)| i == ifp && t > 0)
        .or_else(|| slots.iter().position(|&(_, t)| t == 0));
    // More interfaces with v1 queriers than slots: the oldest is reused.
    let k = k.unwrap_or(0);
    slots[k] = (ifp, IGMP_V1_ROUTER_TIMEOUT);
}

/// IGMP input (`igmp_input`; book section 13.7): `m` is the datagram,
/// header and all, `iphlen` its header's length.
pub fn igmp_input(st: &mut Stack, m: Mbuf, iphlen: usize) {
    st.igmpstat.igps_rcv_total += 1;
    let ip_len = m.m_pkthdr().map_or(0, |ph| ph.len);
    let igmplen = ip_len.saturating_sub(iphlen);
    if igmplen < IGMP_MINLEN {
        st.igmpstat.igps_rcv_tooshort += 1;
        return m_freem(&mut st.mbpool, m);
    }
    let m = match m_pullup(&mut st.mbpool, m, iphlen + IGMP_MINLEN) {
        Ok(m) => m,
        Err(_) => return st.igmpstat.igps_rcv_tooshort += 1,
    };
    // The checksum covers the whole message, which may be longer than
    // the first mbuf.
    let mut buf = crate::platform::Vec::new();
    if buf.reserve(igmplen).is_err() {
        st.igmpstat.igps_rcv_tooshort += 1;
        return m_freem(&mut st.mbpool, m);
    }
    for _ in 0..igmplen {
        let _ = buf.push(0u8); // room was reserved
    }
    if m_copydata(&m, iphlen, &mut buf).is_err() || in_cksum([&buf[..]]) != 0 {
        st.igmpstat.igps_rcv_badsum += 1;
        return m_freem(&mut st.mbpool, m);
    }
    let (ty, code) = (buf[0], buf[1]);
    let group = InAddr(u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]));
    let h = m.mtod();
    let (src, dst) = (get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
    let Some(ifp) = m.m_pkthdr().and_then(|ph| ph.rcvif) else {
        return m_freem(&mut st.mbpool, m);
    };
    let loopback = st.if_flags(ifp) & IFF_LOOPBACK != 0;
    match ty {
        IGMP_HOST_MEMBERSHIP_QUERY => {
            st.igmpstat.igps_rcv_queries += 1;
            if loopback {
                return rip_input(st, m, iphlen);
            }
            let v2 = st.igmp_v2 && code != 0;
            if !v2 {
                // A v1 query: to all hosts, about every group.
                if dst != INADDR_ALLHOSTS_GROUP {
                    st.igmpstat.igps_rcv_badqueries += 1;
                    return m_freem(&mut st.mbpool, m);
                }
                if st.igmp_v2 {
                    v1_router_heard(st, ifp);
                }
            } else {
                st.igmpstat.igps_rcv_v2queries += 1;
                // A general query goes to all hosts with no group; a
                // group-specific one to its group (RFC 2236 2.1).
                let ok = if group == INADDR_ANY {
                    dst == INADDR_ALLHOSTS_GROUP
                } else {
                    in_multicast(group) && (dst == group || dst == INADDR_ALLHOSTS_GROUP)
                };
                if !ok {
                    st.igmpstat.igps_rcv_badqueries += 1;
                    return m_freem(&mut st.mbpool, m);
                }
            }
            // Start a timer for every group on the interface that has
            // none running (v2: or a later one than the query allows),
            // never for the all-hosts group.
            let max = if v2 { (u32::from(code) * PR_FASTHZ).div_ceil(10) } else { 0 };
            let mut running = false;
            for (_, inm) in st.in_multi.iter_mut() {
                if inm.inm_ifp != ifp || inm.inm_addr == INADDR_ALLHOSTS_GROUP {
                    continue;
                }
                if v2 && group != INADDR_ANY && inm.inm_addr != group {
                    continue;
                }
                if inm.inm_timer == 0 || (v2 && inm.inm_timer > max.max(1)) {
                    inm.inm_timer = igmp_random_delay(if v2 { max } else { 0 });
                }
                running = true;
            }
            if running {
                st.igmp.igmp_timers_are_running = true;
            }
        }
        IGMP_HOST_MEMBERSHIP_REPORT | IGMP_V2_MEMBERSHIP_REPORT => {
            st.igmpstat.igps_rcv_reports += 1;
            if loopback {
                return rip_input(st, m, iphlen);
            }
            if !in_multicast(group) || group != dst {
                st.igmpstat.igps_rcv_badreports += 1;
                return m_freem(&mut st.mbpool, m);
            }
            // The book fixes a report from 0.0.0.0 (a host that does not
            // know its address yet) to come from our subnet, for the
            // daemon: `ip_src` becomes the interface's subnet number.
            let mut m = m;
            if src.0 & 0xff00_0000 == 0 {
                let subnet = st.in_ifaddr.iter().find(|ia| ia.ia_ifp == ifp).map(|ia| ia.ia_subnet);
                if let (Some(net), Ok(h)) = (subnet, m_writable(&mut st.mbpool, &mut m)) {
                    put_addr(h, IP_SRC_OFF, InAddr(net));
                }
            }
            // Another member reported: ours is not needed.
            if let Some(i) = in_lookup_multi(st, group, ifp) {
                if let Some(inm) = st.in_multi.get_mut(i) {
                    inm.inm_timer = 0;
                    inm.inm_lastreporter = false;
                }
                st.igmpstat.igps_rcv_ourreports += 1;
            }
            return rip_input(st, m, iphlen);
        }
        IGMP_V2_LEAVE_GROUP | IGMP_DVMRP => {}
        _ => st.igmpstat.igps_rcv_unknown += 1,
    }
    // Every message goes on to the raw IGMP sockets.
    rip_input(st, m, iphlen);
}

/// A membership was made (`igmp_joingroup`): report it at once and again
/// after a random delay, unless it is the all-hosts group or on a
/// loopback interface.
pub fn igmp_joingroup(st: &mut Stack, inm: usize) {
    let Some(m) = st.in_multi.get(inm).copied() else { return };
    if m.inm_addr == INADDR_ALLHOSTS_GROUP || st.if_flags(m.inm_ifp) & IFF_LOOPBACK != 0 {
        if let Some(x) = st.in_multi.get_mut(inm) {
            x.inm_timer = 0;
        }
        return;
    }
    igmp_sendreport(st, inm);
    if let Some(x) = st.in_multi.get_mut(inm) {
        x.inm_timer = igmp_random_delay(0);
    }
    st.igmp.igmp_timers_are_running = true;
}

/// A membership is ending (`igmp_leavegroup`): nothing in IGMPv1; with
/// v2 a leave message when our report was the last one heard and no v1
/// querier is about (RFC 2236 3).
pub fn igmp_leavegroup(st: &mut Stack, inm: usize) {
    let Some(m) = st.in_multi.get(inm).copied() else { return };
    if !m.inm_lastreporter
        || m.inm_addr == INADDR_ALLHOSTS_GROUP
        || v1_router_present(st, m.inm_ifp)
        || st.if_flags(m.inm_ifp) & IFF_LOOPBACK != 0
    {
        return;
    }
    if igmp_send(st, m.inm_ifp, IGMP_V2_LEAVE_GROUP, m.inm_addr, INADDR_ALLRTRS_GROUP) {
        st.igmpstat.igps_snd_leaves += 1;
    }
}

/// IGMP's `pr_fasttimo`, every 200 ms (`igmp_fasttimo`): sends the
/// reports whose delay ran out; ages the v1 querier memory.
pub fn igmp_fasttimo(st: &mut Stack) {
    for slot in st.igmp.v1_router.iter_mut() {
        slot.1 = slot.1.saturating_sub(1);
    }
    if !st.igmp.igmp_timers_are_running {
        return;
    }
    st.igmp.igmp_timers_are_running = false;
    let mut due = [0usize; 16];
    let mut n = 0;
    let mut more = false;
    for (i, inm) in st.in_multi.iter_mut() {
        if inm.inm_timer == 0 {
            continue;
        }
        if inm.inm_timer > 1 {
            inm.inm_timer -= 1;
            more = true;
        } else if n < due.len() {
            inm.inm_timer = 0;
            due[n] = i;
            n += 1;
        } else {
            // More due at once than this takes: the rest next tick.
            more = true;
        }
    }
    for &i in &due[..n] {
        igmp_sendreport(st, i);
    }
    st.igmp.igmp_timers_are_running |= more;
}

/// Sends a report for membership `inm` (`igmp_sendreport`): to the group,
/// with TTL 1, on the membership's interface; looped back when we are a
/// multicast router, so that the daemon hears it too.
pub fn igmp_sendreport(st: &mut Stack, inm: usize) {
    let Some(m) = st.in_multi.get(inm).copied() else { return };
    let ty = if v1_router_present(st, m.inm_ifp) {
        IGMP_HOST_MEMBERSHIP_REPORT
    } else {
        IGMP_V2_MEMBERSHIP_REPORT
    };
    if igmp_send(st, m.inm_ifp, ty, m.inm_addr, m.inm_addr) {
        st.igmpstat.igps_snd_reports += 1;
        if let Some(x) = st.in_multi.get_mut(inm) {
            x.inm_lastreporter = true;
        }
    }
}

/// Sends an IGMP message of type `ty` about `group` to `dst` on `ifp`;
/// whether it went.
fn igmp_send(st: &mut Stack, ifp: usize, ty: u8, group: InAddr, dst: InAddr) -> bool {
    let mut b = [0u8; IP_HDRLEN + IGMP_MINLEN];
    b[0] = 0x45;
    put16(&mut b, IP_LEN_OFF, (IP_HDRLEN + IGMP_MINLEN) as u16);
    b[IP_TTL_OFF] = 1;
    b[9] = IPPROTO_IGMP as u8;
    put_addr(&mut b, IP_DST_OFF, dst);
    let g = &mut b[IP_HDRLEN..];
    g[0] = ty;
    g[4..8].copy_from_slice(&group.0.to_be_bytes());
    let sum = in_cksum([&g[..]]);
    g[2..4].copy_from_slice(&sum.to_be_bytes());
    let Ok(m) = m_devget(&mut st.mbpool, &b, 0, None) else { return false };
    let imo = IpMoptions {
        imo_multicast_ifp: Some(ifp),
        imo_multicast_ttl: 1,
        imo_multicast_loop: st.ip_mrouter.is_some(),
        ..Default::default()
    };
    ip_output(st, m, None, 0, Some(&imo)).is_ok()
}
