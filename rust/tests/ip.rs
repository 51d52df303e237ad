//! The IP header view and the Internet checksum.

use bsdinet::bsd::netinet::in_::InAddr;
use bsdinet::bsd::netinet::in_cksum::in_cksum;
use bsdinet::bsd::netinet::ip::*;
use proptest::prelude::*;

/// A plain RFC 1071 checksum to compare against.
fn reference(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[test]
fn known_header_checksum() {
    // A header from RFC 1071's era of examples: checksum 0xb861.
    let mut h = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];
    assert_eq!(in_cksum([&h[..]]), 0xb861);
    h[10..12].copy_from_slice(&0xb861u16.to_be_bytes());
    // A header with its checksum in place sums to zero.
    assert_eq!(in_cksum([&h[..]]), 0);
    assert_eq!(in_cksum(core::iter::empty::<&[u8]>()), 0xffff);
}

proptest! {
    #[test]
    fn checksum_of_pieces_is_checksum_of_whole(data in prop::collection::vec(any::<u8>(), 0..600),
                                              cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        cuts.sort();
        let mut pieces = Vec::new();
        let mut start = 0;
        for c in cuts {
            pieces.push(&data[start..c]);
            start = c;
        }
        pieces.push(&data[start..]);
        prop_assert_eq!(in_cksum(pieces), reference(&data));
    }

    #[test]
    fn parse_never_panics(data in prop::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(ip) = Ip::parse(&data) {
            prop_assert!(ip.ip_hl >= IP_HDRLEN && ip.ip_hl <= data.len());
            prop_assert!(usize::from(ip.ip_len) >= ip.ip_hl);
        }
    }

    #[test]
    fn emit_then_parse(tos: u8, len in 20u16.., id: u16, off: u16, ttl: u8, p: u8, src: u32, dst: u32) {
        let ip = Ip { ip_hl: 20, ip_v: 4, ip_tos: tos, ip_len: len, ip_id: id, ip_off: off, ip_ttl: ttl,
                      ip_p: p, ip_sum: 0, ip_src: InAddr(src), ip_dst: InAddr(dst) };
        let mut b = [0u8; 20];
        ip.emit(&mut b).unwrap();
        prop_assert_eq!(Ip::parse(&b), Ok(ip));
    }
}

#[test]
fn each_bad_header_has_its_counter() {
    let good = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
    let mut st = Ipstat::default();
    let cases: [(&[u8], IpError); 5] = [
        (&good[..19], IpError::TooSmall),
        (
            &[0x65, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1],
            IpError::BadVersion,
        ),
        (
            &[0x44, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1],
            IpError::BadHeaderLength,
        ),
        (
            &[0x46, 0, 0, 24, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1],
            IpError::HeaderTooLong,
        ),
        (
            &[0x45, 0, 0, 19, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1],
            IpError::BadLength,
        ),
    ];
    for (b, want) in cases {
        let e = Ip::parse(b).unwrap_err();
        assert_eq!(e, want);
        st.count(e);
    }
    assert_eq!((st.ips_toosmall, st.ips_badvers, st.ips_badhlen, st.ips_badlen), (1, 1, 2, 1));
    assert!(Ip::parse(&good).is_ok());
}
