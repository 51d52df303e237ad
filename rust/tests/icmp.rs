//! IP input and output on lo0, raw IP, and ICMP (book chapters 8, 10, 11
//! and 32), driven through sockets as a user drives them.

mod common;
use common::*;

use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::SB_MAX;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::ip_icmp::*;

#[test]
fn ping_localhost() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    let req = icmp_msg(ICMP_ECHO, 0x1234, 1, b"hello, bsdinet");
    send(&mut st, so, Some(&sin(LOCALHOST, 0)), &req).unwrap();
    let (got, r) = recv(&mut st, so, 2048, 0).unwrap();
    assert_eq!(r.addr, Some(SockaddrIn::new(InAddr(LOCALHOST), 0)));
    // The reply, with its IP header as it arrived.
    let hlen = usize::from(got[0] & 0x0f) * 4;
    assert_eq!(hlen, 20);
    assert_eq!(u16::from_be_bytes([got[2], got[3]]) as usize, got.len());
    assert_eq!(got[8], 255, "replies go out with MAXTTL");
    assert_eq!(cksum(&got[..hlen]), 0);
    let icmp = &got[hlen..];
    assert_eq!(icmp[0], ICMP_ECHOREPLY);
    assert_eq!(cksum(icmp), 0);
    assert_eq!(&icmp[4..], &req[4..]);
    // Nothing else: the request itself is not given to raw sockets.
    assert!(recv(&mut st, so, 2048, 0).is_err());
    assert_eq!(st.icmpstat.icps_inhist[ICMP_ECHO as usize], 1);
    assert_eq!(st.icmpstat.icps_inhist[ICMP_ECHOREPLY as usize], 1);
    assert_eq!(st.icmpstat.icps_outhist[ICMP_ECHOREPLY as usize], 1);
    assert_eq!(st.icmpstat.icps_reflect, 1);
    assert_eq!(st.ipstat.ips_total, 2);
    assert_eq!(st.ipstat.ips_delivered, 2);
    assert_eq!(st.ipstat.ips_localout, 2);
    soclose(&mut st, so);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

#[test]
fn large_ping_is_fragmented_and_reassembled() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    st.so(so).so_rcv.sbreserve(70_000, SB_MAX).unwrap();
    st.so(so).so_snd.sbreserve(70_000, SB_MAX).unwrap();
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
    let req = icmp_msg(ICMP_ECHO, 7, 2, &data);
    send(&mut st, so, Some(&sin(LOCALHOST, 0)), &req).unwrap();
    let (got, _) = recv(&mut st, so, 70_000, 0).unwrap();
    assert_eq!(&got[20 + 8..], &data[..]);
    assert_eq!(st.ipstat.ips_fragmented, 2);
    assert_eq!(st.ipstat.ips_reassembled, 2);
    soclose(&mut st, so);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}

#[test]
fn ping_with_record_route() {
    use bsdinet::bsd::netinet::ip_options::ip_pcbopts;
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    let inp = st.so(so).so_pcb.unwrap();
    // NOP, then RR with room for 9 addresses, as ping -R asks.
    let mut opt = [0u8; 40];
    opt[..4].copy_from_slice(&[1, 7, 39, 4]);
    st.pcb(inp).inp_options = ip_pcbopts(&opt).unwrap();
    let req = icmp_msg(ICMP_ECHO, 9, 1, b"rr");
    send(&mut st, so, Some(&sin(LOCALHOST, 0)), &req).unwrap();
    let (got, _) = recv(&mut st, so, 2048, 0).unwrap();
    let hlen = usize::from(got[0] & 0x0f) * 4;
    assert_eq!(hlen, 60);
    assert_eq!(cksum(&got[..hlen]), 0);
    // The request recorded 127.0.0.1 on the way in; the reply, which
    // reflects the option, once more on its way back.
    let rr = &got[20..hlen];
    let at = rr.iter().position(|&b| b == 7).unwrap();
    assert_eq!(rr[at + 2], 4 + 2 * 4, "two slots used");
    assert_eq!(&rr[at + 3..at + 11], &[127, 0, 0, 1, 127, 0, 0, 1]);
    assert_eq!(got[hlen], ICMP_ECHOREPLY);
    soclose(&mut st, so);
    assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
}
