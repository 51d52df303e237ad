//! The 4.4BSD-Lite networking code, as pure Rust.
//!
//! Nothing here touches the `kernel` crate or uses `unsafe`: the same files
//! build into `bsdinet.ko` and into the host crate that `cargo test` runs.
//! The platform (allocation) is reached through `crate::platform`, which
//! each crate root provides. The directories follow the book's source
//! tree: `kern/` (sockets, domains), `net/` (interfaces), `netinet/`
//! (internet protocols), `sys/` (shared definitions).

// Names are the book's: structure fields such as `so_state` or `inp_laddr`
// are documented by *TCP/IP Illustrated, Volume 2*, not one by one here.
#![allow(missing_docs)]

pub mod kern;
pub mod net;
pub mod netinet;
pub mod stack;
pub mod sys;
