//! `sys/netinet`: the internet protocols.

pub mod if_ether;
pub mod in_;
pub mod in_cksum;
pub mod in_pcb;
pub mod in_proto;
pub mod ip;
pub mod ip_icmp;
pub mod ip_input;
pub mod ip_options;
pub mod ip_output;
pub mod ip_reass;
pub mod raw_ip;
pub mod udp_usrreq;
