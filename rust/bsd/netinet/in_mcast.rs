//! IP multicast on hosts (book chapter 12): group memberships of
//! interfaces (`struct in_multi`, `in_addmulti` and `in_delmulti` of
//! `netinet/in.c`), the multicast options of a socket (`struct
//! ip_moptions`, `ip_setmoptions`, `ip_getmoptions`, `ip_freemoptions`
//! of `netinet/ip_output.c`) and the looped-back copy of a datagram sent
//! to a group we belong to (`ip_mloopback`). FreeBSD keeps the same
//! pieces together in `netinet/in_mcast.c`.
//!
//! A membership is an index into the stack's `in_multi` slab, counted by
//! every socket membership (`imo_membership`), by every address of the
//! interface (the all-hosts group, joined by `in_ifinit`) and by every
//! multicast routing vif (all groups, through SIOCADDMULTI).

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::kern::uipc_socket::sooptcopyout;
use crate::bsd::net::if_::{if_addmulti, if_delmulti, IFF_MULTICAST};
use crate::bsd::net::route::{rtalloc, rtfree};
use crate::bsd::netinet::igmp::{igmp_joingroup, igmp_leavegroup};
use crate::bsd::netinet::in_::{in_multicast, InAddr, INADDR_ANY};
use crate::bsd::netinet::ip_output::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// The all-hosts group, 224.0.0.1 (`INADDR_ALLHOSTS_GROUP`): every
/// multicast interface is in it, and no report is ever sent for it.
pub const INADDR_ALLHOSTS_GROUP: InAddr = InAddr(0xe000_0001);
/// The all-routers group, 224.0.0.2, where IGMPv2 leave messages go
/// (RFC 2236).
pub const INADDR_ALLRTRS_GROUP: InAddr = InAddr(0xe000_0002);
/// The highest group that is never forwarded (224.0.0.255,
/// `INADDR_MAX_LOCAL_GROUP`).
pub const INADDR_MAX_LOCAL_GROUP: InAddr = InAddr(0xe000_00ff);
/// TTL of multicast datagrams without IP_MULTICAST_TTL
/// (`IP_DEFAULT_MULTICAST_TTL`): the local network only.
pub const IP_DEFAULT_MULTICAST_TTL: u8 = 1;
/// Whether multicast datagrams loop back without IP_MULTICAST_LOOP
/// (`IP_DEFAULT_MULTICAST_LOOP`).
pub const IP_DEFAULT_MULTICAST_LOOP: bool = true;
/// Most groups one socket may join (`IP_MAX_MEMBERSHIPS`).
pub const IP_MAX_MEMBERSHIPS: usize = 20;

/// One group joined on one interface (`struct in_multi`).
#[derive(Clone, Copy, Debug)]
pub struct InMulti {
    /// The group.
    pub inm_addr: InAddr,
    /// The interface (an index into `ifnet`).
    pub inm_ifp: usize,
    /// Memberships that hold it: sockets, addresses, vifs.
    pub inm_refcount: u32,
    /// Fast ticks (200 ms) until a report is sent, 0 for none pending
    /// (`inm_timer`; IGMP's).
    pub inm_timer: u32,
    /// Whether we sent the last report for the group on this interface
    /// (RFC 2236's "flag": only then does leaving send a leave message).
    pub inm_lastreporter: bool,
}

/// The multicast options of a socket (`struct ip_moptions`): absent from
/// a PCB while they all have their defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpMoptions {
    /// The interface to send on, or routing's choice (`imo_multicast_ifp`).
    pub imo_multicast_ifp: Option<usize>,
    /// TTL of outgoing multicast datagrams (`imo_multicast_ttl`).
    pub imo_multicast_ttl: u8,
    /// Whether they loop back when we are in the group
    /// (`imo_multicast_loop`).
    pub imo_multicast_loop: bool,
    /// Groups joined (`imo_num_memberships`).
    pub imo_num_memberships: usize,
    /// The `in_multi` of each (`imo_membership[]`).
    pub imo_membership: [usize; IP_MAX_MEMBERSHIPS],
}

impl Default for IpMoptions {
    fn default() -> Self {
        IpMoptions {
            imo_multicast_ifp: None,
            imo_multicast_ttl: IP_DEFAULT_MULTICAST_TTL,
            imo_multicast_loop: IP_DEFAULT_MULTICAST_LOOP,
            imo_num_memberships: 0,
            imo_membership: [0; IP_MAX_MEMBERSHIPS],
        }
    }
}

impl IpMoptions {
    /// Whether every option has its default (then the PCB keeps none).
    pub fn is_default(&self) -> bool {
        self.imo_multicast_ifp.is_none()
            && self.imo_multicast_ttl == IP_DEFAULT_MULTICAST_TTL
            && self.imo_multicast_loop == IP_DEFAULT_MULTICAST_LOOP
            && self.imo_num_memberships == 0
    }

    /// The memberships held.
    pub fn memberships(&self) -> &[usize] {
        &self.imo_membership[..self.imo_num_memberships.min(IP_MAX_MEMBERSHIPS)]
    }
}

/// The membership of interface `ifp` in `group` (`IN_LOOKUP_MULTI`).
pub fn in_lookup_multi(st: &Stack, group: InAddr, ifp: usize) -> Option<usize> {
    st.in_multi.iter().find(|(_, m)| m.inm_addr == group && m.inm_ifp == ifp).map(|(i, _)| i)
}

/// Joins `group` on `ifp` (`in_addmulti`): one more reference to the
/// membership, or a new one, which the interface is told of
/// (SIOCADDMULTI: the Ethernet filter) and IGMP reports.
pub fn in_addmulti(st: &mut Stack, group: InAddr, ifp: usize) -> Result<usize> {
    if let Some(i) = in_lookup_multi(st, group, ifp) {
        if let Some(m) = st.in_multi.get_mut(i) {
            m.inm_refcount = m.inm_refcount.saturating_add(1);
        }
        return Ok(i);
    }
    let inm = InMulti {
        inm_addr: group,
        inm_ifp: ifp,
        inm_refcount: 1,
        inm_timer: 0,
        inm_lastreporter: false,
    };
    let i = st.in_multi.insert(inm).map_err(|_| ENOBUFS)?;
    if let Err(e) = if_addmulti(st, ifp, group) {
        st.in_multi.remove(i);
        return Err(e);
    }
    igmp_joingroup(st, i);
    Ok(i)
}

/// Drops one reference to membership `inm` (`in_delmulti`); the last one
/// leaves the group: IGMP is told, then the interface (SIOCDELMULTI).
pub fn in_delmulti(st: &mut Stack, inm: usize) {
    let Some(m) = st.in_multi.get_mut(inm) else {
        return st.bug("in_delmulti: no such membership");
    };
    m.inm_refcount = m.inm_refcount.saturating_sub(1);
    if m.inm_refcount > 0 {
        return;
    }
    let (group, ifp) = (m.inm_addr, m.inm_ifp);
    igmp_leavegroup(st, inm);
    st.in_multi.remove(inm);
    // ENXIO when the interface never had it (lo0 keeps no list).
    let _ = if_delmulti(st, ifp, group);
}

/// An interface goes: every socket forgets it (its memberships there, and
/// IP_MULTICAST_IF), as FreeBSD's `in_pcbpurgeif0` does. The book never
/// removes an interface.
pub fn in_pcbpurgeif(st: &mut Stack, ifp: usize) {
    let mut pcbs = crate::platform::Vec::new();
    let mut short = false;
    for (i, p) in st.inpcbs.iter() {
        if p.inp_moptions.is_some() && pcbs.push(i).is_err() {
            short = true;
            break;
        }
    }
    if short {
        st.bug("in_pcbpurgeif: no memory");
    }
    for &inp in pcbs.iter() {
        let Some(mut imo) = st.pcb(inp).inp_moptions else { continue };
        if imo.imo_multicast_ifp == Some(ifp) {
            imo.imo_multicast_ifp = None;
        }
        let mut kept = 0;
        for k in 0..imo.imo_num_memberships.min(IP_MAX_MEMBERSHIPS) {
            let m = imo.imo_membership[k];
            if st.in_multi.get(m).is_some_and(|x| x.inm_ifp == ifp) {
                in_delmulti(st, m);
            } else {
                imo.imo_membership[kept] = m;
                kept += 1;
            }
        }
        imo.imo_num_memberships = kept;
        st.pcb(inp).inp_moptions = (!imo.is_default()).then_some(imo);
    }
}

/// Frees the multicast options of a PCB being detached, leaving its
/// groups (`ip_freemoptions`).
pub fn ip_freemoptions(st: &mut Stack, imo: Option<IpMoptions>) {
    if let Some(imo) = imo {
        for &m in imo.memberships() {
            in_delmulti(st, m);
        }
    }
}

/// The interface whose address is `a` (`INADDR_TO_IFP`).
fn inaddr_to_ifp(st: &Stack, a: InAddr) -> Option<usize> {
    st.in_ifaddr.iter().find(|ia| ia.ia_addr == a).map(|ia| ia.ia_ifp)
}

/// The interface of a membership request: the one of address `iface`,
/// or, for the wildcard, the one routing picks for the group; with
/// Linux's `struct ip_mreqn`, interface index `index` first (bsdinet's
/// `if_index`, as ifconfig and `/proc/bsdinet/if` show it).
fn mreq_ifp(st: &mut Stack, group: InAddr, iface: InAddr, index: u32) -> Option<usize> {
    if index != 0 {
        return st.ifnet.iter().find(|(_, i)| u32::from(i.if_index) == index).map(|(i, _)| i);
    }
    if iface != INADDR_ANY {
        return inaddr_to_ifp(st, iface);
    }
    let rt = rtalloc(st, group)?;
    let ifp = st.rt(rt).rt_ifp;
    rtfree(st, rt);
    Some(ifp)
}

/// Reads a `struct ip_mreq` (8 bytes: group, interface address) or
/// Linux's `struct ip_mreqn` (12: group, address, interface index).
/// Shorter is EINVAL.
fn mreq(val: &[u8]) -> Result<(InAddr, InAddr, u32)> {
    let a = |o: usize| InAddr(u32::from_be_bytes([val[o], val[o + 1], val[o + 2], val[o + 3]]));
    match val.len() {
        0..=7 => Err(EINVAL),
        8..=11 => Ok((a(0), a(4), 0)),
        _ => Ok((a(0), a(4), u32::from_ne_bytes([val[8], val[9], val[10], val[11]]))),
    }
}

/// A byte-sized option's value: the book's `u_char`, or an int as Linux
/// also takes.
fn optbyte(val: &[u8]) -> Result<i32> {
    match val.len() {
        1 => Ok(i32::from(val[0])),
        n if n >= 4 => Ok(i32::from_ne_bytes([val[0], val[1], val[2], val[3]])),
        _ => Err(EINVAL),
    }
}

/// Sets a multicast option of PCB `inp` (`ip_setmoptions`; book section
/// 12.7). The errors are the book's: EINVAL for a bad value or a group
/// that is not class D, EADDRNOTAVAIL for an interface that is none of
/// ours or cannot multicast, or a group not joined, EADDRINUSE for a
/// group joined already, ETOOMANYREFS past IP_MAX_MEMBERSHIPS.
///
/// Differences: IP_MULTICAST_TTL and IP_MULTICAST_LOOP take an int as
/// well as the book's byte (-1 is the default TTL), and
/// IP_MULTICAST_IF and the memberships Linux's `struct ip_mreqn`, as
/// Linux programs pass them.
pub fn ip_setmoptions(st: &mut Stack, inp: usize, name: i32, val: &[u8]) -> Result {
    let mut imo = st.pcb(inp).inp_moptions.unwrap_or_default();
    match name {
        IP_MULTICAST_IF => {
            let (addr, index) = match val.len() {
                0..=3 => return Err(EINVAL),
                4..=11 => (InAddr(u32::from_be_bytes([val[0], val[1], val[2], val[3]])), 0),
                _ => {
                    let (_, a, i) = mreq(val)?;
                    (a, i)
                }
            };
            if addr == INADDR_ANY && index == 0 {
                imo.imo_multicast_ifp = None;
            } else {
                let ifp = mreq_ifp(st, INADDR_ANY, addr, index)
                    .filter(|&i| st.if_flags(i) & IFF_MULTICAST != 0)
                    .ok_or(EADDRNOTAVAIL)?;
                imo.imo_multicast_ifp = Some(ifp);
            }
        }
        IP_MULTICAST_TTL => {
            imo.imo_multicast_ttl = match optbyte(val)? {
                -1 => IP_DEFAULT_MULTICAST_TTL,
                v => u8::try_from(v).map_err(|_| EINVAL)?,
            };
        }
        IP_MULTICAST_LOOP => imo.imo_multicast_loop = optbyte(val)? != 0,
        IP_ADD_MEMBERSHIP => {
            let (group, iface, index) = mreq(val)?;
            if !in_multicast(group) {
                return Err(EINVAL);
            }
            let ifp = mreq_ifp(st, group, iface, index)
                .filter(|&i| st.if_flags(i) & IFF_MULTICAST != 0)
                .ok_or(EADDRNOTAVAIL)?;
            let joined = imo.memberships().iter().any(|&m| {
                st.in_multi.get(m).is_some_and(|x| x.inm_ifp == ifp && x.inm_addr == group)
            });
            if joined {
                return Err(EADDRINUSE);
            }
            if imo.imo_num_memberships >= IP_MAX_MEMBERSHIPS {
                return Err(ETOOMANYREFS);
            }
            let m = in_addmulti(st, group, ifp)?;
            imo.imo_membership[imo.imo_num_memberships] = m;
            imo.imo_num_memberships += 1;
        }
        IP_DROP_MEMBERSHIP => {
            let (group, iface, index) = mreq(val)?;
            if !in_multicast(group) {
                return Err(EINVAL);
            }
            let ifp = if iface == INADDR_ANY && index == 0 {
                None
            } else {
                Some(mreq_ifp(st, group, iface, index).ok_or(EADDRNOTAVAIL)?)
            };
            let n = imo.imo_num_memberships.min(IP_MAX_MEMBERSHIPS);
            let k = (0..n)
                .find(|&k| {
                    st.in_multi
                        .get(imo.imo_membership[k])
                        .is_some_and(|x| x.inm_addr == group && ifp.is_none_or(|i| i == x.inm_ifp))
                })
                .ok_or(EADDRNOTAVAIL)?;
            in_delmulti(st, imo.imo_membership[k]);
            imo.imo_membership.copy_within(k + 1..n, k);
            imo.imo_num_memberships = n - 1;
        }
        _ => return Err(ENOPROTOOPT),
    }
    st.pcb(inp).inp_moptions = (!imo.is_default()).then_some(imo);
    Ok(())
}

/// Gets a multicast option of PCB `inp` (`ip_getmoptions`): the
/// interface's first address (the wildcard when routing chooses), the
/// TTL and loop flag as an int, or as the book's byte when the caller
/// gives less room than an int (as Linux). The memberships cannot be
/// read (EOPNOTSUPP, as the book).
pub fn ip_getmoptions(st: &mut Stack, inp: usize, name: i32, out: &mut [u8]) -> Result<usize> {
    let imo = st.pcb(inp).inp_moptions.unwrap_or_default();
    let v = match name {
        IP_MULTICAST_IF => {
            let a = imo
                .imo_multicast_ifp
                .and_then(|i| st.in_ifaddr.iter().find(|ia| ia.ia_ifp == i))
                .map_or(INADDR_ANY, |ia| ia.ia_addr);
            return Ok(sooptcopyout(out, &a.0.to_be_bytes()));
        }
        IP_MULTICAST_TTL => i32::from(imo.imo_multicast_ttl),
        IP_MULTICAST_LOOP => i32::from(imo.imo_multicast_loop),
        IP_ADD_MEMBERSHIP | IP_DROP_MEMBERSHIP => return Err(EOPNOTSUPP),
        _ => return Err(ENOPROTOOPT),
    };
    if !out.is_empty() && out.len() < 4 {
        out[0] = v as u8;
        return Ok(1);
    }
    Ok(sooptcopyout(out, &v.to_ne_bytes()))
}

/// Loops a copy of multicast datagram `m`, about to go out on `ifp`, back
/// to our own input as though it had come in on `ifp` (`ip_mloopback`):
/// a member on this host hears its own group. The header's checksum is
/// set on the copy, which IP input checks.
pub fn ip_mloopback(st: &mut Stack, ifp: usize, m: &Mbuf, hlen: usize) {
    let Ok(mut c) = m_copy(&mut st.mbpool, m, 0, M_COPYALL) else {
        return;
    };
    // The copy shares clusters with the original: make its header its own.
    match m_writable(&mut st.mbpool, &mut c) {
        Ok(h) if h.len() >= hlen => ip_sum(h, hlen),
        _ => return m_freem(&mut st.mbpool, c),
    }
    if let Some(ph) = c.m_pkthdr_mut() {
        ph.rcvif = Some(ifp);
    }
    if let Err(c) = st.ipintrq.enqueue(c) {
        st.ifp(ifp).if_data.ifi_iqdrops += 1;
        m_freem(&mut st.mbpool, c);
    }
}
