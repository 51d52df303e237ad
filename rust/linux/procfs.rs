//! `/proc/net/bsdinet/` of each namespace (and `/proc/bsdinet`, a symlink
//! to it): the stack's statistics and tables as text, one read-only file
//! each (`ip`, `icmp`, `udp`, `mbuf`, `if`, `pcb`, `route`, `arp`,
//! `rtstat`, `sl`, `tcp`, `tcp_debug`, `igmp`, `mcast`, `ether_multi`,
//! `mrt`, `vif`, `mfc`). `procfs.c` makes the files and the
//! sysctls; their text, and its format, are `bsd/kern/kern_stats.rs`'s.
//! `tools/netstat.c` reads them, and `tools/trpt.c` reads `tcp_debug`.

use kernel::bindings;
use kernel::ffi::{c_char, c_int};
use kernel::prelude::*;

use crate::bsd::kern::kern_stats::{render, StatsFile, STATS_FILES};
use crate::bsd::sys::errno::Errno;
use crate::linux::vnet::{Vnet, VnetHead};

extern "C" {
    fn bsdinet_procfs_add(vn: *mut VnetHead, name: *const c_char, which: c_int) -> c_int;
    fn bsdinet_procfs_link() -> c_int;
    fn bsdinet_procfs_unlink();
}

/// Longest file name, with its NUL.
const NAME_MAX: usize = 16;

/// Adds the files to a new namespace's `/proc/net/bsdinet` (`procfs.c`
/// removes the directory with them on failure).
///
/// # Safety
///
/// `vn` is the bsdinet of a namespace being made, with its directory.
#[no_mangle]
unsafe extern "C" fn bsdinet_procfs_files(vn: *mut VnetHead) -> c_int {
    for f in STATS_FILES {
        let mut name = [0u8; NAME_MAX];
        let n = f.name().as_bytes();
        let err = match name.get_mut(..n.len()) {
            Some(dst) if n.len() < NAME_MAX => {
                dst.copy_from_slice(n);
                // SAFETY: `name` is NUL-terminated (zeroed past `n`) and
                // lives across the call; procfs copies it.
                unsafe { bsdinet_procfs_add(vn, name.as_ptr().cast(), f as c_int) }
            }
            _ => -(bindings::ENAMETOOLONG as c_int),
        };
        if err != 0 {
            pr_err!("cannot create /proc/net/bsdinet/{}: error {}\n", f.name(), err);
            return err;
        }
    }
    0
}

/// The show callback of file `which` of namespace `vn`: renders it under
/// the stack lock, then copies the text to the reader's buffer. seq_file's
/// show runs in process context, where the lock may sleep; if the text
/// does not fit, seq_file calls again with a larger buffer.
///
/// # Safety
///
/// `vn` is the bsdinet of the file's namespace (an open file holds it),
/// `m` the seq_file of the call.
#[no_mangle]
unsafe extern "C" fn bsdinet_stats_show(
    vn: *mut VnetHead,
    which: c_int,
    m: *mut bindings::seq_file,
) -> c_int {
    let Some(f) = StatsFile::from_index(which) else {
        return -(bindings::EINVAL as c_int);
    };
    // SAFETY: per the contract.
    let vn = unsafe { Vnet::from_raw(vn) };
    match vn.with_stack(|st| render(st, f)) {
        Ok(text) => {
            // SAFETY: `m` is the seq_file this show call was given, and
            // `text` is valid for `text.len()` bytes.
            unsafe { bindings::seq_write(m, text.as_ptr().cast(), text.len()) };
            0
        }
        Err(Errno(e)) => -e,
    }
}

/// The symlink `/proc/bsdinet` -> `net/bsdinet`, for as long as this lives.
pub struct Procfs(());

impl Procfs {
    /// Makes the symlink.
    pub fn new() -> Result<Self> {
        // SAFETY: module init, once; undone in `drop`.
        kernel::error::to_result(unsafe { bsdinet_procfs_link() })?;
        Ok(Procfs(()))
    }
}

impl Drop for Procfs {
    fn drop(&mut self) {
        // SAFETY: made in `new`.
        unsafe { bsdinet_procfs_unlink() }
    }
}
