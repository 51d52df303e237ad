//! ARP, the Address Resolution Protocol (`netinet/if_ether.c`; book
//! chapter 21).
//!
//! As in the book, ARP entries are host routes with RTF_LLINFO, cloned
//! from the interface's route to its subnet (RTF_CLONING): the gateway
//! is the station's link address, and `rt_llinfo` holds the one datagram
//! waiting for the answer. Entries live `ARPT_KEEP` seconds once answered;
//! `arptimer` frees the old ones every `ARPT_PRUNE` seconds. A host that
//! does not answer `ARP_MAXTRIES` requests is held down (RTF_REJECT) for
//! `ARPT_DOWN` seconds.

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::net::if_::IfKind;
use crate::bsd::net::if_ethersubr::*;
use crate::bsd::net::route::*;
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::platform::log;

/// Seconds between walks of the ARP entries (`arpt_prune`).
pub const ARPT_PRUNE: u64 = 5 * 60;
/// Seconds an answered entry lives (`arpt_keep`).
pub const ARPT_KEEP: u64 = 20 * 60;
/// Seconds a host that did not answer is held down (`arpt_down`).
pub const ARPT_DOWN: u64 = 20;
/// Requests sent before a host is held down (`arp_maxtries`).
pub const ARP_MAXTRIES: u32 = 5;

/// `ar_hrd` of Ethernet, and the operations.
pub const ARPHRD_ETHER: u16 = 1;
pub const ARPOP_REQUEST: u16 = 1;
pub const ARPOP_REPLY: u16 = 2;
/// An Ethernet/IP ARP message (`struct ether_arp`).
pub const ETHER_ARP_LEN: usize = 28;

/// ARP statistics (FreeBSD's `struct arpstat`; the book counts nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arpstat {
    pub txrequests: u64,
    pub txreplies: u64,
    pub rxrequests: u64,
    pub rxreplies: u64,
    pub received: u64,
    /// Requests or replies claiming one of our addresses.
    pub dupips: u64,
    /// Messages dropped: malformed, not Ethernet/IP, no address here.
    pub dropped: u64,
    /// Entries freed by `arptimer`.
    pub timeouts: u64,
    /// Held datagrams replaced by a newer one (`la_hold` holds one).
    pub holddrops: u64,
}

/// An ARP message's fields.
struct EtherArp {
    op: u16,
    sha: EtherAddr,
    spa: InAddr,
    tha: EtherAddr,
    tpa: InAddr,
}

impl EtherArp {
    fn emit(&self) -> [u8; ETHER_ARP_LEN] {
        let mut b = [0u8; ETHER_ARP_LEN];
        b[0..2].copy_from_slice(&ARPHRD_ETHER.to_be_bytes());
        b[2..4].copy_from_slice(&ETHERTYPE_IP.to_be_bytes());
        b[4] = 6;
        b[5] = 4;
        b[6..8].copy_from_slice(&self.op.to_be_bytes());
        b[8..14].copy_from_slice(&self.sha);
        b[14..18].copy_from_slice(&self.spa.0.to_be_bytes());
        b[18..24].copy_from_slice(&self.tha);
        b[24..28].copy_from_slice(&self.tpa.0.to_be_bytes());
        b
    }

    /// The message in `b`: Ethernet hardware, IP protocol, the lengths
    /// that go with them (`arpintr`'s checks), else None.
    fn parse(b: &[u8; ETHER_ARP_LEN]) -> Option<EtherArp> {
        let be16 = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        let addr = |i: usize| InAddr(u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
        let ea = |i: usize| [b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]];
        if be16(0) != ARPHRD_ETHER || be16(2) != ETHERTYPE_IP || b[4] != 6 || b[5] != 4 {
            return None;
        }
        Some(EtherArp { op: be16(6), sha: ea(8), spa: addr(14), tha: ea(18), tpa: addr(24) })
    }
}

/// Broadcasts a request for `tip` from `sip` (`arprequest`); the source
/// link address is the interface's, or `sha` for a published entry.
pub fn arprequest(st: &mut Stack, ifp: usize, sip: InAddr, tip: InAddr, sha: Option<EtherAddr>) {
    if !if_ready(st, ifp) {
        return;
    }
    let sha = sha.unwrap_or(st.ifp(ifp).if_lladdr);
    let ea = EtherArp { op: ARPOP_REQUEST, sha, spa: sip, tha: [0; 6], tpa: tip };
    if let Ok(mut m) = m_devget(&mut st.mbpool, &ea.emit(), ETHER_HDR_LEN, None) {
        m.set_flags(M_BCAST);
        st.arpstat.txrequests += 1;
        let _ = ether_send(st, ifp, m, ETHERBROADCASTADDR, ETHERTYPE_ARP);
    }
}

/// Announces a new address of ours (`arp_ifinit`): a request for itself,
/// which any station already using it answers (a duplicate).
pub fn arp_ifinit(st: &mut Stack, ifp: usize, addr: InAddr) {
    if st.ifnet.get(ifp).is_some_and(|i| i.if_kind == IfKind::Ether) {
        arprequest(st, ifp, addr, addr, None);
    }
}

/// Resolves next hop `dst` on interface `ifp` for datagram `m`
/// (`arpresolve`): the link address and `m` back when known; else `m`
/// is held (replacing an older one) and a request sent, at most one a
/// second, and Ok(None) comes back. A host held down is EHOSTDOWN.
pub fn arpresolve(
    st: &mut Stack,
    ifp: usize,
    m: Mbuf,
    dst: InAddr,
) -> Result<Option<(EtherAddr, Mbuf)>> {
    let Some(rt) = arplookup(st, dst, true, false) else {
        log(format_args!("arpresolve: can't allocate llinfo for {}", Dotted(dst)));
        m_freem(&mut st.mbpool, m);
        return Err(EHOSTUNREACH);
    };
    let now = st.time_second();
    let r = st.rt(rt);
    let expire = r.rt_rmx.rmx_expire;
    if r.rt_flags & RTF_REJECT != 0 && (expire == 0 || now < expire) {
        m_freem(&mut st.mbpool, m);
        return Err(EHOSTDOWN);
    }
    if let Sockaddr::Dl(sdl) = r.rt_gateway {
        if (expire == 0 || expire > now) && sdl.sdl_alen == 6 {
            return Ok(Some((sdl.sdl_addr, m)));
        }
    }
    // Hold the datagram; an older one is dropped (the book holds one).
    let Some(la) = r.rt_llinfo.as_mut() else {
        m_freem(&mut st.mbpool, m);
        return Err(EHOSTUNREACH);
    };
    if let Some(old) = la.la_hold.replace(m) {
        st.arpstat.holddrops += 1;
        m_freem(&mut st.mbpool, old);
    }
    let r = st.rt(rt);
    if r.rt_rmx.rmx_expire != 0 {
        r.rt_flags &= !RTF_REJECT;
        let la = r.rt_llinfo.as_mut().map_or(0, |la| la.la_asked);
        if la == 0 || r.rt_rmx.rmx_expire != now {
            r.rt_rmx.rmx_expire = now;
            if la < ARP_MAXTRIES {
                if let Some(la) = r.rt_llinfo.as_mut() {
                    la.la_asked += 1;
                }
                let sip = r.rt_ifa;
                arprequest(st, ifp, sip, dst, None);
            } else {
                r.rt_flags |= RTF_REJECT;
                r.rt_rmx.rmx_expire += ARPT_DOWN;
                if let Some(la) = r.rt_llinfo.as_mut() {
                    la.la_asked = 0;
                }
            }
        }
    }
    Ok(None)
}

/// The ARP entry for `addr` (`arplookup`), made by cloning the interface
/// route when `create`; with `proxy`, only a published entry. The route
/// is not held: ARP entries stay in the table until deleted.
fn arplookup(st: &mut Stack, addr: InAddr, create: bool, proxy: bool) -> Option<RtId> {
    let rt = rtalloc1(st, addr, create)?;
    rtfree(st, rt);
    let r = st.rtable.rtentries.get(rt)?;
    let ok = r.rt_flags & RTF_GATEWAY == 0
        && r.rt_flags & RTF_LLINFO != 0
        && matches!(r.rt_gateway, Sockaddr::Dl(_))
        && (!proxy || r.rt_flags & RTF_ANNOUNCE != 0 && r.rt_dst == addr);
    if !ok {
        if create {
            log(format_args!("arplookup {} failed: could not allocate llinfo", Dotted(addr)));
        }
        return None;
    }
    Some(rt)
}

/// ARP's part of route requests on Ethernet interfaces (`arp_rtrequest`):
/// an interface route becomes a cloning one whose gateway is the
/// interface's link address; a cloned or added host route gets its
/// `llinfo` (our own address is known at once, and sent through
/// loopback); a deleted one drops its held datagram.
pub fn arp_rtrequest(st: &mut Stack, req: Req, rt: RtId) {
    let now = st.time_second();
    let Some(r) = st.rtable.rtentries.get(rt) else { return };
    if r.rt_flags & RTF_GATEWAY != 0 {
        return;
    }
    let ifp = r.rt_ifp;
    let Some((if_index, lladdr)) = st.ifnet.get(ifp).map(|i| (i.if_index, i.if_lladdr)) else {
        return;
    };
    let loif = loif(st);
    let r = st.rt(rt);
    match req {
        Req::Add | Req::Resolve(_) => {
            if req == Req::Add {
                if r.rt_flags & RTF_HOST == 0 && r.rt_mask.0 != !0 {
                    r.rt_flags |= RTF_CLONING;
                }
                if r.rt_flags & RTF_CLONING != 0 {
                    r.rt_gateway = Sockaddr::Dl(SockaddrDl {
                        sdl_index: if_index,
                        sdl_type: IFT_ETHER,
                        ..SockaddrDl::default()
                    });
                    r.rt_rmx.rmx_expire = now;
                    return;
                }
                if r.rt_flags & RTF_ANNOUNCE != 0 {
                    if let Sockaddr::Dl(sdl) = r.rt_gateway {
                        let (sip, tip) = (r.rt_ifa, r.rt_dst);
                        arprequest(st, ifp, sip, tip, Some(sdl.sdl_addr));
                    }
                }
            }
            let r = st.rt(rt);
            let Sockaddr::Dl(ref mut sdl) = r.rt_gateway else {
                log(format_args!("arp_rtrequest: bad gateway value"));
                return;
            };
            sdl.sdl_type = IFT_ETHER;
            sdl.sdl_index = if_index;
            if r.rt_llinfo.is_some() {
                return; // a route change
            }
            r.rt_llinfo = Some(Llinfo::default());
            r.rt_flags |= RTF_LLINFO;
            if r.rt_dst == r.rt_ifa {
                // Our own address: known, forever, and looped back.
                r.rt_rmx.rmx_expire = 0;
                sdl.sdl_addr = lladdr;
                sdl.sdl_alen = 6;
                if let Some(lo) = loif {
                    r.rt_ifp = lo;
                }
            }
        }
        Req::Delete => {
            if let Some(la) = r.rt_llinfo.take() {
                r.rt_flags &= !RTF_LLINFO;
                if let Some(m) = la.la_hold {
                    m_freem(&mut st.mbpool, m);
                }
            }
        }
    }
}

/// An ARP message arrived on `ifp` (`arpintr` and `in_arpinput`): learn
/// the sender's address if it is in our table or asking for us, warn of
/// anyone using our address, send a datagram held for the sender, and
/// answer requests for our addresses and for published entries.
pub fn in_arpinput(st: &mut Stack, ifp: usize, m: Mbuf) {
    st.arpstat.received += 1;
    let mut b = [0u8; ETHER_ARP_LEN];
    let ea = match m_copydata(&m, 0, &mut b) {
        Ok(()) => EtherArp::parse(&b),
        Err(_) => None,
    };
    m_freem(&mut st.mbpool, m);
    let Some(ea) = ea else {
        st.arpstat.dropped += 1;
        return;
    };
    match ea.op {
        ARPOP_REQUEST => st.arpstat.rxrequests += 1,
        ARPOP_REPLY => st.arpstat.rxreplies += 1,
        _ => {}
    }
    let (isaddr, mut itaddr) = (ea.spa, ea.tpa);
    let mut ia = None;
    let mut maybe_ia = None;
    for a in st.in_ifaddr.iter().filter(|a| a.ia_ifp == ifp) {
        maybe_ia = Some(a.ia_addr);
        if itaddr == a.ia_addr || isaddr == a.ia_addr {
            ia = Some(a.ia_addr);
            break;
        }
    }
    let Some(myaddr) = ia.or(maybe_ia) else {
        st.arpstat.dropped += 1;
        return;
    };
    let enaddr = st.ifp(ifp).if_lladdr;
    if ea.sha == enaddr {
        return; // our own, heard back
    }
    if ea.sha == ETHERBROADCASTADDR {
        log(format_args!("arp: ether address is broadcast for IP address {}!", Dotted(isaddr)));
        st.arpstat.dropped += 1;
        return;
    }
    if isaddr == myaddr {
        log(format_args!(
            "duplicate IP address {}!! sent from ethernet address: {}",
            Dotted(isaddr),
            Ether(ea.sha)
        ));
        st.arpstat.dupips += 1;
        itaddr = myaddr;
    } else if let Some(rt) = arplookup(st, isaddr, itaddr == myaddr, false) {
        let keep = st.time_second() + ARPT_KEEP;
        let r = st.rt(rt);
        if let Sockaddr::Dl(ref mut sdl) = r.rt_gateway {
            if sdl.sdl_alen != 0 && sdl.lladdr() != ea.sha {
                log(format_args!(
                    "arp info overwritten for {} by {}",
                    Dotted(isaddr),
                    Ether(ea.sha)
                ));
            }
            sdl.sdl_addr = ea.sha;
            sdl.sdl_alen = 6;
        }
        if r.rt_rmx.rmx_expire != 0 {
            r.rt_rmx.rmx_expire = keep;
        }
        r.rt_flags &= !RTF_REJECT;
        let hold = r.rt_llinfo.as_mut().and_then(|la| {
            la.la_asked = 0;
            la.la_hold.take()
        });
        if let Some(hold) = hold {
            let dst = st.rt(rt).rt_dst;
            let _ = ether_output(st, ifp, hold, dst);
        }
    }
    if ea.op != ARPOP_REQUEST {
        return;
    }
    let sha = if itaddr == myaddr {
        enaddr
    } else {
        let Some(rt) = arplookup(st, itaddr, false, true) else { return };
        match st.rt(rt).rt_gateway {
            Sockaddr::Dl(sdl) => sdl.sdl_addr,
            Sockaddr::In(_) => return,
        }
    };
    let reply = EtherArp { op: ARPOP_REPLY, sha, spa: itaddr, tha: ea.sha, tpa: isaddr };
    if let Ok(m) = m_devget(&mut st.mbpool, &reply.emit(), ETHER_HDR_LEN, None) {
        st.arpstat.txreplies += 1;
        let _ = ether_send(st, ifp, m, ea.sha, ETHERTYPE_ARP);
    }
}

/// ARP's clock (`arptimer`), every `ARPT_PRUNE` seconds: entries whose
/// time is up are freed (`arptfree`); one still referenced only forgets
/// its link address.
pub fn arptimer(st: &mut Stack) {
    let now = st.time_second();
    loop {
        let victim = st.rtable.rtentries.iter().find_map(|(id, r)| {
            let stale = r.rt_flags & RTF_LLINFO != 0
                && r.rt_flags & RTF_UP != 0
                && r.rt_rmx.rmx_expire != 0
                && r.rt_rmx.rmx_expire <= now
                && !(r.rt_refcnt > 0 && matches!(r.rt_gateway, Sockaddr::Dl(s) if s.sdl_alen == 0));
            stale.then_some(id)
        });
        let Some(rt) = victim else { return };
        st.arpstat.timeouts += 1;
        let r = st.rt(rt);
        if r.rt_refcnt > 0 {
            if let Sockaddr::Dl(ref mut sdl) = r.rt_gateway {
                sdl.sdl_alen = 0;
            }
            if let Some(la) = r.rt_llinfo.as_mut() {
                la.la_asked = 0;
            }
            r.rt_flags &= !RTF_REJECT;
            continue;
        }
        let (dst, mask) = (r.rt_dst, r.rt_mask);
        if rtrequest(st, Req::Delete, dst, None, Some(mask), 0, false).is_err() {
            // Not in the tree (cannot happen): stop rather than loop.
            return;
        }
    }
}

/// Prints an address in dotted quad.
pub struct Dotted(pub InAddr);

impl core::fmt::Display for Dotted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let b = self.0 .0.to_be_bytes();
        write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3])
    }
}

/// Prints an Ethernet address (`ether_sprintf`).
pub struct Ether(pub EtherAddr);

impl core::fmt::Display for Ether {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let e = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", e[0], e[1], e[2], e[3], e[4], e[5])
    }
}
