//! TCP output (`netinet/tcp_output.c`; book chapter 26).

use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::Result;

/// Sends what control block `tp` may send now (`tcp_output`): data,
/// SYN, FIN, window updates, ACKs and persist probes, as the book
/// decides (figures 26.1-26.32).
pub fn tcp_output(st: &mut Stack, tp: usize) -> Result {
    let _ = (st, tp);
    Ok(())
}

/// Starts the persist timer (`tcp_setpersist`).
pub fn tcp_setpersist(st: &mut Stack, tp: usize) {
    let _ = (st, tp);
}
