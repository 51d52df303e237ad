//! `sys/netinet`: the internet protocols.

pub mod if_ether;
pub mod igmp;
pub mod in_;
pub mod in_cksum;
pub mod in_mcast;
pub mod in_pcb;
pub mod in_proto;
pub mod ip;
pub mod ip_icmp;
pub mod ip_input;
pub mod ip_mroute;
pub mod ip_options;
pub mod ip_output;
pub mod ip_reass;
pub mod raw_ip;
pub mod tcp;
pub mod tcp_debug;
pub mod tcp_fsm;
pub mod tcp_input;
pub mod tcp_output;
pub mod tcp_seq;
pub mod tcp_subr;
pub mod tcp_timer;
pub mod tcp_usrreq;
pub mod tcp_var;
pub mod udp_usrreq;
