//! Network interfaces (`net/if.h`, `net/if.c`; book chapter 3).
//!
//! Interfaces (lo0, Ethernet, SLIP) are attached by the datagram, wire and
//! SLIP issues; until then the list is empty, and the requests that need an
//! interface address answer as the book's do on a host without one.

use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::platform::Vec;

/// A network interface (`struct ifnet`).
pub struct Ifnet {
    /// Name without the unit ("lo", "sl", ...).
    pub if_name: &'static str,
    pub if_unit: i16,
    pub if_flags: u16,
    pub if_mtu: u32,
    /// The interface's internet addresses.
    pub if_addrlist: Vec<InAddr>,
}

impl Stack {
    /// The interface that has `addr` as one of its addresses
    /// (`ifa_ifwithaddr`).
    pub fn ifa_ifwithaddr(&self, addr: InAddr) -> Option<usize> {
        self.ifnet.iter().position(|ifp| ifp.if_addrlist.contains(&addr))
    }
}
