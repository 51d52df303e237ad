//! The IP header (`netinet/ip.h`) as a checked view, and the IP
//! statistics (`netinet/ip_var.h`; book chapter 8).
//!
//! `Ip::parse` reads a header only after checking the lengths it relies
//! on, so a malformed packet becomes an error for `ip_input` to count,
//! never a panic. Fields are in host byte order, as `ip_input` leaves
//! them after its `NTOHS` conversions.

use crate::bsd::netinet::in_::InAddr;

/// IP version 4.
pub const IPVERSION: u8 = 4;
/// Don't-fragment flag in `ip_off`.
pub const IP_DF: u16 = 0x4000;
/// More-fragments flag in `ip_off`.
pub const IP_MF: u16 = 0x2000;
/// Mask of the fragment offset (in 8-byte units).
pub const IP_OFFMASK: u16 = 0x1fff;
/// Largest IP datagram.
pub const IP_MAXPACKET: usize = 65535;
/// What forwarding takes off the TTL (`IPTTLDEC`).
pub const IPTTLDEC: u8 = 1;
/// Default TTL (`ip_defttl`, `IPDEFTTL`).
pub const IPDEFTTL: u8 = 64;
/// Header size without options.
pub const IP_HDRLEN: usize = 20;
/// The longest IP header: 15 words.
pub const IP_MAXHDRLEN: usize = 60;
/// The largest TTL (`MAXTTL`).
pub const MAXTTL: u8 = 255;

/// Type-of-service bits.
pub const IPTOS_LOWDELAY: u8 = 0x10;
pub const IPTOS_THROUGHPUT: u8 = 0x08;
pub const IPTOS_RELIABILITY: u8 = 0x04;

/// An IP header (`struct ip`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ip {
    /// Header length in bytes (`ip_hl << 2`).
    pub ip_hl: usize,
    pub ip_v: u8,
    pub ip_tos: u8,
    /// Total length, header included.
    pub ip_len: u16,
    pub ip_id: u16,
    /// Flags and fragment offset.
    pub ip_off: u16,
    pub ip_ttl: u8,
    pub ip_p: u8,
    pub ip_sum: u16,
    pub ip_src: InAddr,
    pub ip_dst: InAddr,
}

/// Why a header was refused; each is one of `ipstat`'s counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpError {
    /// Shorter than a minimal header (`ips_toosmall`).
    TooSmall,
    /// Not version 4 (`ips_badvers`).
    BadVersion,
    /// Header length below 20 bytes (`ips_badhlen`).
    BadHeaderLength,
    /// Header length beyond the data (`ips_badhlen` too, after a failed
    /// `m_pullup`).
    HeaderTooLong,
    /// Total length below the header length (`ips_badlen`).
    BadLength,
    /// Total length beyond the data (`ips_tooshort`).
    TooShort,
}

impl Ip {
    /// Checks and reads the header at the start of `b`, which must hold
    /// the whole header (options included): the caller pulls up `ip_hl`
    /// bytes first. The checksum is not checked here; `ip_input` does it.
    pub fn parse(b: &[u8]) -> Result<Ip, IpError> {
        if b.len() < IP_HDRLEN {
            return Err(IpError::TooSmall);
        }
        let ip_v = b[0] >> 4;
        if ip_v != IPVERSION {
            return Err(IpError::BadVersion);
        }
        let ip_hl = usize::from(b[0] & 0x0f) << 2;
        if ip_hl < IP_HDRLEN {
            return Err(IpError::BadHeaderLength);
        }
        if ip_hl > b.len() {
            return Err(IpError::HeaderTooLong);
        }
        let ip_len = u16::from_be_bytes([b[2], b[3]]);
        if usize::from(ip_len) < ip_hl {
            return Err(IpError::BadLength);
        }
        Ok(Ip {
            ip_hl,
            ip_v,
            ip_tos: b[1],
            ip_len,
            ip_id: u16::from_be_bytes([b[4], b[5]]),
            ip_off: u16::from_be_bytes([b[6], b[7]]),
            ip_ttl: b[8],
            ip_p: b[9],
            ip_sum: u16::from_be_bytes([b[10], b[11]]),
            ip_src: InAddr(u32::from_be_bytes([b[12], b[13], b[14], b[15]])),
            ip_dst: InAddr(u32::from_be_bytes([b[16], b[17], b[18], b[19]])),
        })
    }

    /// The header length `b` claims, for pulling it up before `parse`.
    pub fn header_len(b: &[u8]) -> Option<usize> {
        b.first().map(|&v| usize::from(v & 0x0f) << 2)
    }

    /// Writes the fixed 20 bytes of the header into `b` (options, if any,
    /// follow and are the caller's), with `ip_sum` as given.
    pub fn emit(&self, b: &mut [u8]) -> Option<()> {
        let b = b.get_mut(..IP_HDRLEN)?;
        b[0] = (self.ip_v << 4) | ((self.ip_hl >> 2) as u8 & 0x0f);
        b[1] = self.ip_tos;
        b[2..4].copy_from_slice(&self.ip_len.to_be_bytes());
        b[4..6].copy_from_slice(&self.ip_id.to_be_bytes());
        b[6..8].copy_from_slice(&self.ip_off.to_be_bytes());
        b[8] = self.ip_ttl;
        b[9] = self.ip_p;
        b[10..12].copy_from_slice(&self.ip_sum.to_be_bytes());
        b[12..16].copy_from_slice(&self.ip_src.0.to_be_bytes());
        b[16..20].copy_from_slice(&self.ip_dst.0.to_be_bytes());
        Some(())
    }
}

/// IP statistics (`struct ipstat`), counted where the book counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipstat {
    pub ips_total: u64,
    pub ips_badsum: u64,
    pub ips_tooshort: u64,
    pub ips_toosmall: u64,
    pub ips_badhlen: u64,
    pub ips_badlen: u64,
    pub ips_fragments: u64,
    pub ips_fragdropped: u64,
    pub ips_fragtimeout: u64,
    pub ips_forward: u64,
    pub ips_cantforward: u64,
    pub ips_redirectsent: u64,
    pub ips_noproto: u64,
    pub ips_delivered: u64,
    pub ips_localout: u64,
    pub ips_odropped: u64,
    pub ips_reassembled: u64,
    pub ips_fragmented: u64,
    pub ips_ofragments: u64,
    pub ips_cantfrag: u64,
    pub ips_badoptions: u64,
    pub ips_noroute: u64,
    pub ips_badvers: u64,
    pub ips_rawout: u64,
    /// Reassembled datagrams longer than IP_MAXPACKET (FreeBSD).
    pub ips_toolong: u64,
    /// Fragments with a bad length (FreeBSD).
    pub ips_badfrags: u64,
}

impl Ipstat {
    /// Counts a refused header in its counter.
    pub fn count(&mut self, e: IpError) {
        match e {
            IpError::TooSmall => self.ips_toosmall += 1,
            IpError::BadVersion => self.ips_badvers += 1,
            IpError::BadHeaderLength | IpError::HeaderTooLong => self.ips_badhlen += 1,
            IpError::BadLength => self.ips_badlen += 1,
            IpError::TooShort => self.ips_tooshort += 1,
        }
    }
}
