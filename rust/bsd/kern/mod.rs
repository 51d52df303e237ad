//! `sys/kern`: the socket layer, the domain switch and mbufs.

pub mod kern_stats;
pub mod uipc_domain;
pub mod uipc_mbuf;
pub mod uipc_socket;
pub mod uipc_socket2;
