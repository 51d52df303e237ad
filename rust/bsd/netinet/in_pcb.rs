//! Internet protocol control blocks (`netinet/in_pcb.h`, `in_pcb.c`; book
//! chapter 22).
//!
//! The book keeps each protocol's PCBs on one list, newest first, and
//! searches it from end to end (section 22.8). Here each protocol has two
//! hash tables instead, as FreeBSD came to have: one by local port, one by
//! the whole 4-tuple. Every PCB is on both, under its current addresses,
//! from `in_pcballoc` to `in_pcbdetach`; whatever changes the addresses
//! rehashes (`in_pcbrehash` for code that sets them itself). The chains
//! are linked through the PCBs, by index, as the book links its list
//! through pointers, so rehashing never allocates and cannot fail.
//!
//! Lookups answer what the book's linear search answers, ties included:
//! of equally good matches the newest wins, as it comes first on the
//! book's list.

use crate::bsd::kern::uipc_domain::PR_CONNREQUIRED;
use crate::bsd::kern::uipc_socket::{
    sofree, SO_ACCEPTCONN, SO_DONTROUTE, SO_REUSEADDR, SO_REUSEPORT, SS_NOFDREF,
};
use crate::bsd::kern::uipc_socket2::{sorwakeup, sowwakeup};
use crate::bsd::net::if_::{IFF_BROADCAST, IFF_LOOPBACK};
use crate::bsd::net::route::{rtalloc, rtfree, rtrequest, Req, Sockaddr, RTF_DYNAMIC};
use crate::bsd::net::rtsock::{rt_missmsg, RtInfo, RTM_LOSING};
use crate::bsd::netinet::in_::{in_multicast, InAddr, SockaddrIn, INADDR_ANY, INADDR_BROADCAST};
use crate::bsd::netinet::ip_options::Ipoption;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::slab::Slab;
use crate::platform::{random_u32, Vec};

/// Which protocol's PCBs a PCB is among (the book's list heads:
/// `rawinpcb`, `udb`, `tcb`); also the index of the protocol's tables in
/// the stack's `pcbinfo`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InpHead {
    Raw = 0,
    Udp = 1,
    Tcp = 2,
}

// `inp_flags` bits (the book's values).
/// Receive IP options with datagrams.
pub const INP_RECVOPTS: u32 = 0x01;
/// Receive IP options for the reply.
pub const INP_RECVRETOPTS: u32 = 0x02;
/// Receive the IP destination address with datagrams.
pub const INP_RECVDSTADDR: u32 = 0x04;
/// Any of the control messages a socket may ask for.
pub const INP_CONTROLOPTS: u32 = INP_RECVOPTS | INP_RECVRETOPTS | INP_RECVDSTADDR;
/// The user supplies the IP header (raw sockets).
pub const INP_HDRINCL: u32 = 0x08;

/// `in_pcblookup` flag: accept matches with wildcards.
pub const INPLOOKUP_WILDCARD: u32 = 1;

/// Ports below this need privilege (`IPPORT_RESERVED`).
pub const IPPORT_RESERVED: u16 = 1024;
/// The book's highest ephemeral port (`IPPORT_USERRESERVED`).
pub const IPPORT_USERRESERVED: u16 = 5000;

/// Hash buckets a protocol starts with; the tables double as PCBs come.
const INP_HASHMIN: usize = 16;

/// The two chains every PCB is on: by 4-tuple and by local port.
const HASH: usize = 0;
const PORT: usize = 1;

/// A PCB's place on one hash chain.
#[derive(Clone, Copy, Default)]
struct HashLink {
    next: Option<usize>,
    prev: Option<usize>,
    /// The hash the PCB was entered under, to find its bucket again.
    hash: u32,
}

/// An internet PCB (`struct inpcb`). Change the addresses and ports
/// through the functions here, or call `in_pcbrehash` after, so that
/// lookups find the PCB. (Raw IP sets its addresses itself: its PCBs keep
/// port 0, so `in_pcbs_on_port(st, Raw, 0)` still lists them all.)
pub struct Inpcb {
    pub inp_head: InpHead,
    pub inp_faddr: InAddr,
    pub inp_fport: u16,
    pub inp_laddr: InAddr,
    pub inp_lport: u16,
    /// The socket this PCB belongs to.
    pub inp_socket: usize,
    /// INP_* bits.
    pub inp_flags: u32,
    /// IP options for outgoing datagrams (`inp_options`).
    pub inp_options: Option<Ipoption>,
    /// TTL of outgoing datagrams (`inp_ip.ip_ttl`).
    pub inp_ip_ttl: u8,
    /// Type of service of outgoing datagrams (`inp_ip.ip_tos`).
    pub inp_ip_tos: u8,
    /// Protocol in the IP header of a raw socket (`inp_ip.ip_p`).
    pub inp_ip_p: u8,
    /// The protocol's own control block (`inp_ppcb`): TCP's `tcpcb`, an
    /// index into the stack's `tcpcbs`.
    pub inp_ppcb: Option<usize>,
    /// The multicast options (`inp_moptions`; chapter 12), absent while
    /// all have their defaults.
    pub inp_moptions: Option<crate::bsd::netinet::in_mcast::IpMoptions>,
    /// The cached route to the foreign address (`inp_route`): a route
    /// index holding a reference, given back by `in_pcbdetach`, when the
    /// foreign address changes, and on redirects (`in_rtchange`). TCP
    /// fills it (`tcp_rtalloc`) for the metrics; `ip_output` still routes
    /// each datagram itself.
    pub inp_route: Option<usize>,
    /// Allocation order within the protocol (FreeBSD's `inp_gencnt`):
    /// the book's list order, for ties.
    inp_gencnt: u64,
    /// The chains by 4-tuple (HASH) and by local port (PORT).
    inp_links: [HashLink; 2],
}

impl Inpcb {
    /// A PCB of socket `so` on list `head`, bound to nothing, on no chain.
    pub fn new(head: InpHead, so: usize, ttl: u8) -> Inpcb {
        Inpcb {
            inp_head: head,
            inp_faddr: INADDR_ANY,
            inp_fport: 0,
            inp_laddr: INADDR_ANY,
            inp_lport: 0,
            inp_socket: so,
            inp_flags: 0,
            inp_options: None,
            inp_ip_ttl: ttl,
            inp_ip_tos: 0,
            inp_ip_p: 0,
            inp_ppcb: None,
            inp_moptions: None,
            inp_route: None,
            inp_gencnt: 0,
            inp_links: [HashLink::default(); 2],
        }
    }
}

/// One protocol's PCB tables (FreeBSD's `struct inpcbinfo`).
pub struct InpcbInfo {
    /// Bucket heads of both chains; a power of two of them, or none yet.
    ipi_hashbase: Vec<[Option<usize>; 2]>,
    /// PCBs on the tables.
    ipi_count: usize,
    /// The last `inp_gencnt` handed out.
    ipi_gencnt: u64,
    /// The last ephemeral port handed out (the book's `head->inp_lport`).
    pub ipi_lastport: u16,
    /// The lowest ephemeral port (FreeBSD's `ipport_firstauto`; the book
    /// uses IPPORT_RESERVED).
    pub ipport_firstauto: u16,
    /// The highest ephemeral port (`ipport_lastauto`; the book uses
    /// IPPORT_USERRESERVED).
    pub ipport_lastauto: u16,
}

impl Default for InpcbInfo {
    fn default() -> Self {
        Self::new()
    }
}

impl InpcbInfo {
    /// Empty tables; nothing is allocated until the first PCB.
    pub const fn new() -> Self {
        InpcbInfo {
            ipi_hashbase: Vec::new(),
            ipi_count: 0,
            ipi_gencnt: 0,
            ipi_lastport: 0,
            ipport_firstauto: IPPORT_RESERVED,
            ipport_lastauto: IPPORT_USERRESERVED,
        }
    }

    /// How many PCBs the protocol has.
    pub fn len(&self) -> usize {
        self.ipi_count
    }

    /// Whether the protocol has no PCBs.
    pub fn is_empty(&self) -> bool {
        self.ipi_count == 0
    }

    /// The bucket of `hash`: its top bits, the best mixed.
    fn bucket(&self, hash: u32) -> usize {
        match self.ipi_hashbase.len() {
            0 | 1 => 0,
            n => (hash >> (32 - n.trailing_zeros())) as usize,
        }
    }

    /// The first PCB on chain `c` of the bucket of `hash`.
    fn first(&self, c: usize, hash: u32) -> Option<usize> {
        self.ipi_hashbase.get(self.bucket(hash))?[c]
    }
}

/// Fibonacci hashing: the top 32 bits of the product depend on every bit
/// of `x`.
fn mix(x: u64) -> u32 {
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as u32
}

/// The hash of a local port.
fn porthash(lport: u16) -> u32 {
    mix(u64::from(lport))
}

/// The hash of a 4-tuple. Without a foreign address the foreign port
/// does not count, as the book's match ignores it then.
fn addrhash(faddr: InAddr, fport: u16, laddr: InAddr, lport: u16) -> u32 {
    let fport = if faddr == INADDR_ANY { 0 } else { fport };
    let ports = u64::from(lport) << 16 | u64::from(fport);
    mix((u64::from(faddr.0) << 32 | u64::from(laddr.0)) ^ ports.wrapping_mul(0xff51_afd7_ed55_8ccd))
}

/// The PCBs on chain `c` of the bucket of `hash`, collisions included.
fn chain<'a>(
    pcbs: &'a Slab<Inpcb>,
    info: &InpcbInfo,
    c: usize,
    hash: u32,
) -> impl Iterator<Item = (usize, &'a Inpcb)> + 'a {
    let mut cur = info.first(c, hash);
    core::iter::from_fn(move || {
        let i = cur?;
        let p = pcbs.get(i)?;
        cur = p.inp_links[c].next;
        Some((i, p))
    })
}

/// Every PCB of a protocol.
fn all<'a>(pcbs: &'a Slab<Inpcb>, info: &'a InpcbInfo) -> impl Iterator<Item = (usize, &'a Inpcb)> {
    info.ipi_hashbase.iter().flat_map(move |heads| {
        let mut cur = heads[PORT];
        core::iter::from_fn(move || {
            let i = cur?;
            let p = pcbs.get(i)?;
            cur = p.inp_links[PORT].next;
            Some((i, p))
        })
    })
}

/// Puts `inp` at the front of chain `c` of the bucket of `hash`.
fn link_insert(pcbs: &mut Slab<Inpcb>, info: &mut InpcbInfo, inp: usize, c: usize, hash: u32) {
    let b = info.bucket(hash);
    let Some(heads) = info.ipi_hashbase.get_mut(b) else { return };
    let next = heads[c].replace(inp);
    if let Some(n) = next.and_then(|n| pcbs.get_mut(n)) {
        n.inp_links[c].prev = Some(inp);
    }
    if let Some(p) = pcbs.get_mut(inp) {
        p.inp_links[c] = HashLink { next, prev: None, hash };
    }
}

/// Takes `inp` off chain `c`.
fn link_remove(pcbs: &mut Slab<Inpcb>, info: &mut InpcbInfo, inp: usize, c: usize) {
    let Some(l) = pcbs.get(inp).map(|p| p.inp_links[c]) else { return };
    match l.prev {
        Some(p) => {
            if let Some(p) = pcbs.get_mut(p) {
                p.inp_links[c].next = l.next;
            }
        }
        None => {
            let b = info.bucket(l.hash);
            if let Some(heads) = info.ipi_hashbase.get_mut(b) {
                heads[c] = l.next;
            }
        }
    }
    if let Some(n) = l.next.and_then(|n| pcbs.get_mut(n)) {
        n.inp_links[c].prev = l.prev;
    }
}

/// Doubles the buckets and rehashes every PCB into them. If memory is
/// short the tables stay as they are: only longer chains follow.
fn in_pcbgrow(pcbs: &mut Slab<Inpcb>, info: &mut InpcbInfo) {
    let n = (info.ipi_hashbase.len() * 2).max(INP_HASHMIN);
    let mut base = Vec::new();
    if base.reserve(n).is_err() {
        return;
    }
    for _ in 0..n {
        // Cannot fail: the room is reserved.
        let _ = base.push([None; 2]);
    }
    let old = core::mem::replace(&mut info.ipi_hashbase, base);
    for heads in old.iter() {
        for (c, &first) in heads.iter().enumerate() {
            let mut cur = first;
            while let Some(i) = cur {
                let Some(l) = pcbs.get(i).map(|p| p.inp_links[c]) else { break };
                cur = l.next;
                link_insert(pcbs, info, i, c, l.hash);
            }
        }
    }
}

/// Moves `inp` to the chains of its current addresses.
fn rehash(pcbs: &mut Slab<Inpcb>, info: &mut InpcbInfo, inp: usize) {
    let Some(p) = pcbs.get(inp) else { return };
    let h = addrhash(p.inp_faddr, p.inp_fport, p.inp_laddr, p.inp_lport);
    let ph = porthash(p.inp_lport);
    link_remove(pcbs, info, inp, HASH);
    link_insert(pcbs, info, inp, HASH, h);
    link_remove(pcbs, info, inp, PORT);
    link_insert(pcbs, info, inp, PORT, ph);
}

/// Rehashes `inp` after its addresses or ports were set directly (FreeBSD's
/// `in_pcbrehash`).
pub fn in_pcbrehash(st: &mut Stack, inp: usize) {
    let Stack { inpcbs, pcbinfo, .. } = st;
    if let Some(head) = inpcbs.get(inp).map(|p| p.inp_head) {
        rehash(inpcbs, &mut pcbinfo[head as usize], inp);
    }
}

/// Sets the addresses and ports of `inp` and rehashes it.
fn in_pcbsetaddr(
    st: &mut Stack,
    inp: usize,
    (faddr, fport): (InAddr, u16),
    (laddr, lport): (InAddr, u16),
) {
    if let Some(p) = st.inpcbs.get_mut(inp) {
        p.inp_faddr = faddr;
        p.inp_fport = fport;
        p.inp_laddr = laddr;
        p.inp_lport = lport;
        in_pcbrehash(st, inp);
    }
}

/// Makes a PCB for socket `so` on list `head` (`in_pcballoc`).
pub fn in_pcballoc(st: &mut Stack, so: usize, head: InpHead) -> Result<usize> {
    let Stack { inpcbs, pcbinfo, ip_defttl, .. } = st;
    let info = &mut pcbinfo[head as usize];
    // At most one PCB per bucket on average.
    if info.ipi_count >= info.ipi_hashbase.len() {
        in_pcbgrow(inpcbs, info);
        if info.ipi_hashbase.is_empty() {
            return Err(ENOBUFS);
        }
    }
    // The book's udp_usrreq and tcp_newtcpcb set the TTL after.
    let mut pcb = Inpcb::new(head, so, *ip_defttl);
    pcb.inp_gencnt = info.ipi_gencnt + 1;
    let inp = inpcbs.insert(pcb)?;
    info.ipi_gencnt += 1;
    info.ipi_count += 1;
    link_insert(inpcbs, info, inp, HASH, addrhash(INADDR_ANY, 0, INADDR_ANY, 0));
    link_insert(inpcbs, info, inp, PORT, porthash(0));
    st.so(so).so_pcb = Some(inp);
    Ok(inp)
}

/// Frees a PCB and, with it, a socket whose descriptor is closed
/// (`in_pcbdetach`).
pub fn in_pcbdetach(st: &mut Stack, inp: usize) {
    in_rtchange(st, inp, Errno(0));
    let Stack { inpcbs, pcbinfo, .. } = st;
    let Some(head) = inpcbs.get(inp).map(|p| p.inp_head) else { return };
    let info = &mut pcbinfo[head as usize];
    link_remove(inpcbs, info, inp, HASH);
    link_remove(inpcbs, info, inp, PORT);
    info.ipi_count = info.ipi_count.saturating_sub(1);
    if let Some(pcb) = inpcbs.remove(inp) {
        crate::bsd::netinet::in_mcast::ip_freemoptions(st, pcb.inp_moptions);
        let so = pcb.inp_socket;
        st.so(so).so_pcb = None;
        sofree(st, so);
    }
}

/// Binds `inp` to the local address and port in `nam`, or to an
/// ephemeral port when `nam` is `None` or has port 0 (`in_pcbbind`; book
/// section 22.7).
///
/// SO_REUSEADDR lets a socket bind a specific address on a port that a
/// wildcard socket has, or the wildcard beside specific ones (and, on a
/// multicast address, acts as SO_REUSEPORT); SO_REUSEPORT lets sockets
/// bind the very same address and port when all of them set it.
pub fn in_pcbbind(st: &mut Stack, inp: usize, nam: Option<&[u8]>) -> Result {
    if st.in_ifaddr.is_empty() {
        return Err(EADDRNOTAVAIL);
    }
    let p = st.inpcbs.get(inp).ok_or(EINVAL)?;
    if p.inp_lport != 0 || p.inp_laddr != INADDR_ANY {
        return Err(EINVAL);
    }
    let (head, faddr, fport) = (p.inp_head, p.inp_faddr, p.inp_fport);
    let so = st.sockets.get(p.inp_socket).ok_or(EINVAL)?;
    let options = so.so_options;
    let may_bind_reserved = so.so_cred.net_bind_service;
    let mut reuseport = options & SO_REUSEPORT;
    // Without a reuse option no wildcard may overlap. (The book exempts a
    // listening socket of a connection protocol too; its solisten sets
    // SO_ACCEPTCONN only after PRU_LISTEN has bound, and so does ours.)
    let wild = if options & (SO_REUSEADDR | SO_REUSEPORT) == 0
        && (so.so_proto.pr_flags & PR_CONNREQUIRED == 0 || options & SO_ACCEPTCONN == 0)
    {
        INPLOOKUP_WILDCARD
    } else {
        0
    };
    let mut laddr = INADDR_ANY;
    let mut lport = 0;
    if let Some(nam) = nam {
        let sin = SockaddrIn::parse(nam)?;
        lport = sin.sin_port;
        if in_multicast(sin.sin_addr) {
            // Several sockets receiving one group on one port is the
            // point of multicast: SO_REUSEADDR is enough.
            if options & SO_REUSEADDR != 0 {
                reuseport = SO_REUSEADDR | SO_REUSEPORT;
            }
        } else if sin.sin_addr != INADDR_ANY && st.ifa_ifwithaddr(sin.sin_addr).is_none() {
            // (The book zeroes the port for this lookup; ours takes the
            // address alone.)
            return Err(EADDRNOTAVAIL);
        }
        if lport != 0 {
            if lport < IPPORT_RESERVED && !may_bind_reserved {
                return Err(EACCES);
            }
            if let Some(t) = in_pcblookup(st, head, INADDR_ANY, 0, sin.sin_addr, lport, wild) {
                let t_so = st.inpcbs.get(t).map(|t| t.inp_socket);
                let t_options = t_so.and_then(|s| st.sockets.get(s)).map_or(0, |s| s.so_options);
                if reuseport & t_options == 0 {
                    return Err(EADDRINUSE);
                }
            }
        }
        laddr = sin.sin_addr;
    }
    if lport == 0 {
        lport = in_pcbephemeral(st, head, laddr, wild)?;
    }
    in_pcbsetaddr(st, inp, (faddr, fport), (laddr, lport));
    Ok(())
}

/// The next free ephemeral port for local address `laddr`, from
/// `ipport_firstauto` to `ipport_lastauto`: the book's rotating search
/// from the protocol's hint, or, with `ipport_randomized`, RFC 6056's
/// Algorithm 1 (a random start, then the first free port after it), so
/// that an off-path attacker cannot guess the port. The book would search
/// forever when all are taken; this tries each port once, then answers
/// EADDRINUSE.
fn in_pcbephemeral(st: &mut Stack, head: InpHead, laddr: InAddr, wild: u32) -> Result<u16> {
    let info = &st.pcbinfo[head as usize];
    let (a, b) = (info.ipport_firstauto, info.ipport_lastauto);
    // Port 0 is never a port.
    let (first, last) = (a.min(b).max(1), a.max(b).max(1));
    let mut port = if st.ipport_randomized {
        let count = u32::from(last - first) + 1;
        // One before the start: the loop steps first.
        let start = first + (random_u32() % count) as u16;
        if start == first {
            last
        } else {
            start - 1
        }
    } else {
        info.ipi_lastport
    };
    let mut found = false;
    for _ in first..=last {
        port = if port < first || port >= last { first } else { port + 1 };
        if in_pcblookup(st, head, INADDR_ANY, 0, laddr, port, wild).is_none() {
            found = true;
            break;
        }
    }
    st.pcbinfo[head as usize].ipi_lastport = port;
    if found {
        Ok(port)
    } else {
        Err(EADDRINUSE)
    }
}

/// The local address `inp` would send to `sin` from: its own if bound to
/// one, else chosen as `in_pcbconnect` chooses (FreeBSD's `in_pcbladdr`,
/// split from the book's `in_pcbconnect`). Rewrites a destination of
/// INADDR_ANY to the primary address, and of INADDR_BROADCAST to the
/// primary interface's broadcast address, as the book does. For sending
/// on an unconnected socket without the book's temporary connect.
pub fn in_pcbladdr(st: &mut Stack, inp: usize, sin: &mut SockaddrIn) -> Result<InAddr> {
    if sin.sin_port == 0 {
        return Err(EADDRNOTAVAIL);
    }
    if let Some(ia) = st.in_ifaddr.first() {
        if sin.sin_addr == INADDR_ANY {
            sin.sin_addr = ia.ia_addr;
        } else if sin.sin_addr == INADDR_BROADCAST
            && st.ifnet.get(ia.ia_ifp).is_some_and(|i| i.if_flags & IFF_BROADCAST != 0)
        {
            sin.sin_addr = ia.ia_broadaddr;
        }
    }
    let p = st.inpcbs.get(inp).ok_or(EINVAL)?;
    if p.inp_laddr != INADDR_ANY {
        return Ok(p.inp_laddr);
    }
    let dontroute = st.sockets.get(p.inp_socket).is_some_and(|s| s.so_options & SO_DONTROUTE != 0);
    let faddr = sin.sin_addr;
    // The address of the outgoing interface, unless that is loopback (a
    // route to one of our addresses on another net goes to loopback).
    let mut src = None;
    if !dontroute {
        if let Some(rt) = rtalloc(st, faddr) {
            let (ifp, ifa) = (st.rt(rt).rt_ifp, st.rt(rt).rt_ifa);
            rtfree(st, rt);
            if st.ifnet.get(ifp).is_some_and(|i| i.if_flags & IFF_LOOPBACK == 0) {
                src = Some(ifa);
            }
        }
    }
    // A group with IP_MULTICAST_IF set: that interface's address (book
    // figure 22.28's end).
    if crate::bsd::netinet::in_::in_multicast(faddr) {
        let mifp =
            st.inpcbs.get(inp).and_then(|p| p.inp_moptions).and_then(|i| i.imo_multicast_ifp);
        if let Some(ia) = mifp.and_then(|i| st.in_ifaddr.iter().find(|ia| ia.ia_ifp == i)) {
            src = Some(ia.ia_addr);
        }
    }
    // Else an interface at the other end or on the same net, else the
    // primary address.
    src.or_else(|| st.ifa_ifwithdstaddr(faddr).map(|ia| ia.ia_addr))
        .or_else(|| st.ifa_ifwithnet(faddr).map(|ia| ia.ia_addr))
        .or_else(|| st.in_ifaddr.first().map(|ia| ia.ia_addr))
        .ok_or(EADDRNOTAVAIL)
}

/// Connects `inp` to the address in `nam`, choosing the local address
/// and binding an ephemeral port if it has none (`in_pcbconnect`).
pub fn in_pcbconnect(st: &mut Stack, inp: usize, nam: &[u8]) -> Result {
    let mut sin = SockaddrIn::parse(nam)?;
    let src = in_pcbladdr(st, inp, &mut sin)?;
    let p = st.inpcbs.get(inp).ok_or(EINVAL)?;
    let (head, laddr) = (p.inp_head, p.inp_laddr);
    if in_pcblookup(st, head, sin.sin_addr, sin.sin_port, src, p.inp_lport, 0).is_some() {
        return Err(EADDRINUSE);
    }
    if laddr == INADDR_ANY && p.inp_lport == 0 {
        // The book ignores an error here; running out of ports is one.
        in_pcbbind(st, inp, None)?;
    }
    let lport = st.inpcbs.get(inp).ok_or(EINVAL)?.inp_lport;
    in_pcbsetaddr(st, inp, (sin.sin_addr, sin.sin_port), (src, lport));
    Ok(())
}

/// Forgets the peer of `inp`, and frees it if its descriptor is closed
/// (`in_pcbdisconnect`).
pub fn in_pcbdisconnect(st: &mut Stack, inp: usize) {
    let Some(p) = st.inpcbs.get(inp) else { return };
    let (laddr, lport, so) = (p.inp_laddr, p.inp_lport, p.inp_socket);
    // The cached route was to the old foreign address.
    in_rtchange(st, inp, Errno(0));
    in_pcbsetaddr(st, inp, (INADDR_ANY, 0), (laddr, lport));
    if st.sockets.get(so).is_some_and(|s| s.so_state & SS_NOFDREF != 0) {
        in_pcbdetach(st, inp);
    }
}

/// How many wildcards PCB `p` needs to match the 4-tuple, or `None` if it
/// does not match (the loop body of the book's `in_pcblookup`).
fn wildcards(p: &Inpcb, faddr: InAddr, fport: u16, laddr: InAddr, lport: u16) -> Option<u8> {
    if p.inp_lport != lport {
        return None;
    }
    let mut wildcard = 0;
    if p.inp_laddr != INADDR_ANY {
        if laddr == INADDR_ANY {
            wildcard += 1;
        } else if p.inp_laddr != laddr {
            return None;
        }
    } else if laddr != INADDR_ANY {
        wildcard += 1;
    }
    if p.inp_faddr != INADDR_ANY {
        if faddr == INADDR_ANY {
            wildcard += 1;
        } else if p.inp_faddr != faddr || p.inp_fport != fport {
            return None;
        }
    } else if faddr != INADDR_ANY {
        wildcard += 1;
    }
    Some(wildcard)
}

/// The PCB of `head` that best matches the 4-tuple (`in_pcblookup`; book
/// section 22.8): an exact match, else, with INPLOOKUP_WILDCARD, the one
/// with the fewest wildcards; the newest of equals, as on the book's
/// list. Either side's address may be INADDR_ANY, for the wildcard.
///
/// Every exact match hashes as the 4-tuple does. When both addresses are
/// given, every wildcard match hashes as the 4-tuple with the local
/// address, the foreign one or both replaced by the wildcard; else the
/// local port's chain holds them. So a lookup walks only PCBs on the same
/// port (or colliding with it), never the whole list.
pub fn in_pcblookup(
    st: &Stack,
    head: InpHead,
    faddr: InAddr,
    fport: u16,
    laddr: InAddr,
    lport: u16,
    flags: u32,
) -> Option<usize> {
    let pcbs = &st.inpcbs;
    let info = &st.pcbinfo[head as usize];
    let wild = flags & INPLOOKUP_WILDCARD != 0;
    // (wildcards, gencnt, pcb) of the best match so far.
    let mut best: Option<(u8, u64, usize)> = None;
    let scan = |best: &mut Option<(u8, u64, usize)>, f: InAddr, fp: u16, l: InAddr, c: usize| {
        let hash = if c == PORT { porthash(lport) } else { addrhash(f, fp, l, lport) };
        for (i, p) in chain(pcbs, info, c, hash) {
            let Some(w) = wildcards(p, faddr, fport, laddr, lport) else { continue };
            if (w == 0 || wild)
                && best.is_none_or(|(bw, bg, _)| w < bw || (w == bw && p.inp_gencnt > bg))
            {
                *best = Some((w, p.inp_gencnt, i));
            }
        }
    };
    scan(&mut best, faddr, fport, laddr, HASH);
    if wild && !matches!(best, Some((0, _, _))) {
        if faddr != INADDR_ANY && laddr != INADDR_ANY {
            scan(&mut best, INADDR_ANY, 0, laddr, HASH);
            scan(&mut best, faddr, fport, INADDR_ANY, HASH);
            scan(&mut best, INADDR_ANY, 0, INADDR_ANY, HASH);
        } else {
            scan(&mut best, INADDR_ANY, 0, INADDR_ANY, PORT);
        }
    }
    best.map(|(_, _, i)| i)
}

/// Sorts by generation, newest first. An insertion sort (the lists are
/// one port's PCBs): core's slice sorts trip objtool in the kernel build
/// ("falls through to next function").
fn newest_first<T>(v: &mut [T], gen: impl Fn(&T) -> u64) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && gen(&v[j - 1]) < gen(&v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The PCBs of `head` bound to local port `lport`, newest first as on
/// the book's list: for delivering a broadcast or multicast datagram to
/// every socket that wants it. With port 0, the unbound PCBs (every raw
/// PCB). ENOBUFS if memory for the list is short.
pub fn in_pcbs_on_port(st: &Stack, head: InpHead, lport: u16) -> Result<Vec<usize>> {
    let info = &st.pcbinfo[head as usize];
    let mut v = Vec::new();
    for (i, p) in chain(&st.inpcbs, info, PORT, porthash(lport)) {
        if p.inp_lport == lport {
            v.push(i).map_err(|_| ENOBUFS)?;
        }
    }
    newest_first(&mut v, |&i| st.inpcbs.get(i).map_or(0, |p| p.inp_gencnt));
    Ok(v)
}

/// Calls `notify` with `errno` for every PCB of `head` connected to `dst`
/// and, where they are not zero, to foreign port `fport` from local
/// address `laddr` and port `lport` (`in_pcbnotify`). The caller maps the
/// ICMP error to `errno`, and for redirects and dead hosts passes zero
/// ports and address, as the book's `in_pcbnotify` does itself. `notify`
/// may detach PCBs.
#[allow(clippy::too_many_arguments)] // the book's signature, and the stack
pub fn in_pcbnotify(
    st: &mut Stack,
    head: InpHead,
    dst: InAddr,
    fport: u16,
    laddr: InAddr,
    lport: u16,
    errno: Errno,
    notify: fn(&mut Stack, usize, Errno),
) {
    if dst == INADDR_ANY {
        return;
    }
    let matches = |p: &Inpcb| {
        p.inp_head == head
            && p.inp_faddr == dst
            && (lport == 0 || p.inp_lport == lport)
            && (laddr == INADDR_ANY || p.inp_laddr == laddr)
            && (fport == 0 || p.inp_fport == fport)
    };
    // Collect first: `notify` may change the chains.
    let mut list: Vec<(u64, usize)> = Vec::new();
    let mut complete = true;
    for_each_candidate(st, head, lport, |i, p| {
        if matches(p) && list.push((p.inp_gencnt, i)).is_err() {
            complete = false;
        }
        complete
    });
    if complete {
        newest_first(&mut list, |&(g, _)| g);
        for &(g, i) in list.iter() {
            // Still there, and still matching, as the book's walk finds it.
            if st.inpcbs.get(i).is_some_and(|p| p.inp_gencnt == g && matches(p)) {
                notify(st, i, errno);
            }
        }
        return;
    }
    // No memory for the list: find each next match afresh, in the same
    // order.
    let mut below = u64::MAX;
    loop {
        let mut next: Option<(u64, usize)> = None;
        for_each_candidate(st, head, lport, |i, p| {
            if matches(p) && p.inp_gencnt < below && next.is_none_or(|(g, _)| p.inp_gencnt > g) {
                next = Some((p.inp_gencnt, i));
            }
            true
        });
        let Some((g, i)) = next else { return };
        below = g;
        notify(st, i, errno);
    }
}

/// Calls `f` on the PCBs of `head` that may have local port `lport` (all
/// of them for port 0) until it answers false.
fn for_each_candidate(
    st: &Stack,
    head: InpHead,
    lport: u16,
    mut f: impl FnMut(usize, &Inpcb) -> bool,
) {
    let info = &st.pcbinfo[head as usize];
    let (mut by_port, mut every);
    let it: &mut dyn Iterator<Item = (usize, &Inpcb)> = if lport != 0 {
        by_port = chain(&st.inpcbs, info, PORT, porthash(lport));
        &mut by_port
    } else {
        every = all(&st.inpcbs, info);
        &mut every
    };
    for (i, p) in it {
        if !f(i, p) {
            break;
        }
    }
}

/// The usual `notify` of `in_pcbnotify`: reports the error on the socket
/// and wakes its sleepers (the book's `udp_notify`; `tcp_notify` is
/// TCP's own).
pub fn in_notify_error(st: &mut Stack, inp: usize, errno: Errno) {
    let Some(so) = st.inpcbs.get(inp).map(|p| p.inp_socket) else { return };
    let Some(s) = st.sockets.get_mut(so) else { return };
    s.set_error(errno);
    sorwakeup(st, so);
    sowwakeup(st, so);
}

/// A redirect changed the route to the foreign address of `inp`
/// (`in_rtchange`, a `notify` for `in_pcbnotify`): the cached route goes,
/// and the next user allocates a new one.
pub fn in_rtchange(st: &mut Stack, inp: usize, _errno: Errno) {
    if let Some(rt) = st.inpcbs.get_mut(inp).and_then(|p| p.inp_route.take()) {
        rtfree(st, rt);
    }
}

/// The connection of `inp` seems to be losing: retransmissions go
/// unanswered (`in_losing`). The cached route goes; routing sockets hear
/// of it (RTM_LOSING), and a route a redirect made (RTF_DYNAMIC) is
/// deleted, so that the next lookup may find a better one.
pub fn in_losing(st: &mut Stack, inp: usize) {
    let Some(rt) = st.inpcbs.get_mut(inp).and_then(|p| p.inp_route.take()) else { return };
    let Some(r) = st.rtable.rtentries.get(rt) else { return };
    let (dst, mask, gateway, flags) = (r.rt_dst, r.rt_mask, r.rt_gateway, r.rt_flags);
    let faddr = st.inpcbs.get(inp).map_or(INADDR_ANY, |p| p.inp_faddr);
    let info = RtInfo {
        dst: Some(Sockaddr::In(faddr)),
        gateway: Some(gateway),
        netmask: Some(Sockaddr::In(mask)),
        ..RtInfo::default()
    };
    rt_missmsg(st, RTM_LOSING, &info, flags, Errno(0));
    rtfree(st, rt);
    if flags & RTF_DYNAMIC != 0 {
        let _ = rtrequest(st, Req::Delete, dst, Some(gateway), Some(mask), flags, false);
    }
}

/// The local address of a PCB (`in_setsockaddr`).
pub fn in_setsockaddr(pcb: &Inpcb) -> SockaddrIn {
    SockaddrIn::new(pcb.inp_laddr, pcb.inp_lport)
}

/// The foreign address of a PCB (`in_setpeeraddr`).
pub fn in_setpeeraddr(pcb: &Inpcb) -> SockaddrIn {
    SockaddrIn::new(pcb.inp_faddr, pcb.inp_fport)
}
