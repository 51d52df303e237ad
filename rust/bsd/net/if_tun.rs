//! Point-to-point interfaces without a link header: a Linux tun device
//! hooked by the platform (the book's SLIP and FreeBSD's `net/if_tun.c`
//! carry bare IP datagrams the same way). No ARP: the other end is
//! named by the destination address (SIOCSIFDSTADDR).

use crate::bsd::kern::uipc_mbuf::*;
use crate::bsd::net::bpf::{bpf_tap_if, bpfattach, DLT_NULL, DLT_NULL_AF_INET, NULL_HDRLEN};
use crate::bsd::net::if_::*;
use crate::bsd::net::if_ethersubr::if_ready;
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// Attaches tun interface `name` with `mtu`; `softc` is the platform's
/// handle for the device (not 0). Starts down, not running.
pub fn tunattach(st: &mut Stack, name: &[u8], mtu: u32, softc: usize) -> Result<usize> {
    let mut ifp = Ifnet::new(
        IfName::from_bytes(name)?,
        IfKind::Tun,
        IFF_POINTOPOINT | IFF_NOARP | IFF_MULTICAST,
        mtu,
    );
    ifp.if_softc = softc;
    // BPF sees a 4-byte address family before each datagram, as on
    // FreeBSD's tun (`DLT_NULL`).
    ifp.if_bpf = Some(bpfattach(DLT_NULL, NULL_HDRLEN));
    if_attach(st, ifp)
}

/// Output (`tunoutput`): the datagram goes to the device as it is.
pub fn tunoutput(st: &mut Stack, ifp: usize, m: Mbuf, _dst: InAddr) -> Result {
    if !if_ready(st, ifp) {
        m_freem(&mut st.mbpool, m);
        return Err(ENETDOWN);
    }
    if_enqueue(st, ifp, m)
}

/// Input: `m` is an IP datagram from the device, queued for `ipintr`.
pub fn tuninput(st: &mut Stack, ifp: usize, mut m: Mbuf) {
    bpf_tap_if(st, ifp, &DLT_NULL_AF_INET.to_ne_bytes(), &m);
    let len = m.m_pkthdr().map_or(0, |ph| ph.len) as u64;
    let Some(ifnet) = st.ifnet.get_mut(ifp) else {
        return m_freem(&mut st.mbpool, m);
    };
    if ifnet.if_flags & IFF_UP == 0 {
        ifnet.if_data.ifi_iqdrops += 1;
        return m_freem(&mut st.mbpool, m);
    }
    ifnet.if_data.ifi_ipackets += 1;
    ifnet.if_data.ifi_ibytes += len;
    if let Some(ph) = m.m_pkthdr_mut() {
        ph.rcvif = Some(ifp);
    }
    if let Err(m) = st.ipintrq.enqueue(m) {
        st.ifp(ifp).if_data.ifi_iqdrops += 1;
        m_freem(&mut st.mbpool, m);
    }
}
