//! Socket types, flags and options (`sys/socket.h`), Linux's numbering.

/// Stream socket.
pub const SOCK_STREAM: i32 = 1;
/// Datagram socket.
pub const SOCK_DGRAM: i32 = 2;
/// Raw-protocol interface.
pub const SOCK_RAW: i32 = 3;

/// Shut down the receive side (`how` of shutdown(2)).
pub const SHUT_RD: i32 = 0;
/// Shut down the send side.
pub const SHUT_WR: i32 = 1;
/// Shut down both sides.
pub const SHUT_RDWR: i32 = 2;
