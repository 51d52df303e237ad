//! Raw IP sockets (`netinet/raw_ip.c`; book chapter 32).
//!
//! The user requests are the book's `rip_usrreq`. Input (`rip_input`) and
//! output (`rip_output`) need IP and interfaces, which the datagram issue
//! brings; until then PRU_SEND answers EOPNOTSUPP after its checks.

use crate::bsd::kern::uipc_mbuf::m_freem;
use crate::bsd::kern::uipc_socket::{Pru, SS_ISCONNECTED, SS_PRIV};
use crate::bsd::kern::uipc_socket2::{socantsendmore, soisconnected, soreserve};
use crate::bsd::netinet::in_::{in_control, SockaddrIn, INADDR_ANY};
use crate::bsd::netinet::in_pcb::{
    in_pcballoc, in_pcbdetach, in_setpeeraddr, in_setsockaddr, InpHead,
};
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// Raw socket send buffer size (`rip_sendspace`).
pub const RIP_SENDSPACE: usize = 8192;
/// Raw socket receive buffer size (`rip_recvspace`).
pub const RIP_RECVSPACE: usize = 8192;

/// The user requests of raw IP sockets.
pub fn rip_usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
    if let Pru::Control { cmd, data, ifp, admin } = req {
        return in_control(st, cmd, data, ifp, admin);
    }
    let inp = st.so(so).so_pcb;
    let inp = match (inp, &req) {
        (None, Pru::Attach { .. }) => 0,
        (Some(_), Pru::Attach { .. }) | (None, _) => return Err(EINVAL),
        (Some(inp), _) => inp,
    };
    match req {
        Pru::Attach { proto } => {
            // Only a privileged user may see raw IP (CAP_NET_RAW).
            if st.so(so).so_state & SS_PRIV == 0 {
                return Err(EACCES);
            }
            soreserve(st.so(so), RIP_SENDSPACE, RIP_RECVSPACE)?;
            let inp = in_pcballoc(st, so, InpHead::Raw)?;
            // socket() accepted only 0..=255 (checked by the platform).
            st.inpcbs.get_mut(inp).expect("new pcb").inp_ip_p = proto as u8;
        }
        Pru::Detach => in_pcbdetach(st, inp),
        Pru::Bind(nam) => {
            let sin = SockaddrIn::parse(nam)?;
            if st.ifnet.is_empty()
                || (sin.sin_addr != INADDR_ANY && st.ifa_ifwithaddr(sin.sin_addr).is_none())
            {
                return Err(EADDRNOTAVAIL);
            }
            st.pcb(inp).inp_laddr = sin.sin_addr;
        }
        Pru::Connect(nam) => {
            let sin = SockaddrIn::parse(nam)?;
            if st.ifnet.is_empty() {
                return Err(EADDRNOTAVAIL);
            }
            st.pcb(inp).inp_faddr = sin.sin_addr;
            soisconnected(st, so);
        }
        // The book's raw disconnect falls through to PRU_DETACH, which
        // leaves a socket without a PCB that a later connect() cannot use;
        // like FreeBSD, forget the peer and keep the PCB.
        Pru::Disconnect => {
            if st.so(so).so_state & SS_ISCONNECTED == 0 {
                return Err(ENOTCONN);
            }
            st.pcb(inp).inp_faddr = INADDR_ANY;
            st.so(so).so_state &= !SS_ISCONNECTED;
        }
        Pru::Shutdown => socantsendmore(st, so),
        Pru::Send { data, nam } => {
            let r = if st.so(so).so_state & SS_ISCONNECTED != 0 {
                if nam.is_some() {
                    Err(EISCONN)
                } else {
                    Ok(())
                }
            } else {
                match nam {
                    Some(nam) => SockaddrIn::parse(nam).map(|_| ()),
                    None => Err(ENOTCONN),
                }
            };
            m_freem(&mut st.mbpool, data);
            // rip_output needs ip_output, which comes next.
            return r.and(Err(EOPNOTSUPP));
        }
        Pru::Sockaddr(out) => *out = in_setsockaddr(st.pcb(inp)),
        Pru::Peeraddr(out) => {
            if st.so(so).so_state & SS_ISCONNECTED == 0 {
                return Err(ENOTCONN);
            }
            *out = in_setpeeraddr(st.pcb(inp));
        }
        Pru::Listen => return Err(EOPNOTSUPP),
        Pru::Control { .. } => unreachable!("handled above"),
    }
    Ok(())
}
