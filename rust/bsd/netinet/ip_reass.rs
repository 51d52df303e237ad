//! IP reassembly (`ip_reass`, `ip_freef`, `ip_slowtimo`, `ip_drain` in
//! `netinet/ip_input.c`; book section 10.6-10.11).
//!
//! STUB: helper fills this in.

use crate::bsd::kern::uipc_mbuf::{m_freem, Mbuf, MbufPool};
use crate::bsd::netinet::ip::Ipstat;
use crate::platform::Vec;

/// The reassembly queues (the book's `ipq` list).
#[derive(Default)]
pub struct IpReass {}

impl IpReass {
    /// No datagrams being reassembled.
    pub fn new() -> Self {
        IpReass {}
    }

    /// Takes one fragment; returns the whole datagram once complete.
    pub fn ip_reass(&mut self, mp: &mut MbufPool, ipstat: &mut Ipstat, m: Mbuf) -> Option<Mbuf> {
        ipstat.ips_fragdropped += 1;
        m_freem(mp, m);
        None
    }

    /// Ages the queues; returns the first fragments of timed-out datagrams.
    pub fn ip_slowtimo(&mut self, _mp: &mut MbufPool, _ipstat: &mut Ipstat) -> Vec<Mbuf> {
        Vec::new()
    }

    /// Frees every queue (`ip_drain`).
    pub fn ip_drain(&mut self, _mp: &mut MbufPool, _ipstat: &mut Ipstat) {}
}
