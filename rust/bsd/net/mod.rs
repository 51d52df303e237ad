//! `sys/net`: the interface layer.

pub mod if_;
pub mod if_loop;
pub mod route;
