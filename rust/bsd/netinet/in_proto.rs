//! The internet domain and its protocol switch (`netinet/in_proto.c`; book
//! section 7.4, figure 7.13).
//!
//! Entries whose protocol is not built yet have no user requests, so that
//! socket() answers EPROTONOSUPPORT for them, as `socreate` does for a
//! protocol without `pr_usrreq`. The order is the book's: `pffindtype` and
//! `pffindproto` return the first match.

use crate::bsd::kern::uipc_domain::{
    Domain, Protosw, PR_ADDR, PR_ATOMIC, PR_CONNREQUIRED, PR_WANTRCVD,
};
use crate::bsd::netinet::in_::*;
use crate::bsd::netinet::raw_ip::rip_usrreq;
use crate::bsd::sys::socket::{SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};

/// `inetsw[]`.
pub static INETSW: [Protosw; 7] = [
    Protosw { pr_type: 0, pr_protocol: 0, pr_flags: 0, pr_name: "ip", pr_usrreq: None },
    Protosw {
        pr_type: SOCK_DGRAM,
        pr_protocol: IPPROTO_UDP,
        pr_flags: PR_ATOMIC | PR_ADDR,
        pr_name: "udp",
        pr_usrreq: None,
    },
    Protosw {
        pr_type: SOCK_STREAM,
        pr_protocol: IPPROTO_TCP,
        pr_flags: PR_CONNREQUIRED | PR_WANTRCVD,
        pr_name: "tcp",
        pr_usrreq: None,
    },
    Protosw {
        pr_type: SOCK_RAW,
        pr_protocol: IPPROTO_RAW,
        pr_flags: PR_ATOMIC | PR_ADDR,
        pr_name: "raw",
        pr_usrreq: Some(rip_usrreq),
    },
    Protosw {
        pr_type: SOCK_RAW,
        pr_protocol: IPPROTO_ICMP,
        pr_flags: PR_ATOMIC | PR_ADDR,
        pr_name: "icmp",
        pr_usrreq: Some(rip_usrreq),
    },
    Protosw {
        pr_type: SOCK_RAW,
        pr_protocol: IPPROTO_IGMP,
        pr_flags: PR_ATOMIC | PR_ADDR,
        pr_name: "igmp",
        pr_usrreq: Some(rip_usrreq),
    },
    // The raw wildcard: every other protocol number.
    Protosw {
        pr_type: SOCK_RAW,
        pr_protocol: 0,
        pr_flags: PR_ATOMIC | PR_ADDR,
        pr_name: "raw wildcard",
        pr_usrreq: Some(rip_usrreq),
    },
];

/// `inetdomain`.
pub static INETDOMAIN: Domain =
    Domain { dom_family: AF_BSDINET as i32, dom_name: "internet", dom_protosw: &INETSW };
