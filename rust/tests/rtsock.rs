//! Routing sockets (book chapter 20): requests and their answers, the
//! messages the stack broadcasts, the table dumps, bad messages, and a
//! proptest of random messages.

mod common;

use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::if_ethersubr::{ether_ifattach, if_link_state};
use bsdinet::bsd::net::route::*;
use bsdinet::bsd::net::rtsock::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use bsdinet::bsd::sys::sockio::*;
use common::*;
use proptest::prelude::*;

const fn ip4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// A user without CAP_NET_ADMIN.
const USER: Cred = Cred { net_raw: false, net_bind_service: false, net_admin: false };

/// A routing socket for `proto` (0: all families).
fn rtsock_as(st: &mut Stack, proto: i32, cred: Cred) -> Result<usize> {
    socreate(st, &ROUTEDOMAIN, SOCK_RAW, proto, cred, 9)
}

fn rtsock(st: &mut Stack) -> usize {
    rtsock_as(st, 0, Cred::ROOT).expect("routing socket")
}

/// A BSD `sockaddr_in` for `a`.
fn sa_in(a: u32) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    b[0] = 16;
    b[1] = AF_BSDINET as u8;
    b[4..8].copy_from_slice(&a.to_be_bytes());
    b
}

/// A BSD `sockaddr_dl`.
fn sa_dl(index: u16, ty: u8, name: &[u8], lladdr: &[u8]) -> Vec<u8> {
    let len = (8 + name.len() + lladdr.len()).max(20);
    let mut b = vec![0u8; len];
    b[0] = len as u8;
    b[1] = AF_LINK;
    b[2..4].copy_from_slice(&index.to_ne_bytes());
    b[4] = ty;
    b[5] = name.len() as u8;
    b[6] = lladdr.len() as u8;
    b[8..8 + name.len()].copy_from_slice(name);
    b[8 + name.len()..8 + name.len() + lladdr.len()].copy_from_slice(lladdr);
    b
}

/// A request: its header fields and addresses, `(RTA_* bit, sockaddr)`.
#[derive(Clone, Default)]
struct Req {
    ty: u8,
    flags: i32,
    seq: i32,
    inits: u64,
    rmx: RtMetrics,
    addrs: Vec<(i32, Vec<u8>)>,
}

impl Req {
    fn new(ty: u8, addrs: &[(i32, Vec<u8>)]) -> Req {
        Req { ty, seq: 1, addrs: addrs.to_vec(), ..Req::default() }
    }

    fn flags(mut self, f: u16) -> Req {
        self.flags = i32::from(f);
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; RT_MSGHDR_LEN];
        let mut addrs = self.addrs.clone();
        addrs.sort_by_key(|a| a.0);
        let mut bits = 0;
        for (bit, sa) in addrs.iter() {
            bits |= bit;
            let start = b.len();
            b.extend_from_slice(sa);
            b.resize(
                start + roundup(usize::from(sa.first().copied().unwrap_or(0))).max(sa.len()),
                0,
            );
        }
        let h = RtMsghdr {
            rtm_msglen: b.len() as u16,
            rtm_version: RTM_VERSION,
            rtm_type: self.ty,
            rtm_flags: self.flags,
            rtm_addrs: bits,
            rtm_seq: self.seq,
            rtm_inits: self.inits,
            rtm_rmx: self.rmx,
            ..RtMsghdr::default()
        };
        h.write(&mut b);
        b
    }
}

/// Writes `msg` on `so`, as write() would.
fn write(st: &mut Stack, so: usize, msg: &[u8]) -> Result {
    send(st, so, None, msg)
}

/// Every message waiting on `so`.
fn read_all(st: &mut Stack, so: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        match recv(st, so, 65536, 0) {
            Ok((b, _)) => out.push(b),
            Err(e) => {
                assert_eq!(e, EWOULDBLOCK);
                return out;
            }
        }
    }
}

/// A message the stack sent, read back: its type, header bytes and
/// addresses. Every message must parse: this checks its lengths.
#[derive(Debug)]
struct Got {
    ty: u8,
    raw: Vec<u8>,
    info: RtInfo,
}

impl Got {
    fn rtm(&self) -> RtMsghdr {
        RtMsghdr::read(&self.raw)
    }
}

fn parse(st: &Stack, b: &[u8]) -> Got {
    assert!(b.len() >= 4, "short message {b:?}");
    let msglen = usize::from(u16::from_ne_bytes([b[0], b[1]]));
    assert_eq!(msglen, b.len(), "rtm_msglen");
    let ty = b[3];
    if b[2] != RTM_VERSION {
        // A request of another version, passed on as it came.
        return Got { ty, raw: b.to_vec(), info: RtInfo::default() };
    }
    let hl = msghdr_len(ty);
    assert!(b.len() >= hl);
    let off = if hl == RT_MSGHDR_LEN { 12 } else { 4 };
    let addrs = i32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]]);
    let info = rt_xaddrs(st, &b[hl..], addrs).expect("the stack's own message parses");
    assert_eq!(info.addrs(), addrs);
    Got { ty, raw: b.to_vec(), info }
}

fn read_parsed(st: &mut Stack, so: usize) -> Vec<Got> {
    let msgs = read_all(st, so);
    msgs.iter().map(|b| parse(st, b)).collect()
}

fn some_in(a: u32) -> Option<Sockaddr> {
    Some(Sockaddr::In(InAddr(a)))
}

const LO: u32 = ip4(127, 0, 0, 1);

#[test]
fn add_get_change_lock_delete() {
    let mut st = stack();
    st.curpid = 4242;
    let so = rtsock(&mut st);
    let net = ip4(10, 0, 0, 0);
    let mask = ip4(255, 0, 0, 0);
    let mut add = Req::new(
        RTM_ADD,
        &[
            (RTA_DST, sa_in(net)),
            (RTA_GATEWAY, sa_in(ip4(127, 0, 0, 2))),
            (RTA_NETMASK, sa_in(mask)),
        ],
    )
    .flags(RTF_GATEWAY | RTF_STATIC);
    add.seq = 7;
    add.inits = u64::from(RTV_MTU | RTV_HOPCOUNT | RTV_EXPIRE);
    add.rmx.rmx_mtu = 1400;
    add.rmx.rmx_hopcount = 3;
    add.rmx.rmx_expire = 600;
    add.rmx.rmx_locks = RTV_MTU | RTV_RTT;
    write(&mut st, so, &add.bytes()).unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 1);
    let a = got[0].rtm();
    assert_eq!((got[0].ty, a.rtm_errno, a.rtm_seq, a.rtm_pid), (RTM_ADD, 0, 7, 4242));
    assert_eq!(a.rtm_flags, i32::from(RTF_GATEWAY | RTF_STATIC | RTF_DONE));
    assert_eq!(got[0].info.dst, some_in(net));

    let rt = st.rtable.rn_lookup(InAddr(net), InAddr(mask)).expect("route added");
    let r = st.rt(rt);
    assert_eq!(r.rt_flags, RTF_UP | RTF_GATEWAY | RTF_STATIC);
    assert_eq!(r.rt_gateway, Sockaddr::In(InAddr(ip4(127, 0, 0, 2))));
    assert_eq!((r.rt_rmx.rmx_mtu, r.rt_rmx.rmx_hopcount), (1400, 3));
    // Locked: what was asked and initialized.
    assert_eq!(r.rt_rmx.rmx_locks, RTV_MTU);
    let now = st.time_second();
    assert_eq!(st.rt(rt).rt_rmx.rmx_expire, now + 600);

    // RTM_GET of a host on the net finds the net, with its interface.
    let mut get =
        Req::new(RTM_GET, &[(RTA_DST, sa_in(ip4(10, 1, 2, 3))), (RTA_IFP, sa_dl(0, 0, b"", b""))]);
    get.seq = 8;
    write(&mut st, so, &get.bytes()).unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 1);
    let g = &got[0];
    let h = g.rtm();
    assert_eq!((g.ty, h.rtm_errno, h.rtm_seq), (RTM_GET, 0, 8));
    assert_eq!(h.rtm_flags, i32::from(RTF_UP | RTF_GATEWAY | RTF_STATIC | RTF_DONE));
    assert_eq!(g.info.dst, some_in(net));
    assert_eq!(g.info.gateway, some_in(ip4(127, 0, 0, 2)));
    assert_eq!(g.info.netmask, some_in(mask));
    assert_eq!(g.info.ifa, some_in(LO));
    let lo0 = st.ifnet.iter().find(|(_, i)| i.if_name.as_bytes() == b"lo0").unwrap().1.if_index;
    assert_eq!(h.rtm_index, lo0);
    match g.info.ifp {
        Some(Sockaddr::Dl(sdl)) => assert_eq!((sdl.sdl_index, sdl.sdl_type), (lo0, IFT_LOOP)),
        other => panic!("no interface: {other:?}"),
    }
    // The interface's name is in the link address.
    assert!(g.raw.windows(3).any(|w| w == b"lo0"));
    assert_eq!((h.rtm_rmx.rmx_mtu, h.rtm_rmx.rmx_expire), (1400, 600));

    // RTM_CHANGE: a new gateway and MTU.
    let mut change = Req::new(
        RTM_CHANGE,
        &[
            (RTA_DST, sa_in(net)),
            (RTA_GATEWAY, sa_in(ip4(127, 0, 0, 3))),
            (RTA_NETMASK, sa_in(mask)),
        ],
    );
    change.inits = u64::from(RTV_MTU);
    change.rmx.rmx_mtu = 1300;
    write(&mut st, so, &change.bytes()).unwrap();
    assert_eq!(read_parsed(&mut st, so)[0].rtm().rtm_errno, 0);
    assert_eq!(st.rt(rt).rt_gateway, Sockaddr::In(InAddr(ip4(127, 0, 0, 3))));
    assert_eq!(st.rt(rt).rt_rmx.rmx_mtu, 1300);
    // CHANGE wants the route itself: not a network match, and the mask
    // names it (none: a host route).
    let c = Req::new(RTM_CHANGE, &[(RTA_DST, sa_in(ip4(10, 1, 0, 0))), (RTA_NETMASK, sa_in(mask))]);
    assert_eq!(write(&mut st, so, &c.bytes()), Err(ESRCH));
    let c = Req::new(RTM_CHANGE, &[(RTA_DST, sa_in(net))]);
    assert_eq!(write(&mut st, so, &c.bytes()), Err(ETOOMANYREFS));
    let got = read_parsed(&mut st, so);
    assert_eq!(
        got.iter().map(|g| g.rtm().rtm_errno).collect::<Vec<_>>(),
        [ESRCH.0, ETOOMANYREFS.0]
    );

    // RTM_LOCK: the locks named are cleared, then those initialized set.
    let mut lock = Req::new(RTM_LOCK, &[(RTA_DST, sa_in(net)), (RTA_NETMASK, sa_in(mask))]);
    lock.inits = u64::from(RTV_HOPCOUNT);
    lock.rmx.rmx_locks = RTV_HOPCOUNT | RTV_MTU;
    write(&mut st, so, &lock.bytes()).unwrap();
    assert_eq!(st.rt(rt).rt_rmx.rmx_locks, RTV_HOPCOUNT);

    // A second ADD of the same route, and one without a gateway.
    assert_eq!(write(&mut st, so, &add.bytes()), Err(EEXIST));
    let nogw = Req::new(RTM_ADD, &[(RTA_DST, sa_in(ip4(11, 0, 0, 0))), (RTA_NETMASK, sa_in(mask))]);
    assert_eq!(write(&mut st, so, &nogw.bytes()), Err(EINVAL));
    // A gateway on no attached network.
    let far = Req::new(
        RTM_ADD,
        &[(RTA_DST, sa_in(ip4(11, 0, 0, 0))), (RTA_GATEWAY, sa_in(ip4(192, 168, 9, 9)))],
    )
    .flags(RTF_GATEWAY | RTF_HOST);
    assert_eq!(write(&mut st, so, &far.bytes()), Err(ENETUNREACH));
    read_all(&mut st, so);

    // RTM_DELETE, then it is gone.
    let del = Req::new(RTM_DELETE, &[(RTA_DST, sa_in(net)), (RTA_NETMASK, sa_in(mask))]);
    write(&mut st, so, &del.bytes()).unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!((got[0].ty, got[0].rtm().rtm_errno), (RTM_DELETE, 0));
    assert!(st.rtable.rn_lookup(InAddr(net), InAddr(mask)).is_none());
    assert_eq!(write(&mut st, so, &get.bytes()), Err(ESRCH));
    assert_eq!(write(&mut st, so, &del.bytes()), Err(ESRCH));
    soclose(&mut st, so);
    assert_eq!(st.route_cb, RouteCb::default());
    assert_eq!(st.rawcb.len(), 0);
}

#[test]
fn host_and_default_routes_and_short_masks() {
    let mut st = stack();
    let so = rtsock(&mut st);
    // A default route: the mask's sa_len 0 (BSD's route(8) sends that).
    let def = Req::new(
        RTM_ADD,
        &[
            (RTA_DST, sa_in(0)),
            (RTA_GATEWAY, sa_in(ip4(127, 0, 0, 9))),
            (RTA_NETMASK, vec![0u8; 8]),
        ],
    )
    .flags(RTF_GATEWAY);
    write(&mut st, so, &def.bytes()).unwrap();
    assert!(st.rtable.rn_lookup(InAddr(0), InAddr(0)).is_some());
    // A mask cut after its last non-zero byte: 255.255.0.0 in 6 bytes.
    let short = vec![6u8, 0, 0, 0, 255, 255];
    let net = Req::new(
        RTM_ADD,
        &[(RTA_DST, sa_in(ip4(172, 16, 0, 0))), (RTA_GATEWAY, sa_in(LO)), (RTA_NETMASK, short)],
    );
    write(&mut st, so, &net.bytes()).unwrap();
    assert!(st.rtable.rn_lookup(InAddr(ip4(172, 16, 0, 0)), InAddr(ip4(255, 255, 0, 0))).is_some());
    // A host route: RTF_HOST wins over a mask.
    let host = Req::new(
        RTM_ADD,
        &[
            (RTA_DST, sa_in(ip4(10, 9, 8, 7))),
            (RTA_GATEWAY, sa_in(LO)),
            (RTA_NETMASK, sa_in(ip4(255, 0, 0, 0))),
        ],
    )
    .flags(RTF_HOST);
    write(&mut st, so, &host.bytes()).unwrap();
    let rt = st.rtable.rn_match(InAddr(ip4(10, 9, 8, 7))).unwrap();
    assert!(st.rt(rt).is_host());
    // GET of an address only the default route covers.
    let get = Req::new(RTM_GET, &[(RTA_DST, sa_in(ip4(8, 8, 8, 8)))]);
    write(&mut st, so, &get.bytes()).unwrap();
    let got = read_parsed(&mut st, so);
    let g = got.last().unwrap();
    assert_eq!((g.info.dst, g.info.netmask), (some_in(0), some_in(0)));
    // A host route's GET carries no mask.
    let get = Req::new(RTM_GET, &[(RTA_DST, sa_in(ip4(10, 9, 8, 7)))]);
    write(&mut st, so, &get.bytes()).unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!(got[0].info.netmask, None);
    assert_eq!(got[0].info.gateway, some_in(LO));
    soclose(&mut st, so);
    assert_no_leaks(&st);
}

#[test]
fn listeners_see_requests_and_uselookback() {
    let mut st = stack();
    let (a, b) = (rtsock(&mut st), rtsock(&mut st));
    let inet_only = rtsock_as(&mut st, i32::from(AF_BSDINET), Cred::ROOT).unwrap();
    assert_eq!(st.route_cb, RouteCb { ip_count: 1, any_count: 3 });
    let add = Req::new(RTM_ADD, &[(RTA_DST, sa_in(ip4(10, 0, 0, 1))), (RTA_GATEWAY, sa_in(LO))])
        .flags(RTF_HOST);
    write(&mut st, a, &add.bytes()).unwrap();
    for so in [a, b, inet_only] {
        let got = read_parsed(&mut st, so);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].ty, got[0].rtm().rtm_errno), (RTM_ADD, 0));
    }
    // Without SO_USELOOPBACK the sender does not hear itself.
    sosetopt(&mut st, a, SOL_SOCKET, i32::from(SO_USELOOPBACK), &0i32.to_ne_bytes()).unwrap();
    let del = Req::new(RTM_DELETE, &[(RTA_DST, sa_in(ip4(10, 0, 0, 1)))]).flags(RTF_HOST);
    write(&mut st, a, &del.bytes()).unwrap();
    assert!(read_all(&mut st, a).is_empty());
    assert_eq!(read_parsed(&mut st, b)[0].ty, RTM_DELETE);
    // The sender's own control block is back once the call is done.
    rtalloc1(&mut st, InAddr(ip4(10, 0, 0, 1)), true);
    assert_eq!(read_parsed(&mut st, a)[0].ty, RTM_MISS);
    read_all(&mut st, b);
    read_all(&mut st, inet_only);
    // An interface message has no family: the AF_BSDINET socket misses it.
    let lo0 = ifunit(&st, b"lo0").unwrap();
    rt_ifmsg(&mut st, lo0);
    assert_eq!(read_parsed(&mut st, b)[0].ty, RTM_IFINFO);
    assert!(read_all(&mut st, inet_only).is_empty());
    read_all(&mut st, a);
    // Alone and without loopback: nothing is built.
    soclose(&mut st, b);
    soclose(&mut st, inet_only);
    assert_eq!(st.route_cb, RouteCb { ip_count: 0, any_count: 1 });
    let before = st.mbpool.mbstat.m_mbufs;
    write(&mut st, a, &add.bytes()).unwrap();
    assert_eq!(st.mbpool.mbstat.m_mbufs, before);
    assert!(read_all(&mut st, a).is_empty());
    soclose(&mut st, a);
    assert_no_leaks(&st);
}

#[test]
fn full_receive_buffer_drops_messages() {
    let mut st = stack();
    let so = rtsock(&mut st);
    let n = 2000;
    for i in 0..n {
        rtalloc1(&mut st, InAddr(ip4(10, 0, (i >> 8) as u8, i as u8)), true);
    }
    let got = read_all(&mut st, so);
    // Small mbufs, not clusters: the 8 KB buffer holds some 60 of them.
    assert!(got.len() >= 50 && got.len() < n, "{}", got.len());
    assert_eq!(st.so(so).so_rcv.sb_drops as usize, n - got.len());
    soclose(&mut st, so);
    assert_no_leaks(&st);
}

#[test]
fn miss_resolve_and_redirect_messages() {
    let mut st = stack();
    let so = rtsock(&mut st);
    // RTM_MISS: a lookup that reports, and finds nothing.
    assert!(rtalloc1(&mut st, InAddr(ip4(10, 9, 9, 9)), true).is_none());
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 1);
    let m = got[0].rtm();
    assert_eq!((got[0].ty, m.rtm_errno, m.rtm_flags), (RTM_MISS, 0, i32::from(RTF_DONE)));
    assert_eq!(got[0].info, RtInfo::dst(InAddr(ip4(10, 9, 9, 9))));
    // A lookup that does not report says nothing.
    assert!(rtalloc1(&mut st, InAddr(ip4(10, 9, 9, 9)), false).is_none());
    assert!(read_all(&mut st, so).is_empty());

    // RTM_RESOLVE: an RTF_XRESOLVE cloning route cloned by a lookup.
    let clone = Req::new(
        RTM_ADD,
        &[
            (RTA_DST, sa_in(ip4(10, 0, 0, 0))),
            (RTA_GATEWAY, sa_in(LO)),
            (RTA_NETMASK, sa_in(ip4(255, 0, 0, 0))),
        ],
    )
    .flags(RTF_CLONING | RTF_XRESOLVE);
    write(&mut st, so, &clone.bytes()).unwrap();
    read_all(&mut st, so);
    let rt = rtalloc1(&mut st, InAddr(ip4(10, 1, 1, 1)), true).expect("cloned");
    assert!(st.rt(rt).is_host() && st.rt(rt).rt_flags & RTF_XRESOLVE != 0);
    rtfree(&mut st, rt);
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].ty, got[0].info.dst), (RTM_RESOLVE, some_in(ip4(10, 1, 1, 1))));

    // RTM_REDIRECT: a new host route through a gateway on lo0's net.
    let (dst, gw, src) = (ip4(192, 168, 1, 1), ip4(127, 0, 0, 2), ip4(127, 0, 0, 3));
    rtredirect(&mut st, InAddr(dst), InAddr(gw), None, RTF_HOST, InAddr(src)).unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 1);
    let g = &got[0];
    let h = g.rtm();
    assert_eq!((g.ty, h.rtm_errno), (RTM_REDIRECT, 0));
    assert_eq!(h.rtm_flags, i32::from(RTF_HOST | RTF_GATEWAY | RTF_DYNAMIC | RTF_DONE));
    assert_eq!(
        (g.info.dst, g.info.gateway, g.info.author),
        (some_in(dst), some_in(gw), some_in(src))
    );
    // A redirect to a gateway on no attached network is reported with
    // its error.
    let r =
        rtredirect(&mut st, InAddr(dst), InAddr(ip4(172, 20, 0, 1)), None, RTF_HOST, InAddr(gw));
    assert_eq!(r, Err(ENETUNREACH));
    let got = read_parsed(&mut st, so);
    assert_eq!((got[0].ty, got[0].rtm().rtm_errno), (RTM_REDIRECT, ENETUNREACH.0));
    soclose(&mut st, so);
    assert_no_leaks(&st);
}

fn aliasreq(name: &str, addr: u32, mask: u32) -> [u8; IFALIASREQ_LEN] {
    let mut r = [0u8; IFALIASREQ_LEN];
    r[..name.len()].copy_from_slice(name.as_bytes());
    set_sockaddr_at(&mut r, IFRA_ADDR, &SockaddrIn::new(InAddr(addr), 0)).unwrap();
    set_sockaddr_at(&mut r, IFRA_MASK, &SockaddrIn::new(InAddr(mask), 0)).unwrap();
    r
}

/// An Ethernet interface "eth0", up and running, with 10.0.0.1/24.
fn eth0(st: &mut Stack, inet: usize) -> usize {
    let ifp = ether_ifattach(st, b"eth0", [2, 0, 0, 0, 0, 1], 1500, 1).unwrap();
    if_link_state(st, ifp, true);
    if_up(st, ifp);
    ifioctl(
        st,
        inet,
        SIOCAIFADDR,
        &mut aliasreq("eth0", ip4(10, 0, 0, 1), ip4(255, 255, 255, 0)),
        true,
    )
    .unwrap();
    ifp
}

#[test]
fn address_and_interface_messages() {
    let mut st = stack();
    let inet = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 0, Cred::ROOT, 0).unwrap();
    let so = rtsock(&mut st);
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let lo0_index = st.ifnet.get(lo0).unwrap().if_index;

    // A new address on lo0: RTM_NEWADDR, then RTM_ADD of its route.
    ifioctl(
        &mut st,
        inet,
        SIOCAIFADDR,
        &mut aliasreq("lo0", ip4(127, 0, 0, 7), ip4(255, 0, 0, 0)),
        true,
    )
    .unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!(got.iter().map(|g| g.ty).collect::<Vec<_>>(), [RTM_NEWADDR, RTM_ADD]);
    let a = IfaMsghdr::read(&got[0].raw);
    assert_eq!((a.ifam_index, a.ifam_flags), (lo0_index, 0));
    assert_eq!(got[0].info.ifa, some_in(ip4(127, 0, 0, 7)));
    assert_eq!(got[0].info.netmask, some_in(ip4(255, 0, 0, 0)));
    assert!(matches!(got[0].info.ifp, Some(Sockaddr::Dl(d)) if d.sdl_index == lo0_index));
    assert_eq!(got[0].info.brd, None);
    let r = got[1].rtm();
    assert_eq!(
        (r.rtm_index, got[1].info.dst, got[1].info.gateway),
        (lo0_index, some_in(ip4(127, 0, 0, 7)), some_in(ip4(127, 0, 0, 7)))
    );
    assert_eq!(r.rtm_flags, i32::from(RTF_UP | RTF_HOST));

    // Deleted: RTM_DELETE of its route, then RTM_DELADDR.
    let mut req = [0u8; IFREQ_LEN];
    req[..3].copy_from_slice(b"lo0");
    set_sockaddr_at(&mut req, IFR_UNION, &SockaddrIn::new(InAddr(ip4(127, 0, 0, 7)), 0)).unwrap();
    ifioctl(&mut st, inet, SIOCDIFADDR, &mut req, true).unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!(got.iter().map(|g| g.ty).collect::<Vec<_>>(), [RTM_DELETE, RTM_DELADDR]);
    assert_eq!(got[0].info.dst, some_in(ip4(127, 0, 0, 7)));
    assert_eq!(got[1].info.ifa, some_in(ip4(127, 0, 0, 7)));

    // Flags: RTM_IFINFO with the new flags.
    let mut req = [0u8; IFREQ_LEN];
    req[..3].copy_from_slice(b"lo0");
    let flags = st.if_flags(lo0) | IFF_DEBUG;
    set_ifr_int(&mut req, IFR_UNION, 2, i32::from(flags)).unwrap();
    ifioctl(&mut st, inet, SIOCSIFFLAGS, &mut req, true).unwrap();
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 1);
    let i = IfMsghdr::read(&got[0].raw);
    assert_eq!(
        (got[0].ty, i.ifm_index, i.ifm_flags, i.ifm_addrs),
        (RTM_IFINFO, lo0_index, i32::from(flags), 0)
    );
    assert_eq!(
        (i.ifi_type, i.ifi[0]),
        (IFT_LOOP, u64::from(st.ifnet.get(lo0).unwrap().if_data.ifi_mtu))
    );

    // An Ethernet interface: its subnet route clones, its broadcast
    // address is in RTM_NEWADDR; the link going down is RTM_IFINFO.
    let ifp = eth0(&mut st, inet);
    let got = read_parsed(&mut st, so);
    let tys: Vec<u8> = got.iter().map(|g| g.ty).collect();
    assert!(tys.ends_with(&[RTM_NEWADDR, RTM_ADD]), "{tys:?}");
    let n = got.len();
    assert_eq!(got[n - 2].info.brd, some_in(ip4(10, 0, 0, 255)));
    assert_eq!(got[n - 1].rtm().rtm_flags & i32::from(RTF_CLONING), i32::from(RTF_CLONING));
    if_link_state(&mut st, ifp, false);
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 1);
    assert_eq!(IfMsghdr::read(&got[0].raw).ifm_flags & i32::from(IFF_RUNNING), 0);

    soclose(&mut st, so);
    soclose(&mut st, inet);
    // What eth0 sent (ARP) waits for its device.
    st.if_snd_drain(|_, _| {});
    assert_no_leaks(&st);
}

#[test]
fn change_interface_by_ifp_and_ifa() {
    let mut st = stack();
    let inet = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 0, Cred::ROOT, 0).unwrap();
    let so = rtsock(&mut st);
    let eth = eth0(&mut st, inet);
    read_all(&mut st, so);
    let lo0 = ifunit(&st, b"lo0").unwrap();
    let lo0_index = st.ifnet.get(lo0).unwrap().if_index;
    let (net, mask) = (ip4(10, 5, 0, 0), ip4(255, 255, 0, 0));
    let key = [(RTA_DST, sa_in(net)), (RTA_NETMASK, sa_in(mask))];
    let mut add = key.to_vec();
    add.push((RTA_GATEWAY, sa_in(ip4(10, 0, 0, 254))));
    write(&mut st, so, &Req::new(RTM_ADD, &add).flags(RTF_GATEWAY).bytes()).unwrap();
    let rt = st.rtable.rn_lookup(InAddr(net), InAddr(mask)).unwrap();
    assert_eq!((st.rt(rt).rt_ifp, st.rt(rt).rt_ifa), (eth, InAddr(ip4(10, 0, 0, 1))));
    // RTA_IFP by index: lo0, and its address for the gateway.
    let mut to_lo = key.to_vec();
    to_lo.push((RTA_IFP, sa_dl(lo0_index, 0, b"", b"")));
    write(&mut st, so, &Req::new(RTM_CHANGE, &to_lo).bytes()).unwrap();
    assert_eq!((st.rt(rt).rt_ifp, st.rt(rt).rt_ifa), (lo0, InAddr(LO)));
    // RTA_IFP by name, index 0.
    let mut to_eth = key.to_vec();
    to_eth.push((RTA_IFP, sa_dl(0, 0, b"eth0", b"")));
    write(&mut st, so, &Req::new(RTM_CHANGE, &to_eth).bytes()).unwrap();
    assert_eq!((st.rt(rt).rt_ifp, st.rt(rt).rt_ifa), (eth, InAddr(ip4(10, 0, 0, 1))));
    // RTA_IFA: the interface of that address.
    let mut by_ifa = key.to_vec();
    by_ifa.push((RTA_IFA, sa_in(LO)));
    write(&mut st, so, &Req::new(RTM_CHANGE, &by_ifa).bytes()).unwrap();
    assert_eq!((st.rt(rt).rt_ifp, st.rt(rt).rt_ifa), (lo0, InAddr(LO)));
    // A new gateway alone: the interface that reaches it.
    let mut gw = key.to_vec();
    gw.push((RTA_GATEWAY, sa_in(ip4(10, 0, 0, 253))));
    write(&mut st, so, &Req::new(RTM_CHANGE, &gw).bytes()).unwrap();
    assert_eq!(
        (st.rt(rt).rt_ifp, st.rt(rt).rt_gateway),
        (eth, Sockaddr::In(InAddr(ip4(10, 0, 0, 253))))
    );
    // The answers say the same.
    let got = read_parsed(&mut st, so);
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|g| g.rtm().rtm_errno == 0));
    soclose(&mut st, so);
    soclose(&mut st, inet);
}

/// The messages of a dump, split and parsed.
fn split_dump(st: &Stack, b: &[u8]) -> Vec<Got> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        let len = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        assert!(len >= 4 && len <= rest.len(), "message length {len} of {}", rest.len());
        assert_eq!(len % 8, 0, "messages keep 8-byte alignment");
        out.push(parse(st, &rest[..len]));
        rest = &rest[len..];
    }
    out
}

#[test]
fn dumps_match_the_table() {
    let mut st = stack();
    let inet = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 0, Cred::ROOT, 0).unwrap();
    let so = rtsock(&mut st);
    let ifp = eth0(&mut st, inet);
    for (dst, mask, gw, flags) in [
        (ip4(10, 1, 0, 0), ip4(255, 255, 0, 0), ip4(10, 0, 0, 254), RTF_GATEWAY),
        (ip4(0, 0, 0, 0), 0, ip4(10, 0, 0, 253), RTF_GATEWAY | RTF_STATIC),
        (ip4(192, 168, 5, 5), !0, LO, RTF_HOST | RTF_REJECT),
    ] {
        let req = Req::new(
            RTM_ADD,
            &[(RTA_DST, sa_in(dst)), (RTA_GATEWAY, sa_in(gw)), (RTA_NETMASK, sa_in(mask))],
        )
        .flags(flags);
        write(&mut st, so, &req.bytes()).unwrap();
    }
    // An ARP entry, added the way arp -s does: the link address of the
    // subnet's route (RTM_GET), then RTM_ADD of the host with it.
    let get = Req::new(RTM_GET, &[(RTA_DST, sa_in(ip4(10, 0, 0, 5)))]);
    write(&mut st, so, &get.bytes()).unwrap();
    let got = read_parsed(&mut st, so);
    let Some(Sockaddr::Dl(sdl)) = got.last().unwrap().info.gateway else {
        panic!("no link address")
    };
    assert_eq!(sdl.sdl_type, IFT_ETHER);
    let mac = [2, 0, 0, 0, 0, 5];
    let mut arp = Req::new(
        RTM_ADD,
        &[
            (RTA_DST, sa_in(ip4(10, 0, 0, 5))),
            (RTA_GATEWAY, sa_dl(sdl.sdl_index, sdl.sdl_type, b"", &mac)),
        ],
    )
    .flags(RTF_HOST | RTF_STATIC);
    arp.inits = u64::from(RTV_EXPIRE);
    write(&mut st, so, &arp.bytes()).unwrap();
    let rt = st.rtable.rn_lookup(InAddr(ip4(10, 0, 0, 5)), InAddr(!0)).unwrap();
    assert_ne!(st.rt(rt).rt_flags & RTF_LLINFO, 0);
    // The route is used: rt_use shows in the dump.
    st.rt(rt).rt_use = 3;

    let dump = sysctl_rtable(&st, NET_RT_DUMP, 0).unwrap();
    let msgs = split_dump(&st, &dump);
    let ids = rt_ids(&st).unwrap();
    assert_eq!(msgs.len(), ids.len());
    for (m, &id) in msgs.iter().zip(ids.iter()) {
        let r = st.rtable.rtentries.get(id).unwrap();
        let h = m.rtm();
        assert_eq!(m.ty, RTM_GET);
        assert_eq!(h.rtm_flags, i32::from(r.rt_flags));
        assert_eq!(h.rtm_use as u64, r.rt_use);
        assert_eq!(h.rtm_index, st.ifnet.get(r.rt_ifp).unwrap().if_index);
        assert_eq!((h.rtm_pid, h.rtm_seq, h.rtm_errno), (0, 0, 0));
        assert_eq!(m.info.dst, some_in(r.rt_dst.0));
        assert_eq!(m.info.gateway, Some(r.rt_gateway));
        assert_eq!(m.info.netmask, (!r.is_host()).then_some(Sockaddr::In(r.rt_mask)));
        assert_eq!(m.info.genmask, r.rt_genmask.map(Sockaddr::In));
    }
    let arp_msg = msgs.iter().find(|m| m.info.dst == some_in(ip4(10, 0, 0, 5))).unwrap();
    assert!(matches!(arp_msg.info.gateway, Some(Sockaddr::Dl(d)) if d.lladdr() == mac));

    // NET_RT_FLAGS: the routes with one of the flags.
    let flags = sysctl_rtable(&st, NET_RT_FLAGS, i32::from(RTF_GATEWAY)).unwrap();
    let want = ids
        .iter()
        .filter(|&&id| st.rtable.rtentries.get(id).unwrap().rt_flags & RTF_GATEWAY != 0)
        .count();
    let msgs = split_dump(&st, &flags);
    assert_eq!(msgs.len(), want);
    assert!(msgs.iter().all(|m| m.rtm().rtm_flags & i32::from(RTF_GATEWAY) != 0));
    assert!(sysctl_rtable(&st, NET_RT_FLAGS, 0).unwrap().is_empty());

    // NET_RT_IFLIST: each interface, then its addresses.
    let list = split_dump(&st, &sysctl_rtable(&st, NET_RT_IFLIST, 0).unwrap());
    let tys: Vec<u8> = list.iter().map(|g| g.ty).collect();
    assert_eq!(tys, [RTM_IFINFO, RTM_NEWADDR, RTM_IFINFO, RTM_NEWADDR]);
    let eth = st.ifnet.get(ifp).unwrap();
    let i = IfMsghdr::read(&list[2].raw);
    assert_eq!(
        (i.ifm_index, i.ifm_flags, i.ifi_type, i.ifi_addrlen),
        (eth.if_index, i32::from(eth.if_flags), IFT_ETHER, 6)
    );
    match list[2].info.ifp {
        Some(Sockaddr::Dl(d)) => assert_eq!(d.lladdr(), [2, 0, 0, 0, 0, 1]),
        other => panic!("{other:?}"),
    }
    assert!(list[2].raw.windows(4).any(|w| w == b"eth0"));
    assert_eq!(list[3].info.ifa, some_in(ip4(10, 0, 0, 1)));
    assert_eq!(list[3].info.ifp, None);
    // One interface by index.
    let one = split_dump(&st, &sysctl_rtable(&st, NET_RT_IFLIST, i32::from(eth.if_index)).unwrap());
    assert_eq!(one.len(), 2);
    assert!(sysctl_rtable(&st, NET_RT_IFLIST, 999).unwrap().is_empty());
    assert_eq!(sysctl_rtable(&st, 4, 0).err(), Some(EINVAL));
    assert!(is_routesock(&st, so) && !is_routesock(&st, inet));
    soclose(&mut st, so);
    soclose(&mut st, inet);
}

/// A valid ADD, to break in the tests of bad messages.
fn good_add() -> Vec<u8> {
    Req::new(RTM_ADD, &[(RTA_DST, sa_in(ip4(10, 0, 0, 1))), (RTA_GATEWAY, sa_in(LO))])
        .flags(RTF_HOST)
        .bytes()
}

#[test]
fn bad_messages() {
    let mut st = stack();
    let so = rtsock(&mut st);
    let listener = rtsock(&mut st);
    let routes = st.rtable.rtentries.len();

    // Wrong lengths: EINVAL, passed to no one.
    let mut short = good_add();
    short.truncate(RT_MSGHDR_LEN - 1);
    let n = short.len() as u16;
    short[..2].copy_from_slice(&n.to_ne_bytes());
    let mut long = good_add();
    long.extend_from_slice(&[0; 8]);
    let mut lie = good_add();
    let n = lie.len() as u16 - 8;
    lie[..2].copy_from_slice(&n.to_ne_bytes());
    for m in [&[][..], &[1, 2, 3][..], &short[..], &long[..], &lie[..]] {
        assert_eq!(write(&mut st, so, m), Err(EINVAL), "{m:?}");
    }
    assert!(read_all(&mut st, listener).is_empty());
    // So are types that are not requests: a listener would read them
    // with the wrong header.
    for ty in [0, RTM_LOSING, RTM_MISS, RTM_RESOLVE, RTM_NEWADDR, RTM_IFINFO, 200] {
        let m = Req::new(ty, &[(RTA_DST, sa_in(1))]).bytes();
        assert_eq!(write(&mut st, so, &m), Err(EOPNOTSUPP));
    }
    assert!(read_all(&mut st, listener).is_empty());
    assert!(read_all(&mut st, so).is_empty());

    // The others are passed on with rtm_errno.
    let mut cases: Vec<(Vec<u8>, Errno)> = Vec::new();
    let mut v = good_add();
    v[2] = 2;
    cases.push((v, EPROTONOSUPPORT));
    // Missing RTA_DST.
    cases.push((Req::new(RTM_ADD, &[(RTA_GATEWAY, sa_in(LO))]).bytes(), EINVAL));
    // An internet address whose sa_len is not 16.
    let mut sa = sa_in(ip4(10, 0, 0, 1));
    sa[0] = 8;
    sa.truncate(8);
    cases.push((Req::new(RTM_ADD, &[(RTA_DST, sa), (RTA_GATEWAY, sa_in(LO))]).bytes(), EINVAL));
    // A family with no place there.
    let mut sa = sa_in(ip4(10, 0, 0, 1));
    sa[1] = 2;
    cases.push((
        Req::new(RTM_ADD, &[(RTA_DST, sa), (RTA_GATEWAY, sa_in(LO))]).bytes(),
        EAFNOSUPPORT,
    ));
    let mut sa = sa_in(LO);
    sa[1] = 7;
    cases
        .push((Req::new(RTM_ADD, &[(RTA_DST, sa_in(1)), (RTA_GATEWAY, sa)]).bytes(), EAFNOSUPPORT));
    // rtm_addrs names an address the message does not hold.
    let mut v = good_add();
    v[12] |= RTA_NETMASK as u8;
    cases.push((v, EINVAL));
    // An sa_len running past the end.
    let mut v = good_add();
    let last = RT_MSGHDR_LEN + 16;
    v[last] = 100;
    cases.push((v, EINVAL));
    // A mask longer than a sockaddr_in.
    let mut mask = vec![0u8; 24];
    mask[0] = 24;
    cases.push((
        Req::new(RTM_ADD, &[(RTA_DST, sa_in(1)), (RTA_GATEWAY, sa_in(LO)), (RTA_NETMASK, mask)])
            .bytes(),
        EINVAL,
    ));
    // Link addresses whose lengths do not add up, or not 6 bytes long.
    let mut dl = sa_dl(1, IFT_ETHER, b"lo0", &[1, 2, 3, 4, 5, 6]);
    dl[5] = 14;
    cases.push((
        Req::new(RTM_ADD, &[(RTA_DST, sa_in(1)), (RTA_GATEWAY, dl)]).flags(RTF_HOST).bytes(),
        EINVAL,
    ));
    let dl = sa_dl(1, IFT_ETHER, b"", &[1, 2, 3]);
    cases.push((
        Req::new(RTM_ADD, &[(RTA_DST, sa_in(1)), (RTA_GATEWAY, dl)]).flags(RTF_HOST).bytes(),
        EINVAL,
    ));
    let mut dl = sa_dl(1, IFT_ETHER, b"", b"");
    dl[0] = 4;
    cases.push((
        Req::new(RTM_ADD, &[(RTA_DST, sa_in(1)), (RTA_GATEWAY, dl)]).flags(RTF_HOST).bytes(),
        EINVAL,
    ));
    // A link address naming no interface.
    let dl = sa_dl(77, IFT_ETHER, b"", &[1, 2, 3, 4, 5, 6]);
    cases.push((
        Req::new(RTM_ADD, &[(RTA_DST, sa_in(1)), (RTA_GATEWAY, dl)]).flags(RTF_HOST).bytes(),
        ENETUNREACH,
    ));
    for (m, e) in cases.iter() {
        assert_eq!(write(&mut st, so, m), Err(*e), "{m:?}");
        for s in [so, listener] {
            let got = read_parsed(&mut st, s);
            assert_eq!(got.len(), 1, "{m:?}");
            assert_eq!(got[0].rtm().rtm_errno, e.0);
            assert_eq!(got[0].rtm().rtm_flags & i32::from(RTF_DONE), 0);
        }
    }
    // An address that cannot be read goes on as the header alone.
    let got = {
        write(&mut st, so, &cases[2].0).unwrap_err();
        read_parsed(&mut st, listener)
    };
    read_all(&mut st, so);
    assert_eq!((got[0].raw.len(), got[0].rtm().rtm_addrs), (RT_MSGHDR_LEN, 0));

    // No privilege: EPERM for changes, RTM_GET allowed.
    let user = rtsock_as(&mut st, 0, USER).unwrap();
    for ty in [RTM_ADD, RTM_DELETE, RTM_CHANGE, RTM_LOCK] {
        let mut m = good_add();
        m[3] = ty;
        assert_eq!(write(&mut st, user, &m), Err(EPERM));
        let got = read_parsed(&mut st, listener);
        assert_eq!(got[0].rtm().rtm_errno, EPERM.0);
    }
    let get = Req::new(RTM_GET, &[(RTA_DST, sa_in(LO))]);
    write(&mut st, user, &get.bytes()).unwrap();
    let got = read_parsed(&mut st, user);
    assert_eq!(
        got.iter().map(|g| g.rtm().rtm_errno).collect::<Vec<_>>(),
        [EPERM.0, EPERM.0, EPERM.0, EPERM.0, 0]
    );
    assert_eq!(got[4].info.dst, some_in(LO));
    assert_eq!(st.rtable.rtentries.len(), routes);

    // Socket calls that routing sockets do not take.
    assert_eq!(send(&mut st, so, Some(&sin(LO, 0)), &good_add()), Err(EISCONN));
    assert_eq!(sobind(&mut st, so, &sin(LO, 0)), Err(EINVAL));
    assert_eq!(soconnect(&mut st, so, &sin(LO, 0)), Err(EISCONN));
    assert_eq!(solisten(&mut st, so, 1), Err(EOPNOTSUPP));
    let mut a = SockaddrIn::default();
    assert_eq!(usrreq(&mut st, so, Pru::Sockaddr(&mut a)), Err(EINVAL));
    usrreq(&mut st, so, Pru::Peeraddr(&mut a)).unwrap();
    assert_eq!(a.sin_family, AF_BSDROUTE);
    assert_eq!(rtsock_as(&mut st, 2, Cred::ROOT), Err(EPROTONOSUPPORT));
    assert_eq!(rtsock_as(&mut st, -1, Cred::ROOT), Err(EPROTONOSUPPORT));
    assert_eq!(socreate(&mut st, &ROUTEDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 0), Err(ESOCKTNOSUPPORT));
    // A shut-down socket cannot write.
    soshutdown(&mut st, user, SHUT_WR).unwrap();
    assert_eq!(write(&mut st, user, &get.bytes()), Err(EPIPE));

    for s in [so, listener, user] {
        soclose(&mut st, s);
    }
    assert_eq!(st.route_cb, RouteCb::default());
    assert_no_leaks(&st);
}

/// A message from bytes the proptest chose: raw bytes, or a header of
/// the right length and version with chosen type, flags and metrics, and
/// addresses mostly of kinds the stack takes (destinations and gateways
/// from a few, so that requests meet each other's routes), now and then
/// chosen bytes in a chosen slot.
fn message() -> impl Strategy<Value = Vec<u8>> {
    let dsts = [
        ip4(10, 0, 0, 0),
        ip4(10, 1, 0, 0),
        ip4(10, 0, 0, 5),
        ip4(10, 0, 0, 9),
        0,
        ip4(192, 168, 0, 0),
        LO,
    ];
    let gateway = prop_oneof![
        Just(sa_in(LO)),
        Just(sa_in(ip4(127, 0, 0, 2))),
        Just(sa_in(ip4(10, 0, 0, 7))),
        Just(sa_in(ip4(172, 16, 0, 1))),
        (0u16..4, proptest::collection::vec(any::<u8>(), 0..=6))
            .prop_map(|(i, a)| sa_dl(i, IFT_ETHER, b"", &a)),
    ];
    let mask = (0u32..=32).prop_map(|n| sa_in(if n == 0 { 0 } else { !0u32 << (32 - n) }));
    let junk =
        (0..RTAX_MAX, proptest::collection::vec(any::<u8>(), 0..24)).prop_map(|(i, mut v)| {
            if let Some(x) = v.first_mut() {
                *x %= 32;
            }
            (1 << i, v)
        });
    let req = (
        prop_oneof![
            4 => prop_oneof![Just(RTM_ADD), Just(RTM_DELETE), Just(RTM_GET), Just(RTM_CHANGE), Just(RTM_LOCK)],
            1 => any::<u8>(),
        ],
        prop_oneof![Just(0u16), Just(RTF_HOST), Just(RTF_GATEWAY), Just(RTF_CLONING), any::<u16>()],
        any::<u64>(),
        (proptest::option::weighted(0.9, 0..dsts.len()), proptest::option::of(gateway)),
        (proptest::option::of(mask.clone()), proptest::option::weighted(0.2, mask)),
        (proptest::option::weighted(0.2, 0u16..4), proptest::option::weighted(0.2, 0..dsts.len())),
        proptest::option::weighted(0.1, junk),
    )
        .prop_map(move |(ty, flags, inits, (dst, gw), (nm, gm), (ifp, ifa), junk)| {
            let mut r = Req::new(ty, &[]);
            r.flags = i32::from(flags);
            r.inits = inits & 0xff;
            r.rmx.rmx_expire = inits >> 56;
            r.rmx.rmx_locks = (inits >> 8) as u32 & 0xff;
            let mut put = |bit: i32, sa: Vec<u8>| {
                if !r.addrs.iter().any(|a| a.0 == bit) {
                    r.addrs.push((bit, sa));
                }
            };
            if let Some(j) = junk {
                put(j.0, j.1);
            }
            if let Some(d) = dst {
                put(RTA_DST, sa_in(dsts[d]));
            }
            if let Some(g) = gw {
                put(RTA_GATEWAY, g);
            }
            if let Some(m) = nm {
                put(RTA_NETMASK, m);
            }
            if let Some(m) = gm {
                put(RTA_GENMASK, m);
            }
            if let Some(i) = ifp {
                put(RTA_IFP, sa_dl(i, 0, b"", b""));
            }
            if let Some(a) = ifa {
                put(RTA_IFA, sa_in(dsts[a]));
            }
            r.bytes()
        });
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..400),
        8 => req,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn random_messages(msgs in proptest::collection::vec(message(), 1..24)) {
        let mut st = stack();
        let inet = socreate(&mut st, &INETDOMAIN, SOCK_RAW, 0, Cred::ROOT, 0).unwrap();
        eth0(&mut st, inet);
        let so = rtsock(&mut st);
        let listener = rtsock(&mut st);
        for m in msgs.iter() {
            let r = write(&mut st, so, m);
            // Every message the stack passes on parses.
            for s in [so, listener] {
                for b in read_all(&mut st, s) {
                    let g = parse(&st, &b);
                    if let Err(e) = r {
                        prop_assert_eq!(g.rtm().rtm_errno, e.0);
                    }
                }
            }
            // Lookups through the table still work and report.
            if let Some(rt) = rtalloc1(&mut st, InAddr(ip4(10, 0, 0, 9)), true) {
                rtfree(&mut st, rt);
            }
            for s in [so, listener] {
                for b in read_all(&mut st, s) {
                    parse(&st, &b);
                }
            }
            let dump = sysctl_rtable(&st, NET_RT_DUMP, 0).unwrap();
            prop_assert_eq!(split_dump(&st, &dump).len(), rt_ids(&st).unwrap().len());
            // No reference is left behind, and no route out of the tree.
            prop_assert_eq!(rt_ids(&st).unwrap().len(), st.rtable.rtentries.len());
            for (_, r) in st.rtable.rtentries.iter() {
                prop_assert_eq!((r.rt_refcnt, r.rt_flags & RTF_UP), (0, RTF_UP));
            }
            if let Some(t) = st.rtable.rt_tables.as_ref() {
                prop_assert_eq!(t.rn_verify(), Ok(()));
            }
        }
        soclose(&mut st, so);
        soclose(&mut st, listener);
        soclose(&mut st, inet);
        prop_assert_eq!(st.route_cb, RouteCb::default());
        prop_assert_eq!(st.sockets.len(), 0);
    }
}
