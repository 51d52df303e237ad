//! IP options (book chapter 9): `ip_dooptions`, `ip_rtaddr`, `save_rte`,
//! `ip_srcroute`, `ip_stripoptions` from `netinet/ip_input.c`, and
//! `ip_insertoptions`, `ip_optcopy`, `ip_pcbopts` from `ip_output.c`.
//!
//! STUB: helper fills this in.

use crate::bsd::kern::uipc_mbuf::{Mbuf, MbufPool};
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// Most option bytes an IP header holds.
pub const MAX_IPOPTLEN: usize = 40;

/// Options to insert into outgoing datagrams (`struct ipoption`): the
/// first hop of a source route, and the option bytes, padded to 4 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipoption {
    pub ipopt_dst: InAddr,
    pub ipopt_list: [u8; MAX_IPOPTLEN],
    pub ipopt_len: usize,
}

/// The source route of the datagram being received (`ip_srcrt`).
#[derive(Default)]
pub struct IpSrcrt {}

/// What `ip_dooptions` decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoOpt {
    /// Go on processing the datagram.
    Continue,
    /// A source route sends it on: ip_dst now holds the next hop.
    Forward,
    /// Bad or unsupported: send ICMP `ty`/`code`, pointing at byte `ptr`
    /// of the header for a parameter problem.
    Error { ty: u8, code: u8, ptr: u8 },
}

/// Processes the options of the datagram in `m` (header contiguous in the
/// first mbuf, network byte order).
pub fn ip_dooptions(_st: &mut Stack, _m: &mut Mbuf) -> DoOpt {
    DoOpt::Continue
}

/// The reversed source route of the last datagram, to send replies by.
pub fn ip_srcroute(_st: &Stack) -> Option<Ipoption> {
    None
}

/// Removes the options from the datagram in `m` (`ip_stripoptions`).
pub fn ip_stripoptions(_m: &mut Mbuf) {}

/// Inserts `opt` after the IP header of `m`; returns the new header length.
pub fn ip_insertoptions(_mp: &mut MbufPool, m: Mbuf, _opt: &Ipoption) -> Result<(Mbuf, usize)> {
    Ok((m, 20))
}

/// Copies into `dst` the options of header `src` that go in every fragment.
pub fn ip_optcopy(_src: &[u8], _dst: &mut [u8]) -> usize {
    0
}

/// Checks the IP_OPTIONS of a setsockopt() (`ip_pcbopts`).
pub fn ip_pcbopts(_optval: &[u8]) -> Result<Option<Ipoption>> {
    Err(EINVAL)
}
