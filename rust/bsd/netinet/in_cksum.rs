//! The Internet checksum (`netinet/in_cksum.c`; book section 8.7): the
//! ones' complement of the ones' complement sum of 16-bit words, over data
//! that may come in pieces (an mbuf chain) of any length: a piece that
//! ends on an odd byte leaves that byte to pair with the next piece's
//! first, as `in_cksum`'s `byte_swapped` handling does.

/// Computes the checksum of the concatenation of `pieces`.
pub fn in_cksum<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> u16 {
    let mut sum: u64 = 0;
    let mut odd: Option<u8> = None;
    for p in pieces {
        let mut p = p;
        if let Some(hi) = odd.take() {
            match p.split_first() {
                Some((&lo, rest)) => {
                    sum += u64::from(u16::from_be_bytes([hi, lo]));
                    p = rest;
                }
                None => {
                    odd = Some(hi);
                    continue;
                }
            }
        }
        let mut words = p.chunks_exact(2);
        for w in &mut words {
            sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = words.remainder() {
            odd = Some(*last);
        }
    }
    if let Some(hi) = odd {
        sum += u64::from(u16::from_be_bytes([hi, 0]));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
