//! Network interfaces (`net/if.h`, `net/if.c`; book chapters 3 and 4).

use crate::bsd::kern::uipc_mbuf::{m_freem, Mbuf, MbufPool, M_BCAST, M_MCAST};
use crate::bsd::kern::uipc_socket::usrreq;
use crate::bsd::kern::uipc_socket::Pru;
use crate::bsd::net::bpf::{bpf_mtap, bpfdetach, BpfIf, NULL_HDRLEN};
use crate::bsd::net::bpf_filter::BpfPkt;
use crate::bsd::net::if_ethersubr::ether_output;
use crate::bsd::net::if_loop::looutput;
use crate::bsd::net::if_sl::sloutput;
use crate::bsd::net::if_tun::tunoutput;
use crate::bsd::net::route::rt_ifdetach;
use crate::bsd::netinet::in_::{InAddr, InIfaddr, SockaddrIn};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;
use crate::bsd::sys::sockio::*;
use crate::platform::Vec;

// if_flags.
pub const IFF_UP: u16 = 0x1;
pub const IFF_BROADCAST: u16 = 0x2;
pub const IFF_DEBUG: u16 = 0x4;
pub const IFF_LOOPBACK: u16 = 0x8;
pub const IFF_POINTOPOINT: u16 = 0x10;
pub const IFF_NOTRAILERS: u16 = 0x20;
pub const IFF_RUNNING: u16 = 0x40;
pub const IFF_NOARP: u16 = 0x80;
pub const IFF_PROMISC: u16 = 0x100;
pub const IFF_ALLMULTI: u16 = 0x200;
pub const IFF_OACTIVE: u16 = 0x400;
pub const IFF_SIMPLEX: u16 = 0x800;
pub const IFF_LINK0: u16 = 0x1000;
pub const IFF_LINK1: u16 = 0x2000;
pub const IFF_LINK2: u16 = 0x4000;
pub const IFF_MULTICAST: u16 = 0x8000;
/// Flags only the driver may change (`IFF_CANTCHANGE`).
pub const IFF_CANTCHANGE: u16 = IFF_BROADCAST
    | IFF_POINTOPOINT
    | IFF_RUNNING
    | IFF_OACTIVE
    | IFF_SIMPLEX
    | IFF_MULTICAST
    | IFF_ALLMULTI;

/// Default length limit of an interface queue (`IFQ_MAXLEN`).
pub const IFQ_MAXLEN: usize = 50;

/// A queue of packets with a length limit (`struct ifqueue`).
pub struct Ifqueue {
    q: Vec<Mbuf>,
    /// Most packets held (`ifq_maxlen`).
    pub ifq_maxlen: usize,
    /// Packets dropped because the queue was full (`ifq_drops`).
    pub ifq_drops: u64,
}

impl Ifqueue {
    /// An empty queue holding at most `maxlen` packets.
    pub const fn new(maxlen: usize) -> Self {
        Ifqueue { q: Vec::new(), ifq_maxlen: maxlen, ifq_drops: 0 }
    }

    /// Packets queued now (`ifq_len`).
    pub fn len(&self) -> usize {
        self.q.len()
    }

    /// Whether the queue is empty.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Queues `m` at the tail (`IF_QFULL`, `IF_ENQUEUE`); a full queue, or
    /// no memory, gives it back and counts a drop (`IF_DROP`).
    pub fn enqueue(&mut self, m: Mbuf) -> core::result::Result<(), Mbuf> {
        if self.q.len() >= self.ifq_maxlen || self.q.reserve(1).is_err() {
            self.ifq_drops += 1;
            return Err(m);
        }
        let _ = self.q.push(m); // room was reserved
        Ok(())
    }

    /// Takes the packet at the head (`IF_DEQUEUE`).
    pub fn dequeue(&mut self) -> Option<Mbuf> {
        self.q.remove(0)
    }

    /// Frees every packet queued.
    pub fn flush(&mut self, mp: &mut MbufPool) {
        while let Some(m) = self.dequeue() {
            m_freem(mp, m);
        }
    }
}

/// An interface name such as "lo0", NUL-padded as in `ifreq`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct IfName(pub [u8; IFNAMSIZ]);

impl IfName {
    /// `name` followed by `unit`, as the book's `if_name` and `if_unit`
    /// print ("lo" and 0 make "lo0"). Too long a name is EINVAL.
    pub fn new(name: &str, unit: u16) -> Result<IfName> {
        let mut b = [0u8; IFNAMSIZ];
        let mut len = 0;
        let mut digits = [0u8; 5];
        let mut n = 0;
        let mut u = unit;
        loop {
            digits[n] = b'0' + (u % 10) as u8;
            n += 1;
            u /= 10;
            if u == 0 {
                break;
            }
        }
        if name.len() + n >= IFNAMSIZ {
            return Err(EINVAL);
        }
        for &c in name.as_bytes().iter().chain(digits[..n].iter().rev()) {
            b[len] = c;
            len += 1;
        }
        Ok(IfName(b))
    }

    /// A name given whole (a Linux device's name): 1 to IFNAMSIZ-1 bytes
    /// of printable ASCII, else EINVAL.
    pub fn from_bytes(name: &[u8]) -> Result<IfName> {
        if name.is_empty() || name.len() >= IFNAMSIZ || !name.iter().all(|c| c.is_ascii_graphic()) {
            return Err(EINVAL);
        }
        let mut b = [0u8; IFNAMSIZ];
        b[..name.len()].copy_from_slice(name);
        Ok(IfName(b))
    }

    /// The name's bytes, without the padding.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.0.iter().position(|&c| c == 0).unwrap_or(IFNAMSIZ);
        &self.0[..len]
    }
}

/// How an interface sends (the book's `if_output` function pointer).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IfKind {
    /// The stack's own loopback, lo0 (`looutput`).
    Loopback,
    /// An Ethernet: a Linux net_device hooked by the platform
    /// (`ether_output`).
    Ether,
    /// A point-to-point link without a link header: a Linux tun device
    /// (`tunoutput`).
    Tun,
    /// A SLIP line: a tty in the SLIP line discipline (`sloutput`).
    Slip,
}

/// An interface's statistics and parameters (`struct if_data`).
#[derive(Clone, Copy, Default)]
pub struct IfData {
    pub ifi_mtu: u32,
    pub ifi_metric: i32,
    pub ifi_ipackets: u64,
    pub ifi_ierrors: u64,
    pub ifi_opackets: u64,
    pub ifi_oerrors: u64,
    pub ifi_collisions: u64,
    pub ifi_ibytes: u64,
    pub ifi_obytes: u64,
    pub ifi_imcasts: u64,
    pub ifi_omcasts: u64,
    pub ifi_iqdrops: u64,
    pub ifi_noproto: u64,
}

/// A network interface (`struct ifnet`).
pub struct Ifnet {
    pub if_name: IfName,
    pub if_index: u16,
    pub if_flags: u16,
    pub if_kind: IfKind,
    pub if_data: IfData,
    /// The link-level address (Ethernet interfaces; the book keeps it in
    /// the interface's AF_LINK address, `arpcom.ac_enaddr`).
    pub if_lladdr: [u8; 6],
    /// Frames waiting for the device (`if_snd`): the platform takes them
    /// with `if_snd_drain`, as the book's `if_start` would.
    pub if_snd: Ifqueue,
    /// The platform's handle for the device, 0 for none (`if_softc`).
    pub if_softc: usize,
    /// BPF's share of the interface, set by the driver's attach
    /// (`bpfattach`; the book's `if_bpf` points to the descriptors).
    pub if_bpf: Option<BpfIf>,
    /// The Ethernet multicast addresses the interface receives
    /// (`arpcom.ac_multiaddrs`, a list of `ether_multi`).
    pub ac_multiaddrs: Vec<EtherMulti>,
}

/// One Ethernet multicast address range an interface receives (`struct
/// ether_multi`): a single address, or every IP multicast address when
/// SIOCADDMULTI named the wildcard (a multicast router's vif).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EtherMulti {
    pub enm_addrlo: [u8; 6],
    pub enm_addrhi: [u8; 6],
    pub enm_refcount: u32,
}

/// What a Linux device's multicast filter must be told (`McReq`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum McOp {
    /// Receive this address (`dev_mc_add`).
    Add([u8; 6]),
    /// No longer (`dev_mc_del`).
    Del([u8; 6]),
    /// Receive every multicast address, one more time
    /// (`dev_set_allmulti(dev, 1)`).
    AllmultiOn,
    /// One time fewer (`dev_set_allmulti(dev, -1)`).
    AllmultiOff,
}

/// A change to device `softc`'s multicast filter, for the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct McReq {
    pub softc: usize,
    pub op: McOp,
}

impl Ifnet {
    /// An interface of `kind` called `name`, with `flags` and `mtu`,
    /// not yet attached.
    pub fn new(if_name: IfName, if_kind: IfKind, if_flags: u16, mtu: u32) -> Ifnet {
        Ifnet {
            if_name,
            if_index: 0,
            if_flags,
            if_kind,
            if_data: IfData { ifi_mtu: mtu, ..Default::default() },
            if_lladdr: [0; 6],
            if_snd: Ifqueue::new(IFQ_MAXLEN),
            if_softc: 0,
            if_bpf: None,
            ac_multiaddrs: Vec::new(),
        }
    }
}

/// Attaches an interface (`if_attach`); returns its index in `ifnet`.
pub fn if_attach(st: &mut Stack, mut ifp: Ifnet) -> Result<usize> {
    if ifunit(st, ifp.if_name.as_bytes()).is_some() {
        return Err(EEXIST);
    }
    ifp.if_index = st.if_index.wrapping_add(1);
    let i = st.ifnet.insert(ifp)?;
    st.if_index = st.if_index.wrapping_add(1);
    Ok(i)
}

/// The interface called `name` (`ifunit`).
pub fn ifunit(st: &Stack, name: &[u8]) -> Option<usize> {
    st.ifnet.iter().find(|(_, ifp)| ifp.if_name.as_bytes() == name).map(|(i, _)| i)
}

impl Stack {
    /// Our address that is `addr`, or whose broadcast address is `addr`
    /// on a broadcast interface (`ifa_ifwithaddr`).
    pub fn ifa_ifwithaddr(&self, addr: InAddr) -> Option<InIfaddr> {
        self.in_ifaddr
            .iter()
            .find(|ia| {
                ia.ia_addr == addr
                    || (ia.ia_broadaddr == addr && self.if_flags(ia.ia_ifp) & IFF_BROADCAST != 0)
            })
            .copied()
    }

    /// The address of the point-to-point interface whose other end is
    /// `addr` (`ifa_ifwithdstaddr`).
    pub fn ifa_ifwithdstaddr(&self, addr: InAddr) -> Option<InIfaddr> {
        self.in_ifaddr
            .iter()
            .find(|ia| {
                ia.ia_dstaddr_set
                    && ia.ia_dstaddr() == addr
                    && self.if_flags(ia.ia_ifp) & IFF_POINTOPOINT != 0
            })
            .copied()
    }

    /// The address on the network of `addr` with the longest mask, the
    /// first of equals (`ifa_ifwithnet`).
    pub fn ifa_ifwithnet(&self, addr: InAddr) -> Option<InIfaddr> {
        let mut best: Option<&InIfaddr> = None;
        for ia in self.in_ifaddr.iter() {
            let mask = ia.ia_subnetmask;
            if mask == 0 || (addr.0 ^ ia.ia_addr.0) & mask != 0 {
                continue;
            }
            if best.is_none_or(|b| mask.count_ones() > b.ia_subnetmask.count_ones()) {
                best = Some(ia);
            }
        }
        best.copied()
    }

    /// The address of interface `ifp` that best matches `addr`: on the
    /// same subnet, or the other end of a point-to-point link, else the
    /// interface's first address (`ifaof_ifpforaddr`).
    pub fn ifaof_ifpforaddr(&self, addr: InAddr, ifp: usize) -> Option<InIfaddr> {
        let p2p = self.ifnet.get(ifp)?.if_flags & IFF_POINTOPOINT != 0;
        let mut first = None;
        for ia in self.in_ifaddr.iter().filter(|ia| ia.ia_ifp == ifp) {
            first = first.or(Some(*ia));
            let hit = if p2p {
                ia.ia_dstaddr_set && ia.ia_dstaddr() == addr
            } else {
                (addr.0 ^ ia.ia_addr.0) & ia.ia_subnetmask == 0
            };
            if hit {
                return Some(*ia);
            }
        }
        first
    }

    /// The flags of interface `ifp`, 0 when there is none.
    pub fn if_flags(&self, ifp: usize) -> u16 {
        self.ifnet.get(ifp).map_or(0, |i| i.if_flags)
    }

    /// Interface `i`. A missing one is a bug in the stack itself: it is
    /// counted (`Stack::bug`) and a blank spare stands in.
    pub fn ifp(&mut self, i: usize) -> &mut Ifnet {
        if self.ifnet.get(i).is_none() {
            self.bug("no such interface");
            let blank = Ifnet::new(IfName([0; IFNAMSIZ]), IfKind::Loopback, 0, 0);
            let mut old = core::mem::replace(&mut self.spares.ifp, blank);
            old.if_snd.flush(&mut self.mbpool);
        }
        let Stack { ifnet, spares, .. } = self;
        ifnet.get_mut(i).unwrap_or(&mut spares.ifp)
    }
}

/// The interface ioctls (`ifioctl`): the generic ones here, the address
/// ones through the protocol's PRU_CONTROL (`in_control`). `data` is the
/// copied-in request, copied back out by the caller for `_IOR` commands;
/// `admin` stands for the book's `suser()` (CAP_NET_ADMIN).
pub fn ifioctl(st: &mut Stack, so: usize, cmd: u32, data: &mut [u8], admin: bool) -> Result {
    if data.len() != ioc_len(cmd) {
        return Err(EINVAL);
    }
    if cmd == SIOCGIFCONF {
        // The list goes to a user buffer: the platform calls `ifconf`.
        return Err(EINVAL);
    }
    let ifp = ifunit(st, ifr_name(data)?).ok_or(ENXIO)?;
    let u = IFR_UNION;
    match cmd {
        SIOCGIFFLAGS => set_ifr_int(data, u, 2, i32::from(st.ifp(ifp).if_flags)),
        SIOCGIFMETRIC => set_ifr_int(data, u, 4, st.ifp(ifp).if_data.ifi_metric),
        SIOCGIFMTU => set_ifr_int(data, u, 4, st.ifp(ifp).if_data.ifi_mtu as i32),
        SIOCSIFFLAGS => {
            if !admin {
                return Err(EPERM);
            }
            let new = ifr_int(data, u, 2)? as u16;
            let ifnet = st.ifp(ifp);
            if ifnet.if_flags & IFF_UP != 0 && new & IFF_UP == 0 {
                if_down(st, ifp);
            } else if ifnet.if_flags & IFF_UP == 0 && new & IFF_UP != 0 {
                if_up(st, ifp);
            }
            let ifnet = st.ifp(ifp);
            ifnet.if_flags = (ifnet.if_flags & IFF_CANTCHANGE) | (new & !IFF_CANTCHANGE);
            crate::bsd::net::rtsock::rt_ifmsg(st, ifp);
            Ok(())
        }
        SIOCSIFMETRIC => {
            if !admin {
                return Err(EPERM);
            }
            st.ifp(ifp).if_data.ifi_metric = ifr_int(data, u, 4)?;
            Ok(())
        }
        SIOCSIFMTU => {
            if !admin {
                return Err(EPERM);
            }
            let mtu = ifr_int(data, u, 4)?;
            // An IP datagram's header and 8 bytes must fit, and 64 KiB is
            // the largest datagram.
            if !(68..=65535).contains(&mtu) {
                return Err(EINVAL);
            }
            st.ifp(ifp).if_data.ifi_mtu = mtu as u32;
            Ok(())
        }
        SIOCADDMULTI | SIOCDELMULTI => {
            if !admin {
                return Err(EPERM);
            }
            let sin = sockaddr_at(data, u)?;
            if sin.sin_family != crate::bsd::netinet::in_::AF_BSDINET {
                return Err(EAFNOSUPPORT);
            }
            if cmd == SIOCADDMULTI {
                if_addmulti(st, ifp, sin.sin_addr)
            } else {
                if_delmulti(st, ifp, sin.sin_addr)
            }
        }
        _ => usrreq(st, so, Pru::Control { cmd, data, ifp: Some(ifp), admin }),
    }
}

/// SIOCADDMULTI to interface `ifp` for internet address `group` (the
/// book's `(*ifp->if_ioctl)(ifp, SIOCADDMULTI, &ifr)`; the wildcard
/// means every group): an Ethernet counts it in `ac_multiaddrs` and
/// has its device's filter follow; lo0, SLIP lines and tun devices take
/// every group and keep no list (the book's `loioctl` and `slioctl`
/// accept any AF_INET address).
pub fn if_addmulti(st: &mut Stack, ifp: usize, group: InAddr) -> Result {
    match st.ifnet.get(ifp).map(|i| i.if_kind) {
        Some(IfKind::Ether) => crate::bsd::net::if_ethersubr::ether_addmulti(st, ifp, group),
        Some(_) => Ok(()),
        None => Err(ENXIO),
    }
}

/// SIOCDELMULTI, the undoing of `if_addmulti`.
pub fn if_delmulti(st: &mut Stack, ifp: usize, group: InAddr) -> Result {
    match st.ifnet.get(ifp).map(|i| i.if_kind) {
        Some(IfKind::Ether) => crate::bsd::net::if_ethersubr::ether_delmulti(st, ifp, group),
        Some(_) => Ok(()),
        None => Err(ENXIO),
    }
}

impl Stack {
    /// Takes the pending changes to the devices' multicast filters, for
    /// the platform to make (`dev_mc_add` ...), in order.
    pub fn take_mcreqs(&mut self, mut f: impl FnMut(McReq)) {
        while let Some(r) = self.if_mcreqs.remove(0) {
            f(r);
        }
    }
}

/// Hands datagram `m` for next hop `dst` to interface `ifp` (the book's
/// `(*ifp->if_output)(ifp, m, dst, rt)`); `m` is consumed.
pub fn if_output(st: &mut Stack, ifp: usize, m: Mbuf, dst: InAddr) -> Result {
    match st.ifnet.get(ifp).map(|i| i.if_kind) {
        Some(IfKind::Loopback) => looutput(st, ifp, m, dst),
        Some(IfKind::Ether) => ether_output(st, ifp, m, dst),
        Some(IfKind::Tun) => tunoutput(st, ifp, m, dst),
        Some(IfKind::Slip) => sloutput(st, ifp, m, dst),
        None => {
            m_freem(&mut st.mbpool, m);
            Err(ENETUNREACH)
        }
    }
}

/// Queues frame `m` on interface `ifp`'s send queue for the platform,
/// counting it (the book's `IF_ENQUEUE(&ifp->if_snd)` and `if_start`);
/// `m` is consumed. A full queue is ENOBUFS, counted in `ifq_drops`.
pub fn if_enqueue(st: &mut Stack, ifp: usize, m: Mbuf) -> Result {
    let len = m.m_pkthdr().map_or(0, |ph| ph.len) as u64;
    let mcast = m.m_flags() & (M_BCAST | M_MCAST) != 0;
    let ifnet = st.ifp(ifp);
    match ifnet.if_snd.enqueue(m) {
        Ok(()) => {
            ifnet.if_data.ifi_obytes += len;
            if mcast {
                ifnet.if_data.ifi_omcasts += 1;
            }
            Ok(())
        }
        Err(m) => {
            ifnet.if_data.ifi_oerrors += 1;
            m_freem(&mut st.mbpool, m);
            Err(ENOBUFS)
        }
    }
}

impl Stack {
    /// Shows every frame queued for a device to `xmit` with the device's
    /// `if_softc`, then frees it (what the book's `if_start` routines
    /// do); `xmit` copies the frame out. Interfaces without a device keep
    /// theirs, and SLIP lines are sent by `slstart`. The platform calls
    /// this after every request, and host tests to carry frames between
    /// stacks.
    ///
    /// BPF sees each frame here, as it leaves (the book's `lestart`
    /// taps the frame it hands to the hardware).
    pub fn if_snd_drain(&mut self, mut xmit: impl FnMut(usize, &Mbuf)) {
        let Stack { ifnet, mbpool, bpf, .. } = self;
        for (_, ifp) in ifnet.iter_mut() {
            if ifp.if_softc == 0 || ifp.if_kind == IfKind::Slip {
                continue;
            }
            while let Some(m) = ifp.if_snd.dequeue() {
                ifp.if_data.ifi_opackets += 1;
                if let Some(bif) = ifp.if_bpf.as_ref().filter(|b| !b.bif_dlist.is_empty()) {
                    let af = crate::bsd::net::bpf::DLT_NULL_AF_INET.to_ne_bytes();
                    let hdr: &[u8] =
                        if ifp.if_kind == IfKind::Tun { &af[..NULL_HDRLEN] } else { &[] };
                    bpf_mtap(bpf, bif, &BpfPkt::chain(hdr, &m));
                }
                xmit(ifp.if_softc, &m);
                m_freem(mbpool, m);
            }
        }
    }
}

/// Detaches interface `ifp` (the device went away): its addresses and
/// every route through it are removed, queued frames and fragments
/// being reassembled that came in on it freed. The book
/// never detaches an interface; FreeBSD's `if_detach` does this.
pub fn if_detach(st: &mut Stack, ifp: usize) {
    if st.ifnet.get(ifp).is_none() {
        return;
    }
    if_down(st, ifp);
    bpfdetach(st, ifp);
    // Multicast routing's vifs on it, the sockets' memberships there,
    // then each address (with its all-hosts membership).
    crate::bsd::netinet::ip_mroute::mrt_ifdetach(st, ifp);
    crate::bsd::netinet::in_mcast::in_pcbpurgeif(st, ifp);
    while let Some(ia) = st.in_ifaddr.iter().position(|ia| ia.ia_ifp == ifp) {
        crate::bsd::netinet::in_::in_ifaddr_remove(st, ia);
    }
    // Whatever membership is left (a bug) goes too, and the device's
    // filter forgets every address the stack gave it.
    loop {
        let left = st.in_multi.iter().find(|(_, m)| m.inm_ifp == ifp).map(|(i, _)| i);
        let Some(i) = left else { break };
        st.bug("if_detach: membership left");
        st.in_multi.remove(i);
    }
    let softc = st.ifp(ifp).if_softc;
    if softc != 0 {
        while let Some(enm) = st.ifp(ifp).ac_multiaddrs.pop() {
            let op = if enm.enm_addrlo == enm.enm_addrhi {
                McOp::Del(enm.enm_addrlo)
            } else {
                McOp::AllmultiOff
            };
            for _ in 0..enm.enm_refcount.min(1) {
                let _ = st.if_mcreqs.push(McReq { softc, op });
            }
        }
    }
    rt_ifdetach(st, ifp);
    let (ipq, mp, ipstat) = (&mut st.ipq, &mut st.mbpool, &mut st.ipstat);
    ipq.ip_purge_if(mp, ipstat, ifp);
    if let Some(mut ifnet) = st.ifnet.remove(ifp) {
        ifnet.if_snd.flush(&mut st.mbpool);
    }
}

/// Marks an interface down (`if_down`).
pub fn if_down(st: &mut Stack, ifp: usize) {
    st.ifp(ifp).if_flags &= !IFF_UP;
}

/// Marks an interface up (`if_up`).
pub fn if_up(st: &mut Stack, ifp: usize) {
    st.ifp(ifp).if_flags |= IFF_UP;
}

/// SIOCGIFCONF (`ifconf`): one `ifreq` per internet address, and one with
/// an AF_UNSPEC address for an interface that has none, as many as fit in
/// `space` bytes. Returns the records; the platform copies them out and
/// stores their length in `ifc_len`.
pub fn ifconf(st: &Stack, space: usize) -> Result<Vec<[u8; IFREQ_LEN]>> {
    let mut out = Vec::new();
    for (i, ifp) in st.ifnet.iter() {
        let mut any = false;
        let addrs = st.in_ifaddr.iter().filter(|ia| ia.ia_ifp == i).map(|ia| ia.ia_addr);
        for addr in addrs.map(Some).chain(core::iter::once(None)) {
            let sin = match addr {
                Some(a) => SockaddrIn::new(a, 0),
                None if !any => SockaddrIn { sin_family: 0, ..Default::default() },
                None => break,
            };
            any = true;
            if (out.len() + 1) * IFREQ_LEN > space {
                return Ok(out);
            }
            let mut r = [0u8; IFREQ_LEN];
            r[..IFNAMSIZ].copy_from_slice(&ifp.if_name.0);
            set_sockaddr_at(&mut r, IFR_UNION, &sin)?;
            out.push(r).map_err(|_| ENOBUFS)?;
        }
    }
    Ok(out)
}
