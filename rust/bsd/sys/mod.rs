//! Definitions shared by the whole stack (the book's `sys/*.h`).

pub mod errno;
pub mod slab;
pub mod socket;
pub mod sockio;
