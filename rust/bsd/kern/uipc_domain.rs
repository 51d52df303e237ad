//! Domains and protocol switch tables (`sys/domain.h`, `sys/protosw.h`,
//! `kern/uipc_domain.c`; book chapter 7).

use crate::bsd::kern::uipc_mbuf::Mbuf;
use crate::bsd::kern::uipc_socket::Pru;
use crate::bsd::netinet::in_::InAddr;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::Result;
use crate::bsd::sys::socket::SOCK_RAW;

/// A protocol's user-request entry: every socket call reaches the
/// protocol through it (the book's `pr_usrreq`).
pub type Usrreq = fn(&mut Stack, so: usize, req: Pru<'_>) -> Result;

/// A protocol's input from IP: the datagram and its header length (the
/// book's `pr_input`).
pub type PrInput = fn(&mut Stack, m: Mbuf, hlen: usize);

/// A control input: an ICMP error (PRC_* `cmd`) about a datagram that was
/// sent to `dst`; `ip` holds that datagram's IP header and at least 8
/// bytes after it, when the error quoted them (the book's `pr_ctlinput`).
pub type PrCtlinput = fn(&mut Stack, cmd: u32, dst: InAddr, ip: Option<&[u8]>);

/// A timer or drain entry (`pr_fasttimo`, `pr_slowtimo`, `pr_drain`).
pub type PrTimer = fn(&mut Stack);

/// A socket option request for a protocol (the book's `PRCO_SETOPT` and
/// `PRCO_GETOPT` with their mbuf). Levels and names are the book's
/// numbers (`SOL_SOCKET`, `IPPROTO_IP`, `IP_TTL`...).
pub enum SockOpt<'a> {
    /// setsockopt(): the caller's value, `val.len()` being its optlen.
    Set { level: i32, name: i32, val: &'a [u8] },
    /// getsockopt(): the protocol writes at most `out.len()` bytes (the
    /// caller's optlen) and returns how many it wrote.
    Get { level: i32, name: i32, out: &'a mut [u8] },
}

/// A protocol's socket options entry (the book's `pr_ctloutput`): 0 or
/// the length written for `SockOpt::Get`.
pub type Ctloutput = fn(&mut Stack, so: usize, op: SockOpt<'_>) -> Result<usize>;

// Control commands for `pr_ctlinput` (`sys/protosw.h`).
/// An interface went down.
pub const PRC_IFDOWN: u32 = 0;
/// Routing says the destination is unreachable.
pub const PRC_ROUTEDEAD: u32 = 1;
/// Source quench.
pub const PRC_QUENCH: u32 = 4;
/// Message too big: fragmentation needed.
pub const PRC_MSGSIZE: u32 = 5;
/// Host appears to be down.
pub const PRC_HOSTDEAD: u32 = 6;
/// Deprecated: host unreachable.
pub const PRC_HOSTUNREACH: u32 = 7;
/// No route to the network.
pub const PRC_UNREACH_NET: u32 = 8;
/// No route to the host.
pub const PRC_UNREACH_HOST: u32 = 9;
/// The destination says the protocol is unreachable.
pub const PRC_UNREACH_PROTOCOL: u32 = 10;
/// The destination says the port is unreachable.
pub const PRC_UNREACH_PORT: u32 = 11;
/// A source route failed.
pub const PRC_UNREACH_SRCFAIL: u32 = 13;
/// Network routing redirect.
pub const PRC_REDIRECT_NET: u32 = 14;
/// Host routing redirect.
pub const PRC_REDIRECT_HOST: u32 = 15;
/// TTL went to zero in transit.
pub const PRC_TIMXCEED_INTRANS: u32 = 18;
/// Reassembly timed out.
pub const PRC_TIMXCEED_REASS: u32 = 19;
/// A parameter problem in the header.
pub const PRC_PARAMPROB: u32 = 20;
/// How many commands there are.
pub const PRC_NCMDS: u32 = 21;

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
    /// Input from the protocol below.
    pub pr_input: Option<PrInput>,
    /// Control input (ICMP errors).
    pub pr_ctlinput: Option<PrCtlinput>,
    /// Socket options for the protocol's levels; `None` answers
    /// ENOPROTOOPT.
    pub pr_ctloutput: Option<Ctloutput>,
    /// Called every 200 ms.
    pub pr_fasttimo: Option<PrTimer>,
    /// Called every 500 ms.
    pub pr_slowtimo: Option<PrTimer>,
    /// Gives back memory when mbufs run short.
    pub pr_drain: Option<PrTimer>,
}

impl Protosw {
    /// An entry with nothing set, to fill in with `..Protosw::NONE`.
    pub const NONE: Protosw = Protosw {
        pr_type: 0,
        pr_protocol: 0,
        pr_flags: 0,
        pr_name: "",
        pr_usrreq: None,
        pr_input: None,
        pr_ctlinput: None,
        pr_ctloutput: None,
        pr_fasttimo: None,
        pr_slowtimo: None,
        pr_drain: None,
    };
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

/// The domains (the book's `domains` list): the internet and routing.
fn domains() -> [&'static Domain; 2] {
    [&crate::bsd::netinet::in_proto::INETDOMAIN, &crate::bsd::net::rtsock::ROUTEDOMAIN]
}

/// Calls every protocol's `pr_slowtimo` (`pfslowtimo`, every 500 ms).
pub fn pfslowtimo(st: &mut Stack) {
    for dp in domains() {
        for f in dp.dom_protosw.iter().filter_map(|pr| pr.pr_slowtimo) {
            f(st);
        }
    }
}

/// Calls every protocol's `pr_fasttimo` (`pffasttimo`, every 200 ms).
pub fn pffasttimo(st: &mut Stack) {
    for dp in domains() {
        for f in dp.dom_protosw.iter().filter_map(|pr| pr.pr_fasttimo) {
            f(st);
        }
    }
}

/// Calls every protocol's `pr_drain` when the mbuf allocator asked for
/// memory back (the second half of the book's `m_reclaim`).
pub fn m_reclaim(st: &mut Stack) {
    if st.mbpool.m_reclaim() {
        for dp in domains() {
            for f in dp.dom_protosw.iter().filter_map(|pr| pr.pr_drain) {
                f(st);
            }
        }
    }
}
