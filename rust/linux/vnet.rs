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

use crate::bsd::kern::uipc_socket::SOMAXCONN_DEFAULT;
use crate::bsd::kern::uipc_socket2::{SB_MAX, SB_MAX_LIMIT, SB_MAX_MIN};
use crate::bsd::netinet::tcp_timer::PR_SLOWHZ;
use crate::bsd::netinet::tcp_var::TcpVars;
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
    socket_somaxconn: c_int,
    socket_maxsockbuf: c_int,
    tcp_rfc1323: c_int,
    tcp_mssdflt: c_int,
    tcp_sendspace: c_int,
    tcp_recvspace: c_int,
    tcp_keepidle: c_int,
    tcp_keepintvl: c_int,
    tcp_keepcnt: c_int,
    tcp_keepinit: c_int,
    tcp_msl: c_int,
    tcp_rexmtmin: c_int,
    tcp_rexmtmax: c_int,
    tcp_persmin: c_int,
    tcp_persmax: c_int,
    tcp_iss_rfc6528: c_int,
    tcp_rfc5961: c_int,
    tcp_timer_walk: c_int,
    igmp_v2: c_int,
}

/// Milliseconds in a slow tick (500: `PR_SLOWHZ` ticks a second).
const SLOW_MS: i64 = 1000 / PR_SLOWHZ as i64;

/// A sysctl's milliseconds as slow ticks: rounded up, at least one.
fn ms_to_slow(ms: c_int) -> i32 {
    let t = (i64::from(ms) + SLOW_MS - 1) / SLOW_MS;
    i32::try_from(t.max(1)).unwrap_or(i32::MAX)
}

/// Slow ticks as a sysctl's milliseconds.
fn slow_to_ms(t: i32) -> c_int {
    c_int::try_from(i64::from(t) * SLOW_MS).unwrap_or(c_int::MAX)
}

/// Fills a new namespace's `somaxconn` and TCP sysctls with the stack's
/// own defaults (`TcpVars::default`, `SOMAXCONN_DEFAULT`), so that the
/// two cannot disagree.
///
/// # Safety
///
/// `s` is the `struct bsdinet_sysctl` of a namespace being made, which
/// nothing else uses yet.
#[no_mangle]
unsafe extern "C" fn bsdinet_sysctl_defaults(s: *mut Sysctl) {
    // SAFETY: per the contract.
    let s = unsafe { &mut *s };
    let d = TcpVars::default();
    let int = |v: usize| c_int::try_from(v).unwrap_or(c_int::MAX);
    s.socket_somaxconn = SOMAXCONN_DEFAULT;
    s.socket_maxsockbuf = int(SB_MAX);
    s.tcp_rfc1323 = c_int::from(d.tcp_do_rfc1323);
    s.tcp_mssdflt = c_int::from(d.tcp_mssdflt);
    s.tcp_sendspace = int(d.tcp_sendspace);
    s.tcp_recvspace = int(d.tcp_recvspace);
    s.tcp_keepidle = slow_to_ms(d.tcp_keepidle);
    s.tcp_keepintvl = slow_to_ms(d.tcp_keepintvl);
    s.tcp_keepcnt = d.tcp_keepcnt;
    s.tcp_keepinit = slow_to_ms(d.tcp_keepinit);
    s.tcp_msl = slow_to_ms(d.tcp_msl);
    s.tcp_rexmtmin = slow_to_ms(d.tcp_rexmtmin);
    s.tcp_rexmtmax = slow_to_ms(d.tcp_rexmtmax);
    s.tcp_persmin = slow_to_ms(d.tcp_persmin);
    s.tcp_persmax = slow_to_ms(d.tcp_persmax);
    s.tcp_iss_rfc6528 = c_int::from(d.tcp_iss_random);
    s.tcp_rfc5961 = c_int::from(d.tcp_challenge_ack);
    s.tcp_timer_walk = c_int::from(d.tcp_timer_walk);
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
    /// input of what was queued, the interfaces' output, and a reference
    /// on each sock to wake (every socket named is alive while the lock is
    /// held); then, with the lock dropped, the wakeups and the frames for
    /// Linux devices go out.
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
        let wakeups = crate::linux::socket::deliver_wakeups(&mut st);
        crate::linux::bpf::deliver_wakeups(&mut st);
        let broke = st.invariant_failures != failures;
        drop(st);
        wakeups.deliver();
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
            st.igmp_v2 = v(core::ptr::addr_of!((*s).igmp_v2)) != 0;
            st.sosend_clears_error = v(core::ptr::addr_of!((*s).socket_send_clears_error)) != 0;
            st.somaxconn = v(core::ptr::addr_of!((*s).socket_somaxconn)).max(1);
            st.sb_max = (v(core::ptr::addr_of!((*s).socket_maxsockbuf)).max(0) as usize)
                .clamp(SB_MAX_MIN, SB_MAX_LIMIT);
            // procfs.c keeps each within its range; the clamps only
            // guard the conversions.
            let t = &mut st.tcp;
            t.tcp_do_rfc1323 = v(core::ptr::addr_of!((*s).tcp_rfc1323)) != 0;
            t.tcp_mssdflt = v(core::ptr::addr_of!((*s).tcp_mssdflt)).clamp(64, 65495) as u16;
            t.tcp_sendspace = v(core::ptr::addr_of!((*s).tcp_sendspace)).max(512) as usize;
            t.tcp_recvspace = v(core::ptr::addr_of!((*s).tcp_recvspace)).max(512) as usize;
            t.tcp_keepidle = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_keepidle)));
            t.tcp_keepintvl = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_keepintvl)));
            t.tcp_keepcnt = v(core::ptr::addr_of!((*s).tcp_keepcnt)).max(1);
            t.tcp_keepinit = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_keepinit)));
            t.tcp_msl = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_msl)));
            t.tcp_rexmtmin = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_rexmtmin)));
            t.tcp_rexmtmax = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_rexmtmax)));
            t.tcp_persmin = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_persmin)));
            t.tcp_persmax = ms_to_slow(v(core::ptr::addr_of!((*s).tcp_persmax)));
            t.tcp_iss_random = v(core::ptr::addr_of!((*s).tcp_iss_rfc6528)) != 0;
            t.tcp_challenge_ack = v(core::ptr::addr_of!((*s).tcp_rfc5961)) != 0;
            t.tcp_timer_walk = v(core::ptr::addr_of!((*s).tcp_timer_walk)) != 0;
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
