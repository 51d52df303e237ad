//! Multicast routing (`netinet/ip_mroute.c`; book chapter 14).

use crate::bsd::stack::Stack;

/// Multicast routing's state.
#[derive(Default)]
pub struct Mrt {}

/// Interface `ifp` goes: its vifs go with it.
pub fn mrt_ifdetach(_st: &mut Stack, _ifp: usize) {}

/// Forwards a copy of multicast datagram `m` that came in on `ifp` (or
/// that we originate), `ip_mforward`; nonzero to drop it.
pub fn ip_mforward(
    _st: &mut Stack,
    _m: &crate::bsd::kern::uipc_mbuf::Mbuf,
    _ifp: Option<usize>,
) -> i32 {
    0
}
