//! `sys/net`: the interface layer.

pub mod if_;
