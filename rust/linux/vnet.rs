//! One stack per network namespace (FreeBSD's VNET; `vnet.c` has the
//! pernet operations). Every way into a stack goes through here: a socket
//! finds its namespace's, a device and a SLIP line the one they were
//! attached in, the clock and `/proc` files the one they were made for.
//!
//! The lock: each stack has one mutex, BSD's `splnet`. Under it run the
//! request, then `softint` and the interfaces' output when something is
//! queued, and the wakeups. User memory is never touched under it (the
//! socket calls copy through kernel buffers before and after), nor are
//! frames handed to a Linux device: they wait on the namespace's transmit
//! queue, which `with_stack` empties once the lock is dropped.

use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Mutex;

use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{self, Errno};

/// `struct bsdinet_sysctl` of vnet.h: a namespace's tunables.
#[repr(C)]
struct Sysctl {
    ip_forwarding: c_int,
    ip_redirect: c_int,
    ip_ttl: c_int,
    ip_portrange_randomized: c_int,
    icmp_maskrepl: c_int,
    udp_checksum: c_int,
    socket_send_clears_error: c_int,
}

/// The first fields of `struct bsdinet_vnet` (vnet.h), which the rest of
/// that struct follows.
#[repr(C)]
pub(crate) struct VnetHead {
    /// The `Mutex<Stack>` of `bsdinet_stack_new`.
    stack: *const c_void,
    sysctl: Sysctl,
}

// bindgen gives opaque kernel structs no fields, which this lint dislikes;
// they are only ever behind pointers here.
#[allow(improper_ctypes)]
extern "C" {
    fn bsdinet_vnet_register() -> c_int;
    fn bsdinet_vnet_unregister();
    fn bsdinet_vnet_of(net: *mut bindings::net) -> *mut VnetHead;
    fn bsdinet_tx_flush(vn: *mut VnetHead);
    fn bsdinet_warn(what: *const u8);
}

/// A namespace's bsdinet.
///
/// Invariant: the namespace is alive, with its stack, for as long as a
/// `Vnet` is used (its holder keeps the namespace: a socket, an attached
/// device, a SLIP line, the namespace's own clock or `/proc` file).
#[derive(Clone, Copy)]
pub(crate) struct Vnet(*mut VnetHead);

impl Vnet {
    /// The bsdinet of namespace `net`.
    ///
    /// # Safety
    ///
    /// `net` is alive and `vnet.c`'s pernet operations are registered,
    /// and stay so while the result is used.
    pub(crate) unsafe fn of_net(net: *mut bindings::net) -> Vnet {
        // SAFETY: per the contract, `net` has our net_generic slot.
        Vnet(unsafe { bsdinet_vnet_of(net) })
    }

    /// The `struct bsdinet_vnet` that C code handed over.
    ///
    /// # Safety
    ///
    /// As for `of_net`: `vn` is the bsdinet of a live namespace.
    pub(crate) unsafe fn from_raw(vn: *mut VnetHead) -> Vnet {
        Vnet(vn)
    }

    /// Runs `f` on the stack under its lock; then, still under it, IP
    /// input of what was queued, the interfaces' output and the wakeups
    /// it asked for (every socket named is alive while the lock is held);
    /// then, with the lock dropped, the frames for Linux devices go out.
    pub(crate) fn with_stack<R>(self, f: impl FnOnce(&mut Stack) -> R) -> R {
        // SAFETY: per the type invariant, the stack is alive; it is set
        // before the namespace is usable and cleared after its last user.
        let stack = unsafe { &*(*self.0).stack.cast::<Mutex<Stack>>() };
        let mut st = stack.lock();
        self.sysctl_sync(&mut st);
        let failures = st.invariant_failures;
        let r = f(&mut st);
        st.softint();
        crate::linux::netdev::if_start(&mut st);
        crate::linux::slip::if_start(&mut st);
        crate::linux::socket::deliver_wakeups(&mut st);
        crate::linux::bpf::deliver_wakeups(&mut st);
        let broke = st.invariant_failures != failures;
        drop(st);
        if broke {
            // SAFETY: a NUL-terminated literal.
            unsafe { bsdinet_warn(b"a stack invariant failed (see the log above)\0".as_ptr()) };
        }
        // SAFETY: the namespace is alive; no stack lock is held.
        unsafe { bsdinet_tx_flush(self.0) };
        r
    }

    /// Copies the namespace's sysctl tunables into its stack (under the
    /// lock, before every request): a value written meanwhile counts from
    /// the next request on, as a BSD sysctl counts from the next packet.
    fn sysctl_sync(self, st: &mut Stack) {
        // SAFETY: the vnet is alive (type invariant); each field is an
        // aligned int that sysctl writes whole, read once here with a
        // volatile read (the kernel's READ_ONCE).
        let v = |f: *const c_int| unsafe { core::ptr::read_volatile(f) };
        // SAFETY: as above.
        let s = unsafe { core::ptr::addr_of!((*self.0).sysctl) };
        // SAFETY: field addresses inside the live struct.
        unsafe {
            st.ipforwarding = v(core::ptr::addr_of!((*s).ip_forwarding)) != 0;
            st.ipsendredirects = v(core::ptr::addr_of!((*s).ip_redirect)) != 0;
            st.ip_defttl = v(core::ptr::addr_of!((*s).ip_ttl)).clamp(1, 255) as u8;
            st.ipport_randomized = v(core::ptr::addr_of!((*s).ip_portrange_randomized)) != 0;
            st.icmpmaskrepl = v(core::ptr::addr_of!((*s).icmp_maskrepl)) != 0;
            st.udpcksum = v(core::ptr::addr_of!((*s).udp_checksum)) != 0;
            st.sosend_clears_error = v(core::ptr::addr_of!((*s).socket_send_clears_error)) != 0;
        }
    }
}

/// A new namespace's stack, booted (lo0 up with 127.0.0.1/8); NULL when
/// memory is short. Owned by `vnet.c` until `bsdinet_stack_free`.
#[no_mangle]
extern "C" fn bsdinet_stack_new() -> *mut Mutex<Stack> {
    let Ok(stack) = KBox::pin_init(kernel::new_mutex!(Stack::new(), "bsdinet_stack"), GFP_KERNEL)
    else {
        return core::ptr::null_mut();
    };
    if let Err(Errno(e)) = stack.lock().boot() {
        pr_err!("cannot configure lo0: error {}\n", e);
        return core::ptr::null_mut();
    }
    // SAFETY: the box is given up here and taken back, pinned, by
    // `bsdinet_stack_free`; nothing moves it meanwhile.
    KBox::into_raw(unsafe { Pin::into_inner_unchecked(stack) })
}

/// Frees a stack of `bsdinet_stack_new` (its namespace is going: no
/// socket, device or line uses it any more).
///
/// # Safety
///
/// `stack` came from `bsdinet_stack_new` and is not used again.
#[no_mangle]
unsafe extern "C" fn bsdinet_stack_free(stack: *mut Mutex<Stack>) {
    if stack.is_null() {
        return;
    }
    // SAFETY: per the contract, the box `bsdinet_stack_new` gave up.
    let stack = unsafe { KBox::from_raw(stack) };
    let ifs = stack.lock().ifnet.iter().filter(|(_, i)| i.if_softc != 0).count();
    if ifs != 0 {
        // Devices leave a namespace (and are detached) before it ends.
        pr_err!("a stack ends with {} devices attached\n", ifs);
    }
    drop(stack);
}

/// The stack's clock, every 100 ms (the namespace's delayed work).
///
/// # Safety
///
/// `vn` is a live namespace's bsdinet (its clock runs from its init to
/// its exit).
#[no_mangle]
unsafe extern "C" fn bsdinet_tick(vn: *mut VnetHead) {
    // SAFETY: per the contract.
    unsafe { Vnet::from_raw(vn) }.with_stack(Stack::tick);
}

/// The pernet operations: a stack for every namespace, for as long as
/// this lives.
pub struct Vnets(());

impl Vnets {
    /// Makes the stacks of every namespace, and of those to come.
    pub fn new() -> Result<Self> {
        // SAFETY: module init, once; undone in `drop`.
        kernel::error::to_result(unsafe { bsdinet_vnet_register() })?;
        Ok(Vnets(()))
    }
}

impl Drop for Vnets {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; module exit or init's failure path,
        // after everything that uses a stack is gone.
        unsafe { bsdinet_vnet_unregister() }
    }
}

/// A BSD result as a negative errno, 0 for success.
pub(crate) fn errno(r: errno::Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(Errno(e)) => -e,
    }
}

/// A BSD error as the kernel crate's.
pub(crate) fn bsd<T>(r: errno::Result<T>) -> Result<T> {
    r.map_err(|Errno(e)| Error::from_errno(-e))
}
