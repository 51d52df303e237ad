//! One instance of the stack: every piece of state hangs off `Stack`, so
//! that host tests can run several stacks side by side and the module can
//! keep one per network namespace. FreeBSD calls this a "vnet".

use crate::bsd::kern::uipc_socket::Socket;
use crate::bsd::net::if_::Ifnet;
use crate::bsd::netinet::in_pcb::Inpcb;
use crate::bsd::sys::slab::Slab;
use crate::platform::Vec;

/// A whole TCP/IP stack.
#[derive(Default)]
pub struct Stack {
    /// Every socket (`struct socket`), by index.
    pub sockets: Slab<Socket>,
    /// Every internet PCB, by index.
    pub inpcbs: Slab<Inpcb>,
    /// The interfaces (`ifnet`).
    pub ifnet: Vec<Ifnet>,
    /// Upcall arguments of sockets whose sleepers must be woken once the
    /// current request returns (filled by `sorwakeup`/`sowwakeup`).
    wakeups: Vec<usize>,
}

impl Stack {
    /// A stack with no interfaces and no sockets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Socket `so`; a missing socket is a bug in the stack itself.
    pub fn so(&mut self, so: usize) -> &mut Socket {
        self.sockets.get_mut(so).expect("no such socket")
    }

    /// PCB `inp`; a missing PCB is a bug in the stack itself.
    pub fn pcb(&mut self, inp: usize) -> &mut Inpcb {
        self.inpcbs.get_mut(inp).expect("no such pcb")
    }

    /// Asks the platform to wake the sleepers of socket `so`.
    pub fn wakeup(&mut self, so: usize) {
        let arg = self.so(so).so_upcallarg;
        if !self.wakeups.contains(&arg) {
            // If memory is short the wakeup is lost: sleepers also wake
            // on signals and timeouts, as BSD's tsleep callers do.
            let _ = self.wakeups.push(arg);
        }
    }

    /// Takes the pending wakeups, for the platform to deliver.
    pub fn take_wakeups(&mut self, mut f: impl FnMut(usize)) {
        while let Some(arg) = self.wakeups.pop() {
            f(arg);
        }
    }
}
