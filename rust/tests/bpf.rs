//! BPF (book chapter 31): the filter machine against programs libpcap
//! compiled (fixtures/bpf_programs.txt), `bpf_validate`'s refusals, random
//! programs on random packets, and a descriptor's buffers on lo0.

mod common;

use bsdinet::bsd::net::bpf::*;
use bsdinet::bsd::net::bpf_filter::*;
use bsdinet::bsd::netinet::in_::IPPROTO_ICMP;
use bsdinet::bsd::sys::errno::*;
use common::*;
use proptest::prelude::*;

/// The fixture programs: (dlt, expression, program).
fn fixtures() -> Vec<(u32, String, Vec<BpfInsn>)> {
    let mut out: Vec<(u32, String, Vec<BpfInsn>)> = Vec::new();
    for line in include_str!("fixtures/bpf_programs.txt").lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("program ") {
            let (dlt, expr) = rest.split_once(' ').unwrap();
            out.push((dlt.parse().unwrap(), expr.to_string(), Vec::new()));
            continue;
        }
        let f: Vec<u32> = line.split(' ').map(|x| x.parse().unwrap()).collect();
        let ins = BpfInsn { code: f[0] as u16, jt: f[1] as u8, jf: f[2] as u8, k: f[3] };
        out.last_mut().unwrap().2.push(ins);
    }
    out
}

fn program(dlt: u32, expr: &str) -> Vec<BpfInsn> {
    fixtures().into_iter().find(|(d, e, _)| *d == dlt && e == expr).unwrap().2
}

/// An IPv4 datagram from `src` to `dst` with protocol `p`, TTL `ttl`
/// and transport bytes `l4`.
fn ip(src: [u8; 4], dst: [u8; 4], p: u8, ttl: u8, l4: &[u8]) -> Vec<u8> {
    let len = 20 + l4.len();
    let mut b = vec![0x45, 0, (len >> 8) as u8, len as u8, 0, 1, 0, 0, ttl, p, 0, 0];
    b.extend_from_slice(&src);
    b.extend_from_slice(&dst);
    let s = cksum(&b);
    b[10..12].copy_from_slice(&s.to_be_bytes());
    b.extend_from_slice(l4);
    b
}

fn udp(sport: u16, dport: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&[0, 12, 0, 0, 1, 2, 3, 4]);
    b
}

fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut b = vec![0u8; 20];
    b[0..2].copy_from_slice(&sport.to_be_bytes());
    b[2..4].copy_from_slice(&dport.to_be_bytes());
    b[12] = 0x50;
    b[13] = flags;
    b
}

fn ether(dst: [u8; 6], ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = dst.to_vec();
    b.extend_from_slice(&[2, 0, 0, 0, 0, 2]);
    b.extend_from_slice(&ty.to_be_bytes());
    b.extend_from_slice(payload);
    b
}

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];
const UNI: [u8; 6] = [2, 0, 0, 0, 0, 1];

/// The test datagrams, by name.
fn datagrams() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("echo", ip(B, A, 1, 64, &icmp_msg(8, 1, 1, b"ping"))),
        ("reply", ip(A, B, 1, 64, &icmp_msg(0, 1, 1, &[0u8; 100]))),
        ("dns", ip(B, A, 17, 64, &udp(1234, 53))),
        ("discard", ip(B, A, 17, 30, &udp(1234, 9))),
        ("discard-other", ip([10, 0, 0, 3], A, 17, 64, &udp(1234, 9))),
        ("syn22", ip(B, A, 6, 64, &tcp(5000, 22, 0x02))),
        ("ack22", ip(A, B, 6, 64, &tcp(22, 5000, 0x10))),
        ("far", ip([192, 168, 9, 9], [192, 168, 9, 8], 17, 64, &udp(7, 7))),
    ]
}

/// Which datagrams each Ethernet expression must accept (the others it
/// must reject).
const ETHER_EXPECT: &[(&str, &[&str])] = &[
    ("icmp", &["echo", "reply"]),
    ("udp port 53", &["dns"]),
    ("tcp[tcpflags] & tcp-syn != 0", &["syn22"]),
    ("arp", &[]),
    ("host 10.0.0.1", &["echo", "reply", "dns", "discard", "discard-other", "syn22", "ack22"]),
    ("ip[8] > 64", &[]),
    ("udp and dst port 9 and src host 10.0.0.2", &["discard"]),
    ("ether broadcast", &[]),
    ("icmp[icmptype] = icmp-echoreply", &["reply"]),
    ("len > 100", &["reply"]),
];

const NULL_EXPECT: &[(&str, &[&str])] = &[
    ("icmp", &["echo", "reply"]),
    ("udp port 9", &["discard", "discard-other"]),
    ("tcp and port 22", &["syn22", "ack22"]),
];

#[test]
fn fixtures_validate() {
    let f = fixtures();
    assert_eq!(f.len(), 13);
    for (dlt, expr, prog) in f {
        assert!(bpf_validate(&prog), "{dlt} {expr}");
    }
}

#[test]
fn libpcap_programs_on_ethernet() {
    for &(expr, yes) in ETHER_EXPECT {
        let prog = program(DLT_EN10MB, expr);
        for (name, dg) in datagrams() {
            let frame = ether(UNI, 0x0800, &dg);
            let r = bpf_filter(&prog, &BpfPkt::buf(&frame));
            assert_eq!(r != 0, yes.contains(&name), "{expr} on {name}");
            if r != 0 {
                assert_eq!(r, 65535, "snap length");
            }
        }
    }
    // ARP and broadcast frames.
    let arp = ether([0xff; 6], 0x0806, &[0u8; 28]);
    assert_ne!(bpf_filter(&program(DLT_EN10MB, "arp"), &BpfPkt::buf(&arp)), 0);
    assert_ne!(bpf_filter(&program(DLT_EN10MB, "ether broadcast"), &BpfPkt::buf(&arp)), 0);
    assert_eq!(bpf_filter(&program(DLT_EN10MB, "icmp"), &BpfPkt::buf(&arp)), 0);
    // A runt: loads past the end reject.
    assert_eq!(bpf_filter(&program(DLT_EN10MB, "udp port 53"), &BpfPkt::buf(&arp[..13])), 0);
}

#[test]
fn libpcap_programs_on_dlt_null_and_mbuf_chains() {
    let mut st = stack();
    let af = DLT_NULL_AF_INET.to_ne_bytes();
    for &(expr, yes) in NULL_EXPECT {
        let prog = program(DLT_NULL, expr);
        for (name, dg) in datagrams() {
            let mut whole = af.to_vec();
            whole.extend_from_slice(&dg);
            let r1 = bpf_filter(&prog, &BpfPkt::buf(&whole));
            // The same packet as the taps make it: a made-up header and
            // a chain of small mbufs.
            let m = chain(&mut st, &dg);
            let r2 = bpf_filter(&prog, &BpfPkt::chain(&af, &m));
            bsdinet::bsd::kern::uipc_mbuf::m_freem(&mut st.mbpool, m);
            assert_eq!(r1, r2, "{expr} on {name}");
            assert_eq!(r1 != 0, yes.contains(&name), "{expr} on {name}");
        }
    }
}

/// `data` as a chain of mbufs of 7 bytes each.
fn chain(st: &mut bsdinet::bsd::stack::Stack, data: &[u8]) -> bsdinet::bsd::kern::uipc_mbuf::Mbuf {
    use bsdinet::bsd::kern::uipc_mbuf::*;
    let mut head =
        m_devget(&mut st.mbpool, data.get(..7.min(data.len())).unwrap(), 0, None).unwrap();
    let mut off = 7;
    while off < data.len() {
        let end = (off + 7).min(data.len());
        let n = m_devget(&mut st.mbpool, &data[off..end], 0, None).unwrap();
        let c = m_copym(&mut st.mbpool, &n, 0, end - off).unwrap();
        m_freem(&mut st.mbpool, n);
        m_cat(&mut st.mbpool, &mut head, c);
        off = end;
    }
    if let Some(ph) = head.m_pkthdr_mut() {
        ph.len = data.len();
    }
    head
}

const RET_A: BpfInsn = BpfInsn::stmt(BPF_RET | BPF_A, 0);
const RET_K: BpfInsn = BpfInsn::stmt(BPF_RET | BPF_K, 96);

#[test]
fn validate_refuses_every_malformed_class() {
    let ld = BpfInsn::stmt(BPF_LD | BPF_B | BPF_ABS, 0);
    assert!(bpf_validate(&[RET_K]));
    assert!(bpf_validate(&[ld, RET_A]));
    // Empty, too long, no final return.
    assert!(!bpf_validate(&[]));
    assert!(!bpf_validate(&vec![RET_K; BPF_MAXINSNS + 1]));
    assert!(bpf_validate(&vec![RET_K; BPF_MAXINSNS]));
    assert!(!bpf_validate(&[RET_K, ld]));
    // Jumps out of range (forward past the end; the offsets are unsigned,
    // so a "backward" jump is a huge forward one and lands outside too).
    assert!(!bpf_validate(&[BpfInsn::jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), RET_K]));
    assert!(!bpf_validate(&[BpfInsn::jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), RET_K]));
    assert!(!bpf_validate(&[BpfInsn::stmt(BPF_JMP | BPF_JA, 1), RET_K]));
    assert!(!bpf_validate(&[BpfInsn::stmt(BPF_JMP | BPF_JA, u32::MAX), RET_K]));
    assert!(!bpf_validate(&[BpfInsn::jump(BPF_JMP | BPF_JGT | BPF_K, 1, 255, 255), RET_K]));
    assert!(bpf_validate(&[BpfInsn::jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), RET_K, RET_A]));
    // Bad opcodes.
    for code in
        [0x08u16, 0x18, 0x38, 0x58, 0xc0, 0xe0, 0x89, 0x05 | 0x50, 0x07 | 0x08, 0x0e, 0x106, 0xffff]
    {
        assert!(!bpf_validate(&[BpfInsn::stmt(code, 0), RET_K]), "opcode {code:#x}");
    }
    assert!(!bpf_validate(&[BpfInsn::stmt(BPF_ALU | 0xb0, 1), RET_K]));
    // Division and remainder by a constant zero; by X is checked at run time.
    assert!(!bpf_validate(&[BpfInsn::stmt(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A]));
    assert!(!bpf_validate(&[BpfInsn::stmt(BPF_ALU | BPF_MOD | BPF_K, 0), RET_A]));
    let divx =
        [BpfInsn::stmt(BPF_LD | BPF_IMM, 7), BpfInsn::stmt(BPF_ALU | BPF_DIV | BPF_X, 0), RET_A];
    assert!(bpf_validate(&divx));
    assert_eq!(bpf_filter(&divx, &BpfPkt::buf(&[1, 2, 3])), 0);
    // Scratch memory out of range.
    for code in [BPF_ST, BPF_STX, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM] {
        assert!(!bpf_validate(&[BpfInsn::stmt(code, BPF_MEMWORDS), RET_K]));
        assert!(bpf_validate(&[BpfInsn::stmt(code, BPF_MEMWORDS - 1), RET_K]));
    }
}

#[test]
fn machine_semantics() {
    let pkt = [0x41u8, 1, 2, 3, 4, 5, 6, 7];
    let p = BpfPkt::buf(&pkt);
    let run = |prog: &[BpfInsn]| {
        assert!(bpf_validate(prog));
        bpf_filter(prog, &p)
    };
    // Loads, big-endian; past the end rejects.
    assert_eq!(run(&[BpfInsn::stmt(BPF_LD | BPF_W | BPF_ABS, 0), RET_A]), 0x4101_0203);
    assert_eq!(run(&[BpfInsn::stmt(BPF_LD | BPF_H | BPF_ABS, 6), RET_A]), 0x0607);
    assert_eq!(run(&[BpfInsn::stmt(BPF_LD | BPF_W | BPF_ABS, 5), RET_K]), 0);
    assert_eq!(run(&[BpfInsn::stmt(BPF_LD | BPF_W | BPF_LEN, 0), RET_A]), 8);
    // MSH: 4 * (P[0] & 0xf), then an indirect load.
    let ind = [
        BpfInsn::stmt(BPF_LDX | BPF_MSH | BPF_B, 0),
        BpfInsn::stmt(BPF_LD | BPF_B | BPF_IND, 1),
        RET_A,
    ];
    assert_eq!(run(&ind), 0x05);
    let ovf = [
        BpfInsn::stmt(BPF_LDX | BPF_IMM, u32::MAX),
        BpfInsn::stmt(BPF_LD | BPF_B | BPF_IND, 2),
        RET_A,
    ];
    assert_eq!(run(&ovf), 0);
    // Scratch memory, ALU and shifts that do not panic.
    let alu = [
        BpfInsn::stmt(BPF_LD | BPF_IMM, 40),
        BpfInsn::stmt(BPF_ST, 3),
        BpfInsn::stmt(BPF_LDX | BPF_MEM, 3),
        BpfInsn::stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
        BpfInsn::stmt(BPF_ALU | BPF_LSH | BPF_K, 40),
        BpfInsn::stmt(BPF_ALU | BPF_OR | BPF_K, 5),
        BpfInsn::stmt(BPF_ALU | BPF_SUB | BPF_K, 6),
        BpfInsn::stmt(BPF_ALU | BPF_NEG, 0),
        BpfInsn::stmt(BPF_MISC | BPF_TAX, 0),
        BpfInsn::stmt(BPF_MISC | BPF_TXA, 0),
        RET_A,
    ];
    assert_eq!(run(&alu), 1);
    // No program accepts everything.
    assert_eq!(bpf_filter(&[], &p), u32::MAX);
}

fn arb_insn(len: usize) -> impl Strategy<Value = BpfInsn> {
    let codes: Vec<u16> = (0u16..=0xff).collect();
    (
        prop::sample::select(codes),
        0u8..(len as u8),
        0u8..(len as u8),
        prop_oneof![0u32..64, any::<u32>()],
    )
        .prop_map(|(code, jt, jf, k)| BpfInsn { code, jt, jf, k })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Random programs that pass validation end on any packet, never
    /// panic; programs refused are refused for a reason the machine
    /// would otherwise trip on.
    #[test]
    fn random_programs(prog in prop::collection::vec(arb_insn(12), 1..12),
                       pkt in prop::collection::vec(any::<u8>(), 0..80),
                       split in 0usize..8) {
        let mut prog = prog;
        prog.push(RET_A);
        if bpf_validate(&prog) {
            let r1 = bpf_filter(&prog, &BpfPkt::buf(&pkt));
            let (h, b) = pkt.split_at(split.min(pkt.len()));
            let r2 = bpf_filter(&prog, &BpfPkt { hdr: h, body: Body::Buf(b) });
            prop_assert_eq!(r1, r2);
        }
        // Unvalidated programs must not panic either.
        let _ = bpf_filter(&prog, &BpfPkt::buf(&pkt));
    }
}

/// A descriptor on lo0 with buffers of `size`, pings to 127.0.0.1.
fn lo0_capture(size: u32) -> (bsdinet::bsd::stack::Stack, usize) {
    let mut st = stack();
    let d = bpfopen(&mut st, 77).unwrap();
    let mut b = size.to_ne_bytes();
    bpfioctl(&mut st, d, BIOCSBLEN, &mut b).unwrap();
    let mut ifr = [0u8; 40];
    ifr[..3].copy_from_slice(b"lo0");
    bpfioctl(&mut st, d, BIOCSETIF, &mut ifr).unwrap();
    (st, d)
}

fn ping(st: &mut bsdinet::bsd::stack::Stack, so: usize, n: usize, size: usize) {
    for i in 0..n {
        send(st, so, Some(&sin(LOCALHOST, 0)), &icmp_msg(8, 9, i as u16, &vec![0xa5; size]))
            .unwrap();
    }
}

#[test]
fn lo0_records_and_rotation() {
    let (mut st, d) = lo0_capture(4096);
    let mut v = [0u8; 4];
    bpfioctl(&mut st, d, BIOCGDLT, &mut v).unwrap();
    assert_eq!(u32::from_ne_bytes(v), DLT_NULL);
    let mut ifr = [0u8; 40];
    bpfioctl(&mut st, d, BIOCGETIF, &mut ifr).unwrap();
    assert_eq!(&ifr[..4], b"lo0\0");
    let icmp = program(DLT_NULL, "icmp");
    bpf_setf(&mut st, d, &icmp).unwrap();
    let so = raw(&mut st, IPPROTO_ICMP);
    ping(&mut st, so, 1, 56);
    // Request and reply wait in the store buffer: no wakeup, nothing to
    // read until a timeout or immediate mode.
    let mut woken = Vec::new();
    st.bpf.take_wakeups(|a| woken.push(a));
    assert!(woken.is_empty());
    assert!(!bpf_readable(&st, d, false));
    assert!(bpf_readable(&st, d, true), "once poll's timeout ran out");
    assert!(matches!(bpf_read_take(&mut st, d, 4096, false), Ok(BpfRead::Wait)));
    assert_eq!(bpf_read_take(&mut st, d, 100, false).err(), Some(EINVAL));
    let BpfRead::Data(buf, len) = bpf_read_take(&mut st, d, 4096, true).unwrap() else { panic!() };
    let recs: Vec<_> = bpf_records(&buf[..len]).collect();
    assert_eq!(recs.len(), 2);
    for (i, (h, data)) in recs.iter().enumerate() {
        // 4 + 18 aligned to 24, less the 4-byte link header.
        assert_eq!(h.hdrlen, 20);
        assert_eq!(h.caplen, 4 + 20 + 8 + 56);
        assert_eq!(h.datalen, h.caplen);
        assert_eq!(&data[..4], &2u32.to_ne_bytes());
        assert_eq!(data[4 + 9], 1, "ICMP");
        assert_eq!(data[4 + 20], if i == 0 { 8 } else { 0 }, "request then reply");
    }
    // The second record starts word-aligned.
    assert_eq!((20 + 88) % BPF_ALIGNMENT, 0);
    bpf_read_done(&mut st, d, buf);
    let mut s = [0u8; 8];
    bpfioctl(&mut st, d, BIOCGSTATS, &mut s).unwrap();
    assert_eq!(&s[..4], &2u32.to_ne_bytes());
    assert_eq!(&s[4..], &0u32.to_ne_bytes());
    bpfclose(&mut st, d);
    assert!(st.bpf.bpf_dtab.is_empty());
    assert!(st.ifnet.iter().all(|(_, i)| i.if_bpf.as_ref().is_none_or(|b| b.bif_dlist.is_empty())));
}

#[test]
fn full_buffers_drop_and_immediate_mode() {
    // 128-byte buffers hold one 108-byte record each.
    let (mut st, d) = lo0_capture(128);
    let so = raw(&mut st, IPPROTO_ICMP);
    ping(&mut st, so, 3, 56);
    // Six packets: one in the hold buffer, one in the store buffer, four
    // dropped; the rotation woke the reader.
    let mut woken = Vec::new();
    st.bpf.take_wakeups(|a| woken.push(a));
    assert_eq!(woken, vec![77]);
    let mut s = [0u8; 8];
    bpfioctl(&mut st, d, BIOCGSTATS, &mut s).unwrap();
    assert_eq!(u32::from_ne_bytes(s[..4].try_into().unwrap()), 6);
    assert_eq!(u32::from_ne_bytes(s[4..].try_into().unwrap()), 4);
    let mut n = [0u8; 4];
    bpfioctl(&mut st, d, FIONREAD, &mut n).unwrap();
    assert_eq!(u32::from_ne_bytes(n), 2 * 108);
    assert!(bpf_readable(&st, d, false));
    let BpfRead::Data(buf, len) = bpf_read_take(&mut st, d, 128, false).unwrap() else { panic!() };
    assert_eq!(len, 108);
    // While the reader copies, packets rotate nowhere: dropped.
    ping(&mut st, so, 1, 56);
    bpfioctl(&mut st, d, BIOCGSTATS, &mut s).unwrap();
    assert_eq!(u32::from_ne_bytes(s[4..].try_into().unwrap()), 6);
    bpf_read_done(&mut st, d, buf);
    // Immediate mode: every packet wakes the reader and can be read.
    bpfioctl(&mut st, d, BIOCFLUSH, &mut []).unwrap();
    bpfioctl(&mut st, d, BIOCIMMEDIATE, &mut 1u32.to_ne_bytes()).unwrap();
    let tiny = [BpfInsn::stmt(BPF_RET | BPF_K, 10)];
    bpf_setf(&mut st, d, &tiny).unwrap();
    ping(&mut st, so, 1, 56);
    let mut woken = Vec::new();
    st.bpf.take_wakeups(|a| woken.push(a));
    assert_eq!(woken, vec![77]);
    let BpfRead::Data(buf, len) = bpf_read_take(&mut st, d, 128, false).unwrap() else { panic!() };
    let recs: Vec<_> = bpf_records(&buf[..len]).collect();
    assert_eq!(recs.len(), 2, "both fit, snapped to 10 bytes");
    assert_eq!(recs[0].0.caplen, 10);
    assert_eq!(recs[0].0.datalen, 88);
    bpf_read_done(&mut st, d, buf);
    // Bad programs change nothing.
    assert_eq!(bpf_setf(&mut st, d, &[BpfInsn::stmt(BPF_JMP | BPF_JA, 5), RET_K]), Err(EINVAL));
    // Sizes are bounded, and fixed once attached.
    assert_eq!(bpfioctl(&mut st, d, BIOCSBLEN, &mut 1u32.to_ne_bytes()), Err(EINVAL));
    let d2 = bpfopen(&mut st, 78).unwrap();
    let mut b = u32::MAX.to_ne_bytes();
    bpfioctl(&mut st, d2, BIOCSBLEN, &mut b).unwrap();
    assert_eq!(u32::from_ne_bytes(b) as usize, BPF_MAXBUFSIZE);
    let mut b = 1u32.to_ne_bytes();
    bpfioctl(&mut st, d2, BIOCSBLEN, &mut b).unwrap();
    assert_eq!(u32::from_ne_bytes(b) as usize, BPF_MINBUFSIZE);
    assert_eq!(bpfioctl(&mut st, d2, 0xdead, &mut []), Err(EINVAL));
    assert_eq!(bpfioctl(&mut st, d2, BIOCGDLT, &mut [0; 4]), Err(EINVAL));
    let mut ifr = [0u8; 40];
    ifr[..3].copy_from_slice(b"xx9");
    assert_eq!(bpfioctl(&mut st, d2, BIOCSETIF, &mut ifr), Err(ENXIO));
    bpfclose(&mut st, d2);
    bpfclose(&mut st, d);
}

#[test]
fn write_on_lo0_is_input() {
    let (mut st, d) = lo0_capture(4096);
    let so = raw(&mut st, IPPROTO_ICMP);
    let mut frame = DLT_NULL_AF_INET.to_ne_bytes().to_vec();
    frame.extend_from_slice(&ip([127, 0, 0, 1], [127, 0, 0, 1], 1, 64, &icmp_msg(8, 3, 3, b"hi")));
    bpfwrite(&mut st, d, &frame).unwrap();
    st.softint();
    // The stack answers the request as input: the raw socket hears the
    // reply (requests icmp_input handles itself, as in the book).
    let (got, _) = recv(&mut st, so, 200, 0).unwrap();
    assert_eq!(got[20], 0);
    assert_eq!(bpfwrite(&mut st, d, &[9, 0, 0, 0, 1]), Err(EAFNOSUPPORT));
    assert_eq!(bpfwrite(&mut st, d, &frame[..10]), Err(EINVAL));
    bpfclose(&mut st, d);
}

/// What one tap costs on the host, in ns per packet: no listener, a
/// listener whose filter rejects everything (libpcap's `udp port 9`
/// program on an ICMP datagram), and one that keeps every packet (into
/// a full buffer: the drop path, after filter and count). A benchmark,
/// not a check: `cargo test --release --test bpf -- --ignored --nocapture`.
#[test]
#[ignore]
fn tap_cost_host() {
    use bsdinet::bsd::kern::uipc_mbuf::{m_devget, m_freem};
    use std::hint::black_box;
    use std::time::Instant;
    let mut st = stack();
    let lo0 = bsdinet::bsd::net::if_::ifunit(&st, b"lo0").unwrap();
    let dg = ip([127, 0, 0, 1], [127, 0, 0, 1], 1, 64, &icmp_msg(8, 1, 1, &[0; 56]));
    let m = m_devget(&mut st.mbpool, &dg, 0, Some(lo0)).unwrap();
    let af = DLT_NULL_AF_INET.to_ne_bytes();
    let n = 10_000_000u32;
    let run = |st: &mut bsdinet::bsd::stack::Stack, what: &str| {
        let t = Instant::now();
        for _ in 0..n {
            bpf_tap_if(black_box(st), black_box(lo0), &af, black_box(&m));
        }
        let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
        println!("tap cost, {what}: {ns:.1} ns per packet");
    };
    run(&mut st, "no listener");
    let d = bpfopen(&mut st, 1).unwrap();
    let mut ifr = [0u8; 40];
    ifr[..3].copy_from_slice(b"lo0");
    bpfioctl(&mut st, d, BIOCSETIF, &mut ifr).unwrap();
    bpf_setf(&mut st, d, &program(DLT_NULL, "udp port 9")).unwrap();
    run(&mut st, "a listener whose filter rejects it");
    bpf_setf(&mut st, d, &[]).unwrap();
    run(&mut st, "a listener keeping it (buffers full: counted as a drop)");
    bpfclose(&mut st, d);
    m_freem(&mut st.mbpool, m);
}
