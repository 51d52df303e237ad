//! bsdinet: the 4.4BSD-Lite TCP/IP stack ("Net/3", *TCP/IP Illustrated,
//! Volume 2*) as a Linux kernel module that registers AF_BSDINET.
//!
//! `bsd/` is the stack (pure Rust, shared with the host tests); `linux/`
//! and `linux/glue.c` connect it to Linux. This file only registers.

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

struct Bsdinet {
    // Fields drop in order: /proc/bsdinet and the devices go before the
    // stack they use.
    _procfs: linux::procfs::Procfs,
    _netdev: linux::netdev::Netdev,
    _slip: linux::slip::Slip,
    _family: linux::socket::Registration,
}

impl kernel::Module for Bsdinet {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let family = linux::socket::Registration::new()?;
        // On failure what was made drops here, in reverse order.
        let netdev = linux::netdev::Netdev::new()?;
        let slip = linux::slip::Slip::new()?;
        let procfs = linux::procfs::Procfs::new()?;
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
        Ok(Bsdinet { _procfs: procfs, _netdev: netdev, _slip: slip, _family: family })
    }
}
