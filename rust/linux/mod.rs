//! The Linux side of bsdinet: every `unsafe` line of the module is here
//! or in `glue.c`, each with the reason it holds.

pub mod bpf;
pub mod netdev;
pub mod procfs;
pub mod slip;
pub mod socket;
pub mod vnet;
