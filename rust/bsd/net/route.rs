//! Routing requests (`net/route.h`, `net/route.c`; book chapter 19).
//!
//! Routes live in `Stack::rtentries` and are found through the radix tree
//! of chapter 18 (`Stack::rt_tables`), keyed by the destination in
//! network byte order. A route is named by its index (`RtId`) in place of
//! the book's `struct rtentry *`; `rtalloc1` hands out a reference that
//! `rtfree` gives back, and a route deleted while referenced stays in
//! `rtentries`, down, until its last reference goes.

use crate::bsd::kern::uipc_mbuf::{m_freem, Mbuf};
use crate::bsd::net::if_::{IfKind, IFF_LOOPBACK};
use crate::bsd::net::radix::RadixNodeHead;
use crate::bsd::net::rtsock::{rt_missmsg, RtInfo, RTM_ADD, RTM_DELETE, RTM_MISS, RTM_REDIRECT};
use crate::bsd::netinet::if_ether::arp_rtrequest;
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::slab::Slab;
use crate::platform::Vec;

// rt_flags.
pub const RTF_UP: u16 = 0x1;
pub const RTF_GATEWAY: u16 = 0x2;
pub const RTF_HOST: u16 = 0x4;
pub const RTF_REJECT: u16 = 0x8;
pub const RTF_DYNAMIC: u16 = 0x10;
pub const RTF_MODIFIED: u16 = 0x20;
pub const RTF_DONE: u16 = 0x40;
pub const RTF_MASK: u16 = 0x80;
pub const RTF_CLONING: u16 = 0x100;
pub const RTF_XRESOLVE: u16 = 0x200;
pub const RTF_LLINFO: u16 = 0x400;
pub const RTF_STATIC: u16 = 0x800;
pub const RTF_BLACKHOLE: u16 = 0x1000;
pub const RTF_PROTO2: u16 = 0x4000;
pub const RTF_PROTO1: u16 = 0x8000;
/// ARP answers for this host address (a published entry): the book's
/// arp(8) uses RTF_PROTO2 for this, as `RTF_ANNOUNCE`.
pub const RTF_ANNOUNCE: u16 = RTF_PROTO2;

// rmx_locks and rtm_inits: which metrics are locked or set.
pub const RTV_MTU: u32 = 0x1;
pub const RTV_HOPCOUNT: u32 = 0x2;
pub const RTV_EXPIRE: u32 = 0x4;
pub const RTV_RPIPE: u32 = 0x8;
pub const RTV_SPIPE: u32 = 0x10;
pub const RTV_SSTHRESH: u32 = 0x20;
pub const RTV_RTT: u32 = 0x40;
pub const RTV_RTTVAR: u32 = 0x80;

/// A route's index in `Stack::rtentries`.
pub type RtId = usize;

/// The keys of the routing table: IPv4 addresses, 4 bytes.
pub const RT_KEYLEN: usize = 4;

/// A link-level address (`struct sockaddr_dl`, without the name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SockaddrDl {
    /// The interface's `if_index`, 0 for none.
    pub sdl_index: u16,
    /// The interface type (`IFT_ETHER` ...).
    pub sdl_type: u8,
    /// Bytes of `sdl_addr` in use: 0 while ARP has no answer.
    pub sdl_alen: u8,
    pub sdl_addr: [u8; 6],
}

impl SockaddrDl {
    /// The address in use.
    pub fn lladdr(&self) -> &[u8] {
        &self.sdl_addr[..usize::from(self.sdl_alen).min(6)]
    }
}

/// Interface types (`net/if_types.h`).
pub const IFT_OTHER: u8 = 0x1;
pub const IFT_ETHER: u8 = 0x6;
pub const IFT_LOOP: u8 = 0x18;
pub const IFT_SLIP: u8 = 0x1c;

/// The addresses a route holds: internet, or link level for a route to
/// an interface and for ARP entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sockaddr {
    In(InAddr),
    Dl(SockaddrDl),
}

/// A route's metrics (`struct rt_metrics`); times in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtMetrics {
    pub rmx_locks: u32,
    pub rmx_mtu: u32,
    pub rmx_hopcount: u32,
    /// When the route goes (the stack's seconds), 0 for never.
    pub rmx_expire: u64,
    pub rmx_recvpipe: u32,
    pub rmx_sendpipe: u32,
    pub rmx_ssthresh: u32,
    pub rmx_rtt: u32,
    pub rmx_rttvar: u32,
    pub rmx_pksent: u64,
}

/// ARP's part of a route (`struct llinfo_arp`).
#[derive(Default)]
pub struct Llinfo {
    /// The last datagram waiting for the answer (`la_hold`).
    pub la_hold: Option<Mbuf>,
    /// Requests sent since the last answer (`la_asked`).
    pub la_asked: u32,
}

/// One route (`struct rtentry`).
pub struct Rtentry {
    /// The destination (`rt_key`), masked.
    pub rt_dst: InAddr,
    /// The mask (`rt_mask`); all ones for a host route.
    pub rt_mask: InAddr,
    pub rt_gateway: Sockaddr,
    pub rt_flags: u16,
    pub rt_refcnt: u32,
    pub rt_use: u64,
    /// The interface the route sends on.
    pub rt_ifp: usize,
    /// The interface address used as the source (`rt_ifa`).
    pub rt_ifa: InAddr,
    /// The mask of routes cloned from this one; None: host routes.
    pub rt_genmask: Option<InAddr>,
    pub rt_llinfo: Option<Llinfo>,
    pub rt_rmx: RtMetrics,
    /// The route this one was cloned from (FreeBSD's `rt_parent`).
    pub rt_parent: Option<RtId>,
}

impl Rtentry {
    /// A route to `dst`/`mask` through `gateway`, on no interface yet.
    pub fn new(dst: InAddr, mask: InAddr, gateway: Sockaddr) -> Rtentry {
        Rtentry {
            rt_dst: InAddr(dst.0 & mask.0),
            rt_mask: mask,
            rt_gateway: gateway,
            rt_flags: 0,
            rt_refcnt: 0,
            rt_use: 0,
            rt_ifp: 0,
            rt_ifa: InAddr(0),
            rt_genmask: None,
            rt_llinfo: None,
            rt_rmx: RtMetrics::default(),
            rt_parent: None,
        }
    }

    /// The gateway as an internet address (0 for a link address).
    pub fn gateway_in(&self) -> InAddr {
        match self.rt_gateway {
            Sockaddr::In(a) => a,
            Sockaddr::Dl(_) => InAddr(0),
        }
    }

    /// Whether this is a host route.
    pub fn is_host(&self) -> bool {
        self.rt_mask.0 == !0
    }
}

/// Routing statistics (`struct rtstat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rtstat {
    pub rts_badredirect: u64,
    pub rts_dynamic: u64,
    pub rts_newgateway: u64,
    pub rts_unreach: u64,
    pub rts_wildcard: u64,
}

/// A request to `rtrequest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Req {
    Add,
    Delete,
    /// Clone a host route from this cloning route (`RTM_RESOLVE`).
    Resolve(RtId),
}

/// The routing table's state in a stack.
#[derive(Default)]
pub struct RouteTable {
    /// The internet tree (the book's `rt_tables[AF_INET]`), made by the
    /// first route added: until then, as in the book, lookups miss.
    pub rt_tables: Option<RadixNodeHead<RtId>>,
    pub rtentries: Slab<Rtentry>,
    pub rtstat: Rtstat,
}

impl RouteTable {
    /// The route at leaf `rn` of the tree.
    fn leaf(&self, rn: Option<usize>) -> Option<RtId> {
        self.rt_tables.as_ref().and_then(|t| t.get(rn?)).copied()
    }

    /// The longest match for `dst` (`rnh_matchaddr`).
    pub fn rn_match(&self, dst: InAddr) -> Option<RtId> {
        self.leaf(self.rt_tables.as_ref().and_then(|t| t.rn_match(&key(dst))))
    }

    /// The route with exactly `dst` and `mask` (`rnh_lookup`).
    pub fn rn_lookup(&self, dst: InAddr, mask: InAddr) -> Option<RtId> {
        let m = rn_mask(mask);
        let t = self.rt_tables.as_ref()?;
        self.leaf(t.rn_lookup(&key(InAddr(dst.0 & mask.0)), m.as_ref().map(|m| &m[..])))
    }

    /// Every route in the tree's order, until `f` says stop.
    pub fn walk(&self, mut f: impl FnMut(RtId) -> bool) {
        if let Some(t) = self.rt_tables.as_ref() {
            t.rn_walktree(|_, &rt| f(rt));
        }
    }
}

fn key(a: InAddr) -> [u8; 4] {
    a.0.to_be_bytes()
}

/// The radix tree's mask for `mask`: None for a host route.
fn rn_mask(mask: InAddr) -> Option<[u8; 4]> {
    (mask.0 != !0).then(|| key(mask))
}

impl Stack {
    /// Route `rt`. A missing route is a bug in the stack itself: it is
    /// counted (`Stack::bug`) and a blank spare stands in.
    pub fn rt(&mut self, rt: RtId) -> &mut Rtentry {
        if self.rtable.rtentries.get(rt).is_none() {
            self.bug("no such route");
            let blank = Rtentry::new(InAddr(0), InAddr(0), Sockaddr::In(InAddr(0)));
            let old = core::mem::replace(&mut self.spares.rt, blank);
            if let Some(m) = old.rt_llinfo.and_then(|l| l.la_hold) {
                m_freem(&mut self.mbpool, m);
            }
        }
        let Stack { rtable, spares, .. } = self;
        rtable.rtentries.get_mut(rt).unwrap_or(&mut spares.rt)
    }

    /// The stack's clock in seconds (the book's `time.tv_sec` for route
    /// expiry and ARP). It starts at 1: an expiry time of 0 means never.
    pub fn time_second(&self) -> u64 {
        1 + self.ticks / 10
    }
}

/// The route to `dst` with the longest matching prefix, with a reference
/// the caller gives back with `rtfree` (`rtalloc1`). With `report`, a
/// cloning route is cloned into a host route for `dst` (how ARP entries
/// are born), and a miss is reported to routing sockets (RTM_MISS).
pub fn rtalloc1(st: &mut Stack, dst: InAddr, report: bool) -> Option<RtId> {
    let found = st.rtable.rn_match(dst);
    let mut msgtype = RTM_MISS;
    let mut err = Errno(0);
    match found {
        Some(rt) => {
            if report && st.rt(rt).rt_flags & RTF_CLONING != 0 {
                match rtrequest(st, Req::Resolve(rt), dst, None, None, 0, true) {
                    Ok(Some(new)) => {
                        if st.rt(new).rt_flags & RTF_XRESOLVE == 0 {
                            return Some(new);
                        }
                        msgtype = crate::bsd::net::rtsock::RTM_RESOLVE;
                        rt_missmsg(st, msgtype, &RtInfo::dst(dst), 0, err);
                        return Some(new);
                    }
                    Ok(None) => return None,
                    Err(e) => err = e,
                }
            }
            st.rt(rt).rt_refcnt += 1;
            if err != Errno(0) {
                rt_missmsg(st, msgtype, &RtInfo::dst(dst), 0, err);
            }
            Some(rt)
        }
        None => {
            st.rtable.rtstat.rts_unreach += 1;
            if report {
                rt_missmsg(st, msgtype, &RtInfo::dst(dst), 0, err);
            }
            None
        }
    }
}

/// `rtalloc1(dst, 1)`, the lookup of output paths.
pub fn rtalloc(st: &mut Stack, dst: InAddr) -> Option<RtId> {
    rtalloc1(st, dst, true)
}

/// Gives back a reference (`rtfree`): a route out of the table (not
/// RTF_UP) goes with its last reference.
pub fn rtfree(st: &mut Stack, rt: RtId) {
    let Some(r) = st.rtable.rtentries.get_mut(rt) else { return };
    r.rt_refcnt = r.rt_refcnt.saturating_sub(1);
    if r.rt_refcnt == 0 && r.rt_flags & RTF_UP == 0 {
        if let Some(r) = st.rtable.rtentries.remove(rt) {
            if let Some(m) = r.rt_llinfo.and_then(|la| la.la_hold) {
                m_freem(&mut st.mbpool, m);
            }
        }
    }
}

/// The interface address a new route to `dst` via `gateway` sends from
/// (`ifa_ifwithroute`): as (interface, address).
pub fn ifa_ifwithroute(
    st: &mut Stack,
    flags: u16,
    dst: InAddr,
    gateway: Sockaddr,
) -> Option<(usize, InAddr)> {
    let gw = match gateway {
        Sockaddr::In(a) => a,
        // A route to an interface named by its link address (arp -s,
        // route add -interface): the interface's address for `dst`.
        Sockaddr::Dl(sdl) => {
            let (i, _) = st.ifnet.iter().find(|(_, ifp)| ifp.if_index == sdl.sdl_index)?;
            return st.ifaof_ifpforaddr(dst, i).map(|ia| (i, ia.ia_addr));
        }
    };
    let mut ia = None;
    if flags & RTF_GATEWAY == 0 {
        if flags & RTF_HOST != 0 {
            ia = st.ifa_ifwithdstaddr(dst);
        }
        ia = ia.or_else(|| st.ifa_ifwithaddr(gw));
    } else {
        ia = st.ifa_ifwithdstaddr(gw);
    }
    if let Some(ia) = ia.or_else(|| st.ifa_ifwithnet(gw)) {
        return Some((ia.ia_ifp, ia.ia_addr));
    }
    // A gateway reached through another route.
    let rt = rtalloc1(st, gw, false)?;
    let r = st.rt(rt);
    let out = (r.rt_ifp, r.rt_ifa);
    rtfree(st, rt);
    Some(out)
}

/// Adds, deletes or clones a route (`rtrequest`). `netmask` None makes a
/// host route. With `ret`, the route comes back with a reference (for a
/// delete: the route just removed, to be reported and then freed).
pub fn rtrequest(
    st: &mut Stack,
    req: Req,
    dst: InAddr,
    gateway: Option<Sockaddr>,
    netmask: Option<InAddr>,
    mut flags: u16,
    ret: bool,
) -> Result<Option<RtId>> {
    let mut netmask = if flags & RTF_HOST != 0 { None } else { netmask.filter(|m| m.0 != !0) };
    let (mut gateway, mut parent) = (gateway, None);
    match req {
        Req::Delete => {
            let mask = netmask.unwrap_or(InAddr(!0));
            let rn = rn_mask(mask);
            let id = st
                .rtable
                .rt_tables
                .as_mut()
                .and_then(|t| {
                    t.rn_delete(&key(InAddr(dst.0 & mask.0)), rn.as_ref().map(|m| &m[..]))
                })
                .ok_or(ESRCH)?;
            st.rt(id).rt_flags &= !RTF_UP;
            arp_rtrequest(st, Req::Delete, id);
            if ret {
                st.rt(id).rt_refcnt += 1;
                return Ok(Some(id));
            }
            // No reference from the table any more: free it unless held.
            st.rt(id).rt_refcnt += 1;
            rtfree(st, id);
            return Ok(None);
        }
        Req::Resolve(from) => {
            let p = st.rtable.rtentries.get(from).ok_or(EINVAL)?;
            flags = p.rt_flags & !RTF_CLONING;
            gateway = Some(p.rt_gateway);
            netmask = p.rt_genmask;
            if netmask.is_none() {
                flags |= RTF_HOST;
            }
            parent = Some(from);
        }
        Req::Add => {}
    }
    let gateway = gateway.ok_or(EINVAL)?;
    let (ifp, ifa) = match parent {
        Some(p) => (st.rt(p).rt_ifp, st.rt(p).rt_ifa),
        None => ifa_ifwithroute(st, flags, dst, gateway).ok_or(ENETUNREACH)?,
    };
    let mask = netmask.unwrap_or(InAddr(!0));
    let mut rt = Rtentry::new(dst, mask, gateway);
    rt.rt_flags = RTF_UP | flags;
    (rt.rt_ifp, rt.rt_ifa) = (ifp, ifa);
    rt.rt_rmx = parent.map_or(RtMetrics::default(), |p| st.rt(p).rt_rmx);
    rt.rt_parent = parent;
    if st.rtable.rt_tables.is_none() {
        st.rtable.rt_tables = Some(RadixNodeHead::rn_inithead(RT_KEYLEN)?);
    }
    let id = st.rtable.rtentries.insert(rt)?;
    let rn = rn_mask(mask);
    let added = match st.rtable.rt_tables.as_mut() {
        Some(t) => t.rn_addroute(&key(InAddr(dst.0 & mask.0)), rn.as_ref().map(|m| &m[..]), id),
        None => Err((ENOBUFS, id)),
    };
    if let Err((e, _)) = added {
        st.rtable.rtentries.remove(id);
        return Err(e);
    }
    if let Some(p) = parent {
        st.rt(id).rt_genmask = st.rt(p).rt_genmask;
    }
    // The interface's protocol completes the route (`ifa_rtrequest`):
    // ARP on Ethernet.
    if st.ifnet.get(ifp).is_some_and(|i| i.if_kind == IfKind::Ether) {
        arp_rtrequest(st, req, id);
    }
    if ret {
        st.rt(id).rt_refcnt += 1;
        return Ok(Some(id));
    }
    Ok(None)
}

/// Adds the route an interface address implies (`rtinit(RTM_ADD)`), or
/// deletes it: `dst` is the address itself on loopback, the other end on
/// a point-to-point link, else the subnet (with `mask`). The gateway is
/// the interface's address; on Ethernet the route clones ARP entries.
pub fn rtinit(st: &mut Stack, add: bool, dst: InAddr, mask: Option<InAddr>, ifa: InAddr) -> Result {
    let mut flags = if mask.is_none() { RTF_HOST } else { 0 };
    if add {
        // ARP's interfaces mark their addresses RTF_CLONING (`arp_ifinit`).
        let ether = st
            .ifa_ifwithaddr(ifa)
            .and_then(|ia| st.ifnet.get(ia.ia_ifp))
            .is_some_and(|i| i.if_kind == IfKind::Ether);
        if ether && mask.is_some() {
            flags |= RTF_CLONING;
        }
        let rt = rtrequest(st, Req::Add, dst, Some(Sockaddr::In(ifa)), mask, flags, true)?;
        if let Some(rt) = rt {
            crate::bsd::net::rtsock::rt_newaddrmsg(st, RTM_ADD, ifa, Some(rt));
            rtfree(st, rt);
        }
    } else {
        // Only the route that the address made.
        let hit = st.rtable.rn_lookup(dst, mask.unwrap_or(InAddr(!0)));
        let mine = hit.is_some_and(|rt| st.rt(rt).rt_ifa == ifa);
        if !mine {
            return Err(ESRCH);
        }
        if let Some(rt) = rtrequest(st, Req::Delete, dst, None, mask, flags, true)? {
            crate::bsd::net::rtsock::rt_newaddrmsg(st, RTM_DELETE, ifa, Some(rt));
            rtfree(st, rt);
        }
    }
    Ok(())
}

/// A redirect from router `src`: `dst` (a host with RTF_HOST in `flags`,
/// else a net with `netmask`) is better reached through `gateway`
/// (`rtredirect`). Creates a dynamic host route or changes the gateway
/// of the current route; every redirect is reported (RTM_REDIRECT).
pub fn rtredirect(
    st: &mut Stack,
    dst: InAddr,
    gateway: InAddr,
    netmask: Option<InAddr>,
    mut flags: u16,
    src: InAddr,
) -> Result {
    let r = rtredirect1(st, dst, gateway, netmask, &mut flags, src);
    match r {
        Err(_) => st.rtable.rtstat.rts_badredirect += 1,
        Ok(Some(stat)) => stat(&mut st.rtable.rtstat),
        Ok(None) => {}
    }
    let info = RtInfo {
        dst: Some(Sockaddr::In(dst)),
        gateway: Some(Sockaddr::In(gateway)),
        netmask: netmask.map(Sockaddr::In),
        author: Some(Sockaddr::In(src)),
        ..RtInfo::default()
    };
    rt_missmsg(st, RTM_REDIRECT, &info, flags, r.err().unwrap_or(Errno(0)));
    r.map(|_| ())
}

type Stat = fn(&mut Rtstat);

fn rtredirect1(
    st: &mut Stack,
    dst: InAddr,
    gateway: InAddr,
    netmask: Option<InAddr>,
    flags: &mut u16,
    src: InAddr,
) -> Result<Option<Stat>> {
    // The new gateway must be on a network we are attached to.
    let ia = st.ifa_ifwithnet(gateway).ok_or(ENETUNREACH)?;
    let rt = rtalloc1(st, dst, false);
    let r = rtredirect2(st, rt, dst, gateway, netmask, flags, src, ia.ia_addr);
    if let Some(rt) = rt {
        rtfree(st, rt);
    }
    r
}

#[allow(clippy::too_many_arguments)]
fn rtredirect2(
    st: &mut Stack,
    rt: Option<RtId>,
    dst: InAddr,
    gateway: InAddr,
    netmask: Option<InAddr>,
    flags: &mut u16,
    src: InAddr,
    ifa: InAddr,
) -> Result<Option<Stat>> {
    // It must come from our current router for `dst`, and must not send
    // us to ourselves (a routing loop).
    if let Some(rt) = rt {
        let r = st.rt(rt);
        if *flags & RTF_DONE == 0 && (r.rt_gateway != Sockaddr::In(src) || r.rt_ifa != ifa) {
            return Err(EINVAL);
        }
    }
    if st.ifa_ifwithaddr(gateway).is_some() {
        return Err(EHOSTUNREACH);
    }
    let create = match rt {
        // No route, or only the default route: learn a new one.
        None => true,
        Some(rt) if st.rt(rt).rt_mask.0 == 0 => true,
        Some(rt) => {
            let r = st.rt(rt);
            if r.rt_flags & RTF_GATEWAY == 0 {
                // Not for a route to an interface.
                return Err(EHOSTUNREACH);
            }
            r.rt_flags & RTF_HOST == 0 && *flags & RTF_HOST != 0
        }
    };
    if create {
        *flags |= RTF_GATEWAY | RTF_DYNAMIC;
        rtrequest(st, Req::Add, dst, Some(Sockaddr::In(gateway)), netmask, *flags, false)?;
        return Ok(Some(|s| s.rts_dynamic += 1));
    }
    // Smash the current notion of the gateway to this destination.
    let rt = rt.ok_or(EINVAL)?;
    let r = st.rt(rt);
    r.rt_flags |= RTF_MODIFIED;
    r.rt_gateway = Sockaddr::In(gateway);
    *flags |= RTF_MODIFIED;
    Ok(Some(|s| s.rts_newgateway += 1))
}

/// Every route, in the table's order (`rn_walktree`), as ids.
pub fn rt_ids(st: &Stack) -> Result<Vec<RtId>> {
    let mut out = Vec::new();
    let mut err = Ok(());
    st.rtable.walk(|rt| {
        if out.push(rt).is_err() {
            err = Err(ENOBUFS);
            return false;
        }
        true
    });
    err.map(|_| out)
}

/// Deletes every route through interface `ifp`, which is going away,
/// and every ARP entry naming it (our own addresses' entries send
/// through loopback but name the interface in their link address).
pub fn rt_ifdetach(st: &mut Stack, ifp: usize) {
    let Some(index) = st.ifnet.get(ifp).map(|i| i.if_index) else { return };
    // Walk again after each delete: the walk cannot run while deleting,
    // and a list of ids needs memory that may not be there.
    loop {
        let mut victim = None;
        let rtable = &st.rtable;
        rtable.walk(|rt| {
            let gone = rtable.rtentries.get(rt).is_some_and(|r| {
                r.rt_ifp == ifp
                    || r.rt_flags & RTF_LLINFO != 0
                        && matches!(r.rt_gateway, Sockaddr::Dl(d) if d.sdl_index == index)
            });
            if gone {
                victim = Some(rt);
            }
            !gone
        });
        let Some(rt) = victim else { break };
        let (dst, mask, flags) = {
            let r = st.rt(rt);
            (r.rt_dst, r.rt_mask, r.rt_flags)
        };
        // The route was just walked, so deleting it cannot fail; if it
        // did, stop rather than find it again forever.
        let Ok(Some(rt)) = rtrequest(st, Req::Delete, dst, None, Some(mask), 0, true) else {
            break;
        };
        let info = RtInfo { dst: Some(Sockaddr::In(dst)), ..RtInfo::default() };
        let info =
            if mask.0 != !0 { RtInfo { netmask: Some(Sockaddr::In(mask)), ..info } } else { info };
        rt_missmsg(st, RTM_DELETE, &info, flags, Errno(0));
        rtfree(st, rt);
    }
}

/// The loopback interface, which carries datagrams to our own addresses
/// on other interfaces (the book's `loif` and `useloopback`).
pub fn loif(st: &Stack) -> Option<usize> {
    st.ifnet.iter().find(|(_, i)| i.if_flags & IFF_LOOPBACK != 0).map(|(i, _)| i)
}
