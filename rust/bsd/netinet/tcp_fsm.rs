//! The TCP state machine's states (`netinet/tcp_fsm.h`; book section
//! 24.8, figure 24.15).

pub const TCPS_CLOSED: i16 = 0;
pub const TCPS_LISTEN: i16 = 1;
pub const TCPS_SYN_SENT: i16 = 2;
pub const TCPS_SYN_RECEIVED: i16 = 3;
pub const TCPS_ESTABLISHED: i16 = 4;
pub const TCPS_CLOSE_WAIT: i16 = 5;
pub const TCPS_FIN_WAIT_1: i16 = 6;
pub const TCPS_CLOSING: i16 = 7;
pub const TCPS_LAST_ACK: i16 = 8;
pub const TCPS_FIN_WAIT_2: i16 = 9;
pub const TCPS_TIME_WAIT: i16 = 10;
/// How many states there are.
pub const TCP_NSTATES: usize = 11;

/// A SYN has been received (`TCPS_HAVERCVDSYN`).
pub fn tcps_havercvdsyn(s: i16) -> bool {
    s >= TCPS_SYN_RECEIVED
}

/// The connection is established (`TCPS_HAVEESTABLISHED`).
pub fn tcps_haveestablished(s: i16) -> bool {
    s >= TCPS_ESTABLISHED
}

/// A FIN has been received (`TCPS_HAVERCVDFIN`).
pub fn tcps_havercvdfin(s: i16) -> bool {
    s >= TCPS_TIME_WAIT
}

use crate::bsd::netinet::tcp::{TH_ACK, TH_FIN, TH_RST, TH_SYN};

/// The flags `tcp_output` sends in each state (`tcp_outflags[]`, figure
/// 24.16).
pub const TCP_OUTFLAGS: [u8; TCP_NSTATES] = [
    TH_RST | TH_ACK,
    0,
    TH_SYN,
    TH_SYN | TH_ACK,
    TH_ACK,
    TH_ACK,
    TH_FIN | TH_ACK,
    TH_FIN | TH_ACK,
    TH_FIN | TH_ACK,
    TH_ACK,
    TH_ACK,
];

/// The states' names (`tcpstates[]`), as netstat and trpt print them.
pub const TCPSTATES: [&str; TCP_NSTATES] = [
    "CLOSED",
    "LISTEN",
    "SYN_SENT",
    "SYN_RCVD",
    "ESTABLISHED",
    "CLOSE_WAIT",
    "FIN_WAIT_1",
    "CLOSING",
    "LAST_ACK",
    "FIN_WAIT_2",
    "TIME_WAIT",
];

/// The name of state `s`, `?` for a number out of range.
pub fn tcpstate_name(s: i16) -> &'static str {
    usize::try_from(s).ok().and_then(|i| TCPSTATES.get(i)).copied().unwrap_or("?")
}
