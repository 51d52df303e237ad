//! The TCP header and its options (`netinet/tcp.h`; book section 24.6,
//! figure 24.10).

use crate::bsd::netinet::ip_output::{get16, put16};

/// Bytes in a TCP header without options.
pub const TCP_HDRLEN: usize = 20;
/// Most option bytes a header can carry (a 4-bit offset of words).
pub const TCP_MAXOLEN: usize = 40;

// `th_flags` bits.
pub const TH_FIN: u8 = 0x01;
pub const TH_SYN: u8 = 0x02;
pub const TH_RST: u8 = 0x04;
pub const TH_PUSH: u8 = 0x08;
pub const TH_ACK: u8 = 0x10;
pub const TH_URG: u8 = 0x20;

// Options (figure 26.16).
pub const TCPOPT_EOL: u8 = 0;
pub const TCPOPT_NOP: u8 = 1;
pub const TCPOPT_MAXSEG: u8 = 2;
pub const TCPOLEN_MAXSEG: usize = 4;
pub const TCPOPT_WINDOW: u8 = 3;
pub const TCPOLEN_WINDOW: usize = 3;
pub const TCPOPT_SACK_PERMITTED: u8 = 4;
pub const TCPOPT_TIMESTAMP: u8 = 8;
pub const TCPOLEN_TIMESTAMP: usize = 10;
/// The timestamp option as RFC 1323's Appendix A lays it out: two NOPs
/// first, so that the values fall on 32-bit boundaries.
pub const TCPOLEN_TSTAMP_APPA: usize = TCPOLEN_TIMESTAMP + 2;
/// The first word of that layout, which header prediction compares.
pub const TCPOPT_TSTAMP_HDR: u32 = (TCPOPT_NOP as u32) << 24
    | (TCPOPT_NOP as u32) << 16
    | (TCPOPT_TIMESTAMP as u32) << 8
    | TCPOLEN_TIMESTAMP as u32;

/// The default maximum segment size (`TCP_MSS`), when the peer names
/// none: 576-byte datagrams less 40 bytes of headers, rounded down.
pub const TCP_MSS: u16 = 512;
/// The largest window without scaling (`TCP_MAXWIN`).
pub const TCP_MAXWIN: u32 = 65535;
/// The largest window scale (`TCP_MAX_WINSHIFT`).
pub const TCP_MAX_WINSHIFT: u8 = 14;

// Options for `IPPROTO_TCP` (the book's numbers, which Linux shares).
/// Do not delay small segments (Nagle off).
pub const TCP_NODELAY: i32 = 0x01;
/// The maximum segment size.
pub const TCP_MAXSEG: i32 = 0x02;

// Offsets of the header's fields.
pub const TH_SPORT: usize = 0;
pub const TH_DPORT: usize = 2;
pub const TH_SEQ: usize = 4;
pub const TH_ACK_OFF: usize = 8;
pub const TH_OFF: usize = 12;
pub const TH_FLAGS: usize = 13;
pub const TH_WIN: usize = 14;
pub const TH_SUM: usize = 16;
pub const TH_URP: usize = 18;

/// A TCP header's fixed fields in host order (`struct tcphdr`), parsed
/// from and written to the wire through `parse` and `emit`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tcphdr {
    pub th_sport: u16,
    pub th_dport: u16,
    pub th_seq: u32,
    pub th_ack: u32,
    /// Header length in 32-bit words (`th_off`).
    pub th_off: u8,
    pub th_flags: u8,
    pub th_win: u16,
    pub th_sum: u16,
    pub th_urp: u16,
}

/// A big-endian 32-bit field.
pub fn get32(b: &[u8], off: usize) -> u32 {
    match b.get(off..off + 4) {
        Some(s) => u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

/// Writes a big-endian 32-bit field (nothing when `b` is too short).
pub fn put32(b: &mut [u8], off: usize, v: u32) {
    if let Some(s) = b.get_mut(off..off + 4) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

impl Tcphdr {
    /// The header at the start of `b`, or `None` when `b` is shorter
    /// than a header without options.
    pub fn parse(b: &[u8]) -> Option<Tcphdr> {
        if b.len() < TCP_HDRLEN {
            return None;
        }
        Some(Tcphdr {
            th_sport: get16(b, TH_SPORT),
            th_dport: get16(b, TH_DPORT),
            th_seq: get32(b, TH_SEQ),
            th_ack: get32(b, TH_ACK_OFF),
            th_off: b[TH_OFF] >> 4,
            th_flags: b[TH_FLAGS] & 0x3f,
            th_win: get16(b, TH_WIN),
            th_sum: get16(b, TH_SUM),
            th_urp: get16(b, TH_URP),
        })
    }

    /// Writes the header into the first 20 bytes of `b` (nothing when
    /// `b` is shorter).
    pub fn emit(&self, b: &mut [u8]) {
        if b.len() < TCP_HDRLEN {
            return;
        }
        put16(b, TH_SPORT, self.th_sport);
        put16(b, TH_DPORT, self.th_dport);
        put32(b, TH_SEQ, self.th_seq);
        put32(b, TH_ACK_OFF, self.th_ack);
        b[TH_OFF] = self.th_off << 4;
        b[TH_FLAGS] = self.th_flags;
        put16(b, TH_WIN, self.th_win);
        put16(b, TH_SUM, self.th_sum);
        put16(b, TH_URP, self.th_urp);
    }
}
