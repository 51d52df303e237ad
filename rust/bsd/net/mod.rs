//! `sys/net`: the interface layer.

pub mod bpf;
pub mod bpf_filter;
pub mod if_;
pub mod if_ethersubr;
pub mod if_loop;
pub mod if_sl;
pub mod if_tun;
pub mod radix;
pub mod raw_cb;
pub mod raw_usrreq;
pub mod route;
pub mod rtsock;
pub mod slcompress;
