//! The internet domain and its protocol switch (`netinet/in_proto.c`; book
//! section 7.4, figure 7.13).
//!
//! Entries whose protocol is not built yet would have no user requests,
//! so that socket() answers EPROTONOSUPPORT for them, as `socreate` does
//! for a protocol without `pr_usrreq`. The order is the book's: `pffindtype` and
//! `pffindproto` return the first match.

use crate::bsd::kern::uipc_domain::{
    Domain, Protosw, PR_ADDR, PR_ATOMIC, PR_CONNREQUIRED, PR_WANTRCVD,
};
use crate::bsd::netinet::igmp::{igmp_fasttimo, igmp_input};
use crate::bsd::netinet::in_::*;
use crate::bsd::netinet::ip_icmp::icmp_input;
use crate::bsd::netinet::ip_input::{ip_drain, ip_slowtimo};
use crate::bsd::netinet::ip_mroute::{ipip_input, IPPROTO_IPIP};
use crate::bsd::netinet::ip_output::ip_ctloutput;
use crate::bsd::netinet::raw_ip::{rip_ctloutput, rip_input, rip_usrreq};
use crate::bsd::netinet::tcp_input::tcp_input;
use crate::bsd::netinet::tcp_subr::{tcp_ctlinput, tcp_drain};
use crate::bsd::netinet::tcp_timer::{tcp_fasttimo, tcp_slowtimo};
use crate::bsd::netinet::tcp_usrreq::{tcp_ctloutput, tcp_usrreq};
use crate::bsd::netinet::udp_usrreq::{udp_ctlinput, udp_input, udp_usrreq};
use crate::bsd::sys::socket::{SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};

/// The raw entries' common part.
const RAW: Protosw = Protosw {
    pr_type: SOCK_RAW,
    pr_flags: PR_ATOMIC | PR_ADDR,
    pr_usrreq: Some(rip_usrreq),
    pr_input: Some(rip_input),
    pr_ctloutput: Some(rip_ctloutput),
    ..Protosw::NONE
};

/// `inetsw[]`.
pub static INETSW: [Protosw; 8] = [
    Protosw {
        pr_name: "ip",
        pr_slowtimo: Some(ip_slowtimo),
        pr_drain: Some(ip_drain),
        ..Protosw::NONE
    },
    Protosw {
        pr_type: SOCK_DGRAM,
        pr_protocol: IPPROTO_UDP,
        pr_flags: PR_ATOMIC | PR_ADDR,
        pr_name: "udp",
        pr_usrreq: Some(udp_usrreq),
        pr_input: Some(udp_input),
        pr_ctlinput: Some(udp_ctlinput),
        pr_ctloutput: Some(ip_ctloutput),
        ..Protosw::NONE
    },
    Protosw {
        pr_type: SOCK_STREAM,
        pr_protocol: IPPROTO_TCP,
        pr_flags: PR_CONNREQUIRED | PR_WANTRCVD,
        pr_name: "tcp",
        pr_usrreq: Some(tcp_usrreq),
        pr_input: Some(tcp_input),
        pr_ctlinput: Some(tcp_ctlinput),
        pr_ctloutput: Some(tcp_ctloutput),
        pr_fasttimo: Some(tcp_fasttimo),
        pr_slowtimo: Some(tcp_slowtimo),
        pr_drain: Some(tcp_drain),
    },
    Protosw { pr_protocol: IPPROTO_RAW, pr_name: "raw", ..RAW },
    Protosw { pr_protocol: IPPROTO_ICMP, pr_name: "icmp", pr_input: Some(icmp_input), ..RAW },
    // IGMP (chapter 13): its input, then the raw IGMP sockets (the
    // multicast routing daemon's, whose MRT_* options are
    // `ip_mrouter_cmd`'s).
    Protosw {
        pr_protocol: IPPROTO_IGMP,
        pr_name: "igmp",
        pr_input: Some(igmp_input),
        pr_fasttimo: Some(igmp_fasttimo),
        ..RAW
    },
    // IP-in-IP: multicast routing's tunnels (`ipip_input`), else raw.
    Protosw {
        pr_protocol: IPPROTO_IPIP as i32,
        pr_name: "ipip",
        pr_input: Some(ipip_input),
        ..RAW
    },
    // The raw wildcard: every other protocol number.
    Protosw { pr_protocol: 0, pr_name: "raw wildcard", ..RAW },
];

/// The entry that handles input of IP protocol `p` (the book's
/// `ip_protox[]`, filled by `ip_init`): the protocol's own entry, or the
/// raw IPPROTO_RAW entry for protocols nobody implements.
pub fn ip_protox(p: u8) -> &'static Protosw {
    let p = i32::from(p);
    INETSW
        .iter()
        .find(|pr| pr.pr_protocol == p && p != 0 && p != IPPROTO_RAW && pr.pr_input.is_some())
        .unwrap_or(&INETSW[3])
}

/// `inetdomain`.
pub static INETDOMAIN: Domain =
    Domain { dom_family: AF_BSDINET as i32, dom_name: "internet", dom_protosw: &INETSW };
