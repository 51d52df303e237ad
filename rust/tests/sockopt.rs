//! Socket options (book chapter 17, and sections 8.8, 9.9 and 32.8):
//! `sosetopt`/`sogetopt`, `ip_ctloutput`, `rip_ctloutput`, and the map
//! from Linux's option numbers.

mod common;
use common::*;

use bsdinet::bsd::kern::uipc_domain::{Domain, Protosw, SockOpt, PR_ADDR, PR_ATOMIC};
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::kern::uipc_socket2::soreserve;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_pcb::*;
use bsdinet::bsd::netinet::ip_options::{IPOPT_LSRR, IPOPT_NOP, IPOPT_RR};
use bsdinet::bsd::netinet::ip_output::*;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use proptest::prelude::*;

fn int(v: i32) -> [u8; 4] {
    v.to_ne_bytes()
}

fn set(st: &mut Stack, so: usize, level: i32, name: i32, val: &[u8]) -> Result {
    sosetopt(st, so, level, name, val)
}

/// getsockopt() with a buffer of `cap` bytes.
fn get(st: &mut Stack, so: usize, level: i32, name: i32, cap: usize) -> Result<Vec<u8>> {
    let mut out = vec![0u8; cap];
    let n = sogetopt(st, so, level, name, &mut out)?;
    out.truncate(n);
    Ok(out)
}

fn get_int(st: &mut Stack, so: usize, level: i32, name: i32) -> Result<i32> {
    let b = get(st, so, level, name, 4)?;
    assert_eq!(b.len(), 4);
    Ok(i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

fn pcb(st: &mut Stack, so: usize) -> &mut Inpcb {
    let inp = st.so(so).so_pcb.expect("pcb");
    st.pcb(inp)
}

const FLAGS: [u16; 7] =
    [SO_DEBUG, SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_DONTROUTE, SO_BROADCAST, SO_OOBINLINE];

#[test]
fn flag_options_round_trip() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    for bit in FLAGS {
        let name = i32::from(bit);
        assert_eq!(get_int(&mut st, so, SOL_SOCKET, name), Ok(0));
        // Any nonzero int turns the option on; it reads as its bit.
        set(&mut st, so, SOL_SOCKET, name, &int(-7)).unwrap();
        assert_eq!(st.so(so).so_options & bit, bit);
        assert_eq!(get_int(&mut st, so, SOL_SOCKET, name), Ok(name));
        set(&mut st, so, SOL_SOCKET, name, &int(0)).unwrap();
        assert_eq!(st.so(so).so_options & bit, 0);
        assert_eq!(get_int(&mut st, so, SOL_SOCKET, name), Ok(0));
    }
    // Each option is its own bit.
    set(&mut st, so, SOL_SOCKET, i32::from(SO_BROADCAST), &int(1)).unwrap();
    set(&mut st, so, SOL_SOCKET, i32::from(SO_KEEPALIVE), &int(1)).unwrap();
    assert_eq!(st.so(so).so_options, SO_BROADCAST | SO_KEEPALIVE);
}

#[test]
fn values_too_short_are_einval_and_change_nothing() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    let names = [SO_SNDBUF, SO_RCVBUF, SO_SNDLOWAT, SO_RCVLOWAT];
    for name in FLAGS.iter().map(|&b| i32::from(b)).chain(names) {
        for len in 0..4 {
            assert_eq!(set(&mut st, so, SOL_SOCKET, name, &[1, 1, 1, 1][..len]), Err(EINVAL));
        }
    }
    assert_eq!(st.so(so).so_options, 0);
    assert_eq!(st.so(so).so_rcv.sb_hiwat, 8192);
    // Longer values are read for their first int, as Linux reads them.
    let mut long = int(1).to_vec();
    long.extend_from_slice(&[0xff; 100]);
    set(&mut st, so, SOL_SOCKET, i32::from(SO_DEBUG), &long).unwrap();
    assert_eq!(st.so(so).so_options, SO_DEBUG);
}

#[test]
fn linger() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    let linger = |on: i32, secs: i32| [int(on), int(secs)].concat();
    let name = i32::from(SO_LINGER);
    set(&mut st, so, SOL_SOCKET, name, &linger(1, 30)).unwrap();
    assert_eq!(st.so(so).so_linger, 30);
    assert_eq!(st.so(so).so_options, SO_LINGER);
    assert_eq!(get(&mut st, so, SOL_SOCKET, name, 8), Ok(linger(i32::from(SO_LINGER), 30)));
    set(&mut st, so, SOL_SOCKET, name, &linger(0, 5)).unwrap();
    assert_eq!(get(&mut st, so, SOL_SOCKET, name, 8), Ok(linger(0, 5)));
    // A struct linger is 8 bytes; the time must fit the book's short.
    assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(1)), Err(EINVAL));
    assert_eq!(set(&mut st, so, SOL_SOCKET, name, &linger(1, 30)[..7]), Err(EINVAL));
    assert_eq!(set(&mut st, so, SOL_SOCKET, name, &linger(1, -1)), Err(EINVAL));
    assert_eq!(set(&mut st, so, SOL_SOCKET, name, &linger(1, 32768)), Err(EINVAL));
    set(&mut st, so, SOL_SOCKET, name, &linger(1, 32767)).unwrap();
    assert_eq!(get(&mut st, so, SOL_SOCKET, name, 8), Ok(linger(i32::from(SO_LINGER), 32767)));
    // A short buffer gets the beginning.
    assert_eq!(get(&mut st, so, SOL_SOCKET, name, 4), Ok(int(i32::from(SO_LINGER)).to_vec()));
}

#[test]
fn buffer_sizes() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_RCVBUF), Ok(8192));
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_SNDBUF), Ok(8192));
    set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(65536)).unwrap();
    set(&mut st, so, SOL_SOCKET, SO_SNDBUF, &int(1000)).unwrap();
    assert_eq!(st.so(so).so_rcv.sb_hiwat, 65536);
    assert_eq!(st.so(so).so_snd.sb_hiwat, 1000);
    // The exact size, not Linux's double.
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_RCVBUF), Ok(65536));
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_SNDBUF), Ok(1000));
    // sbreserve refuses more than sb_max allows: ENOBUFS, as the book.
    for name in [SO_RCVBUF, SO_SNDBUF] {
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(1 << 20)), Err(ENOBUFS));
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(i32::MAX)), Err(ENOBUFS));
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(0)), Err(EINVAL));
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(-1)), Err(EINVAL));
    }
    assert_eq!(st.so(so).so_rcv.sb_hiwat, 65536);
    // The largest size sb_max allows.
    let max: i32 = 256 * 1024 * 2048 / (2048 + 128);
    set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(max)).unwrap();
    assert_eq!(set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(max + 1)), Err(ENOBUFS));
    // The stack's sb_max (net.bsdinet.socket.maxsockbuf) moves the limit:
    // 1 MiB is ENOBUFS at the book's 256 KiB and fits at 2 MiB, with the
    // storage limit (sb_mbmax) twice the size, up to sb_max.
    st.sb_max = 2 << 20;
    set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(1 << 20)).unwrap();
    assert_eq!(st.so(so).so_rcv.sb_hiwat, 1 << 20);
    assert_eq!(st.so(so).so_rcv.sb_mbmax, 2 << 20);
    let max2 = ((2usize << 20) * 2048 / (2048 + 128)) as i32;
    set(&mut st, so, SOL_SOCKET, SO_SNDBUF, &int(max2)).unwrap();
    assert_eq!(set(&mut st, so, SOL_SOCKET, SO_SNDBUF, &int(max2 + 1)), Err(ENOBUFS));
    st.sb_max = 256 * 1024;
    set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(max)).unwrap();
    // A bigger buffer takes a bigger datagram.
    let so2 = raw(&mut st, 253);
    let big = vec![7u8; 9000];
    assert_eq!(send(&mut st, so2, Some(&sin(LOCALHOST, 0)), &big), Err(EMSGSIZE));
    set(&mut st, so2, SOL_SOCKET, SO_SNDBUF, &int(10000)).unwrap();
    set(&mut st, so2, SOL_SOCKET, SO_RCVBUF, &int(20000)).unwrap();
    send(&mut st, so2, Some(&sin(LOCALHOST, 0)), &big).unwrap();
    let (got, _) = recv(&mut st, so2, 20000, 0).unwrap();
    assert_eq!(got.len(), 20 + big.len());
}

#[test]
fn low_water_marks() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_RCVLOWAT), Ok(1));
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_SNDLOWAT), Ok(2048));
    set(&mut st, so, SOL_SOCKET, SO_RCVLOWAT, &int(100)).unwrap();
    set(&mut st, so, SOL_SOCKET, SO_SNDLOWAT, &int(300)).unwrap();
    assert_eq!(st.so(so).so_rcv.sb_lowat, 100);
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_RCVLOWAT), Ok(100));
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_SNDLOWAT), Ok(300));
    // Never above the buffer's size, now or when the buffer shrinks.
    set(&mut st, so, SOL_SOCKET, SO_RCVLOWAT, &int(1 << 30)).unwrap();
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_RCVLOWAT), Ok(8192));
    set(&mut st, so, SOL_SOCKET, SO_SNDBUF, &int(200)).unwrap();
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_SNDLOWAT), Ok(200));
    for name in [SO_RCVLOWAT, SO_SNDLOWAT] {
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(0)), Err(EINVAL));
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(-5)), Err(EINVAL));
    }
    // The receive mark decides readability.
    set(&mut st, so, SOL_SOCKET, SO_RCVLOWAT, &int(1)).unwrap();
    assert!(!soreadiness(&mut st, so).0);
}

#[test]
fn type_and_error_are_read_only() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_TYPE), Ok(SOCK_RAW));
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_ERROR), Ok(0));
    st.so(so).so_error = ECONNREFUSED;
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_ERROR), Ok(ECONNREFUSED.0));
    // Reading the error clears it.
    assert_eq!(st.so(so).so_error, Errno(0));
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_ERROR), Ok(0));
    for name in [SO_TYPE, SO_ERROR] {
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(1)), Err(ENOPROTOOPT));
    }
}

#[test]
fn unknown_options_are_enoprotoopt() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    // The platform answers the timeouts itself.
    for name in [SO_SNDTIMEO, SO_RCVTIMEO, 0, 0x1009, -1, i32::MAX, i32::MIN] {
        assert_eq!(set(&mut st, so, SOL_SOCKET, name, &int(1)), Err(ENOPROTOOPT), "{name}");
        assert_eq!(get(&mut st, so, SOL_SOCKET, name, 4), Err(ENOPROTOOPT), "{name}");
    }
    // SO_ACCEPTCONN is listen()'s to set; SO_USELOOPBACK has no Linux
    // number but is the book's.
    assert_eq!(set(&mut st, so, SOL_SOCKET, i32::from(SO_ACCEPTCONN), &int(1)), Err(ENOPROTOOPT));
    set(&mut st, so, SOL_SOCKET, i32::from(SO_USELOOPBACK), &int(1)).unwrap();
    // Levels raw IP does not know, and IP options it does not have.
    for level in [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_RAW, 1234, -1] {
        assert_eq!(set(&mut st, so, level, IP_TTL, &int(1)), Err(ENOPROTOOPT));
        assert_eq!(get(&mut st, so, level, IP_TTL, 4), Err(ENOPROTOOPT));
    }
    for name in [IP_RETOPTS, 0, 99, -3] {
        assert_eq!(set(&mut st, so, IPPROTO_IP, name, &[0; 16]), Err(ENOPROTOOPT), "{name}");
    }
    for name in [0, 99] {
        assert_eq!(get(&mut st, so, IPPROTO_IP, name, 16), Err(ENOPROTOOPT), "{name}");
    }
    // The multicast options are chapter 12's (tests/mcast.rs): the
    // memberships cannot be read (EOPNOTSUPP, the book's answer).
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_ADD_MEMBERSHIP, 16), Err(EOPNOTSUPP));
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_MULTICAST_TTL, 16), Ok(int(1).to_vec()));
}

#[test]
fn short_get_buffers_truncate() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(0x1234)).unwrap();
    assert_eq!(get(&mut st, so, SOL_SOCKET, SO_RCVBUF, 2), Ok(int(0x1234)[..2].to_vec()));
    assert_eq!(get(&mut st, so, SOL_SOCKET, SO_RCVBUF, 0), Ok(vec![]));
    set(&mut st, so, IPPROTO_IP, IP_TTL, &int(9)).unwrap();
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_TTL, 1), Ok(vec![9]));
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_TTL, 100), Ok(int(9).to_vec()));
}

#[test]
fn ttl_and_tos() {
    let mut st = stack();
    let so = raw(&mut st, 253);
    assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_TTL), Ok(64));
    assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_TOS), Ok(0));
    for ttl in [1, 17, 255] {
        set(&mut st, so, IPPROTO_IP, IP_TTL, &int(ttl)).unwrap();
        assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_TTL), Ok(ttl));
    }
    for bad in [0, 256, -2, i32::MIN, i32::MAX] {
        assert_eq!(set(&mut st, so, IPPROTO_IP, IP_TTL, &int(bad)), Err(EINVAL));
    }
    assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_TTL), Ok(255));
    // -1: the default, as in Linux.
    set(&mut st, so, IPPROTO_IP, IP_TTL, &int(-1)).unwrap();
    assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_TTL), Ok(64));
    for tos in [0, 0x10, 0xff] {
        set(&mut st, so, IPPROTO_IP, IP_TOS, &int(tos)).unwrap();
        assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_TOS), Ok(tos));
    }
    for bad in [256, -1] {
        assert_eq!(set(&mut st, so, IPPROTO_IP, IP_TOS, &int(bad)), Err(EINVAL));
    }
    for name in [IP_TTL, IP_TOS] {
        assert_eq!(set(&mut st, so, IPPROTO_IP, name, &[1, 0, 0]), Err(EINVAL));
        assert_eq!(set(&mut st, so, IPPROTO_IP, name, &[]), Err(EINVAL));
    }
    // Outgoing datagrams carry them.
    set(&mut st, so, IPPROTO_IP, IP_TTL, &int(33)).unwrap();
    set(&mut st, so, IPPROTO_IP, IP_TOS, &int(0x10)).unwrap();
    send(&mut st, so, Some(&sin(LOCALHOST, 0)), b"hello").unwrap();
    let (got, _) = recv(&mut st, so, 100, 0).unwrap();
    assert_eq!((got[1], got[8]), (0x10, 33));
}

#[test]
fn receive_flags() {
    let mut st = stack();
    let so = raw(&mut st, IPPROTO_ICMP);
    for (name, bit) in [
        (IP_RECVOPTS, INP_RECVOPTS),
        (IP_RECVRETOPTS, INP_RECVRETOPTS),
        (IP_RECVDSTADDR, INP_RECVDSTADDR),
    ] {
        assert_eq!(get_int(&mut st, so, IPPROTO_IP, name), Ok(0));
        set(&mut st, so, IPPROTO_IP, name, &int(42)).unwrap();
        assert_eq!(pcb(&mut st, so).inp_flags & bit, bit);
        assert_eq!(get_int(&mut st, so, IPPROTO_IP, name), Ok(1));
        set(&mut st, so, IPPROTO_IP, name, &int(0)).unwrap();
        assert_eq!(pcb(&mut st, so).inp_flags & bit, 0);
        assert_eq!(set(&mut st, so, IPPROTO_IP, name, &[1]), Err(EINVAL));
    }
}

#[test]
fn ip_options_record_route() {
    let mut st = stack();
    let so = raw(&mut st, 253);
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 44), Ok(vec![]));
    // Room for two addresses; a NOP in front aligns them.
    let rr = [IPOPT_NOP, IPOPT_RR, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0];
    set(&mut st, so, IPPROTO_IP, IP_OPTIONS, &rr).unwrap();
    let opt = pcb(&mut st, so).inp_options.expect("options stored");
    assert_eq!(opt.ipopt_dst, INADDR_ANY);
    assert_eq!(opt.options(), &rr);
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 44), Ok(rr.to_vec()));
    // Cut short to the caller's buffer.
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 3), Ok(rr[..3].to_vec()));
    // Sent with every datagram; lo0 records its address on the way in.
    send(&mut st, so, Some(&sin(LOCALHOST, 0)), b"data").unwrap();
    let (got, _) = recv(&mut st, so, 100, 0).unwrap();
    assert_eq!(usize::from(got[0] & 0x0f) * 4, 32);
    assert_eq!(&got[20..24], &[IPOPT_NOP, IPOPT_RR, 11, 8]);
    assert_eq!(&got[24..28], &LOCALHOST.to_be_bytes());
    assert_eq!(&got[32..], b"data");
    // Options that do not end with a multiple of 4 are padded.
    let odd = [IPOPT_RR, 7, 4, 0, 0, 0, 0];
    set(&mut st, so, IPPROTO_IP, IP_OPTIONS, &odd).unwrap();
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 44), Ok([&odd[..], &[0]].concat()));
    // No options turns them off.
    set(&mut st, so, IPPROTO_IP, IP_OPTIONS, &[]).unwrap();
    assert!(pcb(&mut st, so).inp_options.is_none());
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 44), Ok(vec![]));
}

#[test]
fn ip_options_source_route_and_errors() {
    let mut st = stack();
    let so = raw(&mut st, 253);
    // ->10.0.0.1->10.0.0.2: the first hop leaves the option for
    // ipopt_dst, and comes back in front when read.
    let lsrr = [IPOPT_NOP, IPOPT_LSRR, 11, 4, 10, 0, 0, 1, 10, 0, 0, 2];
    set(&mut st, so, IPPROTO_IP, IP_OPTIONS, &lsrr).unwrap();
    let opt = pcb(&mut st, so).inp_options.expect("options stored");
    assert_eq!(opt.ipopt_dst, InAddr(0x0a00_0001));
    assert_eq!(opt.options(), &[IPOPT_NOP, IPOPT_LSRR, 7, 4, 10, 0, 0, 2]);
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 44), Ok(lsrr.to_vec()));
    // Bad options leave the old ones.
    let bad: [&[u8]; 5] = [
        &[IPOPT_RR, 1, 4, 0],   // length below 2
        &[IPOPT_RR, 9, 4, 0],   // beyond the value
        &[IPOPT_LSRR, 3, 4, 0], // a source route with no first hop
        &[IPOPT_RR],            // no length
        &[IPOPT_NOP; 41],       // more than a header holds
    ];
    for b in bad {
        assert_eq!(set(&mut st, so, IPPROTO_IP, IP_OPTIONS, b), Err(EINVAL), "{b:?}");
    }
    assert_eq!(set(&mut st, so, IPPROTO_IP, IP_OPTIONS, &[IPOPT_NOP; 300]), Err(EINVAL));
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 44), Ok(lsrr.to_vec()));
    // 40 bytes is the most.
    set(&mut st, so, IPPROTO_IP, IP_OPTIONS, &[IPOPT_NOP; 40]).unwrap();
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_OPTIONS, 100), Ok(vec![IPOPT_NOP; 40]));
}

#[test]
fn hdrincl_on_raw_sockets() {
    let mut st = stack();
    let so = raw(&mut st, 253);
    assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_HDRINCL), Ok(0));
    set(&mut st, so, IPPROTO_IP, IP_HDRINCL, &int(1)).unwrap();
    assert_eq!(pcb(&mut st, so).inp_flags & INP_HDRINCL, INP_HDRINCL);
    assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_HDRINCL), Ok(1));
    // Now the user gives the header: 10 bytes cannot be one.
    assert_eq!(send(&mut st, so, Some(&sin(LOCALHOST, 0)), &[0x45; 10]), Err(EINVAL));
    // A header of our own: TTL 99, protocol 253, to 127.0.0.1.
    let mut h = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 99, 253, 0, 0];
    h.extend_from_slice(&LOCALHOST.to_be_bytes());
    h.extend_from_slice(&LOCALHOST.to_be_bytes());
    h.extend_from_slice(b"mine");
    send(&mut st, so, Some(&sin(LOCALHOST, 0)), &h).unwrap();
    let (got, _) = recv(&mut st, so, 100, 0).unwrap();
    assert_eq!((got.len(), got[8], &got[20..]), (24, 99, &b"mine"[..]));
    set(&mut st, so, IPPROTO_IP, IP_HDRINCL, &int(0)).unwrap();
    assert_eq!(pcb(&mut st, so).inp_flags & INP_HDRINCL, 0);
    assert_eq!(get_int(&mut st, so, IPPROTO_IP, IP_HDRINCL), Ok(0));
    assert_eq!(set(&mut st, so, IPPROTO_IP, IP_HDRINCL, &[1, 0]), Err(EINVAL));
    // At another level the name is someone else's.
    assert_eq!(set(&mut st, so, IPPROTO_RAW, IP_HDRINCL, &int(1)), Err(ENOPROTOOPT));
    assert_eq!(pcb(&mut st, so).inp_flags & INP_HDRINCL, 0);
}

#[test]
fn linux_numbers_map_to_the_books() {
    // asm-generic/socket.h
    let so = [
        (1, i32::from(SO_DEBUG)),
        (2, i32::from(SO_REUSEADDR)),
        (3, SO_TYPE),
        (4, SO_ERROR),
        (5, i32::from(SO_DONTROUTE)),
        (6, i32::from(SO_BROADCAST)),
        (7, SO_SNDBUF),
        (8, SO_RCVBUF),
        (9, i32::from(SO_KEEPALIVE)),
        (10, i32::from(SO_OOBINLINE)),
        (13, i32::from(SO_LINGER)),
        (15, i32::from(SO_REUSEPORT)),
        (18, SO_RCVLOWAT),
        (19, SO_SNDLOWAT),
    ];
    for (linux, bsd) in so {
        assert_eq!(linux_so_optname(linux), Some(bsd));
    }
    // Timeouts are Linux's own; SO_PRIORITY, SO_BINDTODEVICE... are not
    // bsdinet's.
    for linux in [0, 11, 12, 14, 16, 17, 20, 21, 25, 66, 67, -1] {
        assert_eq!(linux_so_optname(linux), None);
    }
    // linux/in.h, and bsdinet's own IP_RECVDSTADDR.
    let ip = [
        (1, IP_TOS),
        (2, IP_TTL),
        (3, IP_HDRINCL),
        (4, IP_OPTIONS),
        (6, IP_RECVOPTS),
        (7, IP_RECVRETOPTS),
        (32, IP_MULTICAST_IF),
        (36, IP_DROP_MEMBERSHIP),
        (1007, IP_RECVDSTADDR),
    ];
    for (linux, bsd) in ip {
        assert_eq!(linux_ip_optname(linux), Some(bsd));
    }
    for linux in [0, 5, 8, 10, 52, 207, -1] {
        assert_eq!(linux_ip_optname(linux), None);
    }
    assert_eq!(BSDINET_IP_RECVDSTADDR, 1007);
}

// A protocol that records the options it is told, to check what the
// socket layer passes on.
mod testproto {
    use super::*;
    use std::sync::Mutex;

    pub static TOLD: Mutex<Vec<(i32, i32, Vec<u8>)>> = Mutex::new(Vec::new());

    pub static SW: [Protosw; 2] = [
        Protosw {
            pr_type: SOCK_DGRAM,
            pr_flags: PR_ATOMIC | PR_ADDR,
            pr_name: "test",
            pr_usrreq: Some(usrreq),
            pr_ctloutput: Some(ctloutput),
            ..Protosw::NONE
        },
        Protosw {
            pr_type: SOCK_RAW,
            pr_flags: PR_ATOMIC | PR_ADDR,
            pr_name: "test without options",
            pr_usrreq: Some(usrreq),
            ..Protosw::NONE
        },
    ];
    pub static DOMAIN: Domain = Domain { dom_family: 98, dom_name: "test", dom_protosw: &SW };

    fn usrreq(st: &mut Stack, so: usize, req: Pru<'_>) -> Result {
        match req {
            Pru::Attach { .. } => {
                soreserve(st, so, 1000, 1000)?;
                st.so(so).so_pcb = Some(usize::MAX);
            }
            Pru::Detach => st.so(so).so_pcb = None,
            _ => return Err(EOPNOTSUPP),
        }
        Ok(())
    }

    fn ctloutput(_st: &mut Stack, _so: usize, op: SockOpt<'_>) -> Result<usize> {
        match op {
            SockOpt::Set { level, name, val } => {
                TOLD.lock().unwrap().push((level, name, val.to_vec()));
                if level == 77 {
                    return Err(EADDRINUSE);
                }
                Ok(0)
            }
            SockOpt::Get { level: 77, out, .. } => Ok(sooptcopyout(out, b"seventy-seven")),
            SockOpt::Get { .. } => Err(ENOPROTOOPT),
        }
    }
}

#[test]
fn protocols_are_told_of_socket_options() {
    let mut st = Stack::new();
    let so = socreate(&mut st, &testproto::DOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).unwrap();
    let told = || std::mem::take(&mut *testproto::TOLD.lock().unwrap());
    set(&mut st, so, SOL_SOCKET, i32::from(SO_REUSEADDR), &int(1)).unwrap();
    set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(500)).unwrap();
    // Failed options are not passed on.
    assert_eq!(set(&mut st, so, SOL_SOCKET, SO_RCVBUF, &int(0)), Err(EINVAL));
    assert_eq!(set(&mut st, so, SOL_SOCKET, 0x4321, &int(1)), Err(ENOPROTOOPT));
    assert_eq!(
        told(),
        [
            (SOL_SOCKET, i32::from(SO_REUSEADDR), int(1).to_vec()),
            (SOL_SOCKET, SO_RCVBUF, int(500).to_vec())
        ]
    );
    // Other levels are the protocol's, errors included.
    assert_eq!(set(&mut st, so, 77, 5, b"xyz"), Err(EADDRINUSE));
    assert_eq!(told(), [(77, 5, b"xyz".to_vec())]);
    assert_eq!(get(&mut st, so, 77, 5, 7), Ok(b"seventy".to_vec()));
    // getsockopt(SOL_SOCKET) is the socket layer's alone.
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, SO_RCVBUF), Ok(500));
    assert!(told().is_empty());
    soclose(&mut st, so);

    // Without pr_ctloutput, only SOL_SOCKET exists.
    let so = socreate(&mut st, &testproto::DOMAIN, SOCK_RAW, 0, Cred::ROOT, 1).unwrap();
    set(&mut st, so, SOL_SOCKET, i32::from(SO_DEBUG), &int(1)).unwrap();
    assert_eq!(get_int(&mut st, so, SOL_SOCKET, i32::from(SO_DEBUG)), Ok(1));
    assert_eq!(set(&mut st, so, IPPROTO_IP, IP_TTL, &int(1)), Err(ENOPROTOOPT));
    assert_eq!(get(&mut st, so, IPPROTO_IP, IP_TTL, 4), Err(ENOPROTOOPT));
    soclose(&mut st, so);
}

proptest! {
    /// Whatever the caller passes, the answer is a value or an errno.
    #[test]
    fn any_option_any_value_never_panics(
        level in prop::sample::select(vec![SOL_SOCKET, IPPROTO_IP, IPPROTO_RAW, 6, -1]),
        name in prop_oneof![-2..1100i32, Just(i32::MIN), Just(i32::MAX)],
        val in prop::collection::vec(any::<u8>(), 0..300),
        cap in 0..300usize,
    ) {
        let mut st = stack();
        let so = raw(&mut st, 253);
        // The multicast options answer the book's errors too, and the
        // MRT_* of chapter 14 theirs (this is not an IGMP socket).
        match set(&mut st, so, level, name, &val) {
            Ok(()) | Err(EINVAL) | Err(ENOPROTOOPT) | Err(ENOBUFS) => {}
            Err(EADDRNOTAVAIL | EADDRINUSE | ETOOMANYREFS | EOPNOTSUPP) => {}
            Err(e) => prop_assert!(false, "set: {e:?}"),
        }
        let mut out = vec![0u8; cap];
        match sogetopt(&mut st, so, level, name, &mut out) {
            Ok(n) => prop_assert!(n <= cap),
            Err(e) => prop_assert!(e == ENOPROTOOPT || e == EOPNOTSUPP, "get: {e:?}"),
        }
        // The socket still sends with whatever options it now has.
        let _ = send(&mut st, so, Some(&sin(LOCALHOST, 0)), b"x");
        soclose(&mut st, so);
        prop_assert_eq!(st.mbpool.mbstat.m_mbufs, 0);
    }
}
