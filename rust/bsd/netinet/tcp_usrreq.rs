//! TCP's user requests (`netinet/tcp_usrreq.c`; book chapter 30).

use crate::bsd::kern::uipc_domain::SockOpt;
use crate::bsd::kern::uipc_mbuf::m_freem;
use crate::bsd::kern::uipc_socket::*;
use crate::bsd::kern::uipc_socket2::*;
use crate::bsd::netinet::in_::{in_control, IPPROTO_TCP};
use crate::bsd::netinet::in_pcb::*;
use crate::bsd::netinet::ip_output::ip_ctloutput;
use crate::bsd::netinet::tcp::{TCP_MAXSEG, TCP_MAXWIN, TCP_MAX_WINSHIFT, TCP_NODELAY};
use crate::bsd::netinet::tcp_debug::{tcp_trace, TA_USER};
use crate::bsd::netinet::tcp_fsm::*;
use crate::bsd::netinet::tcp_output::tcp_output;
use crate::bsd::netinet::tcp_subr::*;
use crate::bsd::netinet::tcp_timer::{tcp_maxidle, TCPT_2MSL, TCPT_KEEP};
use crate::bsd::netinet::tcp_var::*;
use crate::bsd::stack::Stack;
use crate::bsd::sys::errno::*;

/// SO_LINGER's time when a socket asks to linger without saying how
/// long (`TCP_LINGERTIME`, seconds).
pub const TCP_LINGERTIME: i16 = 120;

/// TCP's `pr_usrreq` (`tcp_usrreq`, figures 30.1-30.11).
pub fn tcp_usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
    if let Pru::Control { cmd, data, ifp, admin } = req {
        return in_control(st, cmd, data, ifp, admin);
    }
    let inp = st.so(so).so_pcb;
    let req_no = req.number();
    // A socket without a PCB only attaches (the book answers EINVAL to
    // anything else, and frees what PRU_SEND brought).
    let inp = match (inp, &req) {
        (None, Pru::Attach { .. }) => return tcp_attach(st, so),
        (Some(_), Pru::Attach { .. }) => return Err(EISCONN),
        (None, _) => {
            let _ = pru_notsupp(st, req);
            return Err(EINVAL);
        }
        (Some(inp), _) => inp,
    };
    let Some(tp) = intotcpcb(st, inp) else {
        let _ = pru_notsupp(st, req);
        return Err(EINVAL);
    };
    let ostate = st.tp(tp).t_state;
    let mut tpo = Some(tp);
    let r = tcp_request(st, so, inp, tp, req, &mut tpo);
    if let Some(tp) = tpo {
        if st.tcpcbs.get(tp).is_some() {
            tcp_trace(st, TA_USER, ostate, Some(tp), None, req_no);
        }
    }
    r
}

/// The body of `tcp_usrreq` for a socket with its PCB and control block;
/// `tpo` becomes `None` when the request closed the connection.
fn tcp_request(
    st: &mut Stack,
    so: usize,
    inp: usize,
    tp: usize,
    req: Pru<'_>,
    tpo: &mut Option<usize>,
) -> Result {
    match req {
        Pru::Attach { .. } | Pru::Control { .. } => Err(EINVAL),
        // The descriptor is gone: disconnect, the connection living on
        // for its FIN or TIME_WAIT if established (figure 30.4).
        Pru::Detach => {
            *tpo = if st.tp(tp).t_state > TCPS_LISTEN {
                tcp_disconnect(st, tp)
            } else {
                tcp_close(st, tp)
            };
            Ok(())
        }
        Pru::Bind(nam) => in_pcbbind(st, inp, Some(nam)),
        Pru::Listen => {
            if st.pcb(inp).inp_lport == 0 {
                in_pcbbind(st, inp, None)?;
            }
            st.tp(tp).t_state = TCPS_LISTEN;
            Ok(())
        }
        Pru::Connect(nam) => tcp_connect(st, so, inp, tp, nam),
        // The peer's address for accept(); a connection reset before
        // accept() took it has none (ECONNABORTED, as FreeBSD).
        Pru::Accept(out) => {
            *out = in_setpeeraddr(st.pcb(inp));
            Ok(())
        }
        Pru::Disconnect => {
            *tpo = tcp_disconnect(st, tp);
            Ok(())
        }
        Pru::Shutdown => {
            socantsendmore(st, so);
            *tpo = tcp_usrclosed(st, tp);
            match *tpo {
                Some(tp) => tcp_output(st, tp),
                None => Ok(()),
            }
        }
        // The user took data: the window may open (figure 30.7).
        Pru::Rcvd { .. } => tcp_output(st, tp),
        Pru::Send { data, control, .. } => {
            // TCP takes no control messages (the book's EINVAL).
            if let Some(c) = control {
                let empty = c.m_length() == 0;
                m_freem(&mut st.mbpool, c);
                if !empty {
                    m_freem(&mut st.mbpool, data);
                    return Err(EINVAL);
                }
            }
            let (s, mp) = st.so_mbpool(so);
            if let Err(m) = s.so_snd.sbappend(mp, data) {
                m_freem(mp, m);
                return Err(ENOBUFS);
            }
            tcp_output(st, tp)
        }
        Pru::Abort => {
            *tpo = tcp_drop(st, tp, ECONNABORTED);
            Ok(())
        }
        Pru::Rcvoob { m, flags } => {
            let s = st.so(so);
            let (mark, atmark, inline) =
                (s.so_oobmark, s.so_state & SS_RCVATMARK != 0, s.so_options & SO_OOBINLINE != 0);
            let t = st.tp(tp);
            if (mark == 0 && !atmark) || inline || t.t_oobflags & TCPOOB_HADDATA != 0 {
                return Err(EINVAL);
            }
            if t.t_oobflags & TCPOOB_HAVEDATA == 0 {
                return Err(EWOULDBLOCK);
            }
            let byte = t.t_iobc;
            if flags & crate::bsd::sys::socket::MSG_PEEK == 0 {
                t.t_oobflags ^= TCPOOB_HAVEDATA | TCPOOB_HADDATA;
            }
            m.set_len(1)?;
            if let Some(d) = m.mtod_mut().and_then(|d| d.first_mut()) {
                *d = byte;
            }
            Ok(())
        }
        Pru::SendOob { data, control, .. } => {
            if let Some(c) = control {
                m_freem(&mut st.mbpool, c);
            }
            // The book lets urgent data overflow the buffer by 512 bytes.
            let (s, mp) = st.so_mbpool(so);
            if s.so_snd.sb_cc > s.so_snd.sb_hiwat + 512 {
                m_freem(mp, data);
                return Err(ENOBUFS);
            }
            if let Err(m) = s.so_snd.sbappend(mp, data) {
                m_freem(mp, m);
                return Err(ENOBUFS);
            }
            // The urgent pointer points just past the urgent byte (the
            // BSD convention, figure 30.9).
            let cc = s.so_snd.sb_cc as u32;
            let t = st.tp(tp);
            t.snd_up = t.snd_una.wrapping_add(cc);
            t.t_force = true;
            let r = tcp_output(st, tp);
            if let Some(t) = st.tcpcbs.get_mut(tp) {
                t.t_force = false;
            }
            r
        }
        Pru::Sockaddr(out) => {
            *out = in_setsockaddr(st.pcb(inp));
            Ok(())
        }
        Pru::Peeraddr(out) => {
            *out = in_setpeeraddr(st.pcb(inp));
            Ok(())
        }
    }
}

/// connect() (PRU_CONNECT, figure 30.5): bind if needed, set the peer,
/// the template and the window scale to ask for, then send the SYN.
fn tcp_connect(st: &mut Stack, so: usize, inp: usize, tp: usize, nam: &[u8]) -> Result {
    if st.pcb(inp).inp_lport == 0 {
        in_pcbbind(st, inp, None)?;
    }
    in_pcbconnect(st, inp, nam)?;
    let ti = tcp_template(st, tp);
    // Scale the window so that the whole receive buffer can be offered.
    let hiwat = st.so(so).so_rcv.sb_hiwat;
    let t = st.tp(tp);
    t.t_template = ti;
    while t.request_r_scale < TCP_MAX_WINSHIFT
        && ((TCP_MAXWIN as usize) << t.request_r_scale) < hiwat
    {
        t.request_r_scale += 1;
    }
    soisconnecting(st, so);
    st.tcpstat.tcps_connattempt += 1;
    let keepinit = st.tcp.tcp_keepinit;
    let p = st.pcb(inp);
    let (laddr, lport, faddr, fport) = (p.inp_laddr, p.inp_lport, p.inp_faddr, p.inp_fport);
    let iss = tcp_iss(st, laddr, lport, faddr, fport);
    let t = st.tp(tp);
    t.t_state = TCPS_SYN_SENT;
    t.t_timer[TCPT_KEEP] = keepinit;
    t.iss = iss;
    t.tcp_sendseqinit();
    tcp_output(st, tp)
}

/// Attaches TCP to a new socket (`tcp_attach`, figure 30.12): buffers,
/// PCB and control block.
pub fn tcp_attach(st: &mut Stack, so: usize) -> Result {
    let (snd, rcv) = (st.tcp.tcp_sendspace, st.tcp.tcp_recvspace);
    let s = st.so(so);
    if s.so_snd.sb_hiwat == 0 || s.so_rcv.sb_hiwat == 0 {
        soreserve(st, so, snd, rcv)?;
    }
    let inp = in_pcballoc(st, so, InpHead::Tcp)?;
    if let Err(e) = tcp_newtcpcb(st, inp) {
        // The book's in_pcbdetach with SS_NOFDREF cleared: the socket
        // itself stays for socreate to free.
        let nofdref = st.so(so).so_state & SS_NOFDREF;
        st.so(so).so_state &= !SS_NOFDREF;
        in_pcbdetach(st, inp);
        st.so(so).so_state |= nofdref;
        return Err(e);
    }
    let s = st.so(so);
    if s.so_options & SO_LINGER != 0 && s.so_linger == 0 {
        s.so_linger = TCP_LINGERTIME;
    }
    Ok(())
}

/// Starts closing the connection (`tcp_disconnect`, figure 30.13):
/// before it is established it just goes; with a zero linger it is
/// reset; otherwise the receive buffer is flushed and a FIN goes out
/// when the data before it has. Returns the control block, or `None`
/// when it was closed.
pub fn tcp_disconnect(st: &mut Stack, tp: usize) -> Option<usize> {
    let so = tcp_socket(st, tp)?;
    if st.tp(tp).t_state < TCPS_ESTABLISHED {
        return tcp_close(st, tp);
    }
    let s = st.so(so);
    if s.so_options & SO_LINGER != 0 && s.so_linger == 0 {
        return tcp_drop(st, tp, Errno(0));
    }
    soisdisconnecting(st, so);
    let (s, mp) = st.so_mbpool(so);
    s.so_rcv.sbflush(mp);
    let tp = tcp_usrclosed(st, tp)?;
    let _ = tcp_output(st, tp);
    Some(tp)
}

/// The user closed or shut down the sending side (`tcp_usrclosed`,
/// figure 30.14): the state moves toward sending a FIN. Returns the
/// control block, or `None` when it was closed.
pub fn tcp_usrclosed(st: &mut Stack, tp: usize) -> Option<usize> {
    let t = st.tp(tp);
    match t.t_state {
        TCPS_CLOSED | TCPS_LISTEN | TCPS_SYN_SENT => {
            t.t_state = TCPS_CLOSED;
            return tcp_close(st, tp);
        }
        TCPS_SYN_RECEIVED | TCPS_ESTABLISHED => t.t_state = TCPS_FIN_WAIT_1,
        TCPS_CLOSE_WAIT => t.t_state = TCPS_LAST_ACK,
        _ => {}
    }
    if st.tp(tp).t_state >= TCPS_FIN_WAIT_2 {
        if let Some(so) = tcp_socket(st, tp) {
            soisdisconnected(st, so);
        }
        // Closed after shutdown(SHUT_WR) had its FIN acknowledged: the
        // book starts FIN_WAIT_2's idle timer only when the ACK finds the
        // socket closed, so this connection would wait for the peer's FIN
        // for ever. Start it now (FreeBSD does).
        let maxidle = tcp_maxidle(st);
        let t = st.tp(tp);
        if t.t_state == TCPS_FIN_WAIT_2 && t.t_timer[TCPT_2MSL] == 0 {
            t.t_timer[TCPT_2MSL] = maxidle;
        }
    }
    Some(tp)
}

/// TCP's `pr_ctloutput` (`tcp_ctloutput`, figure 30.15): TCP_NODELAY
/// and TCP_MAXSEG; other levels go to IP.
pub fn tcp_ctloutput(st: &mut Stack, so: usize, op: SockOpt<'_>) -> Result<usize> {
    let level = match &op {
        SockOpt::Set { level, .. } | SockOpt::Get { level, .. } => *level,
    };
    if level != IPPROTO_TCP {
        return ip_ctloutput(st, so, op);
    }
    let Some(tp) = sototcpcb(st, so) else {
        return Err(ECONNRESET);
    };
    let t = st.tp(tp);
    match op {
        SockOpt::Set { name: TCP_NODELAY, val, .. } => {
            if sooptint(val)? != 0 {
                t.t_flags |= TF_NODELAY;
            } else {
                t.t_flags &= !TF_NODELAY;
            }
            Ok(0)
        }
        // The segment size may only shrink (the book's rule).
        SockOpt::Set { name: TCP_MAXSEG, val, .. } => {
            let v = sooptint(val)?;
            match u16::try_from(v) {
                Ok(v) if v > 0 && v <= t.t_maxseg => {
                    t.t_maxseg = v;
                    Ok(0)
                }
                _ => Err(EINVAL),
            }
        }
        SockOpt::Get { name: TCP_NODELAY, out, .. } => {
            let v = i32::from(t.t_flags & TF_NODELAY != 0);
            Ok(sooptcopyout(out, &v.to_ne_bytes()))
        }
        SockOpt::Get { name: TCP_MAXSEG, out, .. } => {
            Ok(sooptcopyout(out, &i32::from(t.t_maxseg).to_ne_bytes()))
        }
        _ => Err(ENOPROTOOPT),
    }
}
