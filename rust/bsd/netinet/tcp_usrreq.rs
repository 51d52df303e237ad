//! TCP's user requests (`netinet/tcp_usrreq.c`; book chapter 30).

use crate::bsd::kern::uipc_domain::SockOpt;
use crate::bsd::kern::uipc_socket::Pru;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::{Result, EOPNOTSUPP};

/// TCP's `pr_usrreq` (`tcp_usrreq`).
pub fn tcp_usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
    crate::bsd::kern::uipc_socket::pru_notsupp(st, req)?;
    let _ = so;
    Err(EOPNOTSUPP)
}

/// TCP's `pr_ctloutput` (`tcp_ctloutput`).
pub fn tcp_ctloutput(st: &mut Stack, so: usize, op: SockOpt<'_>) -> Result<usize> {
    crate::bsd::netinet::ip_output::ip_ctloutput(st, so, op)
}
