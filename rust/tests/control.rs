//! Control data (book sections 16.7 and 23.7): what recvmsg() delivers
//! with IP_RECVDSTADDR, IP_RECVOPTS and IP_RECVRETOPTS, and what sendmsg()
//! accepts.

mod common;
use common::*;

use bsdinet::bsd::kern::uipc_mbuf::{m_freem, Mbuf};
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::{cmsgs, control_from_linux, sbcreatecontrol};
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::netinet::ip_output::*;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;

fn udp(st: &mut Stack) -> usize {
    socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::default(), 1).expect("udp socket")
}

fn on(st: &mut Stack, so: usize, name: i32) {
    sosetopt(st, so, IPPROTO_IP, name, &1i32.to_ne_bytes()).unwrap();
}

/// A control message as (level, type, data).
type Cmsg = (i32, i32, Vec<u8>);

/// Receives one datagram with its control messages.
fn recv_control(st: &mut Stack, so: usize) -> (Vec<u8>, Vec<Cmsg>) {
    let mut d = Dst { buf: Vec::new(), cap: 70_000 };
    let mut control = None;
    soreceive(st, so, &mut d, 0, Some(&mut control)).unwrap();
    let msgs = match control {
        Some(c) => {
            let v: Result<Vec<_>> =
                cmsgs(&c).map(|r| r.map(|(l, t, d)| (l, t, d.to_vec()))).collect();
            m_freem(&mut st.mbpool, c);
            v.unwrap()
        }
        None => vec![],
    };
    (d.buf, msgs)
}

fn sendmsg(st: &mut Stack, so: usize, to: &[u8], data: &[u8], control: &[u8]) -> Result {
    let c = control_from_linux(&mut st.mbpool, control)?;
    let r = sosend(st, so, Some(to), &mut Src(data), c);
    st.softint();
    r
}

/// A Linux cmsghdr with its data, padded to 8 bytes.
fn linux_cmsg(level: i32, ty: i32, data: &[u8]) -> Vec<u8> {
    let mut v = ((16 + data.len()) as u64).to_ne_bytes().to_vec();
    v.extend_from_slice(&level.to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(data);
    v.resize(v.len().next_multiple_of(8), 0);
    v
}

fn assert_no_mbufs(st: &Stack) {
    assert_eq!((st.mbpool.mbstat.m_mbufs, st.mbpool.mbstat.m_clusters), (0, 0));
}

#[test]
fn recvdstaddr_recvopts_and_retopts() {
    let mut st = stack();
    let (a, b) = (udp(&mut st), udp(&mut st));
    sobind(&mut st, b, &sin(LOCALHOST, 7000)).unwrap();
    // Nothing asked for: no control.
    send(&mut st, a, Some(&sin(LOCALHOST, 7000)), b"plain").unwrap();
    assert_eq!(recv_control(&mut st, b), (b"plain".to_vec(), vec![]));

    on(&mut st, b, IP_RECVDSTADDR);
    send(&mut st, a, Some(&sin(LOCALHOST, 7000)), b"dst").unwrap();
    let (data, msgs) = recv_control(&mut st, b);
    assert_eq!(data, b"dst");
    assert_eq!(msgs, vec![(IPPROTO_IP, IP_RECVDSTADDR, LOCALHOST.to_be_bytes().to_vec())]);

    // An empty datagram keeps its control and its place: the next one
    // comes next, with its own.
    send(&mut st, a, Some(&sin(LOCALHOST, 7000)), b"").unwrap();
    send(&mut st, a, Some(&sin(LOCALHOST, 7000)), b"next").unwrap();
    assert_eq!(recv_control(&mut st, b).0, b"");
    let (data, msgs) = recv_control(&mut st, b);
    assert_eq!((data.as_slice(), msgs.len()), (&b"next"[..], 1));

    // Record route: the receiver sees the options as they arrived; no
    // source route came, so there is no route back to report.
    let rr = [7, 7, 4, 0, 0, 0, 0, 0];
    sosetopt(&mut st, a, IPPROTO_IP, IP_OPTIONS, &rr).unwrap();
    on(&mut st, b, IP_RECVOPTS);
    on(&mut st, b, IP_RECVRETOPTS);
    send(&mut st, a, Some(&sin(LOCALHOST, 7000)), b"recorded").unwrap();
    let (data, msgs) = recv_control(&mut st, b);
    assert_eq!(data, b"recorded");
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!(msgs[0], (IPPROTO_IP, IP_RECVDSTADDR, LOCALHOST.to_be_bytes().to_vec()));
    assert_eq!(msgs[1], (IPPROTO_IP, IP_RECVOPTS, vec![7, 7, 8, 127, 0, 0, 1, 0]));

    // Linux numbers for the delivered types.
    assert_eq!(linux_ip_cmsgtype(IP_RECVDSTADDR), Some(BSDINET_IP_RECVDSTADDR));
    assert_eq!(linux_ip_cmsgtype(IP_RECVOPTS), Some(6));
    assert_eq!(linux_ip_cmsgtype(IP_RECVRETOPTS), Some(7));
    soclose(&mut st, a);
    soclose(&mut st, b);
    assert_no_mbufs(&st);
}

/// A raw datagram of protocol 253 from 127.0.0.1 to 127.0.0.1 carrying
/// a loose source route that is used up: it came by 127.0.0.9.
fn source_routed() -> Vec<u8> {
    let opt = [0x83, 7, 8, 127, 0, 0, 9, 0];
    let mut ip = vec![0x47, 0, 0, 0, 0, 1, 0, 0, 64, 253, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
    ip.extend_from_slice(&opt);
    ip.extend_from_slice(b"back");
    let len = ip.len() as u16;
    ip[2..4].copy_from_slice(&len.to_be_bytes());
    ip
}

#[test]
fn recvretopts_gives_the_route_back() {
    let mut st = stack();
    let r = raw(&mut st, 253);
    on(&mut st, r, IP_RECVRETOPTS);
    let s = raw(&mut st, 253);
    sosetopt(&mut st, s, IPPROTO_IP, IP_HDRINCL, &1i32.to_ne_bytes()).unwrap();
    send(&mut st, s, Some(&sin(LOCALHOST, 0)), &source_routed()).unwrap();
    let (data, msgs) = recv_control(&mut st, r);
    assert_eq!(&data[data.len() - 4..], b"back");
    // First hop 127.0.0.9 in front, as IP_OPTIONS takes it, then the
    // rest of the way: our source.
    assert_eq!(
        msgs,
        vec![(IPPROTO_IP, IP_RECVRETOPTS, vec![1, 0x83, 11, 4, 127, 0, 0, 9, 127, 0, 0, 1])]
    );
    sosetopt(&mut st, r, IPPROTO_IP, IP_OPTIONS, &msgs[0].2).unwrap();
    soclose(&mut st, r);
    soclose(&mut st, s);
    assert_no_mbufs(&st);
}

#[test]
fn control_on_raw_sockets_and_peek() {
    let mut st = stack();
    let r = raw(&mut st, 253);
    on(&mut st, r, IP_RECVDSTADDR);
    let s = raw(&mut st, 253);
    send(&mut st, s, Some(&sin(LOCALHOST, 0)), b"raw").unwrap();
    // A peek gets the control too, and leaves the datagram.
    let mut d = Dst { buf: Vec::new(), cap: 100 };
    let mut c: Option<Mbuf> = None;
    soreceive(&mut st, r, &mut d, MSG_PEEK, Some(&mut c)).unwrap();
    let c = c.expect("control on a peek");
    assert_eq!(cmsgs(&c).count(), 1);
    m_freem(&mut st.mbpool, c);
    let (data, msgs) = recv_control(&mut st, r);
    assert_eq!(&data[20..], b"raw");
    assert_eq!(msgs, vec![(IPPROTO_IP, IP_RECVDSTADDR, LOCALHOST.to_be_bytes().to_vec())]);
    soclose(&mut st, r);
    soclose(&mut st, s);
    assert_no_mbufs(&st);
}

#[test]
fn sendmsg_control_is_checked() {
    let mut st = stack();
    let (a, b) = (udp(&mut st), udp(&mut st));
    sobind(&mut st, b, &sin(LOCALHOST, 7001)).unwrap();
    let to = sin(LOCALHOST, 7001);
    // Another protocol's message is ignored, as Linux and BSD do.
    sendmsg(&mut st, a, &to, b"ok", &linux_cmsg(6, 1, &[1, 2, 3, 4])).unwrap();
    // One bsdinet would have to act on, and does not know, is EINVAL:
    // SCM_RIGHTS (Linux SOL_SOCKET 1, type 1) and an IP-level one.
    assert_eq!(sendmsg(&mut st, a, &to, b"x", &linux_cmsg(1, 1, &[0; 4])), Err(EINVAL));
    assert_eq!(sendmsg(&mut st, a, &to, b"x", &linux_cmsg(0, 2, &[0; 4])), Err(EINVAL));
    // Malformed: too short for a header, a length below the header's or
    // past the buffer, a second message cut short.
    assert_eq!(sendmsg(&mut st, a, &to, b"x", &[0; 10]), Err(EINVAL));
    let mut bad = linux_cmsg(6, 1, &[0; 4]);
    bad[..8].copy_from_slice(&8u64.to_ne_bytes());
    assert_eq!(sendmsg(&mut st, a, &to, b"x", &bad), Err(EINVAL));
    bad[..8].copy_from_slice(&64u64.to_ne_bytes());
    assert_eq!(sendmsg(&mut st, a, &to, b"x", &bad), Err(EINVAL));
    let mut two = linux_cmsg(6, 1, &[0; 4]);
    two.extend_from_slice(&linux_cmsg(6, 1, &[0; 4])[..12]);
    assert_eq!(sendmsg(&mut st, a, &to, b"x", &two), Err(EINVAL));
    // Too big for an mbuf, as the book's sockargs refuses.
    assert_eq!(sendmsg(&mut st, a, &to, b"x", &linux_cmsg(6, 1, &[0; 200])), Err(EINVAL));
    // Raw sockets check the same way.
    let r = raw(&mut st, 253);
    assert_eq!(sendmsg(&mut st, r, &to, b"x", &linux_cmsg(0, 2, &[0; 4])), Err(EINVAL));
    // Only the first datagram went out.
    assert_eq!(st.udpstat.udps_opackets, 1);
    assert_eq!(recv_control(&mut st, b).0, b"ok");
    for so in [a, b, r] {
        soclose(&mut st, so);
    }
    assert_no_mbufs(&st);
}

#[test]
fn sbcreatecontrol_limits() {
    let mut st = stack();
    let m = sbcreatecontrol(&mut st.mbpool, &[9; 96], 1, 2).unwrap();
    assert_eq!(cmsgs(&m).collect::<Result<Vec<_>>>().unwrap(), vec![(2, 1, &[9u8; 96][..])]);
    m_freem(&mut st.mbpool, m);
    assert_eq!(sbcreatecontrol(&mut st.mbpool, &[0; 97], 1, 2).err(), Some(EINVAL));
    assert_no_mbufs(&st);
}
