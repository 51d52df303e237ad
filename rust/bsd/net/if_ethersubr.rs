//! Ethernet input and output (`net/if_ethersubr.c`; book section 4.3).
//!
//! The device is a Linux net_device that the platform hooks: its receive
//! handler hands every IPv4 and ARP frame to `ether_input`, and frames
//! that `ether_output` queues on `if_snd` go to the device's transmit
//! queue (`Stack::if_snd_drain`).

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::net::bpf::{bpf_tap_if, bpfattach, DLT_EN10MB};
use crate::bsd::net::if_::*;
use crate::bsd::net::rtsock::rt_ifmsg;
use crate::bsd::netinet::if_ether::{arpresolve, in_arpinput};
use crate::bsd::netinet::in_::{in_multicast, InAddr};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// Bytes in an Ethernet address (`ETHER_ADDR_LEN`).
pub const ETHER_ADDR_LEN: usize = 6;
/// The Ethernet header: destination, source, type (`struct ether_header`).
pub const ETHER_HDR_LEN: usize = 14;
/// The Ethernet MTU (`ETHERMTU`).
pub const ETHERMTU: u32 = 1500;
/// Frame types (`ETHERTYPE_*`).
pub const ETHERTYPE_IP: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// The broadcast address (`etherbroadcastaddr`).
pub const ETHERBROADCASTADDR: [u8; 6] = [0xff; 6];

/// An Ethernet address.
pub type EtherAddr = [u8; ETHER_ADDR_LEN];

/// Attaches Ethernet interface `name` (`ether_ifattach`): broadcast,
/// simplex and multicast capable, with link address `lladdr` and `mtu`.
/// `softc` is the platform's handle for the device (not 0). The interface
/// starts down and, until the platform says the link is up, not running.
pub fn ether_ifattach(
    st: &mut Stack,
    name: &[u8],
    lladdr: EtherAddr,
    mtu: u32,
    softc: usize,
) -> Result<usize> {
    let mut ifp = Ifnet::new(
        IfName::from_bytes(name)?,
        IfKind::Ether,
        IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
        mtu,
    );
    ifp.if_lladdr = lladdr;
    ifp.if_softc = softc;
    ifp.if_bpf = Some(bpfattach(DLT_EN10MB, ETHER_HDR_LEN));
    if_attach(st, ifp)
}

/// Whether `ifp` can send: up and running (the test that starts the
/// book's `ether_output`).
pub fn if_ready(st: &Stack, ifp: usize) -> bool {
    st.if_flags(ifp) & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING
}

/// Ethernet output (`ether_output`): resolves the next hop `dst` to an
/// Ethernet address (broadcast, a multicast group's address, or ARP),
/// prepends the header and queues the frame. A datagram waiting for ARP
/// is held by `arpresolve` and the call succeeds, as in the book.
pub fn ether_output(st: &mut Stack, ifp: usize, m: Mbuf, dst: InAddr) -> Result {
    if !if_ready(st, ifp) {
        m_freem(&mut st.mbpool, m);
        return Err(ENETDOWN);
    }
    let edst = if m.m_flags() & M_BCAST != 0 {
        ETHERBROADCASTADDR
    } else if in_multicast(dst) {
        ether_map_ip_multicast(dst)
    } else {
        match arpresolve(st, ifp, m, dst) {
            Ok(Some((edst, m))) => return ether_send(st, ifp, m, edst, ETHERTYPE_IP),
            Ok(None) => return Ok(()),
            Err(e) => return Err(e),
        }
    };
    // A simplex interface does not hear its own broadcasts: a copy goes
    // to our own input, as though it had come back.
    if m.m_flags() & M_BCAST != 0 && st.if_flags(ifp) & IFF_SIMPLEX != 0 {
        if let Ok(mut c) = m_copy(&mut st.mbpool, &m, 0, M_COPYALL) {
            if let Some(ph) = c.m_pkthdr_mut() {
                ph.rcvif = Some(ifp);
            }
            if let Err(c) = st.ipintrq.enqueue(c) {
                m_freem(&mut st.mbpool, c);
            }
        }
    }
    ether_send(st, ifp, m, edst, ETHERTYPE_IP)
}

/// Prepends an Ethernet header for `edst` and `ty` to `m` and queues it
/// on `if_snd` (the second half of `ether_output`, also used by ARP,
/// which the book reaches through an AF_UNSPEC destination).
pub fn ether_send(st: &mut Stack, ifp: usize, m: Mbuf, edst: EtherAddr, ty: u16) -> Result {
    let src = st.ifp(ifp).if_lladdr;
    let mut m = M_PREPEND(&mut st.mbpool, m, ETHER_HDR_LEN)?;
    let Some(h) = m.mtod_mut() else {
        m_freem(&mut st.mbpool, m);
        return Err(ENOBUFS);
    };
    h[..6].copy_from_slice(&edst);
    h[6..12].copy_from_slice(&src);
    h[12..14].copy_from_slice(&ty.to_be_bytes());
    if_enqueue(st, ifp, m)
}

/// The Ethernet address of IP multicast group `a`: 01:00:5e and the low
/// 23 bits of the group (`ETHER_MAP_IP_MULTICAST`).
pub fn ether_map_ip_multicast(a: InAddr) -> EtherAddr {
    let b = a.0.to_be_bytes();
    [0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]]
}

/// The Ethernet address range of SIOCADDMULTI's internet address `a`
/// (`ETHER_MAP_IP_MULTICAST`, or every IP multicast address for the
/// wildcard); EADDRNOTAVAIL for anything but a group.
fn ether_multi_range(a: InAddr) -> Result<(EtherAddr, EtherAddr)> {
    if a.0 == 0 {
        return Ok(([0x01, 0x00, 0x5e, 0, 0, 0], [0x01, 0x00, 0x5e, 0x7f, 0xff, 0xff]));
    }
    if !in_multicast(a) {
        return Err(EADDRNOTAVAIL);
    }
    let e = ether_map_ip_multicast(a);
    Ok((e, e))
}

/// SIOCADDMULTI on an Ethernet (`ether_addmulti`; book section 12.6):
/// one more reference to the address range, or a new one, which the
/// device's filter is told of (the book's ENETRESET to the driver).
pub fn ether_addmulti(st: &mut Stack, ifp: usize, a: InAddr) -> Result {
    let (lo, hi) = ether_multi_range(a)?;
    let ifnet = st.ifp(ifp);
    if let Some(enm) =
        ifnet.ac_multiaddrs.iter_mut().find(|e| e.enm_addrlo == lo && e.enm_addrhi == hi)
    {
        enm.enm_refcount = enm.enm_refcount.saturating_add(1);
        return Ok(());
    }
    st.if_mcreqs.reserve(1).map_err(|_| ENOBUFS)?;
    let ifnet = st.ifp(ifp);
    ifnet
        .ac_multiaddrs
        .push(EtherMulti { enm_addrlo: lo, enm_addrhi: hi, enm_refcount: 1 })
        .map_err(|_| ENOBUFS)?;
    let softc = ifnet.if_softc;
    let op = if lo == hi { McOp::Add(lo) } else { McOp::AllmultiOn };
    if softc != 0 {
        let _ = st.if_mcreqs.push(McReq { softc, op }); // room was reserved
    }
    Ok(())
}

/// SIOCDELMULTI on an Ethernet (`ether_delmulti`): ENXIO when the range
/// was never added; the last reference takes it off the device's filter.
pub fn ether_delmulti(st: &mut Stack, ifp: usize, a: InAddr) -> Result {
    let (lo, hi) = ether_multi_range(a)?;
    let ifnet = st.ifp(ifp);
    let i = ifnet
        .ac_multiaddrs
        .iter()
        .position(|e| e.enm_addrlo == lo && e.enm_addrhi == hi)
        .ok_or(ENXIO)?;
    let enm = &mut ifnet.ac_multiaddrs[i];
    enm.enm_refcount = enm.enm_refcount.saturating_sub(1);
    if enm.enm_refcount > 0 {
        return Ok(());
    }
    ifnet.ac_multiaddrs.remove(i);
    let softc = ifnet.if_softc;
    let op = if lo == hi { McOp::Del(lo) } else { McOp::AllmultiOff };
    if softc != 0 && st.if_mcreqs.push(McReq { softc, op }).is_err() {
        // The filter keeps the address: harmless, IP input filters too.
        st.ifp(ifp).if_data.ifi_oerrors += 1;
    }
    Ok(())
}

/// Ethernet input (`ether_input`): `m` is a whole frame from interface
/// `ifp`, header first. Counts it, marks link broadcasts and multicasts,
/// strips the header and hands the packet to IP or ARP. Frames for other
/// stations (a promiscuous device) are dropped here; runts are input
/// errors; unknown types count in `ifi_noproto`. BPF sees every frame
/// first, whole (the book's `leread` taps before `ether_input`).
pub fn ether_input(st: &mut Stack, ifp: usize, mut m: Mbuf) {
    bpf_tap_if(st, ifp, &[], &m);
    let Some(ifnet) = st.ifnet.get_mut(ifp) else {
        return m_freem(&mut st.mbpool, m);
    };
    let len = m.m_pkthdr().map_or(0, |ph| ph.len);
    if ifnet.if_flags & IFF_UP == 0 {
        ifnet.if_data.ifi_iqdrops += 1;
        return m_freem(&mut st.mbpool, m);
    }
    let mut eh = [0u8; ETHER_HDR_LEN];
    if len < ETHER_HDR_LEN || m_copydata(&m, 0, &mut eh).is_err() {
        ifnet.if_data.ifi_ierrors += 1;
        return m_freem(&mut st.mbpool, m);
    }
    ifnet.if_data.ifi_ipackets += 1;
    ifnet.if_data.ifi_ibytes += len as u64;
    let edst: EtherAddr = [eh[0], eh[1], eh[2], eh[3], eh[4], eh[5]];
    if edst == ETHERBROADCASTADDR {
        m.set_flags(M_BCAST);
    } else if edst[0] & 1 != 0 {
        m.set_flags(M_MCAST);
    } else if edst != ifnet.if_lladdr {
        ifnet.if_data.ifi_iqdrops += 1;
        return m_freem(&mut st.mbpool, m);
    }
    if m.m_flags() & (M_BCAST | M_MCAST) != 0 {
        ifnet.if_data.ifi_imcasts += 1;
    }
    if let Some(ph) = m.m_pkthdr_mut() {
        ph.rcvif = Some(ifp);
    }
    m_adj(&mut m, ETHER_HDR_LEN as isize);
    match u16::from_be_bytes([eh[12], eh[13]]) {
        ETHERTYPE_IP => {
            if let Err(m) = st.ipintrq.enqueue(m) {
                st.ifp(ifp).if_data.ifi_iqdrops += 1;
                m_freem(&mut st.mbpool, m);
            }
        }
        ETHERTYPE_ARP => in_arpinput(st, ifp, m),
        _ => {
            st.ifp(ifp).if_data.ifi_noproto += 1;
            m_freem(&mut st.mbpool, m);
        }
    }
}

/// The device's link state changed: the interface is running while the
/// carrier is up (what a driver's `if_init` and watchdog do in the book).
/// Routing sockets hear of the change (RTM_IFINFO).
pub fn if_link_state(st: &mut Stack, ifp: usize, up: bool) {
    let Some(ifnet) = st.ifnet.get_mut(ifp) else { return };
    let old = ifnet.if_flags;
    if up {
        ifnet.if_flags |= IFF_RUNNING;
    } else {
        ifnet.if_flags &= !IFF_RUNNING;
    }
    if ifnet.if_flags != old {
        rt_ifmsg(st, ifp);
    }
}
