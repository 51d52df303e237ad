//! What the host tests share: user buffers for sosend/soreceive, and
//! shorthands for sockets and addresses.

#![allow(dead_code)]

pub mod fuzz;
pub mod tcpsim;

use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;

/// Data to send, as a user buffer.
pub struct Src<'a>(pub &'a [u8]);
impl UioIn for Src<'_> {
    fn resid(&self) -> usize {
        self.0.len()
    }
    fn uiomove(&mut self, buf: &mut [u8]) -> Result {
        let (a, b) = self.0.split_at(buf.len());
        buf.copy_from_slice(a);
        self.0 = b;
        Ok(())
    }
}

/// A user buffer to receive into.
pub struct Dst {
    pub buf: Vec<u8>,
    pub cap: usize,
}
impl UioOut for Dst {
    fn resid(&self) -> usize {
        self.cap - self.buf.len()
    }
    fn uiomove(&mut self, data: &[u8]) -> Result {
        self.buf.extend_from_slice(data);
        Ok(())
    }
}

/// A stack with lo0 up at 127.0.0.1/8, as the module starts.
pub fn stack() -> Stack {
    let mut st = Stack::new();
    st.boot().expect("boot");
    st
}

/// Receives up to `cap` bytes.
pub fn recv(st: &mut Stack, so: usize, cap: usize, flags: i32) -> Result<(Vec<u8>, Received)> {
    let mut d = Dst { buf: Vec::new(), cap };
    let r = soreceive(st, so, &mut d, flags, None)?;
    Ok((d.buf, r))
}

/// Sends `data` (to `nam`), then lets the stack's software interrupt run,
/// as the module does when the call returns.
pub fn send(st: &mut Stack, so: usize, nam: Option<&[u8]>, data: &[u8]) -> Result {
    let r = sosend(st, so, nam, &mut Src(data), None);
    st.softint();
    r
}

/// A raw socket of protocol `proto`, created by root.
pub fn raw(st: &mut Stack, proto: i32) -> usize {
    socreate(st, &INETDOMAIN, SOCK_RAW, proto, Cred::ROOT, 7).expect("raw socket")
}

/// A sockaddr_in for `addr`:`port`.
pub fn sin(addr: u32, port: u16) -> [u8; 16] {
    SockaddrIn::new(InAddr(addr), port).emit()
}

/// 127.0.0.1.
pub const LOCALHOST: u32 = 0x7f00_0001;

/// The Internet checksum of `b`, for building packets in tests.
pub fn cksum(b: &[u8]) -> u16 {
    bsdinet::bsd::netinet::in_cksum::in_cksum([b])
}

/// An ICMP message of type `ty` with `id`, `seq` and `data`, checksummed.
pub fn icmp_msg(ty: u8, id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut b = vec![ty, 0, 0, 0];
    b.extend_from_slice(&id.to_be_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(data);
    let s = cksum(&b);
    b[2..4].copy_from_slice(&s.to_be_bytes());
    b
}

/// Sends `data` with `flags` on a stream: the bytes the stack took, and
/// how the call ended (EWOULDBLOCK when it ran out of room, as the book's
/// `sosend` answers `sendit`).
pub fn send_some(st: &mut Stack, so: usize, data: &[u8], flags: i32) -> (usize, Result) {
    let mut src = Src(data);
    let r = sosend_flags(st, so, None, &mut src, None, flags);
    st.softint();
    (data.len() - src.0.len(), r)
}

/// Nothing is left: no socket, no mbuf, no cluster.
pub fn assert_no_leaks(st: &Stack) {
    assert_eq!(st.sockets.len(), 0, "sockets left");
    assert_eq!((st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters), (0, 0), "mbufs left");
}
