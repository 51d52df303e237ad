//! Multicast routing (`netinet/ip_mroute.c`, `ip_mroute.h`; book chapter
//! 14): the kernel's half of a multicast router. The routing daemon
//! (mrouted, smcroute, or bsdinet's `tools/mrtctl`) opens a raw IGMP
//! socket and drives the kernel with the MRT_* options: virtual
//! interfaces (vifs) on physical interfaces or IP-in-IP tunnels, and
//! the multicast forwarding cache (mfc) of (origin, group) entries, each
//! with its parent vif and a TTL threshold per vif. `ip_mforward` looks
//! each multicast datagram up in the cache, checks that it came in on
//! the parent vif (the reverse-path check) and sends a copy out of every
//! vif whose threshold its TTL passes; a datagram without an entry waits
//! (a few of them) while an upcall on the daemon's socket asks for one.
//!
//! Differences from the book's Net/3 code: tunnels are IP-in-IP (RFC
//! 2003, protocol 4, as FreeBSD's later `ip_mroute.c` and Linux's ipip
//! driver), not loose-source-routed; upcalls (IGMPMSG_NOCACHE, and
//! IGMPMSG_WRONGVIF with MRT_ASSERT) use the later `struct igmpmsg`,
//! which mrouted 3.8, smcroute and Linux share; a datagram that came
//! through a tunnel is forwarded but not delivered to this host's
//! sockets; MRT_* need CAP_NET_ADMIN (EACCES, as Linux); the book has no
//! rate limits, and neither has bsdinet.

use crate::bsd::kern::uipc_domain::SockOpt;
use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::kern::uipc_socket::{sooptcopyout, sooptint};
use crate::bsd::kern::uipc_socket2::sorwakeup;
use crate::bsd::net::if_::{if_addmulti, if_delmulti, IFF_MULTICAST};
use crate::bsd::netinet::in_::{InAddr, SockaddrIn, INADDR_ANY, IPPROTO_IGMP};
use crate::bsd::netinet::in_mcast::{IpMoptions, INADDR_MAX_LOCAL_GROUP};
use crate::bsd::netinet::ip::{IPDEFTTL, IP_HDRLEN};
use crate::bsd::netinet::ip_output::*;
use crate::bsd::netinet::raw_ip::rip_input;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::socket::SOCK_RAW;
use crate::platform::Vec;

// The daemon's socket options (`netinet/ip_mroute.h`), the book's
// numbers; `linux_ip_optname` maps bsdinet's ABI numbers (1000 + these)
// onto them.
pub const MRT_INIT: i32 = 100;
pub const MRT_DONE: i32 = 101;
pub const MRT_ADD_VIF: i32 = 102;
pub const MRT_DEL_VIF: i32 = 103;
pub const MRT_ADD_MFC: i32 = 104;
pub const MRT_DEL_MFC: i32 = 105;
pub const MRT_VERSION: i32 = 106;
pub const MRT_ASSERT: i32 = 107;

/// Most vifs (`MAXVIFS`).
pub const MAXVIFS: usize = 32;
/// `vifc_flags`: the vif is a tunnel (`VIFF_TUNNEL`).
pub const VIFF_TUNNEL: u8 = 0x1;
/// The version MRT_VERSION reports (mrouted 3.5's kernel interface).
pub const MRT_VERSION_NUM: i32 = 0x0305;
/// `struct vifctl`: vif number (u16), flags, threshold, local address,
/// remote address (tunnels).
pub const VIFCTL_LEN: usize = 12;
/// `struct mfcctl`: origin, group, parent vif (u16), a TTL threshold per
/// vif, padded to 44 bytes.
pub const MFCCTL_LEN: usize = 44;
/// Upcall types (`struct igmpmsg`'s `im_msgtype`).
pub const IGMPMSG_NOCACHE: u8 = 1;
pub const IGMPMSG_WRONGVIF: u8 = 2;
/// Datagrams held per unresolved (origin, group) while the daemon is
/// asked (`MAX_UPQ`).
pub const MAX_UPQ: usize = 4;
/// Unresolved entries at once.
pub const MAX_UNRES: usize = 64;
/// How long an unresolved entry waits for the daemon, in 100 ms ticks
/// (`UPCALL_EXPIRE`, 6 s).
pub const UPCALL_EXPIRE: u64 = 60;
/// The least time between two WRONGVIF upcalls of one entry, in ticks
/// (`ASSERT_MSG_TIME`, 3 s).
pub const ASSERT_MSG_TIME: u64 = 30;
/// IP-in-IP (`IPPROTO_IPIP`).
pub const IPPROTO_IPIP: u8 = 4;

/// Multicast routing statistics (`struct mrtstat`), with bsdinet's
/// count of copies held back by a TTL threshold at the end.
#[derive(Clone, Copy, Default, Debug)]
pub struct Mrtstat {
    /// Forwarding cache lookups.
    pub mrts_mfc_lookups: u64,
    /// Lookups that found nothing.
    pub mrts_mfc_misses: u64,
    /// Upcalls sent to the daemon.
    pub mrts_upcalls: u64,
    /// Datagrams for which no route was known when they expired.
    pub mrts_no_route: u64,
    /// Tunnelled datagrams from no tunnel of ours.
    pub mrts_bad_tunnel: u64,
    /// Datagrams that could not be tunnelled.
    pub mrts_cant_tunnel: u64,
    /// Datagrams that came in on another vif than the parent (RPF).
    pub mrts_wrong_if: u64,
    /// Datagrams dropped because an entry's queue was full.
    pub mrts_upq_ovflw: u64,
    /// Unresolved entries that expired.
    pub mrts_cache_cleanups: u64,
    /// Datagrams dropped selectively (none: bsdinet has no RSVP).
    pub mrts_drop_sel: u64,
    /// Datagrams dropped because too many entries were unresolved.
    pub mrts_q_overflow: u64,
    /// Datagrams too large to tunnel.
    pub mrts_pkt2large: u64,
    /// Upcalls lost to a full socket buffer.
    pub mrts_upq_sockfull: u64,
    /// Copies not sent on a vif because the TTL did not pass its
    /// threshold (bsdinet).
    pub mrts_ttl_thresh: u64,
}

/// A virtual interface (`struct vif`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Vif {
    pub v_flags: u8,
    pub v_threshold: u8,
    pub v_lcl_addr: InAddr,
    pub v_rmt_addr: InAddr,
    /// The physical interface (for a tunnel, the one its local address
    /// is on).
    pub v_ifp: usize,
    pub v_pkt_in: u64,
    pub v_pkt_out: u64,
    pub v_bytes_in: u64,
    pub v_bytes_out: u64,
}

/// A forwarding cache entry (`struct mfc`).
#[derive(Clone, Copy, Debug)]
pub struct Mfc {
    pub mfc_origin: InAddr,
    pub mfc_mcastgrp: InAddr,
    pub mfc_parent: u16,
    pub mfc_ttls: [u8; MAXVIFS],
    pub mfc_pkt_cnt: u64,
    pub mfc_byte_cnt: u64,
    pub mfc_wrong_if: u64,
    /// When the last WRONGVIF upcall was sent (ticks).
    pub mfc_last_assert: u64,
}

/// An (origin, group) the daemon was asked about, with the datagrams
/// that wait for its answer (`struct rtdetq` chains).
pub struct Unres {
    pub origin: InAddr,
    pub group: InAddr,
    pub arrival: Arrival,
    pub expire: u64,
    pub pkts: Vec<Mbuf>,
}

/// Where a datagram came from, for the reverse-path check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// A physical interface (or, for one we send, the one it leaves by).
    Ifp(usize),
    /// Out of tunnel vif n.
    Vif(usize),
}

/// Multicast routing's state (the book's globals `viftable`, `numvifs`,
/// `mfctable`, `mrtstat`).
#[derive(Default)]
pub struct Mrt {
    pub viftable: [Option<Vif>; MAXVIFS],
    /// One past the highest vif in use (`numvifs`).
    pub numvifs: usize,
    pub mfctable: Vec<Mfc>,
    pub unres: Vec<Unres>,
    pub mrtstat: Mrtstat,
    /// MRT_ASSERT: WRONGVIF upcalls wanted (`pim_assert`).
    pub pim_assert: bool,
}

/// The raw IGMP socket `so` may become the daemon's.
fn is_igmp_raw(st: &mut Stack, so: usize) -> bool {
    let s = st.so(so);
    s.so_type == SOCK_RAW && s.so_proto.pr_protocol == IPPROTO_IGMP
}

/// The daemon's commands (`ip_mrouter_cmd` for setsockopt, the rest of
/// the book's `ip_mrouter_get` for getsockopt), from a raw IGMP
/// socket's `pr_ctloutput`. EOPNOTSUPP on another socket, EACCES without
/// CAP_NET_ADMIN or from another socket than the daemon's, EADDRINUSE
/// for a second daemon.
pub fn ip_mrouter_ctl(st: &mut Stack, so: usize, op: SockOpt<'_>) -> Result<usize> {
    if !is_igmp_raw(st, so) {
        return Err(EOPNOTSUPP);
    }
    if !st.so(so).so_cred.net_admin {
        return Err(EACCES);
    }
    match op {
        SockOpt::Set { name, val, .. } => {
            if name != MRT_INIT && st.ip_mrouter != Some(so) {
                return Err(EACCES);
            }
            match name {
                MRT_INIT => ip_mrouter_init(st, so, val),
                MRT_DONE => {
                    ip_mrouter_done(st);
                    Ok(())
                }
                MRT_ADD_VIF => add_vif(st, val),
                MRT_DEL_VIF => del_vif(st, vifi_of(val)?),
                MRT_ADD_MFC => add_mfc(st, val),
                MRT_DEL_MFC => del_mfc(st, val),
                MRT_ASSERT => {
                    st.mrt.pim_assert = sooptint(val)? != 0;
                    Ok(())
                }
                _ => Err(ENOPROTOOPT),
            }
            .map(|()| 0)
        }
        SockOpt::Get { name, out, .. } => {
            let v = match name {
                MRT_VERSION => MRT_VERSION_NUM,
                MRT_ASSERT => i32::from(st.mrt.pim_assert),
                _ => return Err(ENOPROTOOPT),
            };
            Ok(sooptcopyout(out, &v.to_ne_bytes()))
        }
    }
}

/// MRT_INIT (`ip_mrouter_init`): `so` becomes the daemon's socket. The
/// value is an int, 1 (the interface version); anything else is EINVAL.
fn ip_mrouter_init(st: &mut Stack, so: usize, val: &[u8]) -> Result {
    if sooptint(val)? != 1 {
        return Err(EINVAL);
    }
    if st.ip_mrouter.is_some() {
        return Err(EADDRINUSE);
    }
    st.ip_mrouter = Some(so);
    Ok(())
}

/// MRT_DONE, or the daemon's socket closing (`ip_mrouter_done`): every
/// vif goes (its interface leaves all groups), the cache is emptied and
/// the waiting datagrams are freed.
pub fn ip_mrouter_done(st: &mut Stack) {
    for vifi in 0..MAXVIFS {
        if st.mrt.viftable[vifi].is_some() {
            let _ = del_vif(st, vifi);
        }
    }
    st.mrt.mfctable.clear();
    while let Some(u) = st.mrt.unres.pop() {
        free_unres(st, u);
    }
    st.mrt.pim_assert = false;
    st.ip_mrouter = None;
}

fn free_unres(st: &mut Stack, mut u: Unres) {
    while let Some(m) = u.pkts.pop() {
        m_freem(&mut st.mbpool, m);
    }
}

fn addr_at(b: &[u8], off: usize) -> InAddr {
    match b.get(off..off + 4) {
        Some(w) => InAddr(u32::from_be_bytes([w[0], w[1], w[2], w[3]])),
        None => INADDR_ANY,
    }
}

/// The vif number at the front of a `vifctl` (or a bare vifi_t, as
/// MRT_DEL_VIF takes in the book).
fn vifi_of(val: &[u8]) -> Result<usize> {
    match val {
        [a, b, ..] => Ok(usize::from(u16::from_ne_bytes([*a, *b]))),
        _ => Err(EINVAL),
    }
}

/// MRT_ADD_VIF (`add_vif`): a vif on the interface of its local address,
/// receiving every group there (SIOCADDMULTI of the wildcard), or a
/// tunnel to its remote address. EINVAL: bad number or length;
/// EADDRINUSE: the number is taken; EADDRNOTAVAIL: the local address is
/// none of ours; EOPNOTSUPP: the interface cannot multicast.
fn add_vif(st: &mut Stack, val: &[u8]) -> Result {
    if val.len() < VIFCTL_LEN {
        return Err(EINVAL);
    }
    let vifi = vifi_of(val)?;
    if vifi >= MAXVIFS {
        return Err(EINVAL);
    }
    if st.mrt.viftable[vifi].is_some() {
        return Err(EADDRINUSE);
    }
    let (flags, threshold) = (val[2], val[3]);
    let (lcl, rmt) = (addr_at(val, 4), addr_at(val, 8));
    let ifp = st.in_ifaddr.iter().find(|ia| ia.ia_addr == lcl).map(|ia| ia.ia_ifp);
    let ifp = ifp.ok_or(EADDRNOTAVAIL)?;
    if flags & VIFF_TUNNEL != 0 {
        if rmt == INADDR_ANY {
            return Err(EINVAL);
        }
    } else {
        if st.if_flags(ifp) & IFF_MULTICAST == 0 {
            return Err(EOPNOTSUPP);
        }
        // Every group's datagrams, whatever this host joined.
        if_addmulti(st, ifp, INADDR_ANY)?;
    }
    st.mrt.viftable[vifi] = Some(Vif {
        v_flags: flags & VIFF_TUNNEL,
        v_threshold: threshold,
        v_lcl_addr: lcl,
        v_rmt_addr: rmt,
        v_ifp: ifp,
        ..Default::default()
    });
    st.mrt.numvifs = st.mrt.numvifs.max(vifi + 1);
    Ok(())
}

/// MRT_DEL_VIF (`del_vif`): EINVAL for a number past `numvifs`,
/// EADDRNOTAVAIL for one not in use. Cache entries keep their TTLs; a
/// vif gone is skipped when forwarding.
fn del_vif(st: &mut Stack, vifi: usize) -> Result {
    if vifi >= st.mrt.numvifs {
        return Err(EINVAL);
    }
    let vif = st.mrt.viftable[vifi].take().ok_or(EADDRNOTAVAIL)?;
    if vif.v_flags & VIFF_TUNNEL == 0 {
        let _ = if_delmulti(st, vif.v_ifp, INADDR_ANY);
    }
    st.mrt.numvifs =
        (0..MAXVIFS).rev().find(|&i| st.mrt.viftable[i].is_some()).map_or(0, |i| i + 1);
    Ok(())
}

/// Interface `ifp` goes: its vifs go first.
pub fn mrt_ifdetach(st: &mut Stack, ifp: usize) {
    for vifi in 0..MAXVIFS {
        if st.mrt.viftable[vifi].is_some_and(|v| v.v_ifp == ifp) {
            let _ = del_vif(st, vifi);
        }
    }
}

fn mfc_find(st: &Stack, origin: InAddr, group: InAddr) -> Option<usize> {
    st.mrt.mfctable.iter().position(|m| m.mfc_origin == origin && m.mfc_mcastgrp == group)
}

/// MRT_ADD_MFC (`add_mfc`): a new entry, or new parent and TTLs for an
/// old one; datagrams waiting for it are forwarded now. EINVAL for a
/// short value or a parent past MAXVIFS.
fn add_mfc(st: &mut Stack, val: &[u8]) -> Result {
    if val.len() < MFCCTL_LEN {
        return Err(EINVAL);
    }
    let (origin, group) = (addr_at(val, 0), addr_at(val, 4));
    let parent = u16::from_ne_bytes([val[8], val[9]]);
    if usize::from(parent) >= MAXVIFS {
        return Err(EINVAL);
    }
    let mut ttls = [0u8; MAXVIFS];
    ttls.copy_from_slice(&val[10..10 + MAXVIFS]);
    if let Some(i) = mfc_find(st, origin, group) {
        let m = &mut st.mrt.mfctable[i];
        m.mfc_parent = parent;
        m.mfc_ttls = ttls;
    } else {
        st.mrt
            .mfctable
            .push(Mfc {
                mfc_origin: origin,
                mfc_mcastgrp: group,
                mfc_parent: parent,
                mfc_ttls: ttls,
                mfc_pkt_cnt: 0,
                mfc_byte_cnt: 0,
                mfc_wrong_if: 0,
                mfc_last_assert: 0,
            })
            .map_err(|_| ENOBUFS)?;
    }
    // The datagrams that waited for this entry.
    if let Some(k) = st.mrt.unres.iter().position(|u| u.origin == origin && u.group == group) {
        if let Some(mut u) = st.mrt.unres.remove(k) {
            let rt = mfc_find(st, origin, group);
            while let Some(m) = u.pkts.remove(0) {
                if let Some(rt) = rt {
                    ip_mdq(st, &m, u.arrival, rt);
                }
                m_freem(&mut st.mbpool, m);
            }
        }
    }
    Ok(())
}

/// MRT_DEL_MFC (`del_mfc`): ESRCH when there is no such entry.
fn del_mfc(st: &mut Stack, val: &[u8]) -> Result {
    if val.len() < 8 {
        return Err(EINVAL);
    }
    let i = mfc_find(st, addr_at(val, 0), addr_at(val, 4)).ok_or(ESRCH)?;
    st.mrt.mfctable.remove(i);
    Ok(())
}

/// The vif a datagram arriving on interface `ifp` came in by: the
/// physical vif of that interface.
fn vif_of_ifp(st: &Stack, ifp: usize) -> Option<usize> {
    (0..st.mrt.numvifs).find(|&i| {
        st.mrt.viftable[i].is_some_and(|v| v.v_flags & VIFF_TUNNEL == 0 && v.v_ifp == ifp)
    })
}

/// Forwards copies of multicast datagram `m` that came in on `ifp` (or
/// that we send out of `ifp`): `ip_mforward` (book section 14.8).
/// Returns nonzero when the datagram must not be delivered either (never
/// here: the book's nonzero is for bad tunnel options).
pub fn ip_mforward(st: &mut Stack, m: &Mbuf, ifp: Option<usize>) -> i32 {
    let Some(ifp) = ifp else { return 0 };
    mforward(st, m, Arrival::Ifp(ifp));
    0
}

fn mforward(st: &mut Stack, m: &Mbuf, arrival: Arrival) {
    let h = m.mtod();
    let (ttl, src, dst) =
        (h.get(IP_TTL_OFF).copied().unwrap_or(0), get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
    // Not past this link: TTL 0 or 1, or a link-local group.
    if ttl <= 1 || dst.0 <= INADDR_MAX_LOCAL_GROUP.0 {
        return;
    }
    st.mrt.mrtstat.mrts_mfc_lookups += 1;
    if let Some(rt) = mfc_find(st, src, dst) {
        return ip_mdq(st, m, arrival, rt);
    }
    st.mrt.mrtstat.mrts_mfc_misses += 1;
    // Wait for the daemon: hold a copy, and ask once per entry.
    let now = st.ticks;
    if let Some(u) = st.mrt.unres.iter_mut().find(|u| u.origin == src && u.group == dst) {
        if u.pkts.len() >= MAX_UPQ {
            st.mrt.mrtstat.mrts_upq_ovflw += 1;
            return;
        }
        if let Ok(c) = m_copy(&mut st.mbpool, m, 0, M_COPYALL) {
            if let Some(u) = st.mrt.unres.iter_mut().find(|u| u.origin == src && u.group == dst) {
                if let Err(c) = push_mbuf(&mut u.pkts, c) {
                    m_freem(&mut st.mbpool, c);
                }
            }
        }
        return;
    }
    if st.mrt.unres.len() >= MAX_UNRES {
        st.mrt.mrtstat.mrts_q_overflow += 1;
        return;
    }
    let vif = match arrival {
        Arrival::Ifp(i) => vif_of_ifp(st, i),
        Arrival::Vif(v) => Some(v),
    };
    let Ok(c) = m_copy(&mut st.mbpool, m, 0, M_COPYALL) else { return };
    let mut pkts = Vec::new();
    if let Err(c) = push_mbuf(&mut pkts, c) {
        return m_freem(&mut st.mbpool, c);
    }
    let u = Unres { origin: src, group: dst, arrival, expire: now + UPCALL_EXPIRE, pkts };
    if let Err(u) = push_unres(&mut st.mrt.unres, u) {
        return free_unres(st, u);
    }
    mrt_upcall(st, m, IGMPMSG_NOCACHE, vif.unwrap_or(MAXVIFS));
}

fn push_mbuf(v: &mut Vec<Mbuf>, m: Mbuf) -> core::result::Result<(), Mbuf> {
    if v.reserve(1).is_err() {
        return Err(m);
    }
    let _ = v.push(m); // room was reserved
    Ok(())
}

fn push_unres(v: &mut Vec<Unres>, u: Unres) -> core::result::Result<(), Unres> {
    if v.reserve(1).is_err() {
        return Err(u);
    }
    let _ = v.push(u); // room was reserved
    Ok(())
}

/// An upcall to the daemon (`socket_send` of a `struct igmpmsg`): a copy
/// of the datagram's IP header with `im_msgtype` where the TTL was, 0
/// where the protocol was (so that it is not taken for IGMP) and the vif
/// after it, from the datagram's source.
fn mrt_upcall(st: &mut Stack, m: &Mbuf, ty: u8, vif: usize) {
    let Some(so) = st.ip_mrouter else { return };
    let mut h = [0u8; IP_HDRLEN];
    if m_copydata(m, 0, &mut h).is_err() {
        return;
    }
    h[..8].fill(0);
    h[8] = ty;
    h[9] = 0;
    h[10] = vif.min(255) as u8;
    h[11] = 0;
    let src = get_addr(&h, IP_SRC_OFF);
    let Ok(mm) = m_devget(&mut st.mbpool, &h, 0, None) else { return };
    st.mrt.mrtstat.mrts_upcalls += 1;
    match st.so(so).so_rcv.sbappendaddr(SockaddrIn::new(src, 0), mm, None) {
        Ok(()) => sorwakeup(st, so),
        Err(r) => {
            st.mrt.mrtstat.mrts_upq_sockfull += 1;
            crate::bsd::kern::uipc_socket2::free_record(&mut st.mbpool, r);
        }
    }
}

/// Sends copies of `m` out of the vifs of entry `rt` (`ip_mdq`), after
/// the reverse-path check: a datagram not from the parent vif is counted
/// (`mrts_wrong_if`) and, with MRT_ASSERT, reported to the daemon at most
/// every 3 s.
fn ip_mdq(st: &mut Stack, m: &Mbuf, arrival: Arrival, rt: usize) {
    let Some(e) = st.mrt.mfctable.get(rt).copied() else { return };
    let parent = usize::from(e.mfc_parent);
    let from_parent =
        st.mrt.viftable.get(parent).copied().flatten().is_some_and(|v| match arrival {
            Arrival::Ifp(i) => v.v_flags & VIFF_TUNNEL == 0 && v.v_ifp == i,
            Arrival::Vif(n) => n == parent,
        });
    let len = m.m_pkthdr().map_or(0, |ph| ph.len) as u64;
    if !from_parent {
        st.mrt.mrtstat.mrts_wrong_if += 1;
        let now = st.ticks;
        let vif = match arrival {
            Arrival::Ifp(i) => vif_of_ifp(st, i),
            Arrival::Vif(v) => Some(v),
        };
        let due = now >= e.mfc_last_assert + ASSERT_MSG_TIME || e.mfc_last_assert == 0;
        if let Some(x) = st.mrt.mfctable.get_mut(rt) {
            x.mfc_wrong_if += 1;
        }
        if st.mrt.pim_assert && due {
            if let Some(v) = vif {
                if let Some(x) = st.mrt.mfctable.get_mut(rt) {
                    x.mfc_last_assert = now.max(1);
                }
                mrt_upcall(st, m, IGMPMSG_WRONGVIF, v);
            }
        }
        return;
    }
    if let Some(v) = st.mrt.viftable[parent].as_mut() {
        v.v_pkt_in += 1;
        v.v_bytes_in += len;
    }
    if let Some(x) = st.mrt.mfctable.get_mut(rt) {
        x.mfc_pkt_cnt += 1;
        x.mfc_byte_cnt += len;
    }
    let ttl = m.mtod().get(IP_TTL_OFF).copied().unwrap_or(0);
    for vifi in 0..st.mrt.numvifs {
        let Some(vif) = st.mrt.viftable[vifi] else { continue };
        let thresh = e.mfc_ttls[vifi];
        if thresh == 0 {
            continue;
        }
        if ttl <= thresh {
            st.mrt.mrtstat.mrts_ttl_thresh += 1;
            continue;
        }
        let sent = if vif.v_flags & VIFF_TUNNEL != 0 {
            encap_send(st, m, &vif)
        } else {
            phyint_send(st, m, &vif)
        };
        if sent {
            if let Some(v) = st.mrt.viftable[vifi].as_mut() {
                v.v_pkt_out += 1;
                v.v_bytes_out += len;
            }
        }
    }
}

/// A copy out of a physical vif (`phyint_send`): ip_output with the vif's
/// interface, the TTL less one, looped back if we are in the group there.
fn phyint_send(st: &mut Stack, m: &Mbuf, vif: &Vif) -> bool {
    let Ok(c) = m_copy(&mut st.mbpool, m, 0, M_COPYALL) else { return false };
    let ttl = m.mtod().get(IP_TTL_OFF).copied().unwrap_or(1);
    let imo = IpMoptions {
        imo_multicast_ifp: Some(vif.v_ifp),
        imo_multicast_ttl: ttl.saturating_sub(1),
        imo_multicast_loop: true,
        ..Default::default()
    };
    ip_output(st, c, None, IP_FORWARDING, Some(&imo)).is_ok()
}

/// A copy into a tunnel (`encap_send`, FreeBSD's): the datagram, its TTL
/// less one, behind an IP header from the vif's local address to its
/// remote one, protocol IP-in-IP, routed as unicast.
fn encap_send(st: &mut Stack, m: &Mbuf, vif: &Vif) -> bool {
    let len = m.m_pkthdr().map_or(0, |ph| ph.len);
    if len + IP_HDRLEN > usize::from(u16::MAX) {
        st.mrt.mrtstat.mrts_pkt2large += 1;
        return false;
    }
    let Ok(mut inner) = m_copy(&mut st.mbpool, m, 0, M_COPYALL) else {
        st.mrt.mrtstat.mrts_cant_tunnel += 1;
        return false;
    };
    let hlen = m.mtod().first().map_or(IP_HDRLEN, |&b| usize::from(b & 0x0f) << 2);
    match m_writable(&mut st.mbpool, &mut inner) {
        Ok(h) if h.len() >= hlen => {
            h[IP_TTL_OFF] = h[IP_TTL_OFF].saturating_sub(1);
            ip_sum(h, hlen);
        }
        _ => {
            m_freem(&mut st.mbpool, inner);
            st.mrt.mrtstat.mrts_cant_tunnel += 1;
            return false;
        }
    }
    let Ok(mut out) = M_PREPEND(&mut st.mbpool, inner, IP_HDRLEN) else {
        st.mrt.mrtstat.mrts_cant_tunnel += 1;
        return false;
    };
    st.ip_id = st.ip_id.wrapping_add(1);
    let id = st.ip_id;
    let Some(h) = out.mtod_mut() else {
        m_freem(&mut st.mbpool, out);
        return false;
    };
    h[..IP_HDRLEN].fill(0);
    h[0] = 0x45;
    put16(h, IP_LEN_OFF, (len + IP_HDRLEN) as u16);
    put16(h, IP_ID_OFF, id);
    h[IP_TTL_OFF] = IPDEFTTL;
    h[9] = IPPROTO_IPIP;
    put_addr(h, IP_SRC_OFF, vif.v_lcl_addr);
    put_addr(h, IP_DST_OFF, vif.v_rmt_addr);
    let r = ip_output(st, out, None, IP_FORWARDING, None);
    if r.is_err() {
        st.mrt.mrtstat.mrts_cant_tunnel += 1;
    }
    r.is_ok()
}

/// IP-in-IP input (`ipip_input`, FreeBSD's `X_ipip_input`): a datagram
/// from the far end of one of our tunnels is taken out of its envelope
/// and forwarded as having come in by that vif; any other goes to the
/// raw sockets of protocol 4 (counted as a bad tunnel when we route
/// multicast).
pub fn ipip_input(st: &mut Stack, m: Mbuf, iphlen: usize) {
    let h = m.mtod();
    let (src, dst) = (get_addr(h, IP_SRC_OFF), get_addr(h, IP_DST_OFF));
    let vifi = (0..st.mrt.numvifs).find(|&i| {
        st.mrt.viftable[i].is_some_and(|v| {
            v.v_flags & VIFF_TUNNEL != 0 && v.v_rmt_addr == src && v.v_lcl_addr == dst
        })
    });
    let Some(vifi) = vifi.filter(|_| st.ip_mrouter.is_some()) else {
        if st.ip_mrouter.is_some() {
            st.mrt.mrtstat.mrts_bad_tunnel += 1;
        }
        return rip_input(st, m, iphlen);
    };
    let mut m = m;
    m_adj(&mut m, iphlen as isize);
    let inner = match m_pullup(&mut st.mbpool, m, IP_HDRLEN) {
        Ok(x) => x,
        Err(_) => return st.mrt.mrtstat.mrts_bad_tunnel += 1,
    };
    let ih = inner.mtod();
    let ok = ih[0] >> 4 == 4
        && crate::bsd::netinet::in_::in_multicast(get_addr(ih, IP_DST_OFF))
        && usize::from(get16(ih, IP_LEN_OFF)) == inner.m_pkthdr().map_or(0, |ph| ph.len);
    if !ok {
        st.mrt.mrtstat.mrts_bad_tunnel += 1;
        return m_freem(&mut st.mbpool, inner);
    }
    mforward(st, &inner, Arrival::Vif(vifi));
    m_freem(&mut st.mbpool, inner);
}

/// The slow timeout (from `ip_slowtimo`): unresolved entries the daemon
/// did not answer within 6 s are dropped with their datagrams
/// (`expire_upcalls`).
pub fn mrt_slowtimo(st: &mut Stack) {
    let now = st.ticks;
    while let Some(k) = st.mrt.unres.iter().position(|u| u.expire <= now) {
        if let Some(u) = st.mrt.unres.remove(k) {
            st.mrt.mrtstat.mrts_cache_cleanups += 1;
            st.mrt.mrtstat.mrts_no_route += u.pkts.len() as u64;
            free_unres(st, u);
        }
    }
}
