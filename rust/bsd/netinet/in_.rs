//! Internet addresses (`netinet/in.h`, `netinet/in.c`; book chapter 6).

use crate::bsd::net::if_::{IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST, IFF_POINTOPOINT};
use crate::bsd::net::route::rtinit;
use crate::bsd::netinet::if_ether::arp_ifinit;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::sockio::*;

/// bsdinet's address family (`include/uapi/linux/bsdinet.h`).
pub const AF_BSDINET: u16 = 19;

/// Internet protocol numbers (`IPPROTO_*`).
pub const IPPROTO_IP: i32 = 0;
pub const IPPROTO_ICMP: i32 = 1;
pub const IPPROTO_IGMP: i32 = 2;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;
pub const IPPROTO_RAW: i32 = 255;

/// An IPv4 address, in host byte order.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct InAddr(pub u32);

/// The wildcard address.
pub const INADDR_ANY: InAddr = InAddr(0);

/// An internet socket address: the layout of Linux's `struct
/// sockaddr_in`, with `sin_family` = AF_BSDINET.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SockaddrIn {
    pub sin_family: u16,
    /// Port in host byte order.
    pub sin_port: u16,
    pub sin_addr: InAddr,
}

impl SockaddrIn {
    /// `sizeof(struct sockaddr_in)`.
    pub const LEN: usize = 16;

    /// An AF_BSDINET address.
    pub fn new(addr: InAddr, port: u16) -> Self {
        SockaddrIn { sin_family: AF_BSDINET, sin_port: port, sin_addr: addr }
    }

    /// Checks and reads an address a user passed. Shorter than a
    /// `sockaddr_in` is EINVAL; longer is accepted, as Linux accepts it
    /// (programs pass `sizeof(struct sockaddr_storage)`). Any family but
    /// AF_BSDINET is EAFNOSUPPORT.
    pub fn parse(nam: &[u8]) -> Result<SockaddrIn> {
        if nam.len() < Self::LEN {
            return Err(EINVAL);
        }
        let sin_family = u16::from_ne_bytes([nam[0], nam[1]]);
        if sin_family != AF_BSDINET {
            return Err(EAFNOSUPPORT);
        }
        Ok(SockaddrIn {
            sin_family,
            sin_port: u16::from_be_bytes([nam[2], nam[3]]),
            sin_addr: InAddr(u32::from_be_bytes([nam[4], nam[5], nam[6], nam[7]])),
        })
    }

    /// The address as a user sees it, zero-padded.
    pub fn emit(&self) -> [u8; Self::LEN] {
        let mut b = [0u8; Self::LEN];
        b[0..2].copy_from_slice(&self.sin_family.to_ne_bytes());
        b[2..4].copy_from_slice(&self.sin_port.to_be_bytes());
        b[4..8].copy_from_slice(&self.sin_addr.0.to_be_bytes());
        b
    }
}

/// The loopback address, 127.0.0.1.
pub const INADDR_LOOPBACK: InAddr = InAddr(0x7f00_0001);
/// The limited broadcast address, 255.255.255.255.
pub const INADDR_BROADCAST: InAddr = InAddr(0xffff_ffff);

/// Address classes (`IN_CLASSA` ...), which give an address its natural
/// network mask when none is configured.
pub fn in_classnet(a: InAddr) -> InAddr {
    InAddr(if a.0 & 0x8000_0000 == 0 {
        0xff00_0000
    } else if a.0 & 0xc000_0000 == 0x8000_0000 {
        0xffff_0000
    } else {
        0xffff_ff00
    })
}

/// Class D (multicast) address.
pub fn in_multicast(a: InAddr) -> bool {
    a.0 & 0xf000_0000 == 0xe000_0000
}

/// Class E (experimental) address, or 0/8 and 127/8's neighbours
/// (`IN_EXPERIMENTAL`, `IN_BADCLASS`).
pub fn in_badclass(a: InAddr) -> bool {
    a.0 & 0xf000_0000 == 0xf000_0000
}

/// An internet address of an interface (`struct in_ifaddr`).
#[derive(Clone, Copy, Debug, Default)]
pub struct InIfaddr {
    /// The interface (index into the stack's `ifnet`).
    pub ia_ifp: usize,
    /// Network number and mask of the address's class.
    pub ia_net: u32,
    pub ia_netmask: u32,
    /// Subnet number and mask.
    pub ia_subnet: u32,
    pub ia_subnetmask: u32,
    /// Broadcast address of the (class) network.
    pub ia_netbroadcast: InAddr,
    pub ia_addr: InAddr,
    /// Broadcast address (broadcast interfaces) or the other end's
    /// address (point-to-point interfaces): a union in the book.
    pub ia_broadaddr: InAddr,
    /// Whether `ia_broadaddr` holds a point-to-point destination that was
    /// set (the book tests `ia_dstaddr.sin_family == AF_INET`).
    pub ia_dstaddr_set: bool,
    pub ia_flags: u16,
    /// The interface's metric when the address was set (`ifa_metric`).
    pub ia_metric: i32,
    /// The all-hosts membership this address holds on its interface
    /// (joined by `in_ifinit` on a multicast interface).
    pub ia_allhosts: Option<usize>,
}

/// `ia_flags`: the address has its interface route (`IFA_ROUTE`).
pub const IFA_ROUTE: u16 = 0x1;

impl InIfaddr {
    /// The point-to-point destination (`ia_dstaddr`).
    pub fn ia_dstaddr(&self) -> InAddr {
        self.ia_broadaddr
    }
}

/// Whether `a` is on a directly connected network (`in_localaddr`): with
/// `subnetsarelocal`, any subnet of an attached network counts.
pub fn in_localaddr(st: &Stack, a: InAddr) -> bool {
    if st.subnetsarelocal {
        st.in_ifaddr.iter().any(|ia| a.0 & ia.ia_netmask == ia.ia_net)
    } else {
        st.in_ifaddr.iter().any(|ia| a.0 & ia.ia_subnetmask == ia.ia_subnet)
    }
}

/// Whether `a` is a broadcast address on interface `ifp` (`in_broadcast`):
/// all ones or all zeros, the subnet's or the network's broadcast
/// address, or the old-style all-zeros host part.
pub fn in_broadcast(st: &Stack, a: InAddr, ifp: usize) -> bool {
    if a == INADDR_BROADCAST || a == INADDR_ANY {
        return true;
    }
    if st.ifnet.get(ifp).is_none_or(|i| i.if_flags & IFF_BROADCAST == 0) {
        return false;
    }
    st.in_ifaddr.iter().filter(|ia| ia.ia_ifp == ifp).any(|ia| {
        a == ia.ia_broadaddr || a == ia.ia_netbroadcast || a.0 == ia.ia_subnet || a.0 == ia.ia_net
    })
}

/// Whether a datagram for `a` may be forwarded (`in_canforward`): not
/// multicast, class E, or on net 0 or 127.
pub fn in_canforward(a: InAddr) -> bool {
    if in_multicast(a) || in_badclass(a) {
        return false;
    }
    let net = a.0 >> 24;
    !(a.0 & 0x8000_0000 == 0 && (net == 0 || net == 127))
}

/// The index in `in_ifaddr` of the first address of interface `ifp`.
fn ia_first(st: &Stack, ifp: usize) -> Option<usize> {
    st.in_ifaddr.iter().position(|ia| ia.ia_ifp == ifp)
}

/// The address ioctls (`in_control`; book section 6.6): PRU_CONTROL of
/// every internet protocol.
pub fn in_control(
    st: &mut Stack,
    cmd: u32,
    data: &mut [u8],
    ifp: Option<usize>,
    admin: bool,
) -> Result {
    let ifp = ifp.ok_or(EOPNOTSUPP)?;
    let mut ia = ia_first(st, ifp);
    match cmd {
        SIOCAIFADDR | SIOCDIFADDR => {
            let addr = sockaddr_at(data, IFRA_ADDR)?;
            if addr.sin_family == AF_BSDINET {
                ia =
                    st.in_ifaddr.iter().position(|x| x.ia_ifp == ifp && x.ia_addr == addr.sin_addr);
            }
            if cmd == SIOCDIFADDR && ia.is_none() {
                return Err(EADDRNOTAVAIL);
            }
        }
        SIOCSIFADDR | SIOCSIFNETMASK | SIOCSIFDSTADDR | SIOCSIFBRDADDR => {}
        SIOCGIFADDR | SIOCGIFNETMASK | SIOCGIFDSTADDR | SIOCGIFBRDADDR => {
            if ia.is_none() {
                return Err(EADDRNOTAVAIL);
            }
        }
        _ => return Err(EOPNOTSUPP),
    }
    if matches!(
        cmd,
        SIOCAIFADDR | SIOCDIFADDR | SIOCSIFADDR | SIOCSIFNETMASK | SIOCSIFDSTADDR | SIOCSIFBRDADDR
    ) && !admin
    {
        return Err(EPERM);
    }
    // A new address for the requests that set one.
    let (ia, created) = match ia {
        Some(i) => (i, false),
        None if cmd == SIOCSIFBRDADDR => return Err(EADDRNOTAVAIL),
        None => {
            st.in_ifaddr
                .push(InIfaddr { ia_ifp: ifp, ..Default::default() })
                .map_err(|_| ENOBUFS)?;
            (st.in_ifaddr.len() - 1, true)
        }
    };
    let r = in_control_apply(st, cmd, data, ia);
    if r.is_err() && created {
        in_ifaddr_remove(st, ia);
    }
    r
}

/// The second half of `in_control`: the request on address `ia`.
fn in_control_apply(st: &mut Stack, cmd: u32, data: &mut [u8], ia: usize) -> Result {
    let flags = st.ifp(st.in_ifaddr[ia].ia_ifp).if_flags;
    let u = IFR_UNION;
    match cmd {
        SIOCGIFADDR => set_sockaddr_at(data, u, &SockaddrIn::new(st.in_ifaddr[ia].ia_addr, 0)),
        SIOCGIFBRDADDR => {
            if flags & IFF_BROADCAST == 0 {
                return Err(EINVAL);
            }
            set_sockaddr_at(data, u, &SockaddrIn::new(st.in_ifaddr[ia].ia_broadaddr, 0))
        }
        SIOCGIFDSTADDR => {
            if flags & IFF_POINTOPOINT == 0 {
                return Err(EINVAL);
            }
            set_sockaddr_at(data, u, &SockaddrIn::new(st.in_ifaddr[ia].ia_dstaddr(), 0))
        }
        SIOCGIFNETMASK => {
            set_sockaddr_at(data, u, &SockaddrIn::new(InAddr(st.in_ifaddr[ia].ia_subnetmask), 0))
        }
        SIOCSIFDSTADDR => {
            if flags & IFF_POINTOPOINT == 0 {
                return Err(EINVAL);
            }
            let dst = sockaddr_at(data, u)?;
            in_ifscrub(st, ia);
            st.in_ifaddr[ia].ia_broadaddr = dst.sin_addr;
            st.in_ifaddr[ia].ia_dstaddr_set = true;
            in_ifroute(st, ia)
        }
        SIOCSIFBRDADDR => {
            if flags & IFF_BROADCAST == 0 {
                return Err(EINVAL);
            }
            st.in_ifaddr[ia].ia_broadaddr = sockaddr_at(data, u)?.sin_addr;
            Ok(())
        }
        SIOCSIFADDR => {
            let sin = sockaddr_at(data, u)?;
            in_ifinit(st, ia, sin, true)
        }
        SIOCSIFNETMASK => {
            // The book reads the mask from where an ifaliasreq has its
            // address, which is where an ifreq has its union.
            st.in_ifaddr[ia].ia_subnetmask = sockaddr_at(data, u)?.sin_addr.0;
            Ok(())
        }
        SIOCAIFADDR => {
            let mut addr = sockaddr_at(data, IFRA_ADDR)?;
            let broad = sockaddr_at(data, IFRA_BROADADDR)?;
            let mask = sockaddr_at(data, IFRA_MASK)?;
            let mut host_is_new = true;
            let mut mask_is_new = false;
            let cur = st.in_ifaddr[ia];
            if cur.ia_addr != INADDR_ANY {
                if addr.sin_family == 0 {
                    addr = SockaddrIn::new(cur.ia_addr, 0);
                    host_is_new = false;
                } else if addr.sin_addr == cur.ia_addr {
                    host_is_new = false;
                }
            }
            // A mask is given when its family is set (BSD tests sin_len).
            if mask.sin_family != 0 {
                in_ifscrub(st, ia);
                st.in_ifaddr[ia].ia_subnetmask = mask.sin_addr.0;
                mask_is_new = true;
            }
            if flags & IFF_POINTOPOINT != 0 && broad.sin_family == AF_BSDINET {
                in_ifscrub(st, ia);
                st.in_ifaddr[ia].ia_broadaddr = broad.sin_addr;
                st.in_ifaddr[ia].ia_dstaddr_set = true;
                mask_is_new = true; // "We lie; but the effect's the same"
            }
            if addr.sin_family == AF_BSDINET && (host_is_new || mask_is_new) {
                in_ifinit(st, ia, addr, false)?;
            }
            if flags & IFF_BROADCAST != 0 && broad.sin_family == AF_BSDINET {
                st.in_ifaddr[ia].ia_broadaddr = broad.sin_addr;
            }
            Ok(())
        }
        SIOCDIFADDR => {
            in_ifaddr_remove(st, ia);
            Ok(())
        }
        _ => Err(EOPNOTSUPP),
    }
}

/// Sets an interface address and everything that follows from it: the
/// masks, the broadcast address, the interface route (`in_ifinit`).
pub fn in_ifinit(st: &mut Stack, ia: usize, sin: SockaddrIn, scrub: bool) -> Result {
    if sin.sin_family != AF_BSDINET {
        return Err(EAFNOSUPPORT);
    }
    let i = sin.sin_addr;
    if i == INADDR_ANY || in_multicast(i) || i == INADDR_BROADCAST {
        return Err(EINVAL);
    }
    if scrub {
        in_ifscrub(st, ia);
    }
    let ifp = st.in_ifaddr[ia].ia_ifp;
    let flags = st.ifp(ifp).if_flags;
    let metric = st.ifp(ifp).if_data.ifi_metric;
    let a = &mut st.in_ifaddr[ia];
    a.ia_addr = i;
    a.ia_netmask = in_classnet(i).0;
    if a.ia_subnetmask == 0 {
        a.ia_subnetmask = a.ia_netmask;
    } else {
        a.ia_netmask &= a.ia_subnetmask;
    }
    a.ia_net = i.0 & a.ia_netmask;
    a.ia_subnet = i.0 & a.ia_subnetmask;
    a.ia_metric = metric;
    if flags & IFF_BROADCAST != 0 {
        a.ia_broadaddr = InAddr(a.ia_subnet | !a.ia_subnetmask);
        a.ia_netbroadcast = InAddr(a.ia_net | !a.ia_netmask);
    }
    in_ifroute(st, ia)?;
    // A multicast interface is in the all-hosts group (book figure
    // 6.19's end); each address holds one reference, once.
    if flags & IFF_MULTICAST != 0 && st.in_ifaddr[ia].ia_allhosts.is_none() {
        let group = crate::bsd::netinet::in_mcast::INADDR_ALLHOSTS_GROUP;
        st.in_ifaddr[ia].ia_allhosts =
            crate::bsd::netinet::in_mcast::in_addmulti(st, group, ifp).ok();
    }
    Ok(())
}

/// Removes address `ia` (SIOCDIFADDR, or its interface going): its
/// route, then its all-hosts membership.
pub fn in_ifaddr_remove(st: &mut Stack, ia: usize) {
    if ia >= st.in_ifaddr.len() {
        return;
    }
    in_ifscrub(st, ia);
    if let Some(a) = st.in_ifaddr.remove(ia) {
        if let Some(inm) = a.ia_allhosts {
            crate::bsd::netinet::in_mcast::in_delmulti(st, inm);
        }
    }
}

/// The route an address implies (`rtinit` from `in_ifinit` and
/// `in_ifscrub`): a host route to itself on loopback, to the other end on
/// a point-to-point link, else a route to the subnet.
fn in_ifroute_key(st: &Stack, a: &InIfaddr) -> Option<(InAddr, Option<InAddr>)> {
    let flags = st.if_flags(a.ia_ifp);
    if flags & IFF_LOOPBACK != 0 {
        Some((a.ia_addr, None))
    } else if flags & IFF_POINTOPOINT != 0 {
        a.ia_dstaddr_set.then_some((a.ia_dstaddr(), None))
    } else {
        Some((InAddr(a.ia_subnet), Some(InAddr(a.ia_subnetmask))))
    }
}

/// Adds the route of address `ia` (the end of `in_ifinit`), and announces
/// the address on its link (`arp_ifinit`).
fn in_ifroute(st: &mut Stack, ia: usize) -> Result {
    let a = st.in_ifaddr[ia];
    arp_ifinit(st, a.ia_ifp, a.ia_addr);
    let Some((dst, mask)) = in_ifroute_key(st, &a) else { return Ok(()) };
    rtinit(st, true, dst, mask, a.ia_addr)?;
    st.in_ifaddr[ia].ia_flags |= IFA_ROUTE;
    Ok(())
}

/// Removes the route of an address (`in_ifscrub`).
pub fn in_ifscrub(st: &mut Stack, ia: usize) {
    let a = st.in_ifaddr[ia];
    if a.ia_flags & IFA_ROUTE == 0 {
        return;
    }
    if let Some((dst, mask)) = in_ifroute_key(st, &a) {
        let _ = rtinit(st, false, dst, mask, a.ia_addr);
    }
    st.in_ifaddr[ia].ia_flags &= !IFA_ROUTE;
}
