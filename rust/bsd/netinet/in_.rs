//! Internet addresses (`netinet/in.h`, `netinet/in.c`; book chapter 6).

use crate::bsd::sys::errno::{Result, EAFNOSUPPORT, EINVAL};

/// bsdinet's address family (`include/uapi/linux/bsdinet.h`).
pub const AF_BSDINET: u16 = 19;

/// Internet protocol numbers (`IPPROTO_*`).
pub const IPPROTO_IP: i32 = 0;
pub const IPPROTO_ICMP: i32 = 1;
pub const IPPROTO_IGMP: i32 = 2;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;
pub const IPPROTO_RAW: i32 = 255;

/// An IPv4 address, in host byte order.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct InAddr(pub u32);

/// The wildcard address.
pub const INADDR_ANY: InAddr = InAddr(0);

/// An internet socket address: the layout of Linux's `struct
/// sockaddr_in`, with `sin_family` = AF_BSDINET.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SockaddrIn {
    pub sin_family: u16,
    /// Port in host byte order.
    pub sin_port: u16,
    pub sin_addr: InAddr,
}

impl SockaddrIn {
    /// `sizeof(struct sockaddr_in)`.
    pub const LEN: usize = 16;

    /// An AF_BSDINET address.
    pub fn new(addr: InAddr, port: u16) -> Self {
        SockaddrIn { sin_family: AF_BSDINET, sin_port: port, sin_addr: addr }
    }

    /// Checks and reads an address a user passed. Shorter than a
    /// `sockaddr_in` is EINVAL; longer is accepted, as Linux accepts it
    /// (programs pass `sizeof(struct sockaddr_storage)`). Any family but
    /// AF_BSDINET is EAFNOSUPPORT.
    pub fn parse(nam: &[u8]) -> Result<SockaddrIn> {
        if nam.len() < Self::LEN {
            return Err(EINVAL);
        }
        let sin_family = u16::from_ne_bytes([nam[0], nam[1]]);
        if sin_family != AF_BSDINET {
            return Err(EAFNOSUPPORT);
        }
        Ok(SockaddrIn {
            sin_family,
            sin_port: u16::from_be_bytes([nam[2], nam[3]]),
            sin_addr: InAddr(u32::from_be_bytes([nam[4], nam[5], nam[6], nam[7]])),
        })
    }

    /// The address as a user sees it, zero-padded.
    pub fn emit(&self) -> [u8; Self::LEN] {
        let mut b = [0u8; Self::LEN];
        b[0..2].copy_from_slice(&self.sin_family.to_ne_bytes());
        b[2..4].copy_from_slice(&self.sin_port.to_be_bytes());
        b[4..8].copy_from_slice(&self.sin_addr.0.to_be_bytes());
        b
    }
}
