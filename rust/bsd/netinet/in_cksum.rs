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
        // Eight bytes at a time, as two 32-bit words: the ones' complement
        // sum of 16-bit words is the same folded down from wider ones, and
        // one load per eight bytes matters under KASAN and emulation.
        let mut quads = p.chunks_exact(8);
        for q in &mut quads {
            let v = u64::from_be_bytes([q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]]);
            sum += (v >> 32) + (v & 0xffff_ffff);
        }
        let mut words = quads.remainder().chunks_exact(2);
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
    // Fold 64 bits down to 16.
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
