//! Routing sockets (`net/rtsock.c`; book chapter 20, and the message
//! functions of sections 19.8 to 19.16).
//!
//! A routing socket (`socket(AF_BSDROUTE, SOCK_RAW, 0)`, the book's
//! `PF_ROUTE`) reads every routing message the stack sends and writes
//! requests: a message is a header (`rt_msghdr`, `if_msghdr` or
//! `ifa_msghdr`) followed by the socket addresses its `rtm_addrs` bits
//! name, in `RTAX_*` order, each in BSD's layout (`sa_len` first) and
//! rounded up to 8 bytes (the book's `ROUNDUP` on a machine with 8-byte
//! longs). `include/uapi/linux/bsdinet.h` gives the layouts to C.
//!
//! Requests (`route_output`): RTM_ADD, RTM_DELETE, RTM_GET, RTM_CHANGE
//! and RTM_LOCK. Each is answered on the socket it came from (unless its
//! SO_USELOOPBACK is off) and passed to every other routing socket, with
//! `rtm_errno` set when it failed and RTF_DONE when it did not; the
//! write() itself fails with the same error.
//!
//! Differences from the book, each a modern fix or forced by Linux:
//! - Anyone may open a routing socket, to listen and to ask (RTM_GET);
//!   the other requests need CAP_NET_ADMIN, taken when the socket was
//!   created, and answer EPERM without it (FreeBSD's rule; the book's
//!   `raw_usrreq` refuses to open one without privilege, EACCES).
//! - The addresses of a request are checked (`rt_xaddrs`): one that runs
//!   past the message, an internet address whose `sa_len` is not 16, a
//!   link address whose lengths do not add up, a mask longer than 16 is
//!   EINVAL, and a family that has no place there EAFNOSUPPORT. The book
//!   reads whatever is there.
//! - A message whose length is wrong (shorter than a header, or not its
//!   `rtm_msglen`) is answered EINVAL and passed to no one, and so is one
//!   whose type is not a request (EOPNOTSUPP): the book passes them on
//!   as they came, so that listeners would read them with the wrong
//!   lengths or header. One whose addresses are bad is passed on as its
//!   header alone, `rtm_addrs` 0.
//! - `rmx_expire` counts seconds from now, both ways (0: never); the
//!   book's is a time of day. A route whose time is up shows 1.
//! - RTM_ADD also sets the locks that `rtm_inits` and `rmx_locks` name,
//!   as RTM_LOCK does (FreeBSD); a CHANGE or LOCK of a route that is not
//!   there with the mask given is ETOOMANYREFS, as in the book.
//! - The table dumps of the book's sysctl (`sysctl_rtable`) are read with
//!   getsockopt() on a routing socket (the platform's part).
//! - A destination that is not AF_BSDINET is EAFNOSUPPORT (the book's
//!   `rtrequest` answers ESRCH for a family without a table).

use crate::bsd::kern::uipc_domain::{Domain, Protosw, PR_ADDR, PR_ATOMIC};
use crate::bsd::kern::uipc_mbuf::{m_copydata, m_freem, m_get, m_gethdr, Mbuf, MbufPool, MT_DATA};
use crate::bsd::kern::uipc_socket::{Pru, SO_USELOOPBACK};
use crate::bsd::kern::uipc_socket2::soisconnected;
use crate::bsd::net::if_::{ifunit, IfKind, Ifnet};
use crate::bsd::net::raw_cb::SockProto;
use crate::bsd::net::raw_usrreq::{raw_input, raw_usrreq};
use crate::bsd::net::route::*;
use crate::bsd::netinet::if_ether::arp_rtrequest;
use crate::bsd::netinet::in_::{InAddr, InIfaddr, AF_BSDINET};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::socket::SOCK_RAW;
use crate::platform::Vec;

/// The routing domain's family: the book's `PF_ROUTE`. Linux's AF_ROUTE
/// is netlink, so bsdinet registers this number (IRDA's, unused since
/// Linux 4.17).
pub const AF_BSDROUTE: u16 = 23;
/// The family of link-level addresses (`AF_LINK`) inside messages.
pub const AF_LINK: u8 = 18;

/// The version of the messages (`RTM_VERSION`).
pub const RTM_VERSION: u8 = 3;

// Message types (`rtm_type`).
pub const RTM_ADD: u8 = 0x1;
pub const RTM_DELETE: u8 = 0x2;
pub const RTM_CHANGE: u8 = 0x3;
pub const RTM_GET: u8 = 0x4;
pub const RTM_LOSING: u8 = 0x5;
pub const RTM_REDIRECT: u8 = 0x6;
pub const RTM_MISS: u8 = 0x7;
pub const RTM_LOCK: u8 = 0x8;
pub const RTM_OLDADD: u8 = 0x9;
pub const RTM_OLDDEL: u8 = 0xa;
pub const RTM_RESOLVE: u8 = 0xb;
pub const RTM_NEWADDR: u8 = 0xc;
pub const RTM_DELADDR: u8 = 0xd;
pub const RTM_IFINFO: u8 = 0xe;

// The addresses a message carries (`rtm_addrs` bits), in this order.
pub const RTA_DST: i32 = 0x1;
pub const RTA_GATEWAY: i32 = 0x2;
pub const RTA_NETMASK: i32 = 0x4;
pub const RTA_GENMASK: i32 = 0x8;
pub const RTA_IFP: i32 = 0x10;
pub const RTA_IFA: i32 = 0x20;
pub const RTA_AUTHOR: i32 = 0x40;
pub const RTA_BRD: i32 = 0x80;
/// How many kinds of address there are (`RTAX_MAX`).
pub const RTAX_MAX: usize = 8;

// The table dumps (the book's `sysctl(CTL_NET, PF_ROUTE, 0, af, op,
// arg)`), read with getsockopt(BSDINET_SOL_ROUTE, op).
/// Every route, as RTM_GET messages.
pub const NET_RT_DUMP: i32 = 1;
/// The routes with one of the flags `arg`.
pub const NET_RT_FLAGS: i32 = 2;
/// Each interface (`arg` its index, 0 for all) as RTM_IFINFO and then
/// its addresses as RTM_NEWADDR.
pub const NET_RT_IFLIST: i32 = 3;
/// The getsockopt() level of the dumps on a routing socket.
pub const BSDINET_SOL_ROUTE: i32 = AF_BSDROUTE as i32;

/// `sizeof(struct rt_msghdr)`: the book's, with 8-byte longs and the
/// `rt_metrics` of 4.4BSD-Lite2 (ten of them, `rmx_pksent` last).
pub const RT_MSGHDR_LEN: usize = 120;
/// `sizeof(struct if_msghdr)`, with its `struct if_data`.
pub const IF_MSGHDR_LEN: usize = 152;
/// `sizeof(struct ifa_msghdr)`: 20 in the book, padded to 24 here so
/// that what follows stays aligned to 8 bytes.
pub const IFA_MSGHDR_LEN: usize = 24;
/// A BSD `struct sockaddr_in` (`sin_len` 16).
pub const SOCKADDR_IN_LEN: usize = 16;
/// The smallest `struct sockaddr_dl` (`sdl_data[12]`).
pub const SOCKADDR_DL_LEN: usize = 20;
/// The header of a `sockaddr_dl`, before `sdl_data`.
const SDL_HDR: usize = 8;

// Offsets in `struct rt_msghdr`.
const RTM_MSGLEN: usize = 0;
const RTM_VERSION_OFF: usize = 2;
const RTM_TYPE: usize = 3;
const RTM_INDEX: usize = 4;
const RTM_FLAGS: usize = 8;
const RTM_ADDRS: usize = 12;
const RTM_PID: usize = 16;
const RTM_SEQ: usize = 20;
const RTM_ERRNO: usize = 24;
const RTM_USE: usize = 28;
const RTM_INITS: usize = 32;
const RTM_RMX: usize = 40;

/// Bytes a socket address of `sa_len` takes in a message (`ROUNDUP`).
pub const fn roundup(len: usize) -> usize {
    if len > 0 {
        1 + ((len - 1) | 7)
    } else {
        8
    }
}

/// The addresses of a routing message (`struct rt_addrinfo`, by name
/// rather than by `RTAX_*` index).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtInfo {
    pub dst: Option<Sockaddr>,
    pub gateway: Option<Sockaddr>,
    pub netmask: Option<Sockaddr>,
    pub genmask: Option<Sockaddr>,
    /// The interface: its link address, `sdl_index` naming it (the
    /// message gets its name and link-level address).
    pub ifp: Option<Sockaddr>,
    pub ifa: Option<Sockaddr>,
    pub author: Option<Sockaddr>,
    pub brd: Option<Sockaddr>,
}

impl RtInfo {
    /// Just a destination.
    pub fn dst(dst: InAddr) -> RtInfo {
        RtInfo { dst: Some(Sockaddr::In(dst)), ..RtInfo::default() }
    }

    /// The addresses in `RTAX_*` order (`rti_info[]`).
    pub fn slots(&self) -> [Option<Sockaddr>; RTAX_MAX] {
        [
            self.dst,
            self.gateway,
            self.netmask,
            self.genmask,
            self.ifp,
            self.ifa,
            self.author,
            self.brd,
        ]
    }

    fn slot_mut(&mut self, i: usize) -> &mut Option<Sockaddr> {
        match i {
            0 => &mut self.dst,
            1 => &mut self.gateway,
            2 => &mut self.netmask,
            3 => &mut self.genmask,
            4 => &mut self.ifp,
            5 => &mut self.ifa,
            6 => &mut self.author,
            _ => &mut self.brd,
        }
    }

    /// The `rtm_addrs` bits of the addresses present (`rti_addrs`).
    pub fn addrs(&self) -> i32 {
        self.slots().iter().enumerate().filter(|(_, s)| s.is_some()).fold(0, |a, (i, _)| a | 1 << i)
    }
}

/// Listeners by family (`struct route_cb`): messages are built only when
/// someone listens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteCb {
    /// Routing sockets opened for AF_BSDINET only.
    pub ip_count: u32,
    /// All routing sockets.
    pub any_count: u32,
}

/// The header of a routing message (`struct rt_msghdr`), read from or
/// written to its bytes. `rtm_rmx.rmx_expire` counts seconds from now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtMsghdr {
    pub rtm_msglen: u16,
    pub rtm_version: u8,
    pub rtm_type: u8,
    pub rtm_index: u16,
    pub rtm_flags: i32,
    pub rtm_addrs: i32,
    pub rtm_pid: i32,
    pub rtm_seq: i32,
    pub rtm_errno: i32,
    pub rtm_use: i32,
    pub rtm_inits: u64,
    pub rtm_rmx: RtMetrics,
}

fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_ne_bytes([b[off], b[off + 1]])
}

fn get32(b: &[u8], off: usize) -> i32 {
    i32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn get64(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(w)
}

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_ne_bytes());
}

fn put32(b: &mut [u8], off: usize, v: i32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

/// A metric of the message, for a 32-bit field of the route.
fn m32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl RtMsghdr {
    /// The header at the start of `b`, which holds `RT_MSGHDR_LEN` bytes
    /// or more.
    pub fn read(b: &[u8]) -> RtMsghdr {
        let x = |i: usize| get64(b, RTM_RMX + 8 * i);
        RtMsghdr {
            rtm_msglen: get16(b, RTM_MSGLEN),
            rtm_version: b[RTM_VERSION_OFF],
            rtm_type: b[RTM_TYPE],
            rtm_index: get16(b, RTM_INDEX),
            rtm_flags: get32(b, RTM_FLAGS),
            rtm_addrs: get32(b, RTM_ADDRS),
            rtm_pid: get32(b, RTM_PID),
            rtm_seq: get32(b, RTM_SEQ),
            rtm_errno: get32(b, RTM_ERRNO),
            rtm_use: get32(b, RTM_USE),
            rtm_inits: get64(b, RTM_INITS),
            rtm_rmx: RtMetrics {
                rmx_locks: m32(x(0)),
                rmx_mtu: m32(x(1)),
                rmx_hopcount: m32(x(2)),
                rmx_expire: x(3),
                rmx_recvpipe: m32(x(4)),
                rmx_sendpipe: m32(x(5)),
                rmx_ssthresh: m32(x(6)),
                rmx_rtt: m32(x(7)),
                rmx_rttvar: m32(x(8)),
                rmx_pksent: x(9),
            },
        }
    }

    /// Writes the header over the first `RT_MSGHDR_LEN` bytes of `b`.
    pub fn write(&self, b: &mut [u8]) {
        put16(b, RTM_MSGLEN, self.rtm_msglen);
        b[RTM_VERSION_OFF] = self.rtm_version;
        b[RTM_TYPE] = self.rtm_type;
        put16(b, RTM_INDEX, self.rtm_index);
        b[6..8].fill(0);
        put32(b, RTM_FLAGS, self.rtm_flags);
        put32(b, RTM_ADDRS, self.rtm_addrs);
        put32(b, RTM_PID, self.rtm_pid);
        put32(b, RTM_SEQ, self.rtm_seq);
        put32(b, RTM_ERRNO, self.rtm_errno);
        put32(b, RTM_USE, self.rtm_use);
        put64(b, RTM_INITS, self.rtm_inits);
        let r = &self.rtm_rmx;
        let rmx = [
            u64::from(r.rmx_locks),
            u64::from(r.rmx_mtu),
            u64::from(r.rmx_hopcount),
            r.rmx_expire,
            u64::from(r.rmx_recvpipe),
            u64::from(r.rmx_sendpipe),
            u64::from(r.rmx_ssthresh),
            u64::from(r.rmx_rtt),
            u64::from(r.rmx_rttvar),
            r.rmx_pksent,
        ];
        for (i, v) in rmx.into_iter().enumerate() {
            put64(b, RTM_RMX + 8 * i, v);
        }
    }
}

/// The header of an RTM_IFINFO message (`struct if_msghdr` with its
/// `struct if_data`; `ifi_lastchange` is not kept and reads 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IfMsghdr {
    pub ifm_msglen: u16,
    pub ifm_version: u8,
    pub ifm_type: u8,
    pub ifm_addrs: i32,
    pub ifm_flags: i32,
    pub ifm_index: u16,
    pub ifi_type: u8,
    pub ifi_addrlen: u8,
    pub ifi_hdrlen: u8,
    /// `ifi_mtu` ... `ifi_noproto`, in the book's order.
    pub ifi: [u64; 14],
}

impl IfMsghdr {
    /// The header at the start of `b` (`IF_MSGHDR_LEN` bytes or more).
    pub fn read(b: &[u8]) -> IfMsghdr {
        let mut ifi = [0u64; 14];
        for (i, v) in ifi.iter_mut().enumerate() {
            *v = get64(b, 24 + 8 * i);
        }
        IfMsghdr {
            ifm_msglen: get16(b, 0),
            ifm_version: b[2],
            ifm_type: b[3],
            ifm_addrs: get32(b, 4),
            ifm_flags: get32(b, 8),
            ifm_index: get16(b, 12),
            ifi_type: b[16],
            ifi_addrlen: b[17],
            ifi_hdrlen: b[18],
            ifi,
        }
    }

    fn write(&self, b: &mut [u8]) {
        put16(b, 0, self.ifm_msglen);
        b[2] = self.ifm_version;
        b[3] = self.ifm_type;
        put32(b, 4, self.ifm_addrs);
        put32(b, 8, self.ifm_flags);
        put16(b, 12, self.ifm_index);
        b[16] = self.ifi_type;
        b[17] = self.ifi_addrlen;
        b[18] = self.ifi_hdrlen;
        for (i, &v) in self.ifi.iter().enumerate() {
            put64(b, 24 + 8 * i, v);
        }
    }
}

/// The header of an RTM_NEWADDR or RTM_DELADDR message (`struct
/// ifa_msghdr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IfaMsghdr {
    pub ifam_msglen: u16,
    pub ifam_version: u8,
    pub ifam_type: u8,
    pub ifam_addrs: i32,
    pub ifam_flags: i32,
    pub ifam_index: u16,
    pub ifam_metric: i32,
}

impl IfaMsghdr {
    /// The header at the start of `b` (`IFA_MSGHDR_LEN` bytes or more).
    pub fn read(b: &[u8]) -> IfaMsghdr {
        IfaMsghdr {
            ifam_msglen: get16(b, 0),
            ifam_version: b[2],
            ifam_type: b[3],
            ifam_addrs: get32(b, 4),
            ifam_flags: get32(b, 8),
            ifam_index: get16(b, 12),
            ifam_metric: get32(b, 16),
        }
    }

    fn write(&self, b: &mut [u8]) {
        put16(b, 0, self.ifam_msglen);
        b[2] = self.ifam_version;
        b[3] = self.ifam_type;
        put32(b, 4, self.ifam_addrs);
        put32(b, 8, self.ifam_flags);
        put16(b, 12, self.ifam_index);
        put32(b, 16, self.ifam_metric);
    }
}

/// The header length of messages of type `ty`.
pub fn msghdr_len(ty: u8) -> usize {
    match ty {
        RTM_NEWADDR | RTM_DELADDR => IFA_MSGHDR_LEN,
        RTM_IFINFO => IF_MSGHDR_LEN,
        _ => RT_MSGHDR_LEN,
    }
}

/// `len` zero bytes, or ENOBUFS.
fn zeroed(len: usize) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    v.reserve(len).map_err(|_| ENOBUFS)?;
    for _ in 0..len {
        v.push(0).map_err(|_| ENOBUFS)?;
    }
    Ok(v)
}

/// Appends `b` to `v`, or ENOBUFS.
fn append(v: &mut Vec<u8>, b: &[u8]) -> Result {
    v.reserve(b.len()).map_err(|_| ENOBUFS)?;
    for &x in b {
        v.push(x).map_err(|_| ENOBUFS)?;
    }
    Ok(())
}

/// The `if_types.h` type of an interface.
pub fn if_type(ifp: &Ifnet) -> u8 {
    match ifp.if_kind {
        IfKind::Loopback => IFT_LOOP,
        IfKind::Ether => IFT_ETHER,
        IfKind::Tun => IFT_OTHER,
        IfKind::Slip => IFT_SLIP,
    }
}

/// The interface whose `if_index` is `index`.
pub fn ifnet_byindex(st: &Stack, index: u16) -> Option<usize> {
    (index != 0).then(|| st.ifnet.iter().find(|(_, i)| i.if_index == index).map(|(i, _)| i))?
}

/// An interface's link-level address (the book's first address of
/// `if_addrlist`, the AF_LINK one).
pub fn if_sdl(ifp: &Ifnet) -> SockaddrDl {
    let ether = ifp.if_kind == IfKind::Ether;
    SockaddrDl {
        sdl_index: ifp.if_index,
        sdl_type: if_type(ifp),
        sdl_alen: if ether { 6 } else { 0 },
        sdl_addr: if ether { ifp.if_lladdr } else { [0; 6] },
    }
}

/// Writes socket address `sa` in BSD's layout at the end of `v`, padded
/// to 8 bytes. A link address for RTA_IFP (`with_name`) carries the
/// interface's name.
fn put_sockaddr(st: &Stack, v: &mut Vec<u8>, sa: &Sockaddr, with_name: bool) -> Result {
    let mut b = [0u8; 64];
    let len = match *sa {
        Sockaddr::In(a) => {
            b[0] = SOCKADDR_IN_LEN as u8;
            b[1] = AF_BSDINET as u8;
            b[4..8].copy_from_slice(&a.0.to_be_bytes());
            SOCKADDR_IN_LEN
        }
        Sockaddr::Dl(sdl) => {
            let name = match ifnet_byindex(st, sdl.sdl_index) {
                Some(i) if with_name => st.ifnet.get(i).map_or(&[][..], |i| i.if_name.as_bytes()),
                _ => &[],
            };
            let alen = sdl.lladdr().len();
            let len = (SDL_HDR + name.len() + alen).max(SOCKADDR_DL_LEN);
            b[0] = len as u8;
            b[1] = AF_LINK;
            b[2..4].copy_from_slice(&sdl.sdl_index.to_ne_bytes());
            b[4] = sdl.sdl_type;
            b[5] = name.len() as u8;
            b[6] = alen as u8;
            b[SDL_HDR..SDL_HDR + name.len()].copy_from_slice(name);
            b[SDL_HDR + name.len()..SDL_HDR + name.len() + alen].copy_from_slice(sdl.lladdr());
            len
        }
    };
    append(v, &b[..roundup(len)])
}

/// A message of type `ty` with the addresses of `info` (`rt_msg1` and
/// `rt_msg2`): the header zeroed but for its length, version and type.
/// Returns it with the `rtm_addrs` bits of the addresses written.
pub fn rt_msg(st: &Stack, ty: u8, info: &RtInfo) -> Result<(Vec<u8>, i32)> {
    let mut v = zeroed(msghdr_len(ty))?;
    for (i, sa) in info.slots().iter().enumerate() {
        if let Some(sa) = sa {
            put_sockaddr(st, &mut v, sa, i == 4)?;
        }
    }
    let len = u16::try_from(v.len()).map_err(|_| ENOBUFS)?;
    put16(&mut v, RTM_MSGLEN, len);
    v[RTM_VERSION_OFF] = RTM_VERSION;
    v[RTM_TYPE] = ty;
    Ok((v, info.addrs()))
}

/// An internet address of a request: `sa_len` 16, family AF_BSDINET.
fn parse_in(sa: &[u8]) -> Result<InAddr> {
    if sa.len() != SOCKADDR_IN_LEN {
        return Err(EINVAL);
    }
    if u16::from(sa[1]) != AF_BSDINET {
        return Err(EAFNOSUPPORT);
    }
    Ok(InAddr(u32::from_be_bytes([sa[4], sa[5], sa[6], sa[7]])))
}

/// A mask: up to 16 bytes of any family (the book's masks are cut after
/// their last non-zero byte, and their family is not looked at); the
/// bytes of `sin_addr` that are missing are zero.
fn parse_mask(sa: &[u8]) -> Result<InAddr> {
    if sa.len() > SOCKADDR_IN_LEN {
        return Err(EINVAL);
    }
    let mut a = [0u8; 4];
    for (i, x) in a.iter_mut().enumerate() {
        *x = sa.get(4 + i).copied().unwrap_or(0);
    }
    Ok(InAddr(u32::from_be_bytes(a)))
}

/// A link-level address: the header's lengths must fit `sa_len`, and the
/// link address be empty or 6 bytes. Returns it with its name.
fn parse_dl(sa: &[u8]) -> Result<(SockaddrDl, &[u8])> {
    if sa.len() < SDL_HDR {
        return Err(EINVAL);
    }
    let (nlen, alen, slen) = (usize::from(sa[5]), usize::from(sa[6]), usize::from(sa[7]));
    if SDL_HDR + nlen + alen + slen > sa.len() || (alen != 0 && alen != 6) {
        return Err(EINVAL);
    }
    let mut sdl = SockaddrDl {
        sdl_index: u16::from_ne_bytes([sa[2], sa[3]]),
        sdl_type: sa[4],
        sdl_alen: alen as u8,
        sdl_addr: [0; 6],
    };
    sdl.sdl_addr[..alen].copy_from_slice(&sa[SDL_HDR + nlen..SDL_HDR + nlen + alen]);
    Ok((sdl, &sa[SDL_HDR..SDL_HDR + nlen]))
}

/// The addresses of a request, `b` being what follows its header and
/// `addrs` its `rtm_addrs` (`rt_xaddrs`, with the checks the book does
/// not make). RTA_IFP may name the interface by index, or by name with
/// index 0; an unknown name leaves index 0.
pub fn rt_xaddrs(st: &Stack, mut b: &[u8], addrs: i32) -> Result<RtInfo> {
    let mut info = RtInfo::default();
    for i in 0..RTAX_MAX {
        if addrs & (1 << i) == 0 {
            continue;
        }
        let len = usize::from(*b.first().ok_or(EINVAL)?);
        let sa = b.get(..len).ok_or(EINVAL)?;
        let family = sa.get(1).copied().unwrap_or(0);
        let link = family == AF_LINK;
        let parsed = match i {
            // RTAX_NETMASK, RTAX_GENMASK.
            2 | 3 => Sockaddr::In(parse_mask(sa)?),
            // RTAX_GATEWAY, RTAX_IFP: internet or link level.
            1 | 4 if link => {
                let (mut sdl, name) = parse_dl(sa)?;
                if i == 4 && sdl.sdl_index == 0 && !name.is_empty() {
                    if let Some(ifp) = ifunit(st, name) {
                        sdl.sdl_index = st.ifnet.get(ifp).map_or(0, |i| i.if_index);
                    }
                }
                Sockaddr::Dl(sdl)
            }
            _ => Sockaddr::In(parse_in(sa)?),
        };
        *info.slot_mut(i) = Some(parsed);
        b = b.get(roundup(len)..).unwrap_or(&[]);
    }
    Ok(info)
}

/// Sets the metrics `which` (RTV_* bits) says of `out` from `inm`
/// (`rt_setmetrics`); `rmx_expire` comes as seconds from `now`.
pub fn rt_setmetrics(which: u64, inm: &RtMetrics, out: &mut RtMetrics, now: u64) {
    let which = which as u32;
    let set = |bit: u32| which & bit != 0;
    if set(RTV_RPIPE) {
        out.rmx_recvpipe = inm.rmx_recvpipe;
    }
    if set(RTV_SPIPE) {
        out.rmx_sendpipe = inm.rmx_sendpipe;
    }
    if set(RTV_SSTHRESH) {
        out.rmx_ssthresh = inm.rmx_ssthresh;
    }
    if set(RTV_RTT) {
        out.rmx_rtt = inm.rmx_rtt;
    }
    if set(RTV_RTTVAR) {
        out.rmx_rttvar = inm.rmx_rttvar;
    }
    if set(RTV_HOPCOUNT) {
        out.rmx_hopcount = inm.rmx_hopcount;
    }
    if set(RTV_MTU) {
        out.rmx_mtu = inm.rmx_mtu;
    }
    if set(RTV_EXPIRE) {
        out.rmx_expire = if inm.rmx_expire == 0 { 0 } else { now.saturating_add(inm.rmx_expire) };
    }
}

/// A route's metrics as messages show them: `rmx_expire` in seconds
/// from `now` (at least 1 once it is set), 0 for never.
pub fn rt_metrics_out(r: &RtMetrics, now: u64) -> RtMetrics {
    let mut m = *r;
    if m.rmx_expire != 0 {
        m.rmx_expire = m.rmx_expire.saturating_sub(now).max(1);
    }
    m
}

/// Updates the locked metrics from a request (the end of RTM_LOCK).
fn rt_setlocks(inits: u64, locks: u32, out: &mut RtMetrics) {
    out.rmx_locks &= !locks;
    out.rmx_locks |= (inits as u32) & locks;
}

/// The `sp_protocol` of a message about `dst` (its family, or 0).
fn sa_family(sa: Option<Sockaddr>) -> u16 {
    match sa {
        Some(Sockaddr::In(_)) => AF_BSDINET,
        Some(Sockaddr::Dl(_)) => u16::from(AF_LINK),
        None => 0,
    }
}

/// Message `msg` in a chain of mbufs, as the book's `rt_msg1` builds it
/// (the header in an mbuf, the addresses copied back after it): small
/// mbufs, never a cluster, whose 2 KB would count against a listener's
/// buffer for each message.
fn rt_mbuf(mp: &mut MbufPool, msg: &[u8]) -> Result<Mbuf> {
    let mut top = m_gethdr(mp, MT_DATA)?;
    let filled = (|| {
        let mut m = &mut top;
        let mut rest = msg;
        loop {
            let k = rest.len().min(m.m_trailingspace());
            m.set_len(k)?;
            m.mtod_mut().ok_or(EINVAL)?.copy_from_slice(&rest[..k]);
            rest = &rest[k..];
            if rest.is_empty() {
                return Ok(());
            }
            m.set_next(Some(m_get(mp, MT_DATA)?));
            m = m.m_next_mut().ok_or(EINVAL)?;
        }
    })();
    if let Err(e) = filled {
        m_freem(mp, top);
        return Err(e);
    }
    if let Some(h) = top.m_pkthdr_mut() {
        h.len = msg.len();
    }
    Ok(top)
}

/// Passes message `msg` to the routing sockets that want messages about
/// `family` (`raw_input` with `route_proto`).
fn rt_dispatch(st: &mut Stack, msg: &[u8], family: u16) {
    if let Ok(m) = rt_mbuf(&mut st.mbpool, msg) {
        raw_input(st, m, SockProto { sp_family: AF_BSDROUTE, sp_protocol: family });
    }
}

/// The user requests of routing sockets (`route_usrreq`): `raw_usrreq`
/// with the listener counts kept, the socket connected to the routing
/// domain at once, and SO_USELOOPBACK on, so that it sees its own
/// messages. The protocol of socket() is the family of the messages
/// wanted: 0 for all, or AF_BSDINET; others are EPROTONOSUPPORT.
pub fn route_usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
    let attach = match req {
        Pru::Attach { proto } => {
            if proto != 0 && proto != i32::from(AF_BSDINET) {
                return Err(EPROTONOSUPPORT);
            }
            true
        }
        Pru::Detach | Pru::Abort => {
            let proto = st.so(so).so_pcb.and_then(|rp| st.rawcb.get(rp)).map(|rp| rp.rcb_proto);
            if let Some(p) = proto {
                if p.sp_protocol == AF_BSDINET {
                    st.route_cb.ip_count = st.route_cb.ip_count.saturating_sub(1);
                }
                st.route_cb.any_count = st.route_cb.any_count.saturating_sub(1);
            }
            false
        }
        _ => false,
    };
    raw_usrreq(st, so, req, AF_BSDROUTE, route_output)?;
    if attach {
        let proto = st.so(so).so_pcb.and_then(|rp| st.rawcb.get(rp)).map(|rp| rp.rcb_proto);
        if proto.is_some_and(|p| p.sp_protocol == AF_BSDINET) {
            st.route_cb.ip_count += 1;
        }
        st.route_cb.any_count += 1;
        soisconnected(st, so);
        st.so(so).so_options |= SO_USELOOPBACK;
    }
    Ok(())
}

/// A message written to routing socket `so` (`route_output`): the
/// request it makes, and then the message back to the listeners.
pub fn route_output(st: &mut Stack, m: Mbuf, so: usize) -> Result {
    let len = m.m_length();
    let mut w = [0u8; 2];
    if len < RT_MSGHDR_LEN
        || m_copydata(&m, 0, &mut w).is_err()
        || usize::from(u16::from_ne_bytes(w)) != len
    {
        m_freem(&mut st.mbpool, m);
        return Err(EINVAL);
    }
    let mut msg = match zeroed(len) {
        Ok(v) => v,
        Err(e) => {
            m_freem(&mut st.mbpool, m);
            return Err(e);
        }
    };
    let copied = m_copydata(&m, 0, &mut msg);
    m_freem(&mut st.mbpool, m);
    copied?;
    // A message that is not a request is passed to no one either: its
    // listeners would read it with another type's header.
    let ty = msg[RTM_TYPE];
    if msg[RTM_VERSION_OFF] == RTM_VERSION
        && !matches!(ty, RTM_ADD | RTM_DELETE | RTM_GET | RTM_CHANGE | RTM_LOCK)
    {
        return Err(EOPNOTSUPP);
    }
    let mut family = 0;
    let r = route_request(st, so, &mut msg, &mut family);
    // flush: the answer, to all who listen.
    match r {
        Err(e) => put32(&mut msg, RTM_ERRNO, e.0),
        Ok(()) => {
            let f = get32(&msg, RTM_FLAGS);
            put32(&mut msg, RTM_FLAGS, f | i32::from(RTF_DONE));
        }
    }
    let uselo = st.so(so).so_options & SO_USELOOPBACK != 0;
    if !uselo && st.route_cb.any_count <= 1 {
        return r;
    }
    // Without SO_USELOOPBACK the sender's control block matches nothing
    // for the time of the call.
    let rp = if uselo { None } else { st.so(so).so_pcb };
    let saved = rp
        .and_then(|rp| st.rawcb.get_mut(rp))
        .map(|cb| core::mem::replace(&mut cb.rcb_proto.sp_family, 0));
    rt_dispatch(st, &msg, family);
    if let (Some(rp), Some(f)) = (rp, saved) {
        if let Some(cb) = st.rawcb.get_mut(rp) {
            cb.rcb_proto.sp_family = f;
        }
    }
    r
}

/// The request of message `msg` from socket `so`; `msg` becomes the
/// answer and `family` the family of its destination.
fn route_request(st: &mut Stack, so: usize, msg: &mut Vec<u8>, family: &mut u16) -> Result {
    let h = RtMsghdr::read(msg);
    if h.rtm_version != RTM_VERSION {
        return Err(EPROTONOSUPPORT);
    }
    put32(msg, RTM_PID, st.curpid);
    let info = match rt_xaddrs(st, &msg[RT_MSGHDR_LEN..], h.rtm_addrs) {
        Ok(info) => info,
        Err(e) => {
            // Pass on no addresses that cannot be read.
            while msg.len() > RT_MSGHDR_LEN {
                msg.pop();
            }
            put16(msg, RTM_MSGLEN, RT_MSGHDR_LEN as u16);
            put32(msg, RTM_ADDRS, 0);
            return Err(e);
        }
    };
    *family = sa_family(info.dst);
    let dst = match info.dst {
        Some(Sockaddr::In(a)) => a,
        _ => return Err(EINVAL),
    };
    if h.rtm_type != RTM_GET && !st.so(so).so_cred.net_admin {
        return Err(EPERM);
    }
    let mask = |sa: Option<Sockaddr>| match sa {
        Some(Sockaddr::In(m)) => Some(m),
        _ => None,
    };
    let (netmask, genmask) = (mask(info.netmask), mask(info.genmask));
    // rt_flags is a short in the book: the other bits go.
    let flags = h.rtm_flags as u16;
    match h.rtm_type {
        RTM_ADD => {
            let gate = info.gateway.ok_or(EINVAL)?;
            if let Some(rt) = rtrequest(st, Req::Add, dst, Some(gate), netmask, flags, true)? {
                let now = st.time_second();
                let r = st.rt(rt);
                rt_setmetrics(h.rtm_inits, &h.rtm_rmx, &mut r.rt_rmx, now);
                rt_setlocks(h.rtm_inits, h.rtm_rmx.rmx_locks, &mut r.rt_rmx);
                r.rt_genmask = genmask;
                rtfree(st, rt);
            }
            Ok(())
        }
        RTM_DELETE => {
            rtrequest(st, Req::Delete, dst, info.gateway, netmask, flags, false).map(|_| ())
        }
        RTM_GET | RTM_CHANGE | RTM_LOCK => {
            let mut rt = rtalloc1(st, dst, false).ok_or(ESRCH)?;
            let r = route_getchange(st, msg, &h, &info, &mut rt, dst, netmask, genmask);
            rtfree(st, rt);
            r
        }
        _ => Err(EOPNOTSUPP),
    }
}

/// RTM_GET, RTM_CHANGE and RTM_LOCK on route `rt` (held: the caller
/// frees it; CHANGE and LOCK may trade it for the exact route).
#[allow(clippy::too_many_arguments)]
fn route_getchange(
    st: &mut Stack,
    msg: &mut Vec<u8>,
    h: &RtMsghdr,
    info: &RtInfo,
    rt: &mut RtId,
    dst: InAddr,
    netmask: Option<InAddr>,
    genmask: Option<InAddr>,
) -> Result {
    if h.rtm_type != RTM_GET {
        // Not a network match: the route itself, with the mask given
        // (none: the host route).
        if st.rt(*rt).rt_dst != dst {
            return Err(ESRCH);
        }
        let exact = st.rtable.rn_lookup(dst, netmask.unwrap_or(InAddr(!0))).ok_or(ETOOMANYREFS)?;
        if exact != *rt {
            rtfree(st, *rt);
            st.rt(exact).rt_refcnt += 1;
            *rt = exact;
        }
    }
    let rt = *rt;
    match h.rtm_type {
        RTM_GET => {
            let mut out = rt_info(st, rt);
            let r = st.rt(rt);
            let (ifp, ifa) = (r.rt_ifp, r.rt_ifa);
            let mut index = h.rtm_index;
            if h.rtm_addrs & (RTA_IFP | RTA_IFA) != 0 {
                if let Some(i) = st.ifnet.get(ifp) {
                    out.ifp = Some(Sockaddr::Dl(if_sdl(i)));
                    out.ifa = Some(Sockaddr::In(ifa));
                    index = i.if_index;
                }
            }
            let (mut new, addrs) = rt_msg(st, RTM_GET, &out)?;
            // The request's header stays but for what the answer says.
            new[RTM_INDEX..RT_MSGHDR_LEN].copy_from_slice(&msg[RTM_INDEX..RT_MSGHDR_LEN]);
            let now = st.time_second();
            let r = st.rt(rt);
            let mut a = RtMsghdr::read(&new);
            a.rtm_index = index;
            a.rtm_flags = i32::from(r.rt_flags);
            a.rtm_use = r.rt_use as i32;
            a.rtm_rmx = rt_metrics_out(&r.rt_rmx, now);
            a.rtm_addrs = addrs;
            a.write(&mut new);
            *msg = new;
        }
        RTM_CHANGE => {
            route_change(st, rt, h, info, genmask);
            let r = st.rt(rt);
            rt_setlocks(h.rtm_inits, h.rtm_rmx.rmx_locks, &mut r.rt_rmx);
        }
        _ => {
            let r = st.rt(rt);
            rt_setlocks(h.rtm_inits, h.rtm_rmx.rmx_locks, &mut r.rt_rmx);
        }
    }
    Ok(())
}

/// RTM_CHANGE: a new gateway, interface (RTA_IFP, by link address or by
/// an address on its network) or interface address (RTA_IFA), metrics
/// and clone mask.
fn route_change(st: &mut Stack, rt: RtId, h: &RtMsghdr, info: &RtInfo, genmask: Option<InAddr>) {
    if let Some(g) = info.gateway {
        st.rt(rt).rt_gateway = g;
    }
    let r = st.rt(rt);
    let (key, flags, gate) = (r.rt_dst, r.rt_flags, r.rt_gateway);
    let gate_in = match gate {
        Sockaddr::In(a) => a,
        Sockaddr::Dl(_) => key,
    };
    let ifaaddr = match info.ifa {
        Some(Sockaddr::In(a)) => Some(a),
        _ => None,
    };
    let ifpaddr = match info.ifp {
        Some(Sockaddr::Dl(sdl)) => ifnet_byindex(st, sdl.sdl_index),
        Some(Sockaddr::In(a)) => st.ifa_ifwithnet(a).map(|ia| ia.ia_ifp),
        None => None,
    };
    let new = match ifpaddr {
        Some(ifp) => {
            st.ifaof_ifpforaddr(ifaaddr.unwrap_or(gate_in), ifp).map(|ia| (ia.ia_ifp, ia.ia_addr))
        }
        None => match ifaaddr.and_then(|a| st.ifa_ifwithaddr(a)) {
            Some(ia) => Some((ia.ia_ifp, ia.ia_addr)),
            None => ifa_ifwithroute(st, flags, key, gate),
        },
    };
    if let Some((ifp, ifa)) = new {
        let r = st.rt(rt);
        if r.rt_ifa != ifa || r.rt_ifp != ifp {
            let old = r.rt_ifp;
            if is_ether(st, old) {
                arp_rtrequest(st, Req::Delete, rt);
            }
            let r = st.rt(rt);
            r.rt_ifa = ifa;
            r.rt_ifp = ifp;
        }
    }
    let now = st.time_second();
    rt_setmetrics(h.rtm_inits, &h.rtm_rmx, &mut st.rt(rt).rt_rmx, now);
    let ifp = st.rt(rt).rt_ifp;
    if is_ether(st, ifp) {
        arp_rtrequest(st, Req::Add, rt);
    }
    if genmask.is_some() {
        st.rt(rt).rt_genmask = genmask;
    }
}

fn is_ether(st: &Stack, ifp: usize) -> bool {
    st.ifnet.get(ifp).is_some_and(|i| i.if_kind == IfKind::Ether)
}

/// A route's addresses: destination, gateway, mask (none for a host
/// route) and clone mask.
fn rt_info(st: &Stack, rt: RtId) -> RtInfo {
    let Some(r) = st.rtable.rtentries.get(rt) else { return RtInfo::default() };
    RtInfo {
        dst: Some(Sockaddr::In(r.rt_dst)),
        gateway: Some(r.rt_gateway),
        netmask: (!r.is_host()).then_some(Sockaddr::In(r.rt_mask)),
        genmask: r.rt_genmask.map(Sockaddr::In),
        ..RtInfo::default()
    }
}

/// Tells routing sockets about a miss, a redirect, a resolve or a route
/// that went away (`rt_missmsg`).
pub fn rt_missmsg(st: &mut Stack, ty: u8, info: &RtInfo, flags: u16, error: Errno) {
    if st.route_cb.any_count == 0 {
        return;
    }
    let Ok((mut msg, addrs)) = rt_msg(st, ty, info) else { return };
    put32(&mut msg, RTM_FLAGS, i32::from(RTF_DONE | flags));
    put32(&mut msg, RTM_ERRNO, error.0);
    put32(&mut msg, RTM_ADDRS, addrs);
    rt_dispatch(st, &msg, sa_family(info.dst));
}

/// The RTM_IFINFO header of interface `ifp`.
fn if_msghdr(ifp: &Ifnet, len: usize, addrs: i32) -> IfMsghdr {
    let d = &ifp.if_data;
    let ether = ifp.if_kind == IfKind::Ether;
    IfMsghdr {
        ifm_msglen: len as u16,
        ifm_version: RTM_VERSION,
        ifm_type: RTM_IFINFO,
        ifm_addrs: addrs,
        ifm_flags: i32::from(ifp.if_flags),
        ifm_index: ifp.if_index,
        ifi_type: if_type(ifp),
        ifi_addrlen: if ether { 6 } else { 0 },
        ifi_hdrlen: if ether { 14 } else { 0 },
        ifi: [
            u64::from(d.ifi_mtu),
            d.ifi_metric as u64,
            0,
            d.ifi_ipackets,
            d.ifi_ierrors,
            d.ifi_opackets,
            d.ifi_oerrors,
            d.ifi_collisions,
            d.ifi_ibytes,
            d.ifi_obytes,
            d.ifi_imcasts,
            d.ifi_omcasts,
            d.ifi_iqdrops,
            d.ifi_noproto,
        ],
    }
}

/// Tells routing sockets about an interface's new state (`rt_ifmsg`).
pub fn rt_ifmsg(st: &mut Stack, ifp: usize) {
    if st.route_cb.any_count == 0 {
        return;
    }
    let Ok((mut msg, _)) = rt_msg(st, RTM_IFINFO, &RtInfo::default()) else { return };
    let Some(i) = st.ifnet.get(ifp) else { return };
    if_msghdr(i, msg.len(), 0).write(&mut msg);
    rt_dispatch(st, &msg, 0);
}

/// The addresses of an RTM_NEWADDR or RTM_DELADDR message about `ia`:
/// the address, its mask and its broadcast (or, point to point,
/// destination) address, with the interface's link address when `ifp`.
fn ifa_info(st: &Stack, ia: &InIfaddr, ifp: bool) -> RtInfo {
    let flags = st.if_flags(ia.ia_ifp);
    let brd = if flags & crate::bsd::net::if_::IFF_BROADCAST != 0
        || (flags & crate::bsd::net::if_::IFF_POINTOPOINT != 0 && ia.ia_dstaddr_set)
    {
        Some(Sockaddr::In(ia.ia_broadaddr))
    } else {
        None
    };
    RtInfo {
        ifp: if ifp { st.ifnet.get(ia.ia_ifp).map(|i| Sockaddr::Dl(if_sdl(i))) } else { None },
        ifa: Some(Sockaddr::In(ia.ia_addr)),
        netmask: Some(Sockaddr::In(InAddr(ia.ia_subnetmask))),
        brd,
        ..RtInfo::default()
    }
}

/// An RTM_NEWADDR or RTM_DELADDR message about `ia`.
fn ifa_msg(st: &Stack, ty: u8, ia: &InIfaddr, ifp: bool) -> Result<Vec<u8>> {
    let info = ifa_info(st, ia, ifp);
    let (mut msg, addrs) = rt_msg(st, ty, &info)?;
    let h = IfaMsghdr {
        ifam_msglen: msg.len() as u16,
        ifam_version: RTM_VERSION,
        ifam_type: ty,
        ifam_addrs: addrs,
        ifam_flags: i32::from(ia.ia_flags),
        ifam_index: st.ifnet.get(ia.ia_ifp).map_or(0, |i| i.if_index),
        ifam_metric: ia.ia_metric,
    };
    h.write(&mut msg);
    Ok(msg)
}

/// Tells routing sockets about an address added (`cmd` RTM_ADD) or
/// deleted (RTM_DELETE) and its route `rt` (`rt_newaddrmsg`):
/// RTM_NEWADDR then RTM_ADD, or RTM_DELETE then RTM_DELADDR.
pub fn rt_newaddrmsg(st: &mut Stack, cmd: u8, ifa: InAddr, rt: Option<RtId>) {
    if st.route_cb.any_count == 0 {
        return;
    }
    // The address (on the route's interface, should two share it).
    let rt_ifp = rt.and_then(|rt| st.rtable.rtentries.get(rt)).map(|r| r.rt_ifp);
    let mut ias = st.in_ifaddr.iter().filter(|ia| ia.ia_addr == ifa);
    let Some(ia) = ias.clone().find(|ia| Some(ia.ia_ifp) == rt_ifp).or_else(|| ias.next()).copied()
    else {
        return;
    };
    let index = st.ifnet.get(ia.ia_ifp).map_or(0, |i| i.if_index);
    for pass in 1..3 {
        if (cmd == RTM_ADD && pass == 1) || (cmd == RTM_DELETE && pass == 2) {
            let ty = if cmd == RTM_ADD { RTM_NEWADDR } else { RTM_DELADDR };
            if let Ok(msg) = ifa_msg(st, ty, &ia, true) {
                rt_dispatch(st, &msg, AF_BSDINET);
            }
        } else {
            let Some(rt) = rt.filter(|&rt| st.rtable.rtentries.get(rt).is_some()) else { continue };
            let info = rt_info(st, rt);
            let Ok((mut msg, addrs)) = rt_msg(st, cmd, &info) else { continue };
            let mut h = RtMsghdr::read(&msg);
            h.rtm_index = index;
            h.rtm_flags = i32::from(st.rt(rt).rt_flags);
            h.rtm_addrs = addrs;
            h.write(&mut msg);
            rt_dispatch(st, &msg, AF_BSDINET);
        }
    }
}

/// One route as an RTM_GET message of a dump (`sysctl_dumpentry`).
fn rt_dumpentry(st: &Stack, rt: RtId, out: &mut Vec<u8>) -> Result {
    let Some(r) = st.rtable.rtentries.get(rt) else { return Ok(()) };
    let (mut msg, addrs) = rt_msg(st, RTM_GET, &rt_info(st, rt))?;
    let h = RtMsghdr {
        rtm_msglen: msg.len() as u16,
        rtm_version: RTM_VERSION,
        rtm_type: RTM_GET,
        rtm_index: st.ifnet.get(r.rt_ifp).map_or(0, |i| i.if_index),
        rtm_flags: i32::from(r.rt_flags),
        rtm_addrs: addrs,
        rtm_use: r.rt_use as i32,
        rtm_rmx: rt_metrics_out(&r.rt_rmx, st.time_second()),
        ..RtMsghdr::default()
    };
    h.write(&mut msg);
    append(out, &msg)
}

/// The interfaces (only the one whose index is `index`, unless 0) and
/// their addresses (`sysctl_iflist`).
fn sysctl_iflist(st: &Stack, index: i32, out: &mut Vec<u8>) -> Result {
    // In the order they were attached (by `if_index`), as the book's
    // `ifnet` list: the next larger index each time (no sort, whose
    // generic code trips objtool in the kernel build).
    let mut last = 0u16;
    loop {
        let next = st
            .ifnet
            .iter()
            .filter(|(_, ifp)| ifp.if_index > last)
            .filter(|(_, ifp)| index == 0 || index == i32::from(ifp.if_index))
            .min_by_key(|(_, ifp)| ifp.if_index);
        let Some((i, ifp)) = next else { break };
        last = ifp.if_index;
        let info = RtInfo { ifp: Some(Sockaddr::Dl(if_sdl(ifp))), ..RtInfo::default() };
        let (mut msg, addrs) = rt_msg(st, RTM_IFINFO, &info)?;
        if_msghdr(ifp, msg.len(), addrs).write(&mut msg);
        append(out, &msg)?;
        for ia in st.in_ifaddr.iter().filter(|ia| ia.ia_ifp == i) {
            append(out, &ifa_msg(st, RTM_NEWADDR, ia, false)?)?;
        }
    }
    Ok(())
}

/// The table dumps (`sysctl_rtable`): NET_RT_DUMP, every route in the
/// tree's order as RTM_GET messages; NET_RT_FLAGS, those with one of the
/// flags `arg`; NET_RT_IFLIST, RTM_IFINFO and then RTM_NEWADDR for each
/// address, of every interface or of the one whose index is `arg`. The
/// messages follow each other, each `rtm_msglen` long. Another `op` is
/// EINVAL.
pub fn sysctl_rtable(st: &Stack, op: i32, arg: i32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match op {
        NET_RT_DUMP | NET_RT_FLAGS => {
            for rt in rt_ids(st)?.iter().copied() {
                let flags = st.rtable.rtentries.get(rt).map_or(0, |r| i32::from(r.rt_flags));
                if op == NET_RT_FLAGS && flags & arg == 0 {
                    continue;
                }
                rt_dumpentry(st, rt, &mut out)?;
            }
        }
        NET_RT_IFLIST => sysctl_iflist(st, arg, &mut out)?,
        _ => return Err(EINVAL),
    }
    Ok(out)
}

/// Whether socket `so` is a routing socket.
pub fn is_routesock(st: &Stack, so: usize) -> bool {
    st.sockets.get(so).is_some_and(|s| core::ptr::eq(s.so_proto, &ROUTESW[0]))
}

/// The routing domain's protocol switch (`routesw[]`).
pub static ROUTESW: [Protosw; 1] = [Protosw {
    pr_type: SOCK_RAW,
    pr_flags: PR_ATOMIC | PR_ADDR,
    pr_name: "route",
    pr_usrreq: Some(route_usrreq),
    ..Protosw::NONE
}];

/// `routedomain`.
pub static ROUTEDOMAIN: Domain =
    Domain { dom_family: AF_BSDROUTE as i32, dom_name: "route", dom_protosw: &ROUTESW };
