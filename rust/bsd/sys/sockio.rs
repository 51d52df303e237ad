//! Socket ioctls (`sys/sockio.h`, `net/if.h` structures; book chapter 4
//! and 6), with BSD's numbers in Linux's `_IOC` encoding. Linux's socket
//! core answers its own SIOCGIFCONF (0x8912) and friends before a protocol
//! sees them; these numbers (group 'i') reach bsdinet.
//!
//! The request structures keep the layout Linux programs know: `ifreq` is
//! 40 bytes (a 16-byte name and a 24-byte union), `ifaliasreq` a name and
//! three 16-byte socket addresses, `ifconf` a length and a pointer.

use crate::bsd::netinet::in_::SockaddrIn;
use crate::bsd::sys::errno::{Result, EINVAL};

/// Interface name size, with the terminating NUL.
pub const IFNAMSIZ: usize = 16;
/// `sizeof(struct ifreq)`.
pub const IFREQ_LEN: usize = 40;
/// `sizeof(struct ifaliasreq)`.
pub const IFALIASREQ_LEN: usize = IFNAMSIZ + 3 * SockaddrIn::LEN;
/// `sizeof(struct ifconf)` on 64-bit Linux.
pub const IFCONF_LEN: usize = 16;

const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((b'i' as u32) << 8) | nr
}
const fn iow(nr: u32, size: usize) -> u32 {
    ioc(IOC_WRITE, nr, size)
}
const fn iowr(nr: u32, size: usize) -> u32 {
    ioc(IOC_READ | IOC_WRITE, nr, size)
}

/// Whether the caller must copy the argument in (`_IOC_WRITE`).
pub const fn ioc_in(cmd: u32) -> bool {
    (cmd >> 30) & IOC_WRITE != 0
}
/// Whether the caller must copy the argument back out (`_IOC_READ`).
pub const fn ioc_out(cmd: u32) -> bool {
    (cmd >> 30) & IOC_READ != 0
}
/// The argument's size (`IOCPARM_LEN`).
pub const fn ioc_len(cmd: u32) -> usize {
    ((cmd >> 16) & 0x3fff) as usize
}

pub const SIOCSIFADDR: u32 = iow(12, IFREQ_LEN);
pub const SIOCSIFDSTADDR: u32 = iow(14, IFREQ_LEN);
pub const SIOCSIFFLAGS: u32 = iow(16, IFREQ_LEN);
pub const SIOCGIFFLAGS: u32 = iowr(17, IFREQ_LEN);
pub const SIOCSIFBRDADDR: u32 = iow(19, IFREQ_LEN);
pub const SIOCSIFNETMASK: u32 = iow(22, IFREQ_LEN);
pub const SIOCGIFMETRIC: u32 = iowr(23, IFREQ_LEN);
pub const SIOCSIFMETRIC: u32 = iow(24, IFREQ_LEN);
pub const SIOCDIFADDR: u32 = iow(25, IFREQ_LEN);
pub const SIOCAIFADDR: u32 = iow(26, IFALIASREQ_LEN);
pub const SIOCGIFADDR: u32 = iowr(33, IFREQ_LEN);
pub const SIOCGIFDSTADDR: u32 = iowr(34, IFREQ_LEN);
pub const SIOCGIFBRDADDR: u32 = iowr(35, IFREQ_LEN);
pub const SIOCGIFCONF: u32 = iowr(36, IFCONF_LEN);
pub const SIOCGIFNETMASK: u32 = iowr(37, IFREQ_LEN);
/// Receive a multicast group on an interface (chapter 12; root only).
pub const SIOCADDMULTI: u32 = iow(49, IFREQ_LEN);
/// Stop receiving it.
pub const SIOCDELMULTI: u32 = iow(50, IFREQ_LEN);
/// Get the interface MTU (not in 4.4BSD-Lite; its later BSD number).
pub const SIOCGIFMTU: u32 = iowr(51, IFREQ_LEN);
/// Set the interface MTU.
pub const SIOCSIFMTU: u32 = iow(52, IFREQ_LEN);

/// The name in an `ifreq` or `ifaliasreq`: up to the first NUL. A name
/// that fills the field without a NUL is EINVAL.
pub fn ifr_name(data: &[u8]) -> Result<&[u8]> {
    let name = data.get(..IFNAMSIZ).ok_or(EINVAL)?;
    let len = name.iter().position(|&b| b == 0).ok_or(EINVAL)?;
    Ok(&name[..len])
}

/// The socket address at byte `off` of a request (a Linux `struct
/// sockaddr`: family and 14 bytes). Unlike `SockaddrIn::parse`, the family
/// is returned, not checked: requests give meaning to other families
/// (AF_UNSPEC for "not given").
pub fn sockaddr_at(data: &[u8], off: usize) -> Result<SockaddrIn> {
    let b = data.get(off..off + SockaddrIn::LEN).ok_or(EINVAL)?;
    Ok(SockaddrIn {
        sin_family: u16::from_ne_bytes([b[0], b[1]]),
        sin_port: u16::from_be_bytes([b[2], b[3]]),
        sin_addr: crate::bsd::netinet::in_::InAddr(u32::from_be_bytes([b[4], b[5], b[6], b[7]])),
    })
}

/// Stores `sin` at byte `off` of a request.
pub fn set_sockaddr_at(data: &mut [u8], off: usize, sin: &SockaddrIn) -> Result {
    let b = data.get_mut(off..off + SockaddrIn::LEN).ok_or(EINVAL)?;
    b.copy_from_slice(&sin.emit());
    Ok(())
}

/// Reads the `short`/`int` at byte `off` of an `ifreq`'s union.
pub fn ifr_int(data: &[u8], off: usize, size: usize) -> Result<i32> {
    let b = data.get(off..off + size).ok_or(EINVAL)?;
    Ok(match size {
        2 => i32::from(i16::from_ne_bytes([b[0], b[1]])),
        _ => i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
    })
}

/// Stores a `short`/`int` at byte `off` of an `ifreq`'s union.
pub fn set_ifr_int(data: &mut [u8], off: usize, size: usize, v: i32) -> Result {
    let b = data.get_mut(off..off + size).ok_or(EINVAL)?;
    match size {
        2 => b.copy_from_slice(&(v as i16).to_ne_bytes()),
        _ => b.copy_from_slice(&v.to_ne_bytes()),
    }
    Ok(())
}

/// Offset of the union in an `ifreq` (`ifr_addr`, `ifr_flags`, ...).
pub const IFR_UNION: usize = IFNAMSIZ;
/// Offsets of the addresses in an `ifaliasreq`.
pub const IFRA_ADDR: usize = IFNAMSIZ;
pub const IFRA_BROADADDR: usize = IFNAMSIZ + SockaddrIn::LEN;
pub const IFRA_MASK: usize = IFNAMSIZ + 2 * SockaddrIn::LEN;
