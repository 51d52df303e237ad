//! AF_BSDINET sockets: Linux's `proto_ops` calls (see `glue.c` for the
//! tables), each turned into a request of the BSD socket layer made under
//! the lock of the stack of the socket's namespace, BSD's `splnet`.
//!
//! Invariants the callbacks rely on:
//! - A socket's namespace, and so its stack, lives as long as the socket
//!   (`sk_alloc` holds the namespace), and sockets pin the module (the
//!   tables' `owner`).
//! - Every Linux socket created by `bsdinet_create` has a `struct sock`
//!   that names one BSD socket, from create until release, whose
//!   `so_upcallarg` is that sock. Release closes the BSD socket, which
//!   clears `so_upcallarg` (the protocol may keep it, and its PCB, for a
//!   while: TCP's TIME_WAIT), then frees the sock: the stack never names a
//!   freed sock.
//! - User memory is copied before a request and after it, never under
//!   the stack lock (a fault may sleep for ever: userfaultfd, FUSE).

use core::mem::MaybeUninit;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong, c_void};

use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::bindings;
use kernel::prelude::*;

use crate::bsd::kern::uipc_domain::{Domain, PR_ATOMIC};
use crate::bsd::kern::uipc_mbuf::{m_freem, Mbuf};
use crate::bsd::kern::uipc_socket::*;
use crate::bsd::kern::uipc_socket2::SB_MAX;
use crate::bsd::kern::uipc_socket2::{cmsgs, control_from_linux};
use crate::bsd::net::if_::{ifconf, ifioctl};
use crate::bsd::net::rtsock::{
    is_routesock, sysctl_rtable, AF_BSDROUTE, BSDINET_SOL_ROUTE, NET_RT_DUMP, ROUTEDOMAIN,
};
use crate::bsd::netinet::in_::{SockaddrIn, AF_BSDINET, IPPROTO_IP};
use crate::bsd::netinet::in_proto::INETDOMAIN;
use crate::bsd::netinet::ip_output::{linux_ip_cmsgtype, linux_ip_optname};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{self, Errno};
use crate::bsd::sys::socket::*;
use crate::bsd::sys::sockio::*;
use crate::linux::netdev::{self, SIOCIFCREATE, SIOCIFDESTROY};
use crate::linux::vnet::{bsd, errno, Vnet};
use core::mem::size_of;
use kernel::uaccess::UserSlice;

/// FIONREAD: bytes ready to read (asm-generic/ioctls.h).
const FIONREAD: u32 = 0x541b;
/// SIOCATMARK: whether the reader is at the out-of-band mark.
const SIOCATMARK: u32 = 0x8905;

/// The most user data copied in or out per hold of the stack lock: the
/// default `sb_max`, so a datagram (64 KiB at most) always fits; a stream
/// through a larger buffer (net.bsdinet.socket.maxsockbuf) goes in pieces.
const STAGE_MAX: usize = SB_MAX;

// bindgen gives opaque kernel structs no fields, which this lint dislikes;
// they are only ever behind pointers here.
#[allow(improper_ctypes)]
extern "C" {
    static bsdinet_family_ops: bindings::net_proto_family;
    static bsdroute_family_ops: bindings::net_proto_family;
    fn bsdroute_sk_alloc(
        net: *mut bindings::net,
        sock: *mut bindings::socket,
        kern: c_int,
    ) -> c_int;
    fn bsdinet_current_pid() -> c_int;
    fn bsdinet_proto_register() -> c_int;
    fn bsdinet_proto_unregister();
    fn bsdinet_sk_alloc(net: *mut bindings::net, sock: *mut bindings::socket, kern: c_int)
        -> c_int;
    fn bsdinet_sk_set_so(sk: *mut bindings::sock, so: c_long, protocol: c_int, atomic: bool);
    fn bsdinet_sk_atomic(sk: *mut bindings::sock) -> bool;
    fn bsdinet_sk_set_listening(sk: *mut bindings::sock);
    fn bsdinet_sk_net(sk: *mut bindings::sock) -> *mut bindings::net;
    fn bsdinet_accept_arg(
        arg: *mut bindings::proto_accept_arg,
        nonblock: *mut c_int,
        kern: *mut c_int,
    );
    fn bsdinet_sk_so(sk: *mut bindings::sock) -> c_long;
    fn bsdinet_sock_sk(sock: *mut bindings::socket) -> *mut bindings::sock;
    fn bsdinet_sk_free(sock: *mut bindings::socket);
    fn bsdinet_sk_net_raw_capable(sock: *mut bindings::socket, kern: c_int) -> c_int;
    fn bsdinet_sk_net_bind_capable(sock: *mut bindings::socket, kern: c_int) -> c_int;
    fn bsdinet_sk_net_admin_capable(sock: *mut bindings::socket) -> c_int;
    fn bsdinet_sock_net(sock: *mut bindings::socket) -> *mut bindings::net;
    fn bsdinet_sk_wake(sk: *mut bindings::sock);
    fn bsdinet_sk_hold(sk: *mut bindings::sock);
    fn bsdinet_sk_put(sk: *mut bindings::sock);
    fn bsdinet_sk_set_opts(sk: *mut bindings::sock, o: *const SkOpts);
    fn bsdinet_sk_err_cmpxchg(sk: *mut bindings::sock, old: c_int, new: c_int) -> c_int;
    fn bsdinet_sk_err_shown(sk: *mut bindings::sock, gen: *mut u32) -> c_int;
    fn bsdinet_sk_set_err_shown(sk: *mut bindings::sock, err: c_int, gen: u32);
    fn bsdinet_sk_err_set(sk: *mut bindings::sock, err: c_int);
    fn bsdinet_copy_from_sockptr(dst: *mut c_void, src: bindings::sockptr_t, size: usize) -> c_int;
    fn bsdinet_sock_setsockopt(
        sock: *mut bindings::socket,
        level: c_int,
        name: c_int,
        val: bindings::sockptr_t,
        len: c_uint,
    ) -> c_int;
    fn bsdinet_poll_wait(
        file: *mut bindings::file,
        sock: *mut bindings::socket,
        p: *mut bindings::poll_table_struct,
    );
    fn bsdinet_wait_add(sk: *mut bindings::sock, w: *mut bindings::wait_queue_entry);
    fn bsdinet_wait_del(sk: *mut bindings::sock, w: *mut bindings::wait_queue_entry);
    fn bsdinet_rcvtimeo(sk: *mut bindings::sock, nonblock: c_int) -> c_long;
    fn bsdinet_sndtimeo(sk: *mut bindings::sock, nonblock: c_int) -> c_long;
    fn bsdinet_intr_errno(timeo: c_long) -> c_int;
    fn bsdinet_copy_from_msg(msg: *mut bindings::msghdr, buf: *mut c_void, len: usize) -> usize;
    fn bsdinet_copy_to_msg(msg: *mut bindings::msghdr, buf: *const c_void, len: usize) -> usize;
    fn bsdinet_msg_control(
        msg: *mut bindings::msghdr,
        buf: *mut *const c_void,
        len: *mut usize,
    ) -> c_int;
    fn bsdinet_put_cmsg(
        msg: *mut bindings::msghdr,
        level: c_int,
        ty: c_int,
        len: c_int,
        data: *const c_void,
    ) -> c_int;
    fn bsdinet_sigpipe();
    fn bsdinet_sk_sigurg(sk: *mut bindings::sock);
    fn bsdinet_sblock(sk: *mut bindings::sock, rcv: c_int) -> c_int;
    fn bsdinet_sbunlock(sk: *mut bindings::sock, rcv: c_int);
    fn bsdinet_linger_timeo(sock: *mut bindings::socket, secs: c_int) -> c_long;
}

// Poll bits (uapi/linux/eventpoll.h; bindgen does not see them).
const EPOLLIN: c_uint = 0x0001;
const EPOLLPRI: c_uint = 0x0002;
const EPOLLOUT: c_uint = 0x0004;
const EPOLLERR: c_uint = 0x0008;
const EPOLLHUP: c_uint = 0x0010;
const EPOLLRDNORM: c_uint = 0x0040;
const EPOLLWRNORM: c_uint = 0x0100;
const EPOLLWRBAND: c_uint = 0x0200;
const EPOLLRDHUP: c_uint = 0x2000;

/// Socks to wake once the stack lock is dropped, each holding a
/// reference (`sock_hold`) so that it outlives the lock: a sleeper woken
/// under the lock would only spin on it (on the emulated two-CPU guest
/// of `make bench` that spin was half the time of a request/response).
pub(crate) struct Wakeups {
    few: [usize; 8],
    n: usize,
    more: crate::platform::Vec<usize>,
}

impl Wakeups {
    /// Wakes each sock and drops its reference (no stack lock held).
    pub(crate) fn deliver(self) {
        for &sk in Iterator::chain(self.few[..self.n].iter(), self.more.iter()) {
            wake(sk);
            // SAFETY: `deliver_wakeups` took this reference.
            unsafe { bsdinet_sk_put(sk as *mut bindings::sock) };
        }
    }
}

/// Collects the wakeups a request asked for (`vnet::with_stack` calls
/// this under the stack lock, so every socket named is alive) and takes a
/// reference on each sock, for `Wakeups::deliver` after the lock. A socket
/// woken may have a new `so_error`: its `sk_err` follows first, here.
pub(crate) fn deliver_wakeups(st: &mut Stack) -> Wakeups {
    // `take_wakeups` holds the stack: note the socks, then visit them.
    let mut w = Wakeups { few: [0; 8], n: 0, more: crate::platform::Vec::new() };
    st.take_wakeups(|sk| {
        if let Some(slot) = w.few.get_mut(w.n) {
            *slot = sk;
            w.n += 1;
        } else if w.more.push(sk).is_err() {
            // No memory to note it: wake it now; its sk_err follows at
            // the socket's next call (`with_so`).
            wake(sk);
        }
    });
    for &sk in Iterator::chain(w.few[..w.n].iter(), w.more.iter()) {
        let skp = sk as *mut bindings::sock;
        // SAFETY: as in `wake`, `sk` is a live sock.
        let so = unsafe { bsdinet_sk_so(skp) };
        // A sock being created names no socket yet (-1).
        if let Some(s) = usize::try_from(so).ok().and_then(|so| st.sockets.get_mut(so)) {
            if s.so_upcallarg == sk {
                sync_so_error(s, skp);
            }
        }
        // SAFETY: a live sock (as above); `Wakeups::deliver` drops it.
        unsafe { bsdinet_sk_hold(skp) };
    }
    // SAFETY: as in `wake`, upcall arguments are live socks.
    st.take_sigurgs(|sk| unsafe { bsdinet_sk_sigurg(sk as *mut bindings::sock) });
    w
}

/// Wakes the sleepers of upcall argument `sk`.
fn wake(sk: usize) {
    // SAFETY: upcall arguments are the `struct sock` of live sockets: a
    // socket's sock is freed only after `soclose` cleared it.
    unsafe { bsdinet_sk_wake(sk as *mut bindings::sock) }
}

/// Keeps Linux's `sk_err` in step with `so_error` (called under the
/// stack lock, `sk` being the live sock of `s`). getsockopt(SO_ERROR) is
/// Linux's: it reads `sk_err` and exchanges it with 0, without our lock.
/// So `sk_err` shows `so_error`; an error posted since the last call
/// (`so_error_gen` moved) is shown whatever `sk_err` holds; otherwise,
/// when the error last shown is gone from `sk_err`, the user took it:
/// `so_error` is cleared if it still holds it, as the book's `sogetopt`
/// clears it.
fn sync_so_error(s: &mut Socket, sk: *mut bindings::sock) {
    // SAFETY: `sk` is the live sock of `s`; the error fields are read and
    // written atomically (sk_err) or under the stack lock (the shown one).
    unsafe {
        let mut gen = 0;
        let mut shown = bsdinet_sk_err_shown(sk, &mut gen);
        if gen != s.so_error_gen {
            bsdinet_sk_err_set(sk, s.so_error.0);
            bsdinet_sk_set_err_shown(sk, s.so_error.0, s.so_error_gen);
            return;
        }
        loop {
            let want = s.so_error.0;
            let had = bsdinet_sk_err_cmpxchg(sk, shown, want);
            if had == shown {
                bsdinet_sk_set_err_shown(sk, want, gen);
                return;
            }
            if had == 0 && s.so_error.0 == shown {
                s.so_error = Errno(0);
            }
            // Only getsockopt changes sk_err behind us, to 0: this ends.
            shown = had;
        }
    }
}

/// The stack of socket `sk`'s namespace.
fn vnet(sk: *mut bindings::sock) -> Vnet {
    // SAFETY: a live sock holds its namespace (module invariants).
    unsafe { Vnet::of_net(bsdinet_sk_net(sk)) }
}

/// A request `f` on socket `so`, whose sock is `sk`, under the lock of its
/// stack: its `sk_err` and `so_error` are put in step before the request
/// (the user may have taken the error with getsockopt) and after (the
/// request may have taken or set one). A sock whose BSD socket is gone,
/// or names another sock, is a broken invariant: counted, and EIO.
fn with_so<T>(
    so: usize,
    sk: *mut bindings::sock,
    f: impl FnOnce(&mut Stack) -> errno::Result<T>,
) -> errno::Result<T> {
    vnet(sk).with_stack(|st| {
        match st.sockets.get_mut(so) {
            Some(s) if s.so_upcallarg == sk as usize => sync_so_error(s, sk),
            _ => {
                st.bug("a sock names no live socket");
                return Err(errno::EIO);
            }
        }
        let failures = st.invariant_failures;
        let r = f(st);
        if let Some(s) = st.sockets.get_mut(so) {
            if s.so_upcallarg == sk as usize {
                sync_so_error(s, sk);
            }
        }
        if st.invariant_failures != failures {
            return Err(errno::EIO);
        }
        r
    })
}

/// The credential of the calling task over socket `sock`'s namespace
/// (what the book's `suser()` asks at each check).
fn current_cred(sock: *mut bindings::socket) -> Cred {
    // SAFETY: one of our sockets, with its sock, for the call.
    unsafe {
        Cred {
            net_raw: bsdinet_sk_net_raw_capable(sock, 0) != 0,
            net_bind_service: bsdinet_sk_net_bind_capable(sock, 0) != 0,
            net_admin: bsdinet_sk_net_admin_capable(sock) != 0,
        }
    }
}

/// Runs `f` with socket `so`'s credential narrowed to what the calling
/// task also holds, as Linux checks netlink senders: a socket passed to
/// a less privileged process (or kept across `unshare`) does not lend it
/// its creator's privileges.
fn with_cred<T>(st: &mut Stack, so: usize, cur: Cred, f: impl FnOnce(&mut Stack) -> T) -> T {
    let made = st.so(so).so_cred;
    st.so(so).so_cred = Cred {
        net_raw: made.net_raw && cur.net_raw,
        net_bind_service: made.net_bind_service && cur.net_bind_service,
        net_admin: made.net_admin && cur.net_admin,
    };
    let r = f(st);
    if let Some(s) = st.sockets.get_mut(so) {
        s.so_cred = made;
    }
    r
}

/// The SOL_SOCKET values of a BSD socket, for Linux's `struct sock`
/// (`struct bsdinet_sk_opts` of glue.h).
#[repr(C)]
struct SkOpts {
    sndbuf: c_int,
    rcvbuf: c_int,
    rcvlowat: c_int,
    linger: c_int,
    debug: bool,
    reuseaddr: bool,
    reuseport: bool,
    keepalive: bool,
    dontroute: bool,
    broadcast: bool,
    oobinline: bool,
    lingeron: bool,
}

/// Mirrors the SOL_SOCKET options of `s` into its live sock `sk`, where
/// Linux's core answers getsockopt(SOL_SOCKET): buffer sizes exactly
/// (Linux reports its own doubled), SO_RCVLOWAT, the flags, SO_LINGER.
/// (SO_SNDLOWAT reads 1 whatever is set: Linux's core says so.)
fn set_sk_opts(s: &Socket, sk: *mut bindings::sock) {
    let int = |v: usize| c_int::try_from(v).unwrap_or(c_int::MAX);
    let on = |bit: u16| s.so_options & bit != 0;
    let o = SkOpts {
        sndbuf: int(s.so_snd.sb_hiwat),
        rcvbuf: int(s.so_rcv.sb_hiwat),
        rcvlowat: int(s.so_rcv.sb_lowat),
        linger: c_int::from(s.so_linger),
        debug: on(SO_DEBUG),
        reuseaddr: on(SO_REUSEADDR),
        reuseport: on(SO_REUSEPORT),
        keepalive: on(SO_KEEPALIVE),
        dontroute: on(SO_DONTROUTE),
        broadcast: on(SO_BROADCAST),
        oobinline: on(SO_OOBINLINE),
        lingeron: on(SO_LINGER),
    };
    // SAFETY: `sk` is the live sock of `s`; `o` is read during the call.
    unsafe { bsdinet_sk_set_opts(sk, &o) };
}

/// The BSD socket behind a Linux socket.
///
/// # Safety
///
/// `sock` must be an AF_BSDINET socket that `bsdinet_create` set up.
unsafe fn so_of(sock: *mut bindings::socket) -> (usize, *mut bindings::sock) {
    // SAFETY: per the function's contract, `sock` has a live bsdinet sock.
    unsafe {
        let sk = bsdinet_sock_sk(sock);
        (bsdinet_sk_so(sk) as usize, sk)
    }
}

/// A sockaddr the kernel copied in for us.
///
/// # Safety
///
/// `addr` must be valid for `len` bytes when `len` > 0.
unsafe fn addr_bytes<'a>(addr: *const c_void, len: c_int) -> &'a [u8] {
    if addr.is_null() || len <= 0 {
        return &[];
    }
    // SAFETY: per the function's contract.
    unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), len as usize) }
}

/// `net_proto_family.create`: socket(AF_BSDINET, type, protocol).
#[no_mangle]
unsafe extern "C" fn bsdinet_create(
    net: *mut bindings::net,
    sock: *mut bindings::socket,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    // Linux's range check: the protocol goes into one byte of IP header.
    if !(0..=255).contains(&protocol) {
        return -(bindings::EINVAL as c_int);
    }
    // SAFETY: the socket core hands us a fresh socket and its namespace.
    let ty = c_int::from(unsafe { (*sock).type_ });
    // SAFETY: as above; on success `sock` has a sock with our ops.
    let err = unsafe { bsdinet_sk_alloc(net, sock, kern) };
    if err != 0 {
        return err;
    }
    // SAFETY: `bsdinet_sk_alloc` succeeded, so `sock->sk` is set.
    let sk = unsafe { bsdinet_sock_sk(sock) };
    // SAFETY: as above.
    let cred = unsafe {
        Cred {
            net_raw: ty == SOCK_RAW && bsdinet_sk_net_raw_capable(sock, kern) != 0,
            net_bind_service: bsdinet_sk_net_bind_capable(sock, kern) != 0,
            net_admin: kern != 0 || bsdinet_sk_net_admin_capable(sock) != 0,
        }
    };
    // SAFETY: `sk` was just allocated for `sock`.
    unsafe { create_so(sock, sk, &INETDOMAIN, ty, protocol, cred) }
}

/// The end of both families' create: the BSD socket of `domain` for the
/// sock `sk` just allocated, or the sock freed again; 0 or -errno.
///
/// # Safety
///
/// `sk` is `sock`'s sock, fresh from `bsdinet_sk_alloc` or
/// `bsdroute_sk_alloc`, and no BSD socket refers to it yet.
unsafe fn create_so(
    sock: *mut bindings::socket,
    sk: *mut bindings::sock,
    domain: &'static Domain,
    ty: c_int,
    protocol: c_int,
    cred: Cred,
) -> c_int {
    let created = vnet(sk).with_stack(|st| {
        let so = socreate(st, domain, ty, protocol, cred, sk as usize)?;
        let s = st.so(so);
        set_sk_opts(s, sk);
        let atomic = s.so_proto.pr_flags & PR_ATOMIC != 0;
        Ok((so, c_int::from(s.so_proto.pr_protocol), atomic))
    });
    match created {
        Ok((so, proto, atomic)) => {
            // SAFETY: `sk` is the fresh sock of the contract.
            unsafe { bsdinet_sk_set_so(sk, so as c_long, proto, atomic) };
            0
        }
        Err(Errno(e)) => {
            // SAFETY: no BSD socket refers to `sk`; it is ours to drop.
            unsafe { bsdinet_sk_free(sock) };
            -e
        }
    }
}

/// `net_proto_family.create` of AF_BSDROUTE: socket(AF_BSDROUTE,
/// SOCK_RAW, 0 or AF_BSDINET), a routing socket. Its credential:
/// whether it may change the routing table (CAP_NET_ADMIN).
#[no_mangle]
unsafe extern "C" fn bsdroute_create(
    net: *mut bindings::net,
    sock: *mut bindings::socket,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    // SAFETY: the socket core hands us a fresh socket and its namespace.
    let ty = c_int::from(unsafe { (*sock).type_ });
    // SAFETY: as above; on success `sock` has a sock with our ops.
    let err = unsafe { bsdroute_sk_alloc(net, sock, kern) };
    if err != 0 {
        return err;
    }
    // SAFETY: `bsdroute_sk_alloc` succeeded, so `sock->sk` is set.
    let sk = unsafe { bsdinet_sock_sk(sock) };
    // SAFETY: as above.
    let admin = kern != 0 || unsafe { bsdinet_sk_net_admin_capable(sock) } != 0;
    let cred = Cred { net_admin: admin, ..Cred::default() };
    // SAFETY: `sk` was just allocated for `sock`.
    unsafe { create_so(sock, sk, &ROUTEDOMAIN, ty, protocol, cred) }
}

#[no_mangle]
unsafe extern "C" fn bsdinet_release(sock: *mut bindings::socket) -> c_int {
    // SAFETY: the core passes one of our sockets; `sk` may be gone already.
    if unsafe { bsdinet_sock_sk(sock) }.is_null() {
        return 0;
    }
    // SAFETY: one of our sockets, with its sock.
    let (so, sk) = unsafe { so_of(sock) };
    // SO_LINGER: wait (interruptibly, at most the linger time) for the
    // protocol to finish disconnecting, as the book's soclose sleeps.
    if let Ok(Some(secs)) = with_so(so, sk, |st| Ok(soclose_linger(st, so))) {
        // SAFETY: `sock` is ours for the call.
        let mut timeo = unsafe { bsdinet_linger_timeo(sock, c_int::from(secs)) };
        let mut wait = MaybeUninit::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `wait` stays in place until `bsdinet_wait_del` below.
        unsafe { bsdinet_wait_add(sk, wait.as_mut_ptr()) };
        while let Ok(true) = with_so(so, sk, |st| Ok(st.so(so).so_state & SS_ISCONNECTED != 0)) {
            match sbwait(&mut wait, timeo) {
                Ok(t) => timeo = t,
                Err(_) => break,
            }
        }
        // SAFETY: dequeues the entry queued above.
        unsafe { bsdinet_wait_del(sk, wait.as_mut_ptr()) };
    }
    // `soclose` clears the socket's upcall argument even when the
    // protocol keeps the socket (TIME_WAIT): nothing names the sock after.
    let _ = with_so(so, sk, |st| {
        soclose(st, so);
        Ok(())
    });
    // SAFETY: no BSD socket names the sock any more.
    unsafe { bsdinet_sk_free(sock) };
    0
}

#[no_mangle]
unsafe extern "C" fn bsdinet_bind(
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
) -> c_int {
    // SAFETY: one of our sockets; the core copied `len` bytes to `addr`.
    let ((so, sk), nam) = unsafe { (so_of(sock), addr_bytes(addr.cast(), len)) };
    let cur = current_cred(sock);
    errno(with_so(so, sk, |st| with_cred(st, so, cur, |st| sobind(st, so, nam))))
}

#[no_mangle]
unsafe extern "C" fn bsdinet_connect(
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
    flags: c_int,
) -> c_int {
    // SAFETY: as in bind.
    let ((so, sk), nam) = unsafe { (so_of(sock), addr_bytes(addr.cast(), len)) };
    // The book's connect(): a second call while connecting is EALREADY
    // (Linux's word; the book's EISCONN), a non-blocking one returns
    // EINPROGRESS, a blocking one sleeps until the connection is made or
    // fails, and takes the error.
    let r = with_so(so, sk, |st| {
        if st.so(so).so_state & SS_ISCONNECTING != 0 {
            return Err(errno::EALREADY);
        }
        soconnect(st, so, nam)?;
        Ok(st.so(so).so_state & SS_ISCONNECTING != 0)
    });
    let connecting = match r {
        Ok(c) => c,
        Err(e) => return -e.0,
    };
    if !connecting {
        return 0;
    }
    let nonblock = flags & bindings::O_NONBLOCK as c_int != 0;
    // SAFETY: `sk` is live for the call.
    let mut timeo = unsafe { bsdinet_sndtimeo(sk, nonblock as c_int) };
    if timeo == 0 {
        return -errno::EINPROGRESS.0;
    }
    let mut wait = MaybeUninit::<bindings::wait_queue_entry>::uninit();
    // SAFETY: `wait` stays in place until `bsdinet_wait_del` below.
    unsafe { bsdinet_wait_add(sk, wait.as_mut_ptr()) };
    let ret = loop {
        let r = with_so(so, sk, |st| {
            let s = st.so(so);
            if s.so_state & SS_ISCONNECTING != 0 && s.so_error == Errno(0) {
                return Err(errno::EWOULDBLOCK);
            }
            Ok(core::mem::replace(&mut s.so_error, Errno(0)))
        });
        match r {
            Ok(e) => break -e.0,
            Err(e) if e == errno::EWOULDBLOCK => match sbwait(&mut wait, timeo) {
                Ok(t) => timeo = t,
                // Out of time: still in progress, as Linux says.
                Err(c) if c == -errno::EWOULDBLOCK.0 => break -errno::EINPROGRESS.0,
                Err(c) => break c,
            },
            Err(e) => break -e.0,
        }
    };
    // SAFETY: dequeues the entry queued above.
    unsafe { bsdinet_wait_del(sk, wait.as_mut_ptr()) };
    ret
}

/// accept(): the oldest connection of the listener's queue, with a new
/// sock of its own (its wakeups name it, never the listener's), waiting
/// for one unless the call is non-blocking.
#[no_mangle]
unsafe extern "C" fn bsdinet_accept(
    sock: *mut bindings::socket,
    newsock: *mut bindings::socket,
    arg: *mut bindings::proto_accept_arg,
) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    let (mut nonblock, mut kern) = (0, 0);
    // SAFETY: the core's arguments for the call; `newsock` is fresh, in
    // the listener's namespace.
    let err = unsafe {
        bsdinet_accept_arg(arg, &mut nonblock, &mut kern);
        bsdinet_sk_alloc(bsdinet_sk_net(sk), newsock, kern)
    };
    if err != 0 {
        return err;
    }
    // SAFETY: allocated just above.
    let newsk = unsafe { bsdinet_sock_sk(newsock) };
    // SAFETY: `sk` is live for the call.
    let mut timeo = unsafe { bsdinet_rcvtimeo(sk, nonblock) };
    let mut wait = MaybeUninit::<bindings::wait_queue_entry>::uninit();
    // SAFETY: `wait` stays in place until `bsdinet_wait_del` below.
    unsafe { bsdinet_wait_add(sk, wait.as_mut_ptr()) };
    let ret = loop {
        let r = with_so(so, sk, |st| {
            let (newso, _) = soaccept_next(st, so, newsk as usize)?;
            let s = st.so(newso);
            set_sk_opts(s, newsk);
            let atomic = s.so_proto.pr_flags & PR_ATOMIC != 0;
            Ok((newso, c_int::from(s.so_proto.pr_protocol), atomic))
        });
        match r {
            Ok((newso, proto, atomic)) => {
                // SAFETY: the fresh sock, now named by `newso` alone.
                unsafe { bsdinet_sk_set_so(newsk, newso as c_long, proto, atomic) };
                break 0;
            }
            Err(e) if e == errno::EWOULDBLOCK => match sbwait(&mut wait, timeo) {
                Ok(t) => timeo = t,
                Err(c) => break c,
            },
            Err(e) => break -e.0,
        }
    };
    // SAFETY: dequeues the entry queued above.
    unsafe { bsdinet_wait_del(sk, wait.as_mut_ptr()) };
    if ret != 0 {
        // SAFETY: no BSD socket names the new sock.
        unsafe { bsdinet_sk_free(newsock) };
    }
    ret
}

#[no_mangle]
unsafe extern "C" fn bsdinet_getname(
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    peer: c_int,
) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    let mut sin = SockaddrIn::default();
    let r = with_so(so, sk, |st| {
        let req = if peer != 0 { Pru::Peeraddr(&mut sin) } else { Pru::Sockaddr(&mut sin) };
        usrreq(st, so, req)
    });
    if let Err(Errno(e)) = r {
        return -e;
    }
    let bytes = sin.emit();
    // SAFETY: `addr` is a `sockaddr_storage`, larger than a sockaddr_in.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), addr.cast::<u8>(), bytes.len()) };
    bytes.len() as c_int
}

#[no_mangle]
unsafe extern "C" fn bsdinet_poll(
    file: *mut bindings::file,
    sock: *mut bindings::socket,
    wait: *mut bindings::poll_table_struct,
) -> c_uint {
    // SAFETY: one of our sockets, polled through its open file.
    let (so, sk) = unsafe {
        bsdinet_poll_wait(file, sock, wait);
        so_of(sock)
    };
    let Ok((readable, writable, state, error, oob)) = with_so(so, sk, |st| {
        let (r, w) = soreadiness(st, so);
        let oob = soexceptional(st, so);
        let s = st.so(so);
        Ok((r, w, s.so_state, s.so_error != Errno(0), oob))
    }) else {
        return EPOLLERR;
    };
    let mut mask = 0;
    if oob {
        mask |= EPOLLPRI;
    }
    if readable {
        mask |= EPOLLIN | EPOLLRDNORM;
    }
    if writable {
        mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
    }
    if error {
        mask |= EPOLLERR;
    }
    if state & SS_CANTRCVMORE != 0 {
        mask |= EPOLLRDHUP;
    }
    if state & SS_CANTRCVMORE != 0 && state & SS_CANTSENDMORE != 0 {
        mask |= EPOLLHUP;
    }
    mask
}

#[no_mangle]
unsafe extern "C" fn bsdinet_ioctl(
    sock: *mut bindings::socket,
    cmd: c_uint,
    arg: c_ulong,
) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    match ioctl(sock, so, sk, cmd, arg as usize) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `soo_ioctl`: FIONREAD here, attaching and detaching Linux devices
/// (netdev.rs), the other interface ioctls (group 'i') through `ifioctl`,
/// with the request copied in and out as its number says.
fn ioctl(
    sock: *mut bindings::socket,
    so: usize,
    sk: *mut bindings::sock,
    cmd: u32,
    arg: usize,
) -> Result {
    if cmd == FIONREAD || cmd == SIOCATMARK {
        let n = bsd(with_so(so, sk, |st| {
            let s = st.so(so);
            Ok(if cmd == FIONREAD {
                s.so_rcv.sb_cc
            } else {
                usize::from(s.so_state & SS_RCVATMARK != 0)
            })
        }))?;
        let n = c_int::try_from(n).unwrap_or(c_int::MAX);
        return UserSlice::new(arg, size_of::<c_int>()).writer().write(&n);
    }
    if (cmd >> 8) & 0xff != u32::from(b'i') {
        return bsd(Err(errno::EOPNOTSUPP));
    }
    if cmd == SIOCIFCREATE || cmd == SIOCIFDESTROY {
        let mut data = [0u8; IFREQ_LEN];
        UserSlice::new(arg, IFREQ_LEN).reader().read_slice(&mut data)?;
        // SAFETY: one of our sockets, with its sock.
        if unsafe { bsdinet_sk_net_admin_capable(sock) } == 0 {
            return Err(EPERM);
        }
        let name = bsd(ifr_name(&data))?;
        if cmd == SIOCIFDESTROY {
            return netdev::detach(vnet(sk), name);
        }
        // SAFETY: as above; the socket holds its namespace for the call.
        return netdev::attach(unsafe { bsdinet_sock_net(sock) }, name);
    }
    if cmd == SIOCGIFCONF {
        // struct ifconf { int ifc_len; void *ifc_buf; }
        let mut ifc = [0u8; IFCONF_LEN];
        UserSlice::new(arg, IFCONF_LEN).reader().read_slice(&mut ifc)?;
        let len = i32::from_ne_bytes([ifc[0], ifc[1], ifc[2], ifc[3]]);
        let len = usize::try_from(len).map_err(|_| EINVAL)?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(&ifc[8..16]);
        let ubuf = usize::from_ne_bytes(buf);
        let recs = bsd(with_so(so, sk, |st| ifconf(st, len)))?;
        let mut w = UserSlice::new(ubuf, recs.len() * IFREQ_LEN).writer();
        for r in recs.iter() {
            w.write_slice(r)?;
        }
        let used = (recs.len() * IFREQ_LEN) as i32;
        ifc[..4].copy_from_slice(&used.to_ne_bytes());
        return UserSlice::new(arg, IFCONF_LEN).writer().write_slice(&ifc);
    }
    let len = ioc_len(cmd);
    let mut data = [0u8; IFALIASREQ_LEN];
    let data = data.get_mut(..len).ok_or(EINVAL)?;
    if ioc_in(cmd) {
        UserSlice::new(arg, len).reader().read_slice(data)?;
    }
    // SAFETY: one of our sockets, with its sock.
    let admin = unsafe { bsdinet_sk_net_admin_capable(sock) } != 0;
    bsd(with_so(so, sk, |st| ifioctl(st, so, cmd, data, admin)))?;
    if ioc_out(cmd) {
        UserSlice::new(arg, len).writer().write_slice(data)?;
    }
    Ok(())
}

#[no_mangle]
unsafe extern "C" fn bsdinet_listen(sock: *mut bindings::socket, backlog: c_int) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    let r = with_so(so, sk, |st| solisten(st, so, backlog));
    if r.is_ok() {
        // SAFETY: `sk` is live for the call.
        unsafe { bsdinet_sk_set_listening(sk) };
    }
    errno(r)
}

#[no_mangle]
unsafe extern "C" fn bsdinet_shutdown(sock: *mut bindings::socket, how: c_int) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    errno(with_so(so, sk, |st| soshutdown(st, so, how)))
}

// Linux's SOL_SOCKET timeouts (asm-generic/socket.h): `struct timeval`
// in the old and the 64-bit layouts.
const SO_RCVTIMEO_OLD: c_int = 20;
const SO_SNDTIMEO_OLD: c_int = 21;
const SO_RCVTIMEO_NEW: c_int = 66;
const SO_SNDTIMEO_NEW: c_int = 67;

/// The book's level and name for Linux's (the ABI keeps Linux's numbers:
/// programs use <sys/socket.h> and <netinet/in.h>). Other levels keep
/// their numbers: TCP's options are numbered alike.
fn bsd_optname(level: c_int, name: c_int) -> Option<(i32, i32)> {
    match level {
        LINUX_SOL_SOCKET => Some((SOL_SOCKET, linux_so_optname(name)?)),
        IPPROTO_IP => Some((IPPROTO_IP, linux_ip_optname(name)?)),
        _ => Some((level, name)),
    }
}

/// setsockopt() (`sosetopt`); SOCK_CUSTOM_SOCKOPT brings SOL_SOCKET here
/// too. The value is copied in, up to MAX_SOOPTLEN bytes: more than any
/// option takes, so a longer one still fails where it is too long.
#[no_mangle]
unsafe extern "C" fn bsdinet_setsockopt(
    sock: *mut bindings::socket,
    level: c_int,
    name: c_int,
    val: bindings::sockptr_t,
    len: c_uint,
) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    // recvmsg sleeps with Linux's sk_rcvtimeo (`sock_rcvtimeo`), so the
    // timeouts are Linux's to set (and to read back).
    if level == LINUX_SOL_SOCKET
        && matches!(name, SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD | SO_RCVTIMEO_NEW | SO_SNDTIMEO_NEW)
    {
        // SAFETY: the core's arguments, passed on as they came.
        return unsafe { bsdinet_sock_setsockopt(sock, level, name, val, len) };
    }
    let Some((level, name)) = bsd_optname(level, name) else {
        return -errno::ENOPROTOOPT.0;
    };
    let mut buf = [0u8; MAX_SOOPTLEN];
    let n = usize::try_from(len).map_or(MAX_SOOPTLEN, |l| l.min(MAX_SOOPTLEN));
    // SAFETY: `buf` has room for `n` bytes; `val` is the caller's value of
    // `len` bytes, user or kernel memory, which the helper copies safely.
    if n > 0 && unsafe { bsdinet_copy_from_sockptr(buf.as_mut_ptr().cast(), val, n) } != 0 {
        return -errno::EFAULT.0;
    }
    errno(with_so(so, sk, |st| {
        sosetopt(st, so, level, name, &buf[..n])?;
        if level == SOL_SOCKET {
            set_sk_opts(st.so(so), sk);
        }
        Ok(())
    }))
}

/// getsockopt() of every level but SOL_SOCKET, which Linux's core
/// answers itself from the sock (see `set_sk_opts`).
#[no_mangle]
unsafe extern "C" fn bsdinet_getsockopt(
    sock: *mut bindings::socket,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    len: *mut c_int,
) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    if level == BSDINET_SOL_ROUTE {
        return match route_getsockopt(so, sk, name, val as usize, len as usize) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
    }
    match getsockopt(so, sk, level, name, val as usize, len as usize) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `sogetopt` with the user's buffer `val` of `*lenp` bytes: the value is
/// cut short to it, as Linux does, and `*lenp` set to the bytes written.
fn getsockopt(
    so: usize,
    sk: *mut bindings::sock,
    level: c_int,
    name: c_int,
    val: usize,
    lenp: usize,
) -> Result {
    let mut l = [0u8; size_of::<c_int>()];
    UserSlice::new(lenp, l.len()).reader().read_slice(&mut l)?;
    let cap = usize::try_from(c_int::from_ne_bytes(l)).map_err(|_| EINVAL)?;
    let (level, name) = bsd(bsd_optname(level, name).ok_or(errno::ENOPROTOOPT))?;
    let mut buf = [0u8; MAX_SOOPTLEN];
    let out = &mut buf[..cap.min(MAX_SOOPTLEN)];
    let n = bsd(with_so(so, sk, |st| sogetopt(st, so, level, name, out)))?;
    UserSlice::new(val, n).writer().write_slice(&buf[..n])?;
    let n = c_int::try_from(n).unwrap_or(c_int::MAX);
    UserSlice::new(lenp, l.len()).writer().write_slice(&n.to_ne_bytes())
}

/// The table dumps of a routing socket (the book's `sysctl_rtable`):
/// `name` is the NET_RT_* request, and for all but NET_RT_DUMP an int at
/// the start of the user's buffer its argument. The whole dump is copied
/// out when the buffer holds it; otherwise nothing is, `*lenp` says how
/// much is needed, and the answer is ENOMEM, as sysctl's.
fn route_getsockopt(
    so: usize,
    sk: *mut bindings::sock,
    name: c_int,
    val: usize,
    lenp: usize,
) -> Result {
    let mut l = [0u8; size_of::<c_int>()];
    UserSlice::new(lenp, l.len()).reader().read_slice(&mut l)?;
    let cap = usize::try_from(c_int::from_ne_bytes(l)).map_err(|_| EINVAL)?;
    if !bsd(with_so(so, sk, |st| Ok(is_routesock(st, so))))? {
        return bsd(Err(errno::ENOPROTOOPT));
    }
    let mut arg = [0u8; size_of::<c_int>()];
    if name != NET_RT_DUMP {
        if cap < arg.len() {
            return Err(EINVAL);
        }
        UserSlice::new(val, arg.len()).reader().read_slice(&mut arg)?;
    }
    let arg = c_int::from_ne_bytes(arg);
    let dump = bsd(with_so(so, sk, |st| sysctl_rtable(st, name, arg)))?;
    let n = c_int::try_from(dump.len()).map_err(|_| ENOMEM)?;
    let fits = dump.len() <= cap;
    if fits {
        UserSlice::new(val, dump.len()).writer().write_slice(&dump)?;
    }
    UserSlice::new(lenp, l.len()).writer().write_slice(&n.to_ne_bytes())?;
    if fits {
        Ok(())
    } else {
        Err(ENOMEM)
    }
}

/// User data staged in the kernel: copied from the caller before a
/// request, or to the caller after it, so that the request itself never
/// touches user memory (the book's uio, over a kernel buffer).
struct Staged {
    buf: KVVec<u8>,
    /// Sending: bytes handed to the stack so far.
    pos: usize,
    /// Sending: bytes of the call beyond this buffer, for `resid` (an
    /// atomic protocol judges the whole message). Receiving: the most the
    /// stack may fill.
    beyond: usize,
}

impl Staged {
    fn new() -> Self {
        Staged { buf: KVVec::new(), pos: 0, beyond: 0 }
    }

    /// Copies up to `len` bytes in from sendmsg()'s `msg` (no lock held);
    /// EFAULT when nothing could be, ENOBUFS without memory.
    fn fill(&mut self, msg: *mut bindings::msghdr, len: usize, beyond: usize) -> errno::Result {
        // SAFETY: bytes need no drop; the length only shrinks.
        unsafe { self.buf.set_len(0) };
        self.buf.reserve(len, GFP_KERNEL).map_err(|_| errno::ENOBUFS)?;
        // SAFETY: `msg` is the message of the sendmsg() call in progress,
        // and the buffer has room for `len` bytes.
        let got = unsafe { bsdinet_copy_from_msg(msg, self.buf.as_mut_ptr().cast(), len) };
        // SAFETY: the first `got` bytes were written just above.
        unsafe { self.buf.set_len(got) };
        self.pos = 0;
        self.beyond = beyond + (len - got);
        if got == 0 && len > 0 {
            return Err(errno::EFAULT);
        }
        Ok(())
    }

    /// Room for `len` bytes from the stack, none filled yet (allocated,
    /// not written: a big buffer for a small datagram costs little).
    fn room(&mut self, len: usize) -> errno::Result {
        // SAFETY: bytes need no drop; the length only shrinks.
        unsafe { self.buf.set_len(0) };
        self.buf.reserve(len, GFP_KERNEL).map_err(|_| errno::ENOBUFS)?;
        self.beyond = len;
        Ok(())
    }

    /// Copies what the stack filled out to recvmsg()'s `msg` (no lock
    /// held); EFAULT if the caller's buffer is bad.
    fn flush(&self, msg: *mut bindings::msghdr) -> errno::Result {
        let n = self.buf.len();
        // SAFETY: `msg` is the message of the recvmsg() call in progress,
        // and the buffer holds `n` bytes.
        let put = unsafe { bsdinet_copy_to_msg(msg, self.buf.as_ptr().cast(), n) };
        if put == n {
            Ok(())
        } else {
            Err(errno::EFAULT)
        }
    }
}

impl UioIn for Staged {
    fn resid(&self) -> usize {
        self.buf.len() - self.pos + self.beyond
    }
    fn uiomove(&mut self, buf: &mut [u8]) -> errno::Result {
        let end = self.pos + buf.len();
        // Beyond the staged bytes: only an atomic message too long for
        // any socket buffer gets here, which sosend refuses first.
        let src = self.buf.get(self.pos..end).ok_or(errno::EFAULT)?;
        buf.copy_from_slice(src);
        self.pos = end;
        Ok(())
    }
}

impl UioOut for Staged {
    fn resid(&self) -> usize {
        self.beyond - self.buf.len()
    }
    fn uiomove(&mut self, data: &[u8]) -> errno::Result {
        if data.len() > UioOut::resid(self) {
            return Err(errno::EFAULT);
        }
        // Within the room reserved: no allocation.
        self.buf.extend_from_slice(data, GFP_KERNEL).map_err(|_| errno::EFAULT)
    }
}

/// Waits on `sk` until woken, the time `timeo` runs out or a signal
/// comes (`sbwait`); the time left, or the errno that ends the call.
fn sbwait(
    wait: &mut MaybeUninit<bindings::wait_queue_entry>,
    timeo: c_long,
) -> Result<c_long, c_int> {
    if timeo == 0 {
        return Err(-errno::EWOULDBLOCK.0);
    }
    if kernel::current!().signal_pending() {
        // SAFETY: a pure function of its argument.
        return Err(unsafe { bsdinet_intr_errno(timeo) });
    }
    // SAFETY: `wait` was initialized and queued by `bsdinet_wait_add`.
    Ok(unsafe { bindings::wait_woken(wait.as_mut_ptr(), bindings::TASK_INTERRUPTIBLE, timeo) })
}

#[no_mangle]
unsafe extern "C" fn bsdinet_sendmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    len: usize,
) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    // SAFETY: `msg_name` holds `msg_namelen` bytes copied in by the core;
    // the core put send()'s flags (and MSG_DONTWAIT for a non-blocking
    // file) in `msg_flags`.
    let (nam, flags) =
        unsafe { (addr_bytes((*msg).msg_name, (*msg).msg_namelen), (*msg).msg_flags as c_int) };
    let nam = if nam.is_empty() { None } else { Some(nam) };
    let (mut cbuf, mut clen) = (core::ptr::null(), 0usize);
    // SAFETY: `msg` is the message of the call in progress.
    let r = unsafe { bsdinet_msg_control(msg, &mut cbuf, &mut clen) };
    if r != 0 {
        return r;
    }
    let control: &[u8] = if clen == 0 {
        &[]
    } else {
        // SAFETY: the socket core copied the `clen` bytes of control data
        // into the kernel buffer `cbuf`, which lives until we return.
        unsafe { core::slice::from_raw_parts(cbuf.cast::<u8>(), clen) }
    };
    // SAFETY: reads the calling task's id; `sk` is live for the call.
    let (pid, atomic) = unsafe { (bsdinet_current_pid(), bsdinet_sk_atomic(sk)) };
    let nonblock = flags & MSG_DONTWAIT != 0;
    let cur = current_cred(sock);
    // SAFETY: `sk` is live for the call.
    let mut timeo = unsafe { bsdinet_sndtimeo(sk, nonblock as c_int) };
    let mut uio = Staged::new();
    // SAFETY: `sk` is live for the call; unlocked below.
    let r = unsafe { bsdinet_sblock(sk, 0) };
    if r != 0 {
        return r;
    }
    let mut wait = MaybeUninit::<bindings::wait_queue_entry>::uninit();
    // SAFETY: `wait` stays in place until `bsdinet_wait_del` below.
    unsafe { bsdinet_wait_add(sk, wait.as_mut_ptr()) };
    let (mut sent, mut first) = (0usize, true);
    let ret = loop {
        // The next piece from the caller, unless the last is still going.
        if UioIn::resid(&uio) == uio.beyond && (first || sent < len) {
            let left = len - sent;
            // A message is judged whole by an atomic protocol: what does
            // not fit here is too long for any socket buffer anyway.
            let piece = left.min(STAGE_MAX);
            let beyond = if atomic { left - piece } else { 0 };
            if let Err(e) = uio.fill(msg, piece, beyond) {
                break if sent > 0 { Ok(()) } else { Err(e) };
            }
        }
        let before = UioIn::resid(&uio);
        let r = with_so(so, sk, |st| {
            // The sender of routing messages (`rtm_pid`), for the call.
            st.curpid = pid;
            let control =
                if first { control_from_linux(&mut st.mbpool, control) } else { Ok(None) };
            let r = control.and_then(|c| {
                with_cred(st, so, cur, |st| sosend_flags(st, so, nam, &mut uio, c, flags))
            });
            st.curpid = 0;
            r
        });
        first = false;
        sent += before - UioIn::resid(&uio);
        match r {
            Ok(()) if sent < len && !atomic && uio.beyond == 0 => continue,
            Ok(()) => break Ok(()),
            Err(e) if e != errno::EWOULDBLOCK => break Err(e),
            Err(e) => match sbwait(&mut wait, timeo) {
                Ok(t) => timeo = t,
                // Interrupted or out of time: the count, if any went.
                Err(_) if sent > 0 => break Ok(()),
                Err(c) if c == -errno::EWOULDBLOCK.0 => break Err(e),
                Err(c) => break Err(Errno(-c)),
            },
        }
    };
    // SAFETY: dequeues the entry queued above; unlocks the lock taken.
    unsafe {
        bsdinet_wait_del(sk, wait.as_mut_ptr());
        bsdinet_sbunlock(sk, 0);
    }
    match ret {
        Ok(()) => c_int::try_from(sent).unwrap_or(c_int::MAX),
        Err(e) => {
            if e == errno::EPIPE && flags & MSG_NOSIGNAL == 0 {
                // SAFETY: signals the calling task, which is running.
                unsafe { bsdinet_sigpipe() };
            }
            -e.0
        }
    }
}

/// Control messages taken under the lock, to give the caller after it:
/// (level, type, data length) each, then the data.
#[derive(Default)]
struct Cmsgs {
    head: crate::platform::Vec<(c_int, c_int, usize)>,
    data: crate::platform::Vec<u8>,
}

impl Cmsgs {
    /// Notes the control messages of `control`, with Linux's cmsg types.
    /// A message there is no memory for is left out, as one that does not
    /// fit the caller's buffer is.
    fn take(&mut self, control: &Mbuf) {
        for (level, ty, data) in cmsgs(control).flatten() {
            let ty = match level {
                IPPROTO_IP => linux_ip_cmsgtype(ty).unwrap_or(ty),
                _ => ty,
            };
            if self.data.reserve(data.len()).is_err()
                || self.head.push((level, ty, data.len())).is_err()
            {
                continue;
            }
            for &b in data {
                let _ = self.data.push(b);
            }
        }
    }

    /// Copies them out to recvmsg()'s caller (no lock held); `put_cmsg`
    /// sets MSG_CTRUNC when the caller's buffer is too short.
    fn put(&self, msg: *mut bindings::msghdr) {
        let mut at = 0;
        for &(level, ty, n) in self.head.iter() {
            let data = &self.data[at..at + n];
            at += n;
            let len = c_int::try_from(n).unwrap_or(c_int::MAX);
            // SAFETY: `msg` is the message of the recvmsg() call in
            // progress, and `data` holds `len` bytes.
            unsafe { bsdinet_put_cmsg(msg, level, ty, len, data.as_ptr().cast()) };
        }
    }
}

#[no_mangle]
unsafe extern "C" fn bsdinet_recvmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    len: usize,
    flags: c_int,
) -> c_int {
    // SAFETY: one of our sockets.
    let (so, sk) = unsafe { so_of(sock) };
    let nonblock = flags & MSG_DONTWAIT != 0;
    // SAFETY: `sk` is live for the whole call.
    let mut timeo = unsafe { bsdinet_rcvtimeo(sk, nonblock as c_int) };
    let mut uio = Staged::new();
    // SAFETY: `sk` is live for the call; unlocked below.
    let r = unsafe { bsdinet_sblock(sk, 1) };
    if r != 0 {
        return r;
    }
    let mut wait = MaybeUninit::<bindings::wait_queue_entry>::uninit();
    // SAFETY: `wait` stays in place until `bsdinet_wait_del` below.
    unsafe { bsdinet_wait_add(sk, wait.as_mut_ptr()) };
    let (mut got, mut cont) = (0usize, false);
    let ret = loop {
        if let Err(e) = uio.room((len - got).min(STAGE_MAX)) {
            break Err(-e.0);
        }
        let mut cmsgs = Cmsgs::default();
        let r = with_so(so, sk, |st| {
            let mut control = None;
            let r = if cont {
                soreceive_continue(st, so, &mut uio, flags, Some(&mut control))
            } else {
                soreceive(st, so, &mut uio, flags, Some(&mut control))
            };
            if let Some(c) = control {
                cmsgs.take(&c);
                m_freem(&mut st.mbpool, c);
            }
            r
        });
        match r {
            Ok(r) => {
                let full = UioOut::resid(&uio) == 0;
                if let Err(e) = uio.flush(msg) {
                    break Err(-e.0);
                }
                cmsgs.put(msg);
                got += r.len;
                // A MSG_WAITALL stream read wants more, or filled the
                // most staged at once and wants the rest: go on.
                let waitall = flags & MSG_WAITALL != 0 && r.addr.is_none() && full && got < len;
                if !r.more && !waitall {
                    break Ok(r);
                }
                cont = true;
                if r.more {
                    if let Err(_) = sbwait(&mut wait, timeo).map(|t| timeo = t) {
                        break Ok(r);
                    }
                }
            }
            // Out-of-band data not there yet: EWOULDBLOCK even on a
            // blocking socket (the book's soreceive returns PRU_RCVOOB's
            // error at once).
            Err(e) if e == errno::EWOULDBLOCK && flags & MSG_OOB == 0 => match sbwait(&mut wait, timeo) {
                Ok(t) => timeo = t,
                Err(c) => break Err(c),
            },
            Err(e) => break Err(-e.0),
        }
    };
    // SAFETY: dequeues the entry queued above; unlocks the lock taken.
    unsafe {
        bsdinet_wait_del(sk, wait.as_mut_ptr());
        bsdinet_sbunlock(sk, 1);
    }
    let r = match ret {
        Ok(r) => r,
        // Interrupted after some data came: the count.
        Err(_) if got > 0 => return c_int::try_from(got).unwrap_or(c_int::MAX),
        Err(e) => return e,
    };
    // SAFETY: `msg` is the caller's message; `msg_name`, when set, is a
    // sockaddr_storage the core copies out `msg_namelen` bytes of.
    unsafe {
        if let (Some(addr), false) = (r.addr, (*msg).msg_name.is_null()) {
            let b = addr.emit();
            core::ptr::copy_nonoverlapping(b.as_ptr(), (*msg).msg_name.cast::<u8>(), b.len());
            (*msg).msg_namelen = b.len() as c_int;
        }
        (*msg).msg_flags |= r.flags as c_uint;
    }
    // recv(MSG_TRUNC) asks for the datagram's real length (Linux's rule).
    let n = if flags & MSG_TRUNC != 0 { r.reclen } else { got };
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

/// AF_BSDINET and AF_BSDROUTE registered with the socket core;
/// unregistered on drop. The stacks they use exist before (`Vnets`).
pub struct Registration(());

impl Registration {
    /// Registers the protocol, then both families.
    pub fn new() -> Result<Self> {
        // SAFETY: a static the C side initialized at compile time.
        let family = unsafe { bsdinet_family_ops.family };
        if family != c_int::from(AF_BSDINET) {
            pr_err!("glue.c and the Rust code disagree on AF_BSDINET\n");
            return Err(EINVAL);
        }
        // SAFETY: as above.
        if unsafe { bsdroute_family_ops.family } != c_int::from(AF_BSDROUTE) {
            pr_err!("glue.c and the Rust code disagree on AF_BSDROUTE\n");
            return Err(EINVAL);
        }
        crate::fail_point("proto_register")?;
        // SAFETY: registers a static `struct proto`; undone in `drop` or below.
        let err = unsafe { bsdinet_proto_register() };
        if err != 0 {
            pr_err!("proto_register failed: {}\n", err);
            return Err(Error::from_errno(err));
        }
        let err = crate::fail_point("sock_register(AF_BSDINET)").map_or(
            -(bindings::ENOMEM as c_int),
            |()| {
                // SAFETY: a static family table, unregistered in `drop`.
                unsafe { bindings::sock_register(&bsdinet_family_ops) }
            },
        );
        if err != 0 {
            // SAFETY: registered just above.
            unsafe { bsdinet_proto_unregister() };
            if err == -(bindings::EEXIST as c_int) {
                pr_err!(
                    "address family {} (AF_BSDINET) is already registered by another module; not loading\n",
                    family
                );
            } else {
                pr_err!("sock_register({}) failed: {}\n", family, err);
            }
            return Err(Error::from_errno(err));
        }
        let err = crate::fail_point("sock_register(AF_BSDROUTE)").map_or(
            -(bindings::ENOMEM as c_int),
            |()| {
                // SAFETY: a static family table, unregistered in `drop`.
                unsafe { bindings::sock_register(&bsdroute_family_ops) }
            },
        );
        if err != 0 {
            // SAFETY: both registered just above.
            unsafe {
                bindings::sock_unregister(family);
                bsdinet_proto_unregister();
            }
            if err == -(bindings::EEXIST as c_int) {
                pr_err!(
                    "address family {} (AF_BSDROUTE) is already registered by another module; not loading\n",
                    AF_BSDROUTE
                );
            } else {
                pr_err!("sock_register({}) failed: {}\n", AF_BSDROUTE, err);
            }
            return Err(Error::from_errno(err));
        }
        Ok(Registration(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: both were registered by `new`; sock_unregister waits for
        // callers of `create` to finish, and no socket exists any more (each
        // pins the module).
        unsafe {
            bindings::sock_unregister(bsdroute_family_ops.family);
            bindings::sock_unregister(bsdinet_family_ops.family);
            bsdinet_proto_unregister();
        }
    }
}
