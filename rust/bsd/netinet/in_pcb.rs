//! Internet protocol control blocks (`netinet/in_pcb.h`, `in_pcb.c`; book
//! chapter 22).

use crate::bsd::netinet::in_::{InAddr, SockaddrIn};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::Result;

/// Which protocol's list a PCB is on (the book's list heads: `udb`,
/// `tcb`, `rawinpcb`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InpHead {
    Raw,
    Udp,
    Tcp,
}

/// An internet PCB (`struct inpcb`).
pub struct Inpcb {
    pub inp_head: InpHead,
    pub inp_faddr: InAddr,
    pub inp_fport: u16,
    pub inp_laddr: InAddr,
    pub inp_lport: u16,
    /// The socket this PCB belongs to.
    pub inp_socket: usize,
    /// Protocol in the IP header of a raw socket (`inp_ip.ip_p`).
    pub inp_ip_p: u8,
}

/// Makes a PCB for socket `so` on list `head` (`in_pcballoc`).
pub fn in_pcballoc(st: &mut Stack, so: usize, head: InpHead) -> Result<usize> {
    let inp = st.inpcbs.insert(Inpcb {
        inp_head: head,
        inp_faddr: InAddr(0),
        inp_fport: 0,
        inp_laddr: InAddr(0),
        inp_lport: 0,
        inp_socket: so,
        inp_ip_p: 0,
    })?;
    st.so(so).so_pcb = Some(inp);
    Ok(inp)
}

/// Frees a PCB and, with it, a socket whose descriptor is closed
/// (`in_pcbdetach`).
pub fn in_pcbdetach(st: &mut Stack, inp: usize) {
    if let Some(pcb) = st.inpcbs.remove(inp) {
        let so = pcb.inp_socket;
        st.so(so).so_pcb = None;
        crate::bsd::kern::uipc_socket::sofree(st, so);
    }
}

/// The local address of a PCB (`in_setsockaddr`).
pub fn in_setsockaddr(pcb: &Inpcb) -> SockaddrIn {
    SockaddrIn::new(pcb.inp_laddr, pcb.inp_lport)
}

/// The foreign address of a PCB (`in_setpeeraddr`).
pub fn in_setpeeraddr(pcb: &Inpcb) -> SockaddrIn {
    SockaddrIn::new(pcb.inp_faddr, pcb.inp_fport)
}
