//! `/proc/bsdinet/`: the stack's statistics and tables as text, one
//! read-only file each (`ip`, `icmp`, `udp`, `mbuf`, `if`, `pcb`,
//! `route`, `arp`, `rtstat`, `sl`), and the tunables under
//! `/proc/sys/net/bsdinet` (sysctl `net.bsdinet.ip.forwarding` ...). `procfs.c` makes the files; their text, and its format, are
//! `bsd/kern/kern_stats.rs`'s. `tools/netstat.c` reads them.

use kernel::bindings;
use kernel::ffi::{c_char, c_int};
use kernel::prelude::*;

use crate::bsd::kern::kern_stats::{render, StatsFile, STATS_FILES};
use crate::bsd::sys::errno::Errno;
use crate::linux::socket::with_stack;

/// `struct bsdinet_sysctl` of procfs.h.
#[repr(C)]
struct Sysctl {
    ip_forwarding: c_int,
    ip_redirect: c_int,
    ip_ttl: c_int,
    icmp_maskrepl: c_int,
    udp_checksum: c_int,
}

extern "C" {
    static bsdinet_sysctl: Sysctl;
    fn bsdinet_procfs_init() -> c_int;
    fn bsdinet_procfs_add(name: *const c_char, which: c_int) -> c_int;
    fn bsdinet_procfs_exit();
}

/// Longest file name, with its NUL.
const NAME_MAX: usize = 16;

/// Makes `/proc/bsdinet` and its files. On failure nothing is left behind.
/// The stack must exist (the family is registered) until `exit`.
pub fn init() -> Result {
    // SAFETY: called once from module init (process context); `exit`
    // undoes it.
    let err = unsafe { bsdinet_procfs_init() };
    if err != 0 {
        pr_err!("cannot create /proc/bsdinet: error {}\n", err);
        return Err(Error::from_errno(err));
    }
    for f in STATS_FILES {
        let mut name = [0u8; NAME_MAX];
        let n = f.name().as_bytes();
        let err = match name.get_mut(..n.len()) {
            Some(dst) if n.len() < NAME_MAX => {
                dst.copy_from_slice(n);
                // SAFETY: `name` is NUL-terminated (zeroed past `n`) and
                // lives across the call; procfs copies it.
                unsafe { bsdinet_procfs_add(name.as_ptr().cast(), f as c_int) }
            }
            _ => -(bindings::ENAMETOOLONG as c_int),
        };
        if err != 0 {
            pr_err!("cannot create /proc/bsdinet/{}: error {}\n", f.name(), err);
            exit();
            return Err(Error::from_errno(err));
        }
    }
    Ok(())
}

/// Copies the sysctl tunables into the stack (called under its lock
/// before every request): a value written meanwhile counts from the next
/// request on, as a BSD sysctl counts from the next packet.
pub fn sysctl_sync(st: &mut crate::bsd::stack::Stack) {
    // SAFETY: a static of procfs.c that lives as long as the module; each
    // field is an aligned int that sysctl writes whole, read once here
    // with a volatile read (the kernel's READ_ONCE).
    let v = |f: *const c_int| unsafe { core::ptr::read_volatile(f) };
    let s = core::ptr::addr_of!(bsdinet_sysctl);
    // SAFETY: field addresses inside the static.
    unsafe {
        st.ipforwarding = v(core::ptr::addr_of!((*s).ip_forwarding)) != 0;
        st.ipsendredirects = v(core::ptr::addr_of!((*s).ip_redirect)) != 0;
        st.ip_defttl = v(core::ptr::addr_of!((*s).ip_ttl)).clamp(1, 255) as u8;
        st.icmpmaskrepl = v(core::ptr::addr_of!((*s).icmp_maskrepl)) != 0;
        st.udpcksum = v(core::ptr::addr_of!((*s).udp_checksum)) != 0;
    }
}

/// Removes `/proc/bsdinet` and its files, waiting for reads in progress.
pub fn exit() {
    // SAFETY: removes only what `init` made (nothing if it made nothing);
    // process context (module init or exit).
    unsafe { bsdinet_procfs_exit() }
}

/// `/proc/bsdinet` for as long as this lives: drop it before the stack.
pub struct Procfs(());

impl Procfs {
    /// Makes the files (see `init`).
    pub fn new() -> Result<Self> {
        init()?;
        Ok(Procfs(()))
    }
}

impl Drop for Procfs {
    fn drop(&mut self) {
        exit();
    }
}

/// The show callback of file `which`: renders it under the stack lock,
/// then copies the text to the reader's buffer. seq_file's show runs in
/// process context, where the lock may sleep; if the text does not fit,
/// seq_file calls again with a larger buffer.
#[no_mangle]
unsafe extern "C" fn bsdinet_stats_show(which: c_int, m: *mut bindings::seq_file) -> c_int {
    let Some(f) = StatsFile::from_index(which) else {
        return -(bindings::EINVAL as c_int);
    };
    // The files exist only while the stack does (`Procfs` is dropped
    // first, and its removal waits for this call to return).
    match with_stack(|st| render(st, f)) {
        Ok(text) => {
            // SAFETY: `m` is the seq_file this show call was given, and
            // `text` is valid for `text.len()` bytes.
            unsafe { bindings::seq_write(m, text.as_ptr().cast(), text.len()) };
            0
        }
        Err(Errno(e)) => -e,
    }
}
