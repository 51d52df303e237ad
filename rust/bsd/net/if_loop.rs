//! The software loopback interface, lo0 (`net/if_loop.c`; book section
//! 5.7). Output (`looutput`) queues to IP input once mbufs and `ipintr`
//! exist.

use crate::bsd::net::if_::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::Result;

/// The loopback MTU (`LOMTU`).
pub const LOMTU: u32 = 1536;

/// Attaches lo0 (`loattach`); returns its index.
pub fn loattach(st: &mut Stack) -> Result<usize> {
    let ifp = Ifnet {
        if_name: IfName::new("lo", 0)?,
        if_index: 0,
        if_flags: IFF_LOOPBACK | IFF_MULTICAST,
        if_kind: IfKind::Loopback,
        if_data: IfData { ifi_mtu: LOMTU, ..Default::default() },
    };
    if_attach(st, ifp)
}
