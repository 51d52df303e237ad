//! ttys in bsdinet's SLIP line discipline (`slip.c` registers it) as SLIP
//! interfaces (`bsd/net/if_sl.rs`): the tty's `struct bsdinet_sl` is the
//! line's `sc_ttyp`.
//!
//! Invariants: a line's `sc_ttyp` is a live `bsdinet_sl` for as long as the
//! line is in `sl_softc`: `slip.c` frees it only after `bsdinet_sl_detach`
//! has removed the line under the stack lock. A line is in the stack of
//! the namespace that opened it, which it holds until it closes.

use kernel::ffi::{c_int, c_long};
use kernel::prelude::*;

use crate::bsd::net::if_sl::{sl_unit, slclose, slinput, slopen, slstart};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno;
use crate::linux::vnet::{Vnet, VnetHead};

/// A tty in the discipline (`struct bsdinet_sl`, opaque here).
#[repr(C)]
pub struct BsdinetSl {
    _private: [u8; 0],
}

extern "C" {
    fn bsdinet_slip_init() -> c_int;
    fn bsdinet_slip_exit();
    fn bsdinet_sl_write(sl: *mut BsdinetSl, buf: *const u8, len: usize) -> c_long;
    fn bsdinet_sl_idle(sl: *mut BsdinetSl) -> bool;
    fn bsdinet_sl_vnet(sl: *mut BsdinetSl) -> *mut VnetHead;
}

/// The stack of line `sl`.
fn vnet(sl: *mut BsdinetSl) -> Vnet {
    // SAFETY: `sl` is a tty in the discipline, which holds its namespace
    // from open to close (module invariants).
    unsafe { Vnet::from_raw(bsdinet_sl_vnet(sl)) }
}

/// The discipline's open: a new line for `sl`; its unit, or -errno.
#[no_mangle]
extern "C" fn bsdinet_sl_attach(sl: *mut BsdinetSl) -> c_int {
    vnet(sl).with_stack(|st| match slopen(st, sl as usize) {
        Ok(_) => sl_unit(st, sl as usize).map_or(-errno::ENXIO.0, c_int::from),
        Err(e) => -e.0,
    })
}

/// The discipline's close or hangup: the line of `sl` goes (if still
/// there).
#[no_mangle]
extern "C" fn bsdinet_sl_detach(sl: *mut BsdinetSl) {
    vnet(sl).with_stack(|st| slclose(st, sl as usize));
}

/// The unit of `sl`'s line, or -ENXIO after a hangup.
#[no_mangle]
extern "C" fn bsdinet_sl_unit(sl: *mut BsdinetSl) -> c_int {
    vnet(sl).with_stack(|st| sl_unit(st, sl as usize).map_or(-errno::ENXIO.0, c_int::from))
}

/// Bytes from the tty: `count` at `cp`, with their flags at `fp` (NULL:
/// all received well).
///
/// # Safety
///
/// `cp` (and `fp` if not NULL) point to `count` readable bytes for the
/// call, as the tty layer's `receive_buf` promises.
#[no_mangle]
unsafe extern "C" fn bsdinet_sl_receive(
    sl: *mut BsdinetSl,
    cp: *const u8,
    fp: *const u8,
    count: usize,
) {
    if cp.is_null() || count == 0 {
        return;
    }
    // SAFETY: per the contract.
    let bytes = unsafe { core::slice::from_raw_parts(cp, count) };
    // SAFETY: per the contract, when not NULL.
    let flags = (!fp.is_null()).then(|| unsafe { core::slice::from_raw_parts(fp, count) });
    vnet(sl).with_stack(|st| slinput(st, sl as usize, bytes, flags));
}

/// Line `sl`'s tty has room again: `with_stack` ends with `if_start`.
#[no_mangle]
extern "C" fn bsdinet_sl_wakeup(sl: *mut BsdinetSl) {
    vnet(sl).with_stack(|_| ());
}

/// Sends what each line with output waiting will take (the book's
/// `slstart`, run where the book's `if_start` would run). `with_stack`
/// calls it.
pub(crate) fn if_start(st: &mut Stack) {
    let mut next = 0;
    while let Some(ttyp) = sl_busy(st, next) {
        next = ttyp.0 + 1;
        let (ttyp, sl) = (ttyp.1, ttyp.1 as *mut BsdinetSl);
        // SAFETY: the line exists, so `sl` is alive (module invariant).
        let idle = unsafe { bsdinet_sl_idle(sl) };
        slstart(st, ttyp, idle, |b| {
            // SAFETY: as above; `b` is readable for the call.
            let n = unsafe { bsdinet_sl_write(sl, b.as_ptr(), b.len()) };
            // A tty error counts as a full line; the next wakeup retries.
            usize::try_from(n).unwrap_or(0)
        });
    }
}

/// The first line from slot `from` on with output waiting: its slot and
/// tty.
fn sl_busy(st: &Stack, from: usize) -> Option<(usize, usize)> {
    st.sl_softc
        .iter()
        .skip_while(|(k, _)| *k < from)
        .find(|(_, sc)| sc.sl_busy(&st.ifnet))
        .map(|(k, sc)| (k, sc.sc_ttyp))
}

/// The line discipline, registered for as long as this lives. The stack
/// must outlive it: dropping it hangs up every tty in the discipline,
/// whose close detaches its line.
pub struct Slip(());

impl Slip {
    /// Registers the discipline.
    pub fn new() -> Result<Self> {
        // SAFETY: called once, from module init; undone in `drop`.
        kernel::error::to_result(unsafe { bsdinet_slip_init() })?;
        Ok(Slip(()))
    }
}

impl Drop for Slip {
    fn drop(&mut self) {
        // SAFETY: `new` succeeded; process context (module exit), holding
        // no tty lock nor the stack lock, which the hangups take.
        unsafe { bsdinet_slip_exit() }
    }
}
