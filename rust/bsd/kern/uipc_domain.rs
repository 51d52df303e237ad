//! Domains and protocol switch tables (`sys/domain.h`, `sys/protosw.h`,
//! `kern/uipc_domain.c`; book chapter 7).

use crate::bsd::kern::uipc_socket::Pru;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::Result;
use crate::bsd::sys::socket::SOCK_RAW;

/// A protocol's user-request entry: every socket call reaches the
/// protocol through it (the book's `pr_usrreq`).
pub type Usrreq = fn(&mut Stack, so: usize, req: Pru<'_>) -> Result;

/// Exchanges atomic messages only.
pub const PR_ATOMIC: u16 = 0x01;
/// Addresses are given with messages.
pub const PR_ADDR: u16 = 0x02;
/// Connection required by the protocol.
pub const PR_CONNREQUIRED: u16 = 0x04;
/// Wants PRU_RCVD calls.
pub const PR_WANTRCVD: u16 = 0x08;

/// One entry of a domain's protocol switch table.
pub struct Protosw {
    /// Socket type (SOCK_*), or 0 for the domain's own entry (IP).
    pub pr_type: i32,
    /// Protocol number, or 0 for the raw wildcard.
    pub pr_protocol: i32,
    /// PR_* flags.
    pub pr_flags: u16,
    /// The name the book gives the protocol, for people and logs.
    pub pr_name: &'static str,
    /// User requests, or `None` while the protocol is not built: socket()
    /// then answers EPROTONOSUPPORT, as `socreate` does in the book.
    pub pr_usrreq: Option<Usrreq>,
}

/// A communication domain (`struct domain`).
pub struct Domain {
    pub dom_family: i32,
    pub dom_name: &'static str,
    pub dom_protosw: &'static [Protosw],
}

/// The first entry of type `ty` (`pffindtype`): what socket() uses when
/// no protocol is given. Entries of type 0 (the domain's own) never match.
pub fn pffindtype(dp: &'static Domain, ty: i32) -> Option<&'static Protosw> {
    dp.dom_protosw.iter().find(|pr| pr.pr_type != 0 && pr.pr_type == ty)
}

/// The entry for `protocol` and `ty` (`pffindproto`). For SOCK_RAW, an
/// unknown protocol falls back to the first raw wildcard entry.
pub fn pffindproto(dp: &'static Domain, protocol: i32, ty: i32) -> Option<&'static Protosw> {
    let mut maybe = None;
    for pr in dp.dom_protosw {
        if pr.pr_protocol == protocol && pr.pr_type == ty {
            return Some(pr);
        }
        if ty == SOCK_RAW && pr.pr_type == SOCK_RAW && pr.pr_protocol == 0 && maybe.is_none() {
            maybe = Some(pr);
        }
    }
    maybe
}
