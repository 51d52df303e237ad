//! SLIP (`net/if_sl.c`): framing (any datagram survives encoding and
//! decoding, no line noise panics or leaks a bad frame upward), and two
//! stacks joined by a simulated serial line: datagrams both ways, the
//! interactive queue, header compression, bad input counted, close.

mod common;

use bsdinet::bsd::kern::kern_stats::{render, StatsFile};
use bsdinet::bsd::kern::uipc_socket::*;
use bsdinet::bsd::net::if_::*;
use bsdinet::bsd::net::if_sl::*;
use bsdinet::bsd::net::route::RTF_HOST;
use bsdinet::bsd::net::slcompress::*;
use bsdinet::bsd::netinet::in_::*;
use bsdinet::bsd::netinet::in_proto::INETDOMAIN;
use bsdinet::bsd::netinet::ip_output::IP_TOS;
use bsdinet::bsd::stack::Stack;
use bsdinet::bsd::sys::errno::*;
use bsdinet::bsd::sys::socket::*;
use bsdinet::bsd::sys::sockio::*;
use bsdinet::platform::Vec as PVec;
use common::*;
use proptest::prelude::*;

fn encode(pkt: &[u8], idle: bool) -> Vec<u8> {
    let mut out = PVec::new();
    sl_encode(pkt, idle, &mut out).unwrap();
    out.to_vec()
}

/// Feeds `line` to `d`: the frames delivered, and the errors seen.
fn decode(d: &mut SlDecoder, line: &[u8]) -> (Vec<Vec<u8>>, usize) {
    let (mut frames, mut errors) = (Vec::new(), 0);
    for &c in line {
        match d.input(c) {
            SlInput::Frame(f) => frames.push(f.to_vec()),
            SlInput::Error => errors += 1,
            SlInput::More => {}
        }
    }
    (frames, errors)
}

#[test]
fn escapes_as_rfc1055() {
    let pkt = [0x45, FRAME_END, 1, FRAME_ESCAPE, 2];
    assert_eq!(
        encode(&pkt, true),
        [
            FRAME_END,
            0x45,
            FRAME_ESCAPE,
            TRANS_FRAME_END,
            1,
            FRAME_ESCAPE,
            TRANS_FRAME_ESCAPE,
            2,
            FRAME_END
        ]
    );
    // Not idle: no opening END.
    assert_eq!(encode(&[1, 2, 3], false), [1, 2, 3, FRAME_END]);
    let mut d = SlDecoder::new().unwrap();
    assert_eq!(decode(&mut d, &encode(&pkt, true)), (vec![pkt.to_vec()], 0));
}

#[test]
fn short_frames_are_ignored_and_long_ones_are_errors() {
    let mut d = SlDecoder::new().unwrap();
    // Fewer than 3 bytes: ignored, as the book (not an error).
    assert_eq!(decode(&mut d, &[FRAME_END, 1, 2, FRAME_END]), (vec![], 0));
    // Longer than SLMAX: one error, and the next frame is whole.
    let mut line = vec![0x45; SLMAX + 10];
    line.push(FRAME_END);
    line.extend_from_slice(&encode(&[7, 8, 9], false));
    assert_eq!(decode(&mut d, &line), (vec![vec![7, 8, 9]], 1));
    assert_eq!(d.ierrors, 1);
    // Exactly SLMAX fits.
    let max = vec![0x45; SLMAX];
    assert_eq!(decode(&mut d, &encode(&max, true)), (vec![max], 0));
}

#[test]
fn escape_before_end_is_an_error() {
    let mut d = SlDecoder::new().unwrap();
    assert_eq!(decode(&mut d, &[1, 2, 3, FRAME_ESCAPE, FRAME_END]), (vec![], 1));
    // An escape before any other byte keeps the byte (the book's way).
    assert_eq!(decode(&mut d, &[1, 2, FRAME_ESCAPE, 9, FRAME_END]), (vec![vec![1, 2, 9]], 0));
}

#[test]
fn a_line_that_goes_quiet_mid_frame() {
    let mut d = SlDecoder::new().unwrap();
    decode(&mut d, &[1, 2, 3, 4]);
    d.flush();
    assert_eq!(d.ierrors, 1);
    // The next frame is not glued to the old bytes.
    assert_eq!(decode(&mut d, &encode(&[5, 6, 7], true)), (vec![vec![5, 6, 7]], 0));
    // Quiet between frames is not an error.
    d.flush();
    assert_eq!(d.ierrors, 1);
}

proptest! {
    /// Any sequence of datagrams survives, back to back or with idle
    /// ENDs between them.
    #[test]
    fn datagrams_round_trip(pkts in prop::collection::vec(
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x45, FRAME_END, FRAME_ESCAPE, TRANS_FRAME_END, TRANS_FRAME_ESCAPE, 0xff]), 3..400), 1..8),
        idle in any::<bool>())
    {
        let mut line = Vec::new();
        for p in &pkts {
            line.extend(encode(p, idle));
        }
        let mut d = SlDecoder::new().unwrap();
        let (frames, errors) = decode(&mut d, &line);
        prop_assert_eq!(errors, 0);
        prop_assert_eq!(frames, pkts);
    }

    /// Noise never panics, every frame delivered is at least 3 bytes and
    /// at most SLMAX, and a clean frame after the noise gets through.
    #[test]
    fn noise_is_safe(noise in prop::collection::vec(any::<u8>(), 0..5000)) {
        let mut d = SlDecoder::new().unwrap();
        let (frames, _) = decode(&mut d, &noise);
        prop_assert!(frames.iter().all(|f| f.len() >= 3 && f.len() <= SLMAX));
        let (after, _) = decode(&mut d, &encode(&[0x45, 0, 1, 2], true));
        prop_assert_eq!(after.last(), Some(&vec![0x45, 0, 1, 2]));
    }
}

// ---- Two stacks on a line.

const fn ip4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}
const ADDR: [u32; 2] = [ip4(10, 9, 0, 1), ip4(10, 9, 0, 2)];
/// The tty handles of the two ends.
const TTY: [usize; 2] = [0x100, 0x200];

/// Two stacks whose sl0s are joined by a line.
struct Line {
    st: [Stack; 2],
    ifp: [usize; 2],
    /// How many bytes each end's line takes per run; None: all.
    room: [Option<usize>; 2],
    /// Every byte each end wrote.
    sent: [Vec<u8>; 2],
}

fn ifreq(name: &str) -> [u8; IFREQ_LEN] {
    let mut r = [0u8; IFREQ_LEN];
    r[..name.len()].copy_from_slice(name.as_bytes());
    r
}

/// Sets `flags` on interface `name` as ifconfig does.
fn set_flags(st: &mut Stack, name: &str, flags: u16) {
    let so = socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).unwrap();
    let mut r = ifreq(name);
    set_ifr_int(&mut r, IFR_UNION, 2, i32::from(flags)).unwrap();
    ifioctl(st, so, SIOCSIFFLAGS, &mut r, true).unwrap();
    soclose(st, so);
}

fn line() -> Line {
    let mk = |i: usize| {
        let mut st = stack();
        let ifp = slopen(&mut st, TTY[i]).unwrap();
        assert_eq!(st.ifnet.get(ifp).unwrap().if_name.as_bytes(), b"sl0");
        let mut req = [0u8; IFALIASREQ_LEN];
        req[..3].copy_from_slice(b"sl0");
        set_sockaddr_at(&mut req, IFRA_ADDR, &SockaddrIn::new(InAddr(ADDR[i]), 0)).unwrap();
        set_sockaddr_at(&mut req, IFRA_BROADADDR, &SockaddrIn::new(InAddr(ADDR[1 - i]), 0))
            .unwrap();
        in_control(&mut st, SIOCAIFADDR, &mut req, Some(ifp), true).unwrap();
        let flags = st.if_flags(ifp);
        set_flags(&mut st, "sl0", flags | IFF_UP);
        (st, ifp)
    };
    let ((a, ia), (b, ib)) = (mk(0), mk(1));
    Line { st: [a, b], ifp: [ia, ib], room: [None, None], sent: [Vec::new(), Vec::new()] }
}

impl Line {
    /// Carries bytes both ways until neither end has more to send.
    fn run(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for i in 0..2 {
                self.st[i].softint();
                let room = self.room[i];
                let mut out = Vec::new();
                slstart(&mut self.st[i], TTY[i], true, |b| {
                    let n = room.map_or(b.len(), |r| r.saturating_sub(out.len()).min(b.len()));
                    out.extend_from_slice(&b[..n]);
                    n
                });
                if !out.is_empty() {
                    moved = true;
                    self.sent[i].extend_from_slice(&out);
                    slinput(&mut self.st[1 - i], TTY[1 - i], &out, None);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the line never went quiet");
    }

    fn data(&self, i: usize) -> IfData {
        self.st[i].ifnet.get(self.ifp[i]).unwrap().if_data
    }

    /// The frames end `i` sent, unframed.
    fn frames(&self, i: usize) -> Vec<Vec<u8>> {
        decode(&mut SlDecoder::new().unwrap(), &self.sent[i]).0
    }
}

fn udp(st: &mut Stack, port: u16) -> usize {
    let so = socreate(st, &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).unwrap();
    sobind(st, so, &sin(0, port)).unwrap();
    so
}

fn drain(st: &mut Stack, so: usize) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| recv(st, so, 70000, MSG_DONTWAIT).ok().map(|(d, _)| d)).collect()
}

fn close_all(l: &mut Line, socks: &[(usize, usize)]) {
    for &(i, so) in socks {
        soclose(&mut l.st[i], so);
    }
    for (st, tty) in l.st.iter_mut().zip(TTY) {
        slclose(st, tty);
        assert!(st.sl_softc.is_empty());
        assert!(ifunit(st, b"sl0").is_none());
        assert_no_leaks(st);
    }
}

#[test]
fn ping_and_udp_both_ways() {
    let mut l = line();
    // The address brought the host route to the other end.
    let rt = l.st[0].rtable.rn_lookup(InAddr(ADDR[1]), InAddr(!0)).unwrap();
    assert!(l.st[0].rt(rt).rt_flags & RTF_HOST != 0);
    let ping = raw(&mut l.st[0], IPPROTO_ICMP);
    send(&mut l.st[0], ping, Some(&sin(ADDR[1], 0)), &icmp_msg(8, 1, 1, b"slip")).unwrap();
    l.run();
    let (reply, _) = recv(&mut l.st[0], ping, 1000, MSG_DONTWAIT).unwrap();
    assert_eq!((reply[20], &reply[28..]), (0, &b"slip"[..]));
    let rx = [udp(&mut l.st[0], 7), udp(&mut l.st[1], 7)];
    for i in 0..2 {
        let d = vec![i as u8 + 1; 250];
        send(&mut l.st[i], rx[i], Some(&sin(ADDR[1 - i], 7)), &d).unwrap();
    }
    l.run();
    for i in 0..2 {
        assert_eq!(drain(&mut l.st[1 - i], rx[1 - i]), vec![vec![i as u8 + 1; 250]]);
    }
    // A frame on an idle line opens with FRAME_END.
    assert_eq!(l.sent[0][0], FRAME_END);
    // Every frame is a datagram, and the line counts are the bytes sent.
    assert_eq!((l.data(0).ifi_opackets, l.data(1).ifi_ipackets), (2, 2));
    assert_eq!(l.data(0).ifi_obytes, l.sent[0].len() as u64);
    assert_eq!(l.data(1).ifi_ibytes, l.sent[0].len() as u64);
    assert_eq!(l.data(1).ifi_ierrors, 0);
    // A datagram larger than SLMTU goes in fragments.
    send(&mut l.st[0], rx[0], Some(&sin(ADDR[1], 7)), &[9; 1000]).unwrap();
    l.run();
    assert_eq!(drain(&mut l.st[1], rx[1]), vec![vec![9; 1000]]);
    assert!(l.frames(0).iter().all(|f| f.len() <= SLMTU));
    close_all(&mut l, &[(0, ping), (0, rx[0]), (1, rx[1])]);
}

#[test]
fn the_other_end_moves_with_siocsifdstaddr() {
    let mut l = line();
    let so = socreate(&mut l.st[0], &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).unwrap();
    let mut r = ifreq("sl0");
    let other = ip4(10, 9, 0, 9);
    set_sockaddr_at(&mut r, IFR_UNION, &SockaddrIn::new(InAddr(other), 0)).unwrap();
    ifioctl(&mut l.st[0], so, SIOCSIFDSTADDR, &mut r, true).unwrap();
    // The host route follows: to the new end, none to the old one.
    let st = &mut l.st[0];
    assert!(st.rtable.rn_lookup(InAddr(ADDR[1]), InAddr(!0)).is_none());
    let rt = st.rtable.rn_lookup(InAddr(other), InAddr(!0)).unwrap();
    assert!(st.rt(rt).rt_flags & RTF_HOST != 0);
    let mut g = ifreq("sl0");
    ifioctl(st, so, SIOCGIFDSTADDR, &mut g, true).unwrap();
    assert_eq!(g[IFR_UNION + 4..IFR_UNION + 8], other.to_be_bytes());
    soclose(st, so);
    close_all(&mut l, &[]);
}

#[test]
fn the_abort_sequence_closes_the_line_in_debug_mode() {
    let mut l = line();
    let esc = |l: &mut Line| slinput(&mut l.st[1], TTY[1], &[ABT_ESC], None);
    let secs = |l: &mut Line, n: u64| (0..n * 10).for_each(|_| l.st[1].tick());
    // Without IFF_DEBUG, ESCs are line noise.
    for _ in 0..3 {
        esc(&mut l);
        secs(&mut l, 2);
    }
    assert!(ifunit(&l.st[1], b"sl0").is_some());
    set_flags(&mut l.st[1], "sl0", IFF_UP | IFF_DEBUG);
    // Three ESCs close together count once; other bytes start over.
    secs(&mut l, 2);
    esc(&mut l);
    esc(&mut l);
    esc(&mut l);
    secs(&mut l, 2);
    esc(&mut l);
    secs(&mut l, 2);
    slinput(&mut l.st[1], TTY[1], b"x", None);
    secs(&mut l, 2);
    esc(&mut l);
    secs(&mut l, 2);
    esc(&mut l);
    assert!(ifunit(&l.st[1], b"sl0").is_some());
    // Too slow: the window closes on the first.
    secs(&mut l, ABT_WINDOW);
    esc(&mut l);
    assert!(ifunit(&l.st[1], b"sl0").is_some());
    secs(&mut l, 2);
    esc(&mut l);
    secs(&mut l, 2);
    esc(&mut l);
    assert!(ifunit(&l.st[1], b"sl0").is_none(), "three ESCs, a second apart, close it");
    assert!(l.st[1].sl_softc.is_empty());
    assert_eq!(bsdinet::platform::take_log(), ["sl0: abort sequence, line closed"]);
    slclose(&mut l.st[0], TTY[0]);
    assert_no_leaks(&l.st[1]);
}

#[test]
fn units_and_errors_at_open() {
    let mut st = stack();
    assert_eq!(slopen(&mut st, 0), Err(EBUSY));
    let a = slopen(&mut st, 1).unwrap();
    assert_eq!(slopen(&mut st, 1), Err(EBUSY));
    let b = slopen(&mut st, 2).unwrap();
    assert_eq!(st.ifnet.get(b).unwrap().if_name.as_bytes(), b"sl1");
    let d = st.ifnet.get(a).unwrap();
    assert_eq!((d.if_kind, d.if_data.ifi_mtu), (IfKind::Slip, SLMTU as u32));
    assert_eq!(d.if_flags, IFF_POINTOPOINT | SC_AUTOCOMP | IFF_MULTICAST);
    // The lowest free unit is used again.
    slclose(&mut st, 1);
    let c = slopen(&mut st, 3).unwrap();
    assert_eq!(st.ifnet.get(c).unwrap().if_name.as_bytes(), b"sl0");
    assert_eq!(sl_ttyp(&st, c), Some(3));
    slclose(&mut st, 2);
    slclose(&mut st, 3);
    slclose(&mut st, 3);
    assert!(st.sl_softc.is_empty());
}

/// The IP type of service byte of each frame.
fn tos_of(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.iter().map(|f| f[1]).collect()
}

#[test]
fn interactive_datagrams_overtake_bulk_ones() {
    let mut l = line();
    let bulk = udp(&mut l.st[0], 0);
    let fast = udp(&mut l.st[0], 0);
    sosetopt(&mut l.st[0], fast, IPPROTO_IP, IP_TOS, &0x10i32.to_ne_bytes()).unwrap();
    let rx = udp(&mut l.st[1], 7);
    // The line is stuck: the first bulk datagram is half written when
    // the interactive ones come.
    l.room[0] = Some(100);
    for n in 0..5u8 {
        send(&mut l.st[0], bulk, Some(&sin(ADDR[1], 7)), &[b'b', n].repeat(100)).unwrap();
        if n == 0 {
            l.room[0] = Some(0);
            l.run();
        }
    }
    for n in 0..2u8 {
        send(&mut l.st[0], fast, Some(&sin(ADDR[1], 7)), &[b'f', n]).unwrap();
    }
    l.room[0] = None;
    l.run();
    let got: Vec<(u8, u8)> = drain(&mut l.st[1], rx).iter().map(|d| (d[0], d[1])).collect();
    assert_eq!(got, [(b'b', 0), (b'f', 0), (b'f', 1), (b'b', 1), (b'b', 2), (b'b', 3), (b'b', 4)]);
    assert_eq!(tos_of(&l.frames(0)), [0, 0x10, 0x10, 0, 0, 0, 0]);
    assert_eq!(l.st[0].sl_softc.iter().next().unwrap().1.sc_fastsent, 2);
    // A full queue is ENOBUFS, counted.
    l.room[0] = Some(0);
    let r: Vec<Result> =
        (0..60).map(|_| send(&mut l.st[0], bulk, Some(&sin(ADDR[1], 7)), b"x")).collect();
    assert!(r.contains(&Err(ENOBUFS)));
    assert!(l.data(0).ifi_oerrors > 0);
    close_all(&mut l, &[(0, bulk), (0, fast), (1, rx)]);
}

/// A TCP segment of connection `port` with sequence number `seq`, ACK
/// only, and `data`, as an IP datagram from `src` to `dst` (id `id`).
fn tcp_segment(src: u32, dst: u32, id: u16, port: u16, seq: u32, data: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0];
    p[2..4].copy_from_slice(&((40 + data.len()) as u16).to_be_bytes());
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&src.to_be_bytes());
    p.extend_from_slice(&dst.to_be_bytes());
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&port.to_be_bytes());
    t[2..4].copy_from_slice(&80u16.to_be_bytes());
    t[4..8].copy_from_slice(&seq.to_be_bytes());
    t[8..12].copy_from_slice(&1000u32.to_be_bytes());
    t[12] = 5 << 4;
    t[13] = 0x10;
    t[14..16].copy_from_slice(&8192u16.to_be_bytes());
    // The TCP checksum, over the pseudo-header, header and data.
    let mut ph = Vec::new();
    ph.extend_from_slice(&src.to_be_bytes());
    ph.extend_from_slice(&dst.to_be_bytes());
    ph.extend_from_slice(&[0, 6]);
    ph.extend_from_slice(&((20 + data.len()) as u16).to_be_bytes());
    ph.extend_from_slice(&t);
    ph.extend_from_slice(data);
    let sum = cksum(&ph);
    t[16..18].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(&t);
    p.extend_from_slice(data);
    let s = cksum(&p[..20]);
    p[10..12].copy_from_slice(&s.to_be_bytes());
    p
}

#[test]
fn tcp_headers_are_compressed_when_asked() {
    let mut l = line();
    // Only end 0 asks (link0); end 1 has SC_AUTOCOMP, so it answers in
    // kind after the first uncompressed TCP frame.
    let f = l.st[0].if_flags(l.ifp[0]);
    set_flags(&mut l.st[0], "sl0", f | SC_COMPRESS);
    // A raw socket sends the segments, the header written by the sender
    // (IP_HDRINCL); the receiver's TCP checks them (and answers each
    // with a RST, as no connection is theirs: RSTs go uncompressed).
    let tx = raw(&mut l.st[0], IPPROTO_TCP);
    sosetopt(&mut l.st[0], tx, IPPROTO_IP, 2, &1i32.to_ne_bytes()).unwrap();
    let mut segs = Vec::new();
    for n in 0..6u32 {
        let seg = tcp_segment(ADDR[0], ADDR[1], 100 + n as u16, 1234, 1 + 10 * n, b"0123456789");
        send(&mut l.st[0], tx, Some(&sin(ADDR[1], 0)), &seg).unwrap();
        segs.push(seg);
    }
    l.run();
    let frames = l.frames(0);
    let types: Vec<u8> = frames.iter().map(|f| sl_frame_type(f[0])).collect();
    assert_eq!(types[0], TYPE_UNCOMPRESSED_TCP);
    assert!(types[1..].iter().all(|&t| t == TYPE_COMPRESSED_TCP));
    // A compressed frame is the data and a few bytes of header.
    assert!(frames[1..].iter().all(|f| f.len() < 10 + 10));
    // The receiver rebuilt every segment: TCP found each checksum good
    // (it covers the addresses, the whole header and the data).
    let ts = &l.st[1].tcpstat;
    assert_eq!((ts.tcps_rcvtotal, ts.tcps_rcvbadsum, ts.tcps_rcvbadoff), (6, 0, 0));
    assert_eq!(segs.len(), 6);
    assert!(l.st[1].if_flags(l.ifp[1]) & SC_COMPRESS != 0, "autocomp turned compression on");
    let comp = &l.st[1].sl_softc.iter().next().unwrap().1.sc_comp;
    assert_eq!((comp.sls_uncompressedin, comp.sls_compressedin), (1, 5));
    // /proc/bsdinet/sl shows the counters.
    let text = render(&l.st[0], StatsFile::Sl).unwrap();
    let text = String::from_utf8(text.to_vec()).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].starts_with("name fastq fastq_drops fastsent sls_packets sls_compressed"));
    // (sls_searches counts slots looked at: all 15 others for the first.)
    assert_eq!(rows[1], "sl0 0 0 0 6 5 15 1 0 0 0 0");
    // Without SC_COMPRESS or SC_AUTOCOMP a compressed frame is an error.
    set_flags(&mut l.st[1], "sl0", IFF_UP);
    let before = l.data(1).ifi_ierrors;
    let seg = tcp_segment(ADDR[0], ADDR[1], 106, 1234, 61, b"0123456789");
    send(&mut l.st[0], tx, Some(&sin(ADDR[1], 0)), &seg).unwrap();
    l.run();
    assert_eq!(l.data(1).ifi_ierrors, before + 1);
    assert_eq!(l.st[1].tcpstat.tcps_rcvtotal, 6);
    close_all(&mut l, &[(0, tx)]);
}

#[test]
fn noicmp_drops_icmp() {
    let mut l = line();
    let f = l.st[0].if_flags(l.ifp[0]);
    set_flags(&mut l.st[0], "sl0", f | SC_NOICMP);
    let ping = raw(&mut l.st[0], IPPROTO_ICMP);
    let r = send(&mut l.st[0], ping, Some(&sin(ADDR[1], 0)), &icmp_msg(8, 1, 1, b"x"));
    assert_eq!(r, Err(ENETRESET));
    l.run();
    assert!(l.sent[0].is_empty());
    close_all(&mut l, &[(0, ping)]);
}

/// End 1's input errors after feeding it `bytes` (with `flags`).
fn feed(l: &mut Line, bytes: &[u8], flags: Option<&[u8]>) -> u64 {
    let before = l.data(1).ifi_ierrors;
    slinput(&mut l.st[1], TTY[1], bytes, flags);
    l.st[1].softint();
    l.data(1).ifi_ierrors - before
}

#[test]
fn bad_input_is_counted() {
    let mut l = line();
    let rx = udp(&mut l.st[1], 7);
    let tx = udp(&mut l.st[0], 0);
    // Longer than end 1's MTU.
    assert_eq!(feed(&mut l, &encode(&[0x45; SLMTU + 1], true), None), 1);
    // ESC then END.
    assert_eq!(feed(&mut l, &[FRAME_END, 0x45, 1, 2, FRAME_ESCAPE, FRAME_END], None), 1);
    // A byte the line marked bad (a parity error, say).
    assert_eq!(feed(&mut l, &encode(&[0x45; 30], true), Some(&[0, 0, 1])), 1);
    // Not IP, nor TCP the stack could decompress.
    assert_eq!(feed(&mut l, &encode(&[0x10; 30], true), None), 1);
    assert_eq!(feed(&mut l, &encode(&[0xc5; 30], true), None), 1);
    // A line that goes quiet mid-frame: counted after SL_QUIET_TICKS.
    assert_eq!(feed(&mut l, &[FRAME_END, 0x45, 0, 0, 28], None), 0);
    for _ in 0..SL_QUIET_TICKS + 10 {
        l.st[1].tick();
    }
    assert_eq!(l.data(1).ifi_ierrors, 6);
    // Garbage that is an IP-looking frame is IP's to drop (bad header).
    feed(&mut l, &encode(&[0x45; 30], true), None);
    assert_eq!(l.st[1].ipstat.ips_badsum + l.st[1].ipstat.ips_badlen, 1);
    // After all that, a datagram gets through whole.
    send(&mut l.st[0], tx, Some(&sin(ADDR[1], 7)), b"still here").unwrap();
    l.run();
    assert_eq!(drain(&mut l.st[1], rx), vec![b"still here".to_vec()]);
    // A datagram while the interface is down is dropped, counted.
    set_flags(&mut l.st[1], "sl0", 0);
    send(&mut l.st[0], tx, Some(&sin(ADDR[1], 7)), b"down").unwrap();
    l.run();
    assert_eq!(l.data(1).ifi_iqdrops, 1);
    assert!(drain(&mut l.st[1], rx).is_empty());
    close_all(&mut l, &[(0, tx), (1, rx)]);
}

#[test]
fn the_mtu_can_be_changed() {
    let mut l = line();
    for i in 0..2 {
        let so = socreate(&mut l.st[i], &INETDOMAIN, SOCK_DGRAM, 0, Cred::ROOT, 1).unwrap();
        let mut r = ifreq("sl0");
        set_ifr_int(&mut r, IFR_UNION, 4, 1006).unwrap();
        ifioctl(&mut l.st[i], so, SIOCSIFMTU, &mut r, true).unwrap();
        soclose(&mut l.st[i], so);
    }
    let rx = udp(&mut l.st[1], 7);
    let tx = udp(&mut l.st[0], 0);
    send(&mut l.st[0], tx, Some(&sin(ADDR[1], 7)), &[7; 978]).unwrap();
    l.run();
    assert_eq!(drain(&mut l.st[1], rx), vec![vec![7; 978]]);
    assert_eq!(l.frames(0).len(), 1);
    close_all(&mut l, &[(0, tx), (1, rx)]);
}

#[test]
fn close_with_datagrams_queued_and_a_frame_half_sent() {
    let mut l = line();
    let tx = udp(&mut l.st[0], 0);
    let fast = udp(&mut l.st[0], 0);
    sosetopt(&mut l.st[0], fast, IPPROTO_IP, IP_TOS, &0x10i32.to_ne_bytes()).unwrap();
    l.room[0] = Some(10);
    for _ in 0..20 {
        send(&mut l.st[0], tx, Some(&sin(ADDR[1], 7)), &[1; 200]).unwrap();
        send(&mut l.st[0], fast, Some(&sin(ADDR[1], 7)), &[2; 20]).unwrap();
    }
    l.room[0] = Some(0);
    l.run();
    // End 1 is mid-frame too.
    assert_eq!(l.data(1).ifi_ipackets, 0);
    soclose(&mut l.st[0], tx);
    soclose(&mut l.st[0], fast);
    for i in 0..2 {
        slclose(&mut l.st[i], TTY[i]);
        assert!(l.st[i].rtable.rn_lookup(InAddr(ADDR[1 - i]), InAddr(!0)).is_none());
        assert!(l.st[i].in_ifaddr.iter().all(|ia| ia.ia_addr != InAddr(ADDR[i])));
        assert_no_leaks(&l.st[i]);
    }
    // Input for a closed line is ignored.
    slinput(&mut l.st[1], TTY[1], &[1, 2, 3], None);
    let mut out = 0;
    slstart(&mut l.st[0], TTY[0], true, |b| {
        out += b.len();
        b.len()
    });
    assert_eq!(out, 0);
}

proptest! {
    /// Whatever the line brings (in any chunks, with any bytes marked
    /// bad), nothing panics, nothing leaks, and every frame is counted
    /// once: as a datagram or as an error.
    #[test]
    fn line_noise_into_a_stack(chunks in prop::collection::vec(
        (prop::collection::vec(prop::sample::select(vec![0u8, 0x45, 0x75, 0x85, 0xff, FRAME_END, FRAME_ESCAPE, TRANS_FRAME_END, TRANS_FRAME_ESCAPE, 28, 5]), 0..400),
         prop::option::of(prop::collection::vec(0u8..4, 0..400))), 0..20))
    {
        let mut l = line();
        for (bytes, flags) in &chunks {
            slinput(&mut l.st[1], TTY[1], bytes, flags.as_deref());
            l.st[1].softint();
        }
        let d = l.data(1);
        let ends = chunks.iter().flat_map(|(b, _)| b).filter(|&&c| c == FRAME_END).count() as u64;
        prop_assert!(d.ifi_ipackets + d.ifi_ierrors <= ends);
        for _ in 0..SL_QUIET_TICKS + 10 {
            l.st[1].tick();
        }
        l.run();
        close_all(&mut l, &[]);
    }
}

/// BPF on sl0 (book section 31.5): each frame with its direction and the
/// header as it crossed the line (compressed TCP included), the datagram
/// whole; closing the line ends the capture.
#[test]
fn bpf_sees_directions_and_compressed_headers() {
    use bsdinet::bsd::net::bpf::*;
    let mut l = line();
    let f = l.st[0].if_flags(l.ifp[0]);
    set_flags(&mut l.st[0], "sl0", f | SC_COMPRESS);
    let d = bpfopen(&mut l.st[0], 5).unwrap();
    let mut r = ifreq("sl0");
    bpfioctl(&mut l.st[0], d, BIOCSETIF, &mut r).unwrap();
    let mut dlt = [0u8; 4];
    bpfioctl(&mut l.st[0], d, BIOCGDLT, &mut dlt).unwrap();
    assert_eq!(u32::from_ne_bytes(dlt), DLT_SLIP);
    let ping = raw(&mut l.st[0], IPPROTO_ICMP);
    send(&mut l.st[0], ping, Some(&sin(ADDR[1], 0)), &icmp_msg(8, 1, 1, b"slip")).unwrap();
    l.run();
    let tx = raw(&mut l.st[0], IPPROTO_TCP);
    sosetopt(&mut l.st[0], tx, IPPROTO_IP, 2, &1i32.to_ne_bytes()).unwrap();
    let mut segs = Vec::new();
    for n in 0..3u32 {
        let seg = tcp_segment(ADDR[0], ADDR[1], 100 + n as u16, 1234, 1 + 10 * n, b"0123456789");
        send(&mut l.st[0], tx, Some(&sin(ADDR[1], 0)), &seg).unwrap();
        segs.push(seg);
    }
    l.run();
    let BpfRead::Data(buf, len) = bpf_read_take(&mut l.st[0], d, BPF_BUFSIZE, true).unwrap() else {
        panic!("nothing captured")
    };
    let recs: Vec<(u8, u8, Vec<u8>)> = bpf_records(&buf[..len])
        .map(|(_, p)| (p[SLX_DIR], p[SLX_CHDR], p[SLIP_HDRLEN..].to_vec()))
        .collect();
    bpf_read_done(&mut l.st[0], d, buf);
    let outs: Vec<_> = recs.iter().filter(|r| r.0 == SLIPDIR_OUT).collect();
    let ins: Vec<_> = recs.iter().filter(|r| r.0 == SLIPDIR_IN).collect();
    // The echo request and the three segments out; the reply (and the
    // receiver's answers to the segments) in.
    assert_eq!(outs.len(), 4);
    assert!(!ins.is_empty());
    assert_eq!(ins[0].2[9], IPPROTO_ICMP as u8);
    assert_eq!(outs[0].1, 0x45, "the echo request went as TYPE_IP");
    assert_eq!(outs[1].1 & 0xf0, TYPE_UNCOMPRESSED_TCP, "the first segment uncompressed");
    assert!(outs[2..].iter().all(|o| o.1 & 0x80 != 0), "the others compressed");
    for (o, seg) in outs[1..].iter().zip(&segs) {
        assert_eq!(&o.2, seg, "BPF sees the datagram as it was");
    }
    // The line goes: the reader gets ENXIO.
    slclose(&mut l.st[0], TTY[0]);
    assert_eq!(bpf_read_take(&mut l.st[0], d, BPF_BUFSIZE, false).err(), Some(ENXIO));
    bpfclose(&mut l.st[0], d);
    soclose(&mut l.st[0], ping);
    soclose(&mut l.st[0], tx);
}
