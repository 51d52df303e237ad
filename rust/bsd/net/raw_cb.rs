//! Raw protocol control blocks (`net/raw_cb.h`, `net/raw_cb.c`; book
//! section 20.3 and 20.11).
//!
//! The control block of a socket of a raw protocol that has no protocol
//! control block of its own: in 4.4BSD the routing sockets (and ISO's
//! raw sockets). Each says which messages its socket wants: the family
//! of the domain (`sp_family`) and, when not 0, the protocol given to
//! socket() (`sp_protocol`; for routing sockets an address family).
//! The book's `rcb_laddr` and `rcb_faddr` are not kept: routing sockets
//! can be neither bound nor connected elsewhere, so every message comes
//! from the one source they are connected to, `route_src`.

use crate::bsd::kern::uipc_socket2::soreserve;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::Result;

/// Send buffer of a raw socket (`raw_sendspace`, `RAWSNDQ`).
pub const RAW_SENDSPACE: usize = 8192;
/// Receive buffer of a raw socket (`raw_recvspace`, `RAWRCVQ`).
pub const RAW_RECVSPACE: usize = 8192;

/// Which messages a raw socket wants (`struct sockproto`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockProto {
    /// The domain (`PF_ROUTE`, here AF_BSDROUTE); 0 matches nothing,
    /// which `route_output` uses to keep a message from its sender.
    pub sp_family: u16,
    /// The protocol; 0 for all.
    pub sp_protocol: u16,
}

/// A raw protocol control block (`struct rawcb`).
#[derive(Clone, Copy, Debug)]
pub struct Rawcb {
    /// The socket (`rcb_socket`).
    pub rcb_socket: usize,
    /// What it listens to (`rcb_proto`).
    pub rcb_proto: SockProto,
}

/// Attaches a control block to socket `so`, with the buffers of a raw
/// socket (`raw_attach`): `family` is the domain's, `proto` socket()'s
/// protocol.
pub fn raw_attach(st: &mut Stack, so: usize, family: u16, proto: u16) -> Result {
    soreserve(st, so, RAW_SENDSPACE, RAW_RECVSPACE)?;
    let rp =
        Rawcb { rcb_socket: so, rcb_proto: SockProto { sp_family: family, sp_protocol: proto } };
    let rp = st.rawcb.insert(rp)?;
    st.so(so).so_pcb = Some(rp);
    Ok(())
}

/// Detaches the control block `rp` from its socket and frees it
/// (`raw_detach`); `sofree` frees the socket once its descriptor is gone.
pub fn raw_detach(st: &mut Stack, rp: usize) {
    if let Some(cb) = st.rawcb.remove(rp) {
        if let Some(s) = st.sockets.get_mut(cb.rcb_socket) {
            s.so_pcb = None;
        }
    }
}
