//! `sys/kern`: the socket layer and the domain switch.

pub mod uipc_domain;
pub mod uipc_socket;
pub mod uipc_socket2;
