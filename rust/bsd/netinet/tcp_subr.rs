//! TCP's support functions (`netinet/tcp_subr.c`; book chapter 27).

use crate::bsd::kern::uipc_mbuf::Mbuf;
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::netinet::tcp_var::TcpIpHdr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Errno, Result};

/// The header template of control block `tp` (`tcp_template`): its
/// PCB's addresses and ports.
pub fn tcp_template(st: &mut Stack, tp: usize) -> TcpIpHdr {
    let _ = (st, tp);
    TcpIpHdr::default()
}

/// Sends a segment that carries no data (`tcp_respond`): an ACK or RST
/// with `seq`, `ack` and `flags`, addressed as `ti` (source: us). With
/// a control block, its window, TTL and options go with it; without
/// one (a reply to a segment for no connection) the window is 0. `m`, if
/// given, is the received segment, freed here (the book reuses it).
pub fn tcp_respond(
    st: &mut Stack,
    tp: Option<usize>,
    ti: TcpIpHdr,
    m: Option<Mbuf>,
    ack: u32,
    seq: u32,
    flags: u8,
) {
    let _ = (st, tp, ti, m, ack, seq, flags);
}

/// A control block for PCB `inp` (`tcp_newtcpcb`), hung off it.
pub fn tcp_newtcpcb(st: &mut Stack, inp: usize) -> Result<usize> {
    let _ = (st, inp);
    Err(crate::bsd::sys::errno::ENOBUFS)
}

/// Drops the connection (`tcp_drop`): a RST if a SYN was received, the
/// error for the user, then `tcp_close`. Returns `None` (closed).
pub fn tcp_drop(st: &mut Stack, tp: usize, errno: Errno) -> Option<usize> {
    let _ = (st, tp, errno);
    None
}

/// Closes the connection (`tcp_close`): saves the RTT estimates in the
/// route, frees the reassembly queue, the control block and the PCB,
/// and tells the socket it is disconnected. Returns `None`.
pub fn tcp_close(st: &mut Stack, tp: usize) -> Option<usize> {
    let _ = (st, tp);
    None
}

/// A new initial send sequence number for a connection from `laddr:lport`
/// to `faddr:fport`: RFC 6528's keyed hash plus a 4 µs clock when
/// `tcp_iss_random` is set, the book's `tcp_iss` otherwise (advanced by
/// TCP_ISSINCR/2 as the book advances it for each connection).
pub fn tcp_iss(st: &mut Stack, laddr: InAddr, lport: u16, faddr: InAddr, fport: u16) -> u32 {
    let _ = (laddr, lport, faddr, fport);
    st.tcp.tcp_iss
}

/// The ICMP error `errno` arrived for PCB `inp` (`tcp_notify`): kept
/// as a soft error while the connection works, reported otherwise.
pub fn tcp_notify(st: &mut Stack, inp: usize, errno: Errno) {
    let _ = (st, inp, errno);
}

/// A source quench arrived for PCB `inp` (`tcp_quench`): back to slow
/// start.
pub fn tcp_quench(st: &mut Stack, inp: usize, errno: Errno) {
    let _ = (st, inp, errno);
}

/// ICMP errors for TCP (`tcp_ctlinput`, TCP's `pr_ctlinput`).
pub fn tcp_ctlinput(st: &mut Stack, cmd: u32, dst: InAddr, ip: Option<&[u8]>) {
    let _ = (st, cmd, dst, ip);
}

/// Gives memory back (`tcp_drain`, TCP's `pr_drain`): the book's does
/// nothing; bsdinet frees the reassembly queues.
pub fn tcp_drain(st: &mut Stack) {
    let _ = st;
}
