//! Routing requests (`net/route.h`, `net/route.c`; book chapter 19).
//!
//! Until the radix tree of chapter 18 arrives (the wire issue), the table
//! is a list searched for the longest matching prefix: the same answers
//! as `rtalloc`, for the handful of routes a host without forwarding has.

use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

pub const RTF_UP: u16 = 0x1;
pub const RTF_GATEWAY: u16 = 0x2;
pub const RTF_HOST: u16 = 0x4;
pub const RTF_DYNAMIC: u16 = 0x10;
pub const RTF_STATIC: u16 = 0x800;

/// One route (`struct rtentry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rtentry {
    pub rt_dst: InAddr,
    /// All ones for a host route.
    pub rt_mask: InAddr,
    pub rt_gateway: InAddr,
    pub rt_flags: u16,
    /// The interface the route sends on.
    pub rt_ifp: usize,
    /// The interface address used as the source (`rt_ifa`).
    pub rt_ifa: InAddr,
    pub rt_use: u64,
}

/// Adds a route (`rtrequest(RTM_ADD)`); EEXIST if the same destination
/// and mask are routed already.
pub fn rtrequest_add(st: &mut Stack, rt: Rtentry) -> Result {
    if st.rtable.iter().any(|r| r.rt_dst == rt.rt_dst && r.rt_mask == rt.rt_mask) {
        return Err(EEXIST);
    }
    st.rtable.push(rt).map_err(|_| ENOBUFS)
}

/// Deletes the route to `dst`/`mask` (`rtrequest(RTM_DELETE)`); ESRCH if
/// there is none.
pub fn rtrequest_delete(st: &mut Stack, dst: InAddr, mask: InAddr) -> Result {
    let i = st.rtable.iter().position(|r| r.rt_dst == dst && r.rt_mask == mask).ok_or(ESRCH)?;
    st.rtable.remove(i);
    Ok(())
}

/// The route with the longest prefix matching `dst` (`rtalloc1`).
pub fn rtalloc(st: &mut Stack, dst: InAddr) -> Option<&mut Rtentry> {
    let best = st
        .rtable
        .iter()
        .enumerate()
        .filter(|(_, r)| r.rt_flags & RTF_UP != 0 && dst.0 & r.rt_mask.0 == r.rt_dst.0)
        .max_by_key(|(_, r)| r.rt_mask.0.count_ones())
        .map(|(i, _)| i)?;
    st.rtable.get_mut(best)
}
