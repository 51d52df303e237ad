//! The software loopback interface, lo0 (`net/if_loop.c`; book section
//! 5.7): `looutput` queues each datagram for IP input, as though it had
//! arrived on lo0.

use crate::bsd::kern::uipc_mbuf::{m_freem, Mbuf};
use crate::bsd::net::bpf::{bpf_tap_if, bpfattach, DLT_NULL, DLT_NULL_AF_INET, NULL_HDRLEN};
use crate::bsd::net::if_::*;
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Result, ENOBUFS};

/// The loopback MTU (`LOMTU`).
pub const LOMTU: u32 = 1536;

/// Attaches lo0 (`loattach`); returns its index.
pub fn loattach(st: &mut Stack) -> Result<usize> {
    let mut ifp =
        Ifnet::new(IfName::new("lo", 0)?, IfKind::Loopback, IFF_LOOPBACK | IFF_MULTICAST, LOMTU);
    ifp.if_bpf = Some(bpfattach(DLT_NULL, NULL_HDRLEN));
    if_attach(st, ifp)
}

/// Loopback output (`looutput`): the datagram becomes input on `ifp`, to
/// be processed by `ipintr` once the current request is done (the book's
/// `schednetisr(NETISR_IP)`). BPF sees it once, as output, behind its
/// address family (the book's fake mbuf holding `af`, section 31.4).
pub fn looutput(st: &mut Stack, ifp: usize, mut m: Mbuf, _dst: InAddr) -> Result {
    bpf_tap_if(st, ifp, &DLT_NULL_AF_INET.to_ne_bytes(), &m);
    let len = m.m_pkthdr().map_or(0, |ph| ph.len) as u64;
    if let Some(ph) = m.m_pkthdr_mut() {
        ph.rcvif = Some(ifp);
    }
    let data = &mut st.ifp(ifp).if_data;
    data.ifi_opackets += 1;
    data.ifi_obytes += len;
    if let Err(m) = st.ipintrq.enqueue(m) {
        st.ifp(ifp).if_data.ifi_iqdrops += 1;
        m_freem(&mut st.mbpool, m);
        return Err(ENOBUFS);
    }
    let data = &mut st.ifp(ifp).if_data;
    data.ifi_ipackets += 1;
    data.ifi_ibytes += len;
    Ok(())
}
