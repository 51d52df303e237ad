//! bsdinet: the 4.4BSD-Lite TCP/IP stack ("Net/3", *TCP/IP Illustrated,
//! Volume 2*) as a Linux kernel module that registers AF_BSDINET.
//!
//! `bsd/` is the stack (pure Rust, shared with the host tests); `linux/`
//! and its C files connect it to Linux. This file only registers.

use core::sync::atomic::{AtomicI32, Ordering};
use kernel::prelude::*;

#[path = "bsd/mod.rs"]
pub mod bsd;
#[path = "linux/mod.rs"]
pub mod linux;
#[path = "linux/platform.rs"]
pub mod platform;

use bsd::netinet::in_proto::INETDOMAIN;

module! {
    type: Bsdinet,
    name: "bsdinet",
    author: "The bsdinet developers",
    description: "The 4.4BSD-Lite TCP/IP stack as address family AF_BSDINET",
    license: "GPL",
}

/// Everything the module set up, each undone on drop. Fields drop in
/// order, the reverse of `init`: the families go first (no socket can be
/// made any more), the namespaces' stacks last.
struct Bsdinet {
    _family: linux::socket::Registration,
    _bpf: linux::bpf::Bpf,
    _procfs: linux::procfs::Procfs,
    _slip: linux::slip::Slip,
    _netdev: linux::netdev::Netdev,
    _vnets: linux::vnet::Vnets,
}

extern "C" {
    /// The `fail_at` module parameter (glue.c).
    fn bsdinet_fail_at() -> i32;
}

/// Steps of `init` passed so far, for `fail_at`.
static STEP: AtomicI32 = AtomicI32::new(0);

/// A step of module init: fails it when it is the `fail_at`-th, so that
/// tests can check each failure leaves nothing behind.
pub(crate) fn fail_point(what: &str) -> Result {
    let step = STEP.fetch_add(1, Ordering::Relaxed) + 1;
    // SAFETY: reads a module parameter, set before init runs.
    if unsafe { bsdinet_fail_at() } == step {
        pr_warn!("fail_at={}: failing {}\n", step, what);
        return Err(ENOMEM);
    }
    Ok(())
}

impl kernel::Module for Bsdinet {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // The stacks and what feeds them first, the families last: no
        // socket can exist before everything it may use is ready. On
        // failure what was made drops here, in reverse order.
        fail_point("the namespaces' stacks")?;
        let vnets = linux::vnet::Vnets::new()?;
        fail_point("the netdevice notifier")?;
        let netdev = linux::netdev::Netdev::new()?;
        fail_point("the SLIP line discipline")?;
        let slip = linux::slip::Slip::new()?;
        fail_point("/proc/bsdinet")?;
        let procfs = linux::procfs::Procfs::new()?;
        fail_point("/dev/bsdbpf")?;
        let bpf = linux::bpf::Bpf::new()?;
        let family = linux::socket::Registration::new()?;
        pr_info!(
            "AF_BSDINET ({}) registered, domain \"{}\"\n",
            INETDOMAIN.dom_family,
            INETDOMAIN.dom_name
        );
        for (i, pr) in INETDOMAIN.dom_protosw.iter().enumerate() {
            pr_info!(
                "inetsw[{}] type {} protocol {:3} {:<12} {}\n",
                i,
                pr.pr_type,
                pr.pr_protocol,
                pr.pr_name,
                if pr.pr_usrreq.is_some() { "ready" } else { "not built (EPROTONOSUPPORT)" }
            );
        }
        Ok(Bsdinet {
            _family: family,
            _bpf: bpf,
            _procfs: procfs,
            _slip: slip,
            _netdev: netdev,
            _vnets: vnets,
        })
    }
}
