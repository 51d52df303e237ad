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

/// Process out-of-band data (recv/send flags, Linux's values).
pub const MSG_OOB: i32 = 0x1;
/// Look at the data without taking it.
pub const MSG_PEEK: i32 = 0x2;
/// Send without using the routing table.
pub const MSG_DONTROUTE: i32 = 0x4;
/// Control data was cut short (out).
pub const MSG_CTRUNC: i32 = 0x8;
/// The datagram was cut short (out); in, return its real length.
pub const MSG_TRUNC: i32 = 0x20;
/// This call does not block.
pub const MSG_DONTWAIT: i32 = 0x40;
/// End of record.
pub const MSG_EOR: i32 = 0x80;
/// Wait for the whole request.
pub const MSG_WAITALL: i32 = 0x100;
/// No SIGPIPE on EPIPE.
pub const MSG_NOSIGNAL: i32 = 0x4000;
