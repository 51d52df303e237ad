//! Sequence number arithmetic (`netinet/tcp_seq.h`; book section 24.7).
//! Sequence numbers wrap at 2^32: compare them through these, never with
//! `<`, and add with `wrapping_add`.

/// `SEQ_LT(a, b)`: `a` comes before `b`.
pub fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `SEQ_LEQ(a, b)`.
pub fn seq_leq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// `SEQ_GT(a, b)`.
pub fn seq_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// `SEQ_GEQ(a, b)`.
pub fn seq_geq(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) >= 0
}

/// The distance from `b` up to `a` as a signed count (`a - b` in the
/// book's int arithmetic).
pub fn seq_sub(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// The larger of two sequence numbers (`max` as the book uses it on them).
pub fn seq_max(a: u32, b: u32) -> u32 {
    if seq_gt(a, b) {
        a
    } else {
        b
    }
}

/// The book's ISS clock (`tcp_iss`) advances by `TCP_ISSINCR /
/// PR_SLOWHZ` every half second (`tcp_slowtimo`) and by `TCP_ISSINCR /
/// 2` for every connection accepted (`tcp_input`).
pub const TCP_ISSINCR: u32 = 125 * 1024;
