//! Linux net_devices as bsdinet interfaces (`netdev.c` has the receive
//! hook, the queue from softirq to process context and the notifier).
//!
//! An Ethernet device becomes an `ether_ifattach` interface, a tun device
//! (ARPHRD_NONE) a `tunattach` one, with the device's name; its
//! `if_softc` is the device's `struct bsdinet_netdev`. Attached by
//! `BSDINET_SIOCIFCREATE`, detached by `BSDINET_SIOCIFDESTROY` or when the
//! device is unregistered (or leaves its namespace).
//!
//! Invariants:
//! - Attach and detach run under rtnl, and an interface's softc is an
//!   attached device exactly while the interface exists: detach removes the
//!   interface (under the stack lock) before it frees the device. So under
//!   the stack lock the softc of every interface is a live device, and
//!   under rtnl so is every device whose hook is ours.
//! - A device belongs to the stack of its namespace (`bsdinet_netdev_vnet`),
//!   alive while the device is attached: a device leaving its namespace is
//!   detached (NETDEV_UNREGISTER) before the namespace's stack goes.
//! - Each device has its receive queue and work; detach removes the hook,
//!   then stops the work and drops the queue (`bsdinet_netdev_close`).
//!   Frames going out hold their device until sent.
//! - Lock order: rtnl, then the stack mutex; nothing under the stack mutex
//!   takes rtnl or sends to a device.

use core::ptr::{null, null_mut};
use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

use crate::bsd::kern::uipc_mbuf::{m_copydata, m_devget, Mbuf};
use crate::bsd::net::if_::{if_detach, ifunit, IfKind, IfName, McOp};
use crate::bsd::net::if_ethersubr::{ether_ifattach, ether_input, if_link_state};
use crate::bsd::net::if_tun::{tunattach, tuninput};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno;
use crate::bsd::sys::sockio::{IFNAMSIZ, IFREQ_LEN};
use crate::linux::vnet::{bsd, Vnet, VnetHead};

/// `_IOW('i', 122, struct bsdinet_ifreq)`: attach Linux device
/// `ifr_name` (BSD's SIOCIFCREATE number).
pub const SIOCIFCREATE: u32 = (1 << 30) | ((IFREQ_LEN as u32) << 16) | ((b'i' as u32) << 8) | 122;
/// `_IOW('i', 121, struct bsdinet_ifreq)`: detach interface `ifr_name`
/// (BSD's SIOCIFDESTROY number).
pub const SIOCIFDESTROY: u32 = (1 << 30) | ((IFREQ_LEN as u32) << 16) | ((b'i' as u32) << 8) | 121;

/// An attached device (`struct bsdinet_netdev`, opaque here).
#[repr(C)]
pub struct BsdinetNetdev {
    _private: [u8; 0],
}

/// `struct bsdinet_netdev_info` of netdev.h.
#[repr(C)]
struct Info {
    name: [u8; IFNAMSIZ],
    lladdr: [u8; 6],
    mtu: u32,
    tun: bool,
    link_up: bool,
}

impl Info {
    fn new() -> Self {
        Info { name: [0; IFNAMSIZ], lladdr: [0; 6], mtu: 0, tun: false, link_up: false }
    }

    fn name(&self) -> &[u8] {
        let len = self.name.iter().position(|&c| c == 0).unwrap_or(IFNAMSIZ);
        &self.name[..len]
    }

    /// The device's MTU within what the stack accepts (SIOCSIFMTU's range).
    fn mtu(&self) -> u32 {
        self.mtu.clamp(68, 65535)
    }
}

// What a notifier event changed (netdev.h).
const NETDEV_LINK: c_uint = 0x1;
const NETDEV_MTU: c_uint = 0x2;
const NETDEV_ADDR: c_uint = 0x4;
const NETDEV_NAME: c_uint = 0x8;

/// Frames fed to the stack between runs of IP input (IP's input queue
/// holds IFQ_MAXLEN, 50), and batches per run of the work before it
/// yields.
const RX_BATCH: usize = 32;
const RX_ROUNDS: usize = 8;

// bindgen gives opaque kernel structs no fields, which this lint dislikes;
// they are only ever behind pointers here.
#[allow(improper_ctypes)]
extern "C" {
    fn bsdinet_netdev_init() -> c_int;
    fn bsdinet_netdev_exit();
    fn bsdinet_netdev_open(
        net: *mut bindings::net,
        name: *const c_char,
        ndp: *mut *mut BsdinetNetdev,
    ) -> c_int;
    fn bsdinet_netdev_close(nd: *mut BsdinetNetdev);
    fn bsdinet_netdev_prepare(nd: *mut BsdinetNetdev, info: *mut Info) -> c_int;
    fn bsdinet_netdev_hook(nd: *mut BsdinetNetdev) -> c_int;
    fn bsdinet_netdev_unhook(nd: *mut BsdinetNetdev);
    fn bsdinet_netdev_info(nd: *mut BsdinetNetdev, info: *mut Info);
    fn bsdinet_netdev_vnet(nd: *mut BsdinetNetdev) -> *mut VnetHead;
    fn bsdinet_netdev_take_drops(nd: *mut BsdinetNetdev) -> c_uint;
    fn bsdinet_netdev_take_tx_errors(nd: *mut BsdinetNetdev) -> c_uint;
    fn bsdinet_rx_prepare(nd: *mut BsdinetNetdev) -> bool;
    fn bsdinet_rx_next(
        nd: *mut BsdinetNetdev,
        data: *mut *const u8,
        len: *mut c_uint,
    ) -> *mut bindings::sk_buff;
    fn bsdinet_rx_free(skb: *mut bindings::sk_buff);
    fn bsdinet_rx_schedule(nd: *mut BsdinetNetdev);
    fn bsdinet_tx_alloc(
        nd: *mut BsdinetNetdev,
        len: c_uint,
        data: *mut *mut u8,
    ) -> *mut bindings::sk_buff;
    fn bsdinet_tx_free(skb: *mut bindings::sk_buff);
    fn bsdinet_tx(nd: *mut BsdinetNetdev, skb: *mut bindings::sk_buff) -> c_int;
    fn bsdinet_netdev_mc(nd: *mut BsdinetNetdev, op: c_int, addr: *const u8);
    fn bsdinet_rtnl_lock();
    fn bsdinet_rtnl_unlock();
}

/// The stack of attached device `nd`.
fn vnet(nd: *mut BsdinetNetdev) -> Vnet {
    // SAFETY: an attached device's namespace, and so its stack, outlives
    // the attachment (module invariants).
    unsafe { Vnet::from_raw(bsdinet_netdev_vnet(nd)) }
}

/// The interface whose device is `nd`.
fn ifp_of(st: &Stack, nd: *mut BsdinetNetdev) -> Option<usize> {
    st.ifnet
        .iter()
        .find(|(_, i)| i.if_softc == nd as usize && i.if_kind != IfKind::Slip)
        .map(|(i, _)| i)
}

/// Runs `f` under rtnl (which must not be held, nor the stack lock).
fn with_rtnl<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: process context (an ioctl), holding neither rtnl nor the
    // stack mutex, so the lock order holds.
    unsafe { bsdinet_rtnl_lock() };
    let r = f();
    // SAFETY: taken just above.
    unsafe { bsdinet_rtnl_unlock() };
    r
}

/// BSDINET_SIOCIFCREATE: attaches device `name` of namespace `net`.
/// ENODEV: no such device; EOPNOTSUPP: loopback, or neither Ethernet nor
/// tun; EEXIST: attached already (or an interface has its name); EBUSY:
/// its receive hook is taken (a bridge port ...).
pub(crate) fn attach(net: *mut bindings::net, name: &[u8]) -> Result {
    let mut cname = [0u8; IFNAMSIZ];
    // The name came from ifr_name, shorter than IFNAMSIZ: the NUL stays.
    cname
        .get_mut(..name.len())
        .filter(|_| name.len() < IFNAMSIZ)
        .ok_or(EINVAL)?
        .copy_from_slice(name);
    let mut nd = null_mut();
    // SAFETY: `net` is the namespace of the calling socket, alive for the
    // call; `cname` is NUL-terminated; `nd` is set on success only.
    to_result(unsafe { bsdinet_netdev_open(net, cname.as_ptr().cast(), &mut nd) })?;
    let r = with_rtnl(|| hook(nd));
    if r.is_err() {
        // SAFETY: `nd` was opened above and is neither hooked nor the
        // softc of an interface.
        unsafe { bsdinet_netdev_close(nd) };
    }
    r
}

/// Under rtnl: the interface first, so the first frame finds it, then the
/// hook.
fn hook(nd: *mut BsdinetNetdev) -> Result {
    let vn = vnet(nd);
    let mut info = Info::new();
    // SAFETY: `nd` is an open device and rtnl is held.
    to_result(unsafe { bsdinet_netdev_prepare(nd, &mut info) })?;
    let softc = nd as usize;
    let ifp = bsd(vn.with_stack(|st| {
        let ifp = if info.tun {
            tunattach(st, info.name(), info.mtu(), softc)?
        } else {
            ether_ifattach(st, info.name(), info.lladdr, info.mtu(), softc)?
        };
        if_link_state(st, ifp, info.link_up);
        Ok(ifp)
    }))?;
    // SAFETY: rtnl is held and `prepare` found the hook free.
    if let Err(e) = to_result(unsafe { bsdinet_netdev_hook(nd) }) {
        vn.with_stack(|st| if_detach(st, ifp));
        return Err(e);
    }
    Ok(())
}

/// BSDINET_SIOCIFDESTROY: detaches interface `name` of stack `vn`. ENXIO:
/// no such interface; EOPNOTSUPP: it has no device (lo0), or is a SLIP
/// line (which goes when its tty leaves the discipline).
pub(crate) fn detach(vn: Vnet, name: &[u8]) -> Result {
    with_rtnl(|| {
        let dev =
            vn.with_stack(|st| ifunit(st, name).map(|i| (st.ifp(i).if_kind, st.ifp(i).if_softc)));
        match dev {
            None => Err(ENXIO),
            // lo0 has no device; a SLIP line goes with its tty.
            Some((IfKind::Loopback | IfKind::Slip, _)) | Some((_, 0)) => {
                bsd(Err(errno::EOPNOTSUPP))
            }
            Some((_, nd)) => {
                // SAFETY: rtnl is held and `nd` is the softc of an interface.
                unsafe { gone(nd as *mut BsdinetNetdev) };
                Ok(())
            }
        }
    })
}

/// Detaches attached device `nd` and frees it.
///
/// # Safety
///
/// rtnl must be held and `nd` attached (its hook is ours).
unsafe fn gone(nd: *mut BsdinetNetdev) {
    // SAFETY: per the contract; once this returns no frame of `nd` is
    // queued any more, only frames already queued.
    unsafe { bsdinet_netdev_unhook(nd) };
    vnet(nd).with_stack(|st| {
        if let Some(ifp) = ifp_of(st, nd) {
            if_detach(st, ifp);
        }
    });
    // SAFETY: no hook nor interface refers to `nd` any more; close stops
    // the receive work, and frames going out hold `nd` themselves.
    unsafe { bsdinet_netdev_close(nd) };
}

/// The notifier: attached device `nd` is being unregistered (or leaves
/// its namespace, or may change its type). Called under rtnl.
#[no_mangle]
unsafe extern "C" fn bsdinet_netdev_gone(nd: *mut BsdinetNetdev) {
    // SAFETY: the notifier holds rtnl and found our hook on the device.
    unsafe { gone(nd) }
}

/// The notifier: attached device `nd` changed `what` (NETDEV_*). Called
/// under rtnl.
#[no_mangle]
unsafe extern "C" fn bsdinet_netdev_changed(nd: *mut BsdinetNetdev, what: c_uint) {
    let mut info = Info::new();
    // SAFETY: rtnl is held and `nd` is attached.
    unsafe { bsdinet_netdev_info(nd, &mut info) };
    vnet(nd).with_stack(|st| {
        let Some(ifp) = ifp_of(st, nd) else { return };
        if what & NETDEV_LINK != 0 {
            if_link_state(st, ifp, info.link_up);
        }
        if what & NETDEV_MTU != 0 {
            st.ifp(ifp).if_data.ifi_mtu = info.mtu();
        }
        if what & NETDEV_ADDR != 0 && !info.tun {
            st.ifp(ifp).if_lladdr = info.lladdr;
        }
        if what & NETDEV_NAME != 0 {
            // A name the stack cannot take, or another interface's, leaves
            // the old one.
            if let Ok(n) = IfName::from_bytes(info.name()) {
                if ifunit(st, n.as_bytes()).is_none() {
                    st.ifp(ifp).if_name = n;
                }
            }
        }
    });
}

/// Device `nd`'s receive work (process context): feeds its queued frames
/// to the stack a batch per hold of the lock, then yields if some are
/// left.
///
/// # Safety
///
/// `nd` is attached: its work runs only until `bsdinet_netdev_close`.
#[no_mangle]
unsafe extern "C" fn bsdinet_netdev_rx(nd: *mut BsdinetNetdev) {
    let vn = vnet(nd);
    for _ in 0..RX_ROUNDS {
        // SAFETY: `nd`'s own work, the only user of its batch.
        let more = unsafe { bsdinet_rx_prepare(nd) };
        vn.with_stack(|st| rx_batch(st, nd));
        if !more {
            return;
        }
    }
    // SAFETY: schedules the work that runs this; always allowed.
    unsafe { bsdinet_rx_schedule(nd) };
}

/// Feeds `nd`'s prepared batch to the stack.
fn rx_batch(st: &mut Stack, nd: *mut BsdinetNetdev) {
    let mut n = 0;
    loop {
        if n > 0 && n % RX_BATCH == 0 {
            // Room in IP's queue (a GSO frame's segments are many).
            st.softint();
        }
        let (mut data, mut len) = (null(), 0);
        // SAFETY: `nd`'s own work; the pointers are written on success.
        let skb = unsafe { bsdinet_rx_next(nd, &mut data, &mut len) };
        if skb.is_null() {
            return;
        }
        n += 1;
        // SAFETY: the skb is linear and holds `len` bytes at `data` until
        // it is freed below.
        let frame = unsafe { core::slice::from_raw_parts(data, len as usize) };
        input(st, nd, frame);
        // SAFETY: `bsdinet_rx_next` gave it to us; nothing refers to it now.
        unsafe { bsdinet_rx_free(skb) };
    }
}

/// One frame from device `nd` into the stack (the book's driver read
/// routine: `m_devget`, then the link's input).
fn input(st: &mut Stack, nd: *mut BsdinetNetdev, frame: &[u8]) {
    let Some(ifp) = ifp_of(st, nd) else { return };
    // SAFETY: `nd` is the softc of an interface, so alive (see invariants).
    let drops = unsafe { bsdinet_netdev_take_drops(nd) };
    let ifnet = st.ifp(ifp);
    ifnet.if_data.ifi_iqdrops += u64::from(drops);
    let kind = ifnet.if_kind;
    match m_devget(&mut st.mbpool, frame, 0, Some(ifp)) {
        Ok(m) if kind == IfKind::Tun => tuninput(st, ifp, m),
        Ok(m) => ether_input(st, ifp, m),
        Err(_) => st.ifp(ifp).if_data.ifi_iqdrops += 1,
    }
}

/// Queues every frame the stack queued for a device (the book's
/// `if_start`) on the namespace's transmit queue, which `with_stack`
/// empties once the lock is dropped; counts the frames the devices
/// refused since the last call.
pub(crate) fn if_start(st: &mut Stack) {
    // The multicast filters first: a report for a group just joined
    // should not wait for them, but the group's frames may follow.
    st.take_mcreqs(|r| {
        let (op, addr) = match r.op {
            McOp::Add(a) => (0, a),
            McOp::Del(a) => (1, a),
            McOp::AllmultiOn => (2, [0; 6]),
            McOp::AllmultiOff => (3, [0; 6]),
        };
        // SAFETY: the softc of an interface that had it when the request
        // was queued: requests are taken before the lock is dropped, and
        // detach frees a device only after a later hold of the lock, so
        // the device is alive; `addr` lives across the call.
        unsafe { bsdinet_netdev_mc(r.softc as *mut BsdinetNetdev, op, addr.as_ptr()) };
    });
    for (_, ifp) in st.ifnet.iter_mut() {
        if ifp.if_softc != 0 && ifp.if_kind != IfKind::Slip {
            // SAFETY: the softc of an interface: an attached device.
            let n = unsafe { bsdinet_netdev_take_tx_errors(ifp.if_softc as *mut BsdinetNetdev) };
            ifp.if_data.ifi_oerrors += u64::from(n);
        }
    }
    // Frames a device did not take, by device, for `ifi_oerrors` once the
    // drain lets go of the stack (more devices failing in one drain than
    // this holds go uncounted).
    let mut failed = [(0usize, 0u64); 4];
    st.if_snd_drain(|softc, m| {
        // The softc of an interface: an attached device (see invariants).
        if !send(softc as *mut BsdinetNetdev, m) {
            if let Some(f) = failed.iter_mut().find(|f| f.0 == softc || f.0 == 0) {
                *f = (softc, f.1 + 1);
            }
        }
    });
    for &(softc, n) in failed.iter().filter(|f| f.0 != 0) {
        if let Some(ifp) = ifp_of(st, softc as *mut BsdinetNetdev) {
            st.ifp(ifp).if_data.ifi_oerrors += n;
        }
    }
}

/// Copies frame `m` into an skb and queues it for device `nd`; whether
/// that worked.
fn send(nd: *mut BsdinetNetdev, m: &Mbuf) -> bool {
    let len = m.m_pkthdr().map_or(0, |ph| ph.len);
    let Ok(clen) = c_uint::try_from(len) else { return false };
    let mut data = null_mut();
    // SAFETY: `nd` is alive (see `if_start`); `data` is set on success.
    let skb = unsafe { bsdinet_tx_alloc(nd, clen, &mut data) };
    if skb.is_null() {
        return false;
    }
    // SAFETY: `bsdinet_tx_alloc` put `len` zeroed bytes at `data`, ours
    // until the skb is sent or freed.
    let buf = unsafe { core::slice::from_raw_parts_mut(data, len) };
    if m_copydata(m, 0, buf).is_err() {
        // SAFETY: the skb allocated above, not sent.
        unsafe { bsdinet_tx_free(skb) };
        return false;
    }
    // SAFETY: as above; the transmit queue takes the skb.
    unsafe { bsdinet_tx(nd, skb) == 0 }
}

/// The notifier and the receive queue, for as long as this lives. Drop it
/// before the stack: dropping it detaches every device.
pub struct Netdev(());

impl Netdev {
    /// Registers the netdevice notifier. The stack must exist until drop.
    pub fn new() -> Result<Self> {
        // SAFETY: called once, from module init; undone in `drop`.
        to_result(unsafe { bsdinet_netdev_init() })?;
        Ok(Netdev(()))
    }
}

impl Drop for Netdev {
    fn drop(&mut self) {
        // SAFETY: `new` succeeded; process context (module init or exit),
        // holding neither rtnl nor the stack lock.
        unsafe { bsdinet_netdev_exit() }
    }
}
