//! Raw protocol input and user requests (`net/raw_usrreq.c`; book
//! sections 20.8, 20.10 and 20.11), for routing sockets.

use crate::bsd::kern::uipc_mbuf::{m_copy, m_freem, Mbuf, M_COPYALL};
use crate::bsd::kern::uipc_socket::{pru_notsupp, Pru};
use crate::bsd::kern::uipc_socket2::{
    free_record, socantsendmore, soisdisconnected, sorwakeup, Record,
};
use crate::bsd::net::raw_cb::{raw_attach, raw_detach, SockProto};
use crate::bsd::netinet::in_::SockaddrIn;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// A raw protocol's output (the book's `pr_output` of the protocol): it
/// owns the message `m` sent on socket `so`.
pub type RawOutput = fn(&mut Stack, m: Mbuf, so: usize) -> Result;

/// Hands message `m` to every raw socket that wants it (`raw_input`):
/// those of `proto`'s family whose protocol is 0 or `proto`'s. Each gets
/// a copy, the last one the message itself; a socket whose receive
/// buffer has no room loses it (counted in its `sb_drops`; the book
/// says "should notify about lost packet").
pub fn raw_input(st: &mut Stack, m: Mbuf, proto: SockProto) {
    let wants = |p: SockProto| {
        p.sp_family == proto.sp_family && (p.sp_protocol == 0 || p.sp_protocol == proto.sp_protocol)
    };
    // The next control block after `after` that wants the message.
    let next = |st: &Stack, after: Option<usize>| {
        st.rawcb
            .iter()
            .find(|&(i, rp)| after.is_none_or(|a| i > a) && wants(rp.rcb_proto))
            .map(|(i, rp)| (i, rp.rcb_socket))
    };
    let mut cur = next(st, None);
    while let Some((i, so)) = cur {
        cur = next(st, Some(i));
        if cur.is_none() {
            return raw_append(st, so, m);
        }
        if let Ok(n) = m_copy(&mut st.mbpool, &m, 0, M_COPYALL) {
            raw_append(st, so, n);
        }
    }
    m_freem(&mut st.mbpool, m);
}

/// Queues message `m` on socket `so` (the book's `sbappendaddr` with
/// `route_src`: the source of every routing message is the routing
/// domain itself, so the record carries no address).
fn raw_append(st: &mut Stack, so: usize, m: Mbuf) {
    let sb = &mut st.so(so).so_rcv;
    let r = Record { addr: None, control: None, data: Some(m) };
    let fits = r.data.as_ref().map_or(0, Mbuf::m_length) <= sb.sbspace();
    let r = if fits { sb.sbappendrecord(r) } else { Err(r) };
    match r {
        Ok(()) => sorwakeup(st, so),
        Err(r) => {
            st.so(so).so_rcv.sb_drops += 1;
            free_record(&mut st.mbpool, r);
        }
    }
}

/// The address the messages of domain `family` come from (`route_src`:
/// just the family).
pub fn raw_src(family: u16) -> SockaddrIn {
    SockaddrIn { sin_family: family, ..SockaddrIn::default() }
}

/// The user requests of raw sockets (`raw_usrreq`) of the domain of
/// `family`, whose messages go out through `output`.
///
/// A raw socket is connected to its domain from the start (the protocol
/// above, `route_usrreq`, says so at attach) and stays so: bind() is
/// EINVAL, connect() EISCONN, and a disconnect EOPNOTSUPP (the book
/// disconnects, after which the socket can neither send nor receive;
/// Linux's connect(AF_UNSPEC) would reach that). Unlike the book, which
/// answers EACCES to an unprivileged PRU_ATTACH, anyone may open one:
/// changes are checked where they are made (`route_output`), as FreeBSD
/// does.
pub fn raw_usrreq(
    st: &mut Stack,
    so: usize,
    req: Pru<'_>,
    family: u16,
    output: RawOutput,
) -> Result {
    if let Pru::Control { .. } = req {
        return Err(EOPNOTSUPP);
    }
    // Control information is not taken.
    if let Pru::Send { control: Some(c), .. } = &req {
        if c.m_length() != 0 {
            return pru_notsupp(st, req);
        }
    }
    let rp = st.so(so).so_pcb;
    let rp = match (rp, &req) {
        (None, Pru::Attach { .. }) => 0,
        (Some(_), Pru::Attach { .. }) | (None, _) => {
            return match req {
                Pru::Send { .. } | Pru::SendOob { .. } => pru_notsupp(st, req).map_err(|_| EINVAL),
                _ => Err(EINVAL),
            };
        }
        (Some(rp), _) => rp,
    };
    match req {
        Pru::Attach { proto } => {
            let proto = u16::try_from(proto).map_err(|_| EPROTONOSUPPORT)?;
            raw_attach(st, so, family, proto)?;
        }
        Pru::Detach => raw_detach(st, rp),
        Pru::Abort => {
            raw_detach(st, rp);
            soisdisconnected(st, so);
        }
        Pru::Bind(_) | Pru::Sockaddr(_) => return Err(EINVAL),
        Pru::Connect(_) => return Err(EISCONN),
        Pru::Disconnect => return Err(EOPNOTSUPP),
        Pru::Shutdown => socantsendmore(st, so),
        Pru::Send { data, nam, control } => {
            if let Some(c) = control {
                m_freem(&mut st.mbpool, c);
            }
            if nam.is_some() {
                m_freem(&mut st.mbpool, data);
                return Err(EISCONN);
            }
            return output(st, data, so);
        }
        Pru::Peeraddr(out) => *out = raw_src(family),
        req @ (Pru::Listen
        | Pru::Accept(_)
        | Pru::Rcvd { .. }
        | Pru::Rcvoob { .. }
        | Pru::SendOob { .. }
        // (PRU_CONTROL was answered above.)
        | Pru::Control { .. }) => return pru_notsupp(st, req),
    }
    Ok(())
}
