//! Interfaces and addresses: lo0 at boot, the interface and address
//! ioctls (`ifioctl`, `in_control`), and the address predicates.

use bsdinet::bsd::kern::uipc_socket::{socreate, Cred};
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::route::rtalloc;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::SOCK_RAW;
use bsdinet::bsd::sys::sockio::*;

fn booted() -> (Stack, usize) {
    let mut st = Stack::new();
    st.boot().unwrap();
    let so = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 0, Cred::ROOT, 0).unwrap();
    (st, so)
}

fn ifreq(name: &str) -> [u8; IFREQ_LEN] {
    let mut r = [0u8; IFREQ_LEN];
    r[..name.len()].copy_from_slice(name.as_bytes());
    r
}

fn ifreq_addr(name: &str, a: u32) -> [u8; IFREQ_LEN] {
    let mut r = ifreq(name);
    set_sockaddr_at(&mut r, IFR_UNION, &SockaddrIn::new(InAddr(a), 0)).unwrap();
    r
}

fn aliasreq(name: &str, addr: u32, mask: Option<u32>) -> [u8; IFALIASREQ_LEN] {
    let mut r = [0u8; IFALIASREQ_LEN];
    r[..name.len()].copy_from_slice(name.as_bytes());
    set_sockaddr_at(&mut r, IFRA_ADDR, &SockaddrIn::new(InAddr(addr), 0)).unwrap();
    if let Some(m) = mask {
        set_sockaddr_at(&mut r, IFRA_MASK, &SockaddrIn::new(InAddr(m), 0)).unwrap();
    }
    r
}

fn get_addr(st: &mut Stack, so: usize, cmd: u32) -> Result<InAddr> {
    let mut r = ifreq("lo0");
    ifioctl(st, so, cmd, &mut r, false)?;
    Ok(sockaddr_at(&r, IFR_UNION).unwrap().sin_addr)
}

#[test]
fn lo0_at_boot() {
    let (mut st, so) = booted();
    let mut r = ifreq("lo0");
    ifioctl(&mut st, so, SIOCGIFFLAGS, &mut r, false).unwrap();
    let flags = ifr_int(&r, IFR_UNION, 2).unwrap() as u16;
    assert_eq!(flags, IFF_UP | IFF_LOOPBACK | IFF_MULTICAST);
    ifioctl(&mut st, so, SIOCGIFMTU, &mut r, false).unwrap();
    assert_eq!(ifr_int(&r, IFR_UNION, 4), Ok(1536));
    assert_eq!(get_addr(&mut st, so, SIOCGIFADDR), Ok(INADDR_LOOPBACK));
    assert_eq!(get_addr(&mut st, so, SIOCGIFNETMASK), Ok(InAddr(0xff00_0000)));
    // Loopback has neither a broadcast nor a destination address.
    assert_eq!(get_addr(&mut st, so, SIOCGIFBRDADDR), Err(EINVAL));
    assert_eq!(get_addr(&mut st, so, SIOCGIFDSTADDR), Err(EINVAL));
    // The host route to 127.0.0.1 through lo0; nothing else is routed.
    let id = rtalloc(&mut st, INADDR_LOOPBACK).unwrap();
    let rt = st.rt(id);
    assert_eq!((rt.rt_dst, rt.rt_mask, rt.rt_ifa), (INADDR_LOOPBACK, InAddr(!0), INADDR_LOOPBACK));
    assert!(rtalloc(&mut st, InAddr(0x7f00_0002)).is_none());
    assert!(rtalloc(&mut st, InAddr(0x0a00_0001)).is_none());
}

#[test]
fn ifconf_lists_addresses_as_room_allows() {
    let (mut st, so) = booted();
    ifioctl(&mut st, so, SIOCAIFADDR, &mut aliasreq("lo0", 0x7f00_0002, None), true).unwrap();
    let all = ifconf(&st, 10 * IFREQ_LEN).unwrap();
    assert_eq!(all.len(), 2);
    for (r, a) in all.iter().zip([0x7f00_0001, 0x7f00_0002]) {
        assert_eq!(ifr_name(r), Ok(&b"lo0"[..]));
        assert_eq!(sockaddr_at(r, IFR_UNION).unwrap(), SockaddrIn::new(InAddr(a), 0));
    }
    assert_eq!(ifconf(&st, 2 * IFREQ_LEN - 1).unwrap().len(), 1);
    assert_eq!(ifconf(&st, 0).unwrap().len(), 0);
    // An interface without an address still shows, with AF_UNSPEC.
    ifioctl(&mut st, so, SIOCDIFADDR, &mut ifreq_addr("lo0", 0x7f00_0001), true).unwrap();
    ifioctl(&mut st, so, SIOCDIFADDR, &mut ifreq_addr("lo0", 0x7f00_0002), true).unwrap();
    let none = ifconf(&st, 10 * IFREQ_LEN).unwrap();
    assert_eq!(none.len(), 1);
    assert_eq!(sockaddr_at(&none[0], IFR_UNION).unwrap().sin_family, 0);
}

#[test]
fn add_change_and_delete_addresses() {
    let (mut st, so) = booted();
    // Several addresses per interface, each with its host route.
    for a in [0x7f00_0002, 0x7f00_0003] {
        ifioctl(&mut st, so, SIOCAIFADDR, &mut aliasreq("lo0", a, Some(0xff00_0000)), true)
            .unwrap();
        assert!(rtalloc(&mut st, InAddr(a)).is_some());
    }
    assert_eq!(st.in_ifaddr.len(), 3);
    assert_eq!(st.ifa_ifwithaddr(InAddr(0x7f00_0003)).map(|ia| ia.ia_ifp), Some(0));
    // Adding the same one again changes nothing.
    ifioctl(&mut st, so, SIOCAIFADDR, &mut aliasreq("lo0", 0x7f00_0002, None), true).unwrap();
    assert_eq!(st.in_ifaddr.len(), 3);
    // Delete one: its route goes with it.
    ifioctl(&mut st, so, SIOCDIFADDR, &mut ifreq_addr("lo0", 0x7f00_0002), true).unwrap();
    assert!(rtalloc(&mut st, InAddr(0x7f00_0002)).is_none());
    assert_eq!(st.ifa_ifwithaddr(InAddr(0x7f00_0002)).map(|ia| ia.ia_ifp), None);
    assert_eq!(
        ifioctl(&mut st, so, SIOCDIFADDR, &mut ifreq_addr("lo0", 0x7f00_0002), true),
        Err(EADDRNOTAVAIL)
    );
    // SIOCSIFADDR replaces the first address, and its route.
    ifioctl(&mut st, so, SIOCSIFADDR, &mut ifreq_addr("lo0", 0x7f00_0009), true).unwrap();
    assert_eq!(get_addr(&mut st, so, SIOCGIFADDR), Ok(InAddr(0x7f00_0009)));
    assert!(rtalloc(&mut st, INADDR_LOOPBACK).is_none());
    assert!(rtalloc(&mut st, InAddr(0x7f00_0009)).is_some());
}

#[test]
fn bad_requests() {
    let (mut st, so) = booted();
    let n = st.in_ifaddr.len();
    // Without CAP_NET_ADMIN nothing changes.
    for (cmd, mut r) in [
        (SIOCSIFADDR, ifreq_addr("lo0", 0x7f00_0005).to_vec()),
        (SIOCSIFNETMASK, ifreq_addr("lo0", 0xffff_0000).to_vec()),
        (SIOCSIFFLAGS, ifreq("lo0").to_vec()),
        (SIOCSIFMTU, ifreq("lo0").to_vec()),
        (SIOCSIFMETRIC, ifreq("lo0").to_vec()),
        (SIOCAIFADDR, aliasreq("lo0", 0x7f00_0005, None).to_vec()),
        (SIOCDIFADDR, ifreq_addr("lo0", 0x7f00_0001).to_vec()),
    ] {
        assert_eq!(ifioctl(&mut st, so, cmd, &mut r, false), Err(EPERM), "cmd {cmd:#x}");
    }
    assert_eq!(get_addr(&mut st, so, SIOCGIFADDR), Ok(INADDR_LOOPBACK));
    // No such interface; a name without its NUL; the wrong size.
    assert_eq!(ifioctl(&mut st, so, SIOCGIFFLAGS, &mut ifreq("lo1"), false), Err(ENXIO));
    let mut r = [b'x'; IFREQ_LEN];
    assert_eq!(ifioctl(&mut st, so, SIOCGIFFLAGS, &mut r, false), Err(EINVAL));
    assert_eq!(ifioctl(&mut st, so, SIOCGIFFLAGS, &mut [0u8; 8], false), Err(EINVAL));
    // Addresses that cannot be an interface's.
    for a in [0, 0xe000_0001, 0xffff_ffff] {
        let mut r = ifreq_addr("lo0", a);
        assert_eq!(ifioctl(&mut st, so, SIOCSIFADDR, &mut r, true), Err(EINVAL), "{a:#x}");
    }
    let mut r = ifreq_addr("lo0", 0x7f00_0005);
    r[IFR_UNION..IFR_UNION + 2].copy_from_slice(&2u16.to_ne_bytes());
    assert_eq!(ifioctl(&mut st, so, SIOCSIFADDR, &mut r, true), Err(EAFNOSUPPORT));
    assert_eq!(get_addr(&mut st, so, SIOCGIFADDR), Ok(INADDR_LOOPBACK));
    // An MTU too small for an IP header, or too large for a datagram.
    for mtu in [0, 67, 65536, -1] {
        let mut r = ifreq("lo0");
        set_ifr_int(&mut r, IFR_UNION, 4, mtu).unwrap();
        assert_eq!(ifioctl(&mut st, so, SIOCSIFMTU, &mut r, true), Err(EINVAL));
    }
    // Unknown commands reach in_control, which does not know them.
    let cmd = SIOCGIFADDR + 0x40; // same size, another number
    assert_eq!(ifioctl(&mut st, so, cmd, &mut ifreq("lo0"), true), Err(EOPNOTSUPP));
    assert_eq!(st.in_ifaddr.len(), n);
}

#[test]
fn flags_keep_what_only_the_driver_sets() {
    let (mut st, so) = booted();
    let mut r = ifreq("lo0");
    let flags = IFF_DEBUG | IFF_BROADCAST | IFF_LOOPBACK;
    set_ifr_int(&mut r, IFR_UNION, 2, i32::from(flags)).unwrap();
    ifioctl(&mut st, so, SIOCSIFFLAGS, &mut r, true).unwrap();
    ifioctl(&mut st, so, SIOCGIFFLAGS, &mut r, false).unwrap();
    // Down now (IFF_UP was not given), debug set, broadcast refused,
    // multicast kept although not given.
    let got = ifr_int(&r, IFR_UNION, 2).unwrap() as u16;
    assert_eq!(got, IFF_DEBUG | IFF_LOOPBACK | IFF_MULTICAST);
}

#[test]
fn address_predicates() {
    let (mut st, so) = booted();
    assert!(in_localaddr(&st, InAddr(0x7f01_0203)));
    assert!(!in_localaddr(&st, InAddr(0x0a00_0001)));
    // Loopback does not broadcast; the all-ones and all-zeros addresses
    // are broadcast everywhere.
    assert!(!in_broadcast(&st, InAddr(0x7fff_ffff), 0));
    assert!(in_broadcast(&st, INADDR_BROADCAST, 0));
    assert!(in_broadcast(&st, INADDR_ANY, 0));
    assert!(in_canforward(InAddr(0x0a00_0001)));
    for a in [0x7f00_0001, 0x0000_0001, 0xe000_0001, 0xf000_0001] {
        assert!(!in_canforward(InAddr(a)), "{a:#x}");
    }
    assert_eq!(in_classnet(InAddr(0x0a00_0001)), InAddr(0xff00_0000));
    assert_eq!(in_classnet(InAddr(0x8a00_0001)), InAddr(0xffff_0000));
    assert_eq!(in_classnet(InAddr(0xc0a8_0001)), InAddr(0xffff_ff00));
    // Subnet masks narrow the class network.
    ifioctl(&mut st, so, SIOCAIFADDR, &mut aliasreq("lo0", 0x7f00_0102, Some(0xffff_ff00)), true)
        .unwrap();
    let ia = st.in_ifaddr.iter().find(|ia| ia.ia_addr == InAddr(0x7f00_0102)).copied().unwrap();
    assert_eq!(
        (ia.ia_subnet, ia.ia_subnetmask, ia.ia_net),
        (0x7f00_0100, 0xffff_ff00, 0x7f00_0000)
    );
}
