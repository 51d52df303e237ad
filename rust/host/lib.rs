//! The host build of bsdinet's protocol code, for `cargo test`.
//!
//! The same files as in `bsdinet.ko` (see `rust/bsdinet.rs`), with the
//! standard library standing in for the kernel's allocator.

#![forbid(unsafe_code)]

#[path = "../bsd/mod.rs"]
pub mod bsd;
pub mod platform;
