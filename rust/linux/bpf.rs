//! The capture device `/dev/bsdbpf` (`bpf.c` registers it; the book's
//! `/dev/bpf`, chapter 31): each open is a descriptor of
//! `bsd/net/bpf.rs` in the stack of the opener's namespace, named by its
//! index.
//!
//! Invariants: a descriptor's wake handle is its open's `struct
//! bsdinet_bpf`, alive for as long as the descriptor is in the stack
//! (`bpf.c` frees it only after `bsdinet_bpf_close` removed the
//! descriptor under the stack lock); that struct holds the namespace, so
//! the `Vnet` it hands over is alive. User memory is copied with the
//! stack lock dropped: a read takes the hold buffer out of the stack,
//! copies it and gives it back.

use kernel::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::bsd::net::bpf::*;
use crate::bsd::net::bpf_filter::{BpfInsn, BPF_INSN_LEN, BPF_MAXINSNS};
use crate::bsd::net::if_::IfKind;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Errno, EINVAL, ENOBUFS};
use crate::bsd::sys::sockio::{ioc_in, ioc_len, ioc_out, IFNAMSIZ};
use crate::linux::vnet::{Vnet, VnetHead};

extern "C" {
    fn bsdinet_bpf_init() -> c_int;
    fn bsdinet_bpf_exit();
    fn bsdinet_bpf_wake(arg: *mut c_void);
}

/// The largest frame `write` takes: an Ethernet header and the largest
/// MTU an interface may have.
const WRITE_MAX: usize = 14 + 65535;

/// The stack of a descriptor's open.
fn vnet(vn: *mut VnetHead) -> Vnet {
    // SAFETY: `bpf.c` passes the vnet of the namespace its open holds.
    unsafe { Vnet::from_raw(vn) }
}

/// A negative errno as C wants it.
fn neg(e: Errno) -> c_long {
    -(e.0 as c_long)
}

/// Wakes the readers of every descriptor that caught something (called
/// by `Vnet::with_stack`, under the lock: each handle names a live open).
pub(crate) fn deliver_wakeups(st: &mut Stack) {
    st.bpf.take_wakeups(|arg| {
        // SAFETY: see the invariants: the open of a descriptor in the stack.
        unsafe { bsdinet_bpf_wake(arg as *mut c_void) }
    });
}

/// `bpfopen`: a new descriptor woken through `wakearg`; its index, or
/// -errno.
#[no_mangle]
extern "C" fn bsdinet_bpf_open(vn: *mut VnetHead, wakearg: *mut c_void) -> c_long {
    match vnet(vn).with_stack(|st| bpfopen(st, wakearg as usize)) {
        Ok(d) => c_long::try_from(d).unwrap_or(-(ENOBUFS.0 as c_long)),
        Err(e) => neg(e),
    }
}

/// `bpfclose`.
#[no_mangle]
extern "C" fn bsdinet_bpf_close(vn: *mut VnetHead, d: c_long) {
    vnet(vn).with_stack(|st| bpfclose(st, d as usize));
}

/// One try of `bpfread`: bytes copied, 0 at a timeout with nothing,
/// -EAGAIN for "sleep and try again", or -errno.
#[no_mangle]
extern "C" fn bsdinet_bpf_read(
    vn: *mut VnetHead,
    d: c_long,
    buf: usize,
    count: usize,
    timed_out: bool,
) -> isize {
    let vn = vnet(vn);
    match vn.with_stack(|st| bpf_read_take(st, d as usize, count, timed_out)) {
        Err(e) => neg(e) as isize,
        Ok(BpfRead::Wait) => -(kernel::bindings::EAGAIN as isize),
        Ok(BpfRead::Empty) => 0,
        Ok(BpfRead::Data(b, len)) => {
            let r = match b.get(..len) {
                Some(bytes) => UserSlice::new(buf, len).writer().write_slice(bytes),
                None => Err(kernel::error::code::EIO),
            };
            vn.with_stack(|st| bpf_read_done(st, d as usize, b));
            match r {
                Ok(()) => len as isize,
                Err(e) => e.to_errno() as isize,
            }
        }
    }
}

/// `bpfwrite`: the frame is copied in, then sent; its length or -errno.
#[no_mangle]
extern "C" fn bsdinet_bpf_write(
    vn: *mut VnetHead,
    d: c_long,
    buf: usize,
    count: usize,
) -> isize {
    if count > WRITE_MAX {
        return neg(crate::bsd::sys::errno::EMSGSIZE) as isize;
    }
    let mut frame = KVec::new();
    if let Err(e) = UserSlice::new(buf, count).reader().read_all(&mut frame, GFP_KERNEL) {
        return e.to_errno() as isize;
    }
    match vnet(vn).with_stack(|st| bpfwrite(st, d as usize, &frame)) {
        Ok(()) => count as isize,
        Err(e) => neg(e) as isize,
    }
}

/// The ioctls that the stack answers: `BIOCSETF` copies the program in;
/// the rest have a fixed-size argument, copied in and out around the
/// request. Unknown ones are EINVAL, as in the book's `bpfioctl`.
#[no_mangle]
extern "C" fn bsdinet_bpf_ioctl(vn: *mut VnetHead, d: c_long, cmd: c_uint, arg: c_ulong) -> c_int {
    let vn = vnet(vn);
    let d = d as usize;
    let uarg = arg as usize;
    if cmd == BIOCSETF {
        return setf(vn, d, uarg);
    }
    let len = if cmd == FIONREAD { 4 } else { ioc_len(cmd) };
    let mut data = [0u8; 64];
    let Some(data) = data.get_mut(..len) else { return -EINVAL.0 };
    if ioc_in(cmd) {
        if let Err(e) = UserSlice::new(uarg, len).reader().read_slice(data) {
            return e.to_errno();
        }
    }
    if let Err(e) = vn.with_stack(|st| bpfioctl(st, d, cmd, data)) {
        return -e.0;
    }
    if ioc_out(cmd) || cmd == FIONREAD {
        if let Err(e) = UserSlice::new(uarg, len).writer().write_slice(data) {
            return e.to_errno();
        }
    }
    0
}

/// `BIOCSETF`: a `struct bpf_program` (length, pointer) and its
/// instructions, checked by `bpf_validate`.
fn setf(vn: Vnet, d: usize, uarg: usize) -> c_int {
    let mut prog = [0u8; BPF_PROGRAM_LEN];
    if let Err(e) = UserSlice::new(uarg, prog.len()).reader().read_slice(&mut prog) {
        return e.to_errno();
    }
    let n = u32::from_ne_bytes([prog[0], prog[1], prog[2], prog[3]]) as usize;
    let p = u64::from_ne_bytes([
        prog[8], prog[9], prog[10], prog[11], prog[12], prog[13], prog[14], prog[15],
    ]);
    if n > BPF_MAXINSNS || (n != 0 && p == 0) {
        return -EINVAL.0;
    }
    let mut raw = KVec::new();
    if let Err(e) =
        UserSlice::new(p as usize, n * BPF_INSN_LEN).reader().read_all(&mut raw, GFP_KERNEL)
    {
        return e.to_errno();
    }
    let mut insns = KVec::new();
    for c in raw.chunks_exact(BPF_INSN_LEN) {
        let mut b = [0u8; BPF_INSN_LEN];
        b.copy_from_slice(c);
        if insns.push(BpfInsn::from_bytes(b), GFP_KERNEL).is_err() {
            return -ENOBUFS.0;
        }
    }
    match vn.with_stack(|st| bpf_setf(st, d, &insns)) {
        Ok(()) => 0,
        Err(e) => -e.0,
    }
}

/// Whether a read would not wait (`bpfselect`); `timed_out`: poll's read
/// timeout ran out, so the store buffer counts too.
#[no_mangle]
extern "C" fn bsdinet_bpf_readable(vn: *mut VnetHead, d: c_long, timed_out: bool) -> bool {
    vnet(vn).with_stack(|st| bpf_readable(st, d as usize, timed_out))
}

/// `BIOCPROMISC`: 0 with the name of the Linux device to make
/// promiscuous written to `name` (IFNAMSIZ bytes), 1 when the interface
/// has no such device (lo0, SLIP), or -errno.
///
/// # Safety
///
/// `name` points to IFNAMSIZ writable bytes.
#[no_mangle]
unsafe extern "C" fn bsdinet_bpf_promisc(vn: *mut VnetHead, d: c_long, name: *mut u8) -> c_int {
    let r = vnet(vn).with_stack(|st| -> crate::bsd::sys::errno::Result<_> {
        let (ifp, kind) = bpf_promisc(st, d as usize)?;
        Ok((kind, st.ifnet.get(ifp).map(|i| i.if_name.0).unwrap_or([0; IFNAMSIZ])))
    });
    match r {
        Ok((IfKind::Ether | IfKind::Tun, n)) => {
            // SAFETY: per the contract, IFNAMSIZ bytes; the name has a NUL.
            unsafe { core::ptr::copy_nonoverlapping(n.as_ptr(), name, IFNAMSIZ) };
            0
        }
        Ok(_) => 1,
        Err(e) => -e.0,
    }
}

/// The capture device, registered for as long as this lives.
pub struct Bpf(());

impl Bpf {
    /// Registers `/dev/bsdbpf`.
    pub fn new() -> Result<Self> {
        // SAFETY: module init, once; undone in `drop`.
        kernel::error::to_result(unsafe { bsdinet_bpf_init() })?;
        Ok(Bpf(()))
    }
}

impl Drop for Bpf {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; no descriptor is open (each pins
        // the module).
        unsafe { bsdinet_bpf_exit() }
    }
}
