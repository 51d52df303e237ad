//! Van Jacobson header compression (`net/slcompress.c`, RFC 1144): TCP
//! streams compressed, marked and classified as on a SLIP line, then
//! rebuilt byte for byte; the receiver's toss-after-error rule; malformed
//! input.

use bsdinet::bsd::net::slcompress::*;
use bsdinet::bsd::netinet::in_cksum::in_cksum;
use proptest::prelude::*;

const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const URG: u8 = 0x20;
const SYN: u8 = 0x02;
const FIN: u8 = 0x01;

/// One TCP segment to build.
#[derive(Clone, Debug)]
struct Seg {
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    urp: u16,
    id: u16,
    tos: u8,
    ttl: u8,
    ipopts: Vec<u8>,
    tcpopts: Vec<u8>,
    data: Vec<u8>,
}

impl Seg {
    fn new(conn: u8) -> Seg {
        Seg {
            src: [10, 0, 0, 1],
            dst: [10, 0, 1, conn],
            sport: 1024 + u16::from(conn),
            dport: 23,
            seq: 1000,
            ack: 5000,
            flags: ACK,
            win: 4096,
            urp: 0,
            id: 100,
            tos: 0,
            ttl: 64,
            ipopts: Vec::new(),
            tcpopts: Vec::new(),
            data: Vec::new(),
        }
    }

    /// The datagram, with correct IP and TCP checksums.
    fn build(&self) -> Vec<u8> {
        let iphl = 20 + self.ipopts.len();
        let thl = 20 + self.tcpopts.len();
        assert!(iphl % 4 == 0 && thl % 4 == 0);
        let len = iphl + thl + self.data.len();
        let mut p = vec![0u8; len];
        p[0] = 0x40 | (iphl / 4) as u8;
        p[1] = self.tos;
        p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        p[4..6].copy_from_slice(&self.id.to_be_bytes());
        p[6] = 0x40; // DF
        p[8] = self.ttl;
        p[9] = 6;
        p[12..16].copy_from_slice(&self.src);
        p[16..20].copy_from_slice(&self.dst);
        p[20..iphl].copy_from_slice(&self.ipopts);
        let s = in_cksum([&p[..iphl]]);
        p[10..12].copy_from_slice(&s.to_be_bytes());
        let t = iphl;
        p[t..t + 2].copy_from_slice(&self.sport.to_be_bytes());
        p[t + 2..t + 4].copy_from_slice(&self.dport.to_be_bytes());
        p[t + 4..t + 8].copy_from_slice(&self.seq.to_be_bytes());
        p[t + 8..t + 12].copy_from_slice(&self.ack.to_be_bytes());
        p[t + 12] = ((thl / 4) as u8) << 4;
        p[t + 13] = self.flags;
        p[t + 14..t + 16].copy_from_slice(&self.win.to_be_bytes());
        p[t + 18..t + 20].copy_from_slice(&self.urp.to_be_bytes());
        p[t + 20..t + thl].copy_from_slice(&self.tcpopts);
        p[t + thl..].copy_from_slice(&self.data);
        let mut ph = Vec::new();
        ph.extend_from_slice(&self.src);
        ph.extend_from_slice(&self.dst);
        ph.extend_from_slice(&[0, 6]);
        ph.extend_from_slice(&((thl + self.data.len()) as u16).to_be_bytes());
        let s = in_cksum([&ph[..], &p[t..]]);
        p[t + 16..t + 18].copy_from_slice(&s.to_be_bytes());
        p
    }
}

/// Both ends of a line.
struct Line {
    tx: Slcompress,
    rx: Slcompress,
    cid: bool,
}

impl Line {
    fn new(cid: bool) -> Line {
        Line { tx: sl_compress_init(MAX_STATES - 1), rx: sl_compress_init(MAX_STATES - 1), cid }
    }

    /// Sends `pkt` across: returns its type and the frame's length.
    /// The receiver must give back exactly `pkt`.
    fn send(&mut self, pkt: &[u8]) -> (u8, usize) {
        let mut buf = pkt.to_vec();
        let (ty, frame) = self.tx.sl_compress_tcp(&mut buf, self.cid);
        let mut frame = frame.to_vec();
        sl_mark(ty, &mut frame);
        let rty = sl_frame_type(frame[0]);
        assert_eq!(rty, ty, "frame type");
        let got = if rty == TYPE_IP {
            frame.clone()
        } else {
            let out = self.rx.sl_uncompress_tcp(&frame, rty).expect("decompressed");
            out.to_vec()
        };
        assert_eq!(got, pkt, "round trip of type {ty:#x}");
        (ty, frame.len())
    }

    fn seg(&mut self, s: &Seg) -> (u8, usize) {
        self.send(&s.build())
    }
}

fn hlen(s: &Seg) -> usize {
    40 + s.ipopts.len() + s.tcpopts.len()
}

#[test]
fn bulk_transfer_uses_special_d() {
    for cid in [false, true] {
        let mut l = Line::new(cid);
        let mut s = Seg::new(1);
        s.data = (0..512).map(|i| i as u8).collect();
        let (ty, _) = l.seg(&s);
        assert_eq!(ty, TYPE_UNCOMPRESSED_TCP);
        for i in 0..100 {
            s.seq = s.seq.wrapping_add(512);
            s.id = s.id.wrapping_add(1);
            s.data[0] = i;
            let (ty, n) = l.seg(&s);
            assert_eq!(ty, TYPE_COMPRESSED_TCP);
            // Change mask, (id,) checksum: SPECIAL_D, id implied.
            assert_eq!(n, 512 + if cid { 3 } else { 4 });
        }
        assert_eq!(l.tx.sls_compressed, 100);
        assert_eq!(l.rx.sls_compressedin, 100);
        assert_eq!(l.rx.sls_uncompressedin, 1);
    }
}

#[test]
fn sequence_wraps_around() {
    let mut l = Line::new(true);
    let mut s = Seg::new(1);
    s.seq = u32::MAX - 1000;
    s.id = u16::MAX - 2;
    s.data = vec![7; 300];
    l.seg(&s);
    for _ in 0..10 {
        s.seq = s.seq.wrapping_add(300);
        s.id = s.id.wrapping_add(1);
        assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP);
    }
}

#[test]
fn interactive_session() {
    // A telnet client: keystrokes with PUSH, each acking the echo,
    // and pure acks between; the server's echoes on a second line.
    let mut c = Line::new(true);
    let mut srv = Line::new(true);
    let mut a = Seg::new(1);
    let mut b = Seg::new(1);
    (b.src, b.dst, b.sport, b.dport) = (a.dst, a.src, a.dport, a.sport);
    (b.seq, b.ack) = (a.ack, a.seq);
    c.seg(&a);
    srv.seg(&b);
    let mut compressed = 0;
    for k in 0..200u32 {
        a.id += 1;
        a.data = vec![b'a' + (k % 26) as u8];
        a.flags = ACK | PSH;
        if c.seg(&a).0 == TYPE_COMPRESSED_TCP {
            compressed += 1;
        }
        a.seq += 1;
        // The echo, acking the keystroke.
        b.id += 1;
        b.ack = a.seq;
        b.data = a.data.clone();
        b.flags = ACK | PSH;
        if srv.seg(&b).0 == TYPE_COMPRESSED_TCP {
            compressed += 1;
        }
        b.seq += 1;
        // Sometimes a pure ack of the echo, sometimes the next key acks.
        if k % 3 == 0 {
            a.id += 1;
            a.data.clear();
            a.flags = ACK;
            a.ack = b.seq;
            let (ty, n) = c.seg(&a);
            assert_eq!(ty, TYPE_COMPRESSED_TCP);
            assert!(n <= 5, "ack-only frame of {n} bytes");
        } else {
            a.ack = b.seq;
        }
        if k % 7 == 0 {
            b.win = b.win.wrapping_sub(13);
        }
    }
    assert!(compressed >= 390, "{compressed} compressed");
    assert!(c.tx.sls_compressed > 0 && srv.tx.sls_compressed > 0);
}

#[test]
fn ack_only_and_window_changes() {
    let mut l = Line::new(false);
    let mut s = Seg::new(2);
    l.seg(&s);
    for (i, win) in [4096u16, 8192, 100, 65535, 0, 300, 301, 45000].into_iter().enumerate() {
        s.id += 1;
        s.ack += 1460 * (i as u32 % 3);
        s.win = win;
        let (ty, _) = l.seg(&s);
        // The same ack and window twice in a row is a duplicate.
        if i == 0 {
            assert_eq!(ty, TYPE_UNCOMPRESSED_TCP);
        } else {
            assert_eq!(ty, TYPE_COMPRESSED_TCP, "win {win}");
        }
    }
    // An ack jump beyond 16 bits goes uncompressed.
    s.id += 1;
    s.ack += 70000;
    assert_eq!(l.seg(&s).0, TYPE_UNCOMPRESSED_TCP);
    // So does a changed IP id alone (no data, nothing else).
    s.id += 5;
    assert_eq!(l.seg(&s).0, TYPE_UNCOMPRESSED_TCP);
}

#[test]
fn urgent_data() {
    let mut l = Line::new(true);
    let mut s = Seg::new(3);
    s.data = vec![1; 10];
    l.seg(&s);
    for urp in [1u16, 0, 300, 5] {
        s.seq += 10;
        s.id += 1;
        s.flags = ACK | URG | PSH;
        s.urp = urp;
        assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP, "urp {urp}");
    }
    // URG off with the pointer left as it was: compressed, URG cleared.
    s.seq += 10;
    s.id += 1;
    s.flags = ACK;
    assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP);
    // URG off but the pointer moved: the book sends it whole.
    s.seq += 10;
    s.id += 1;
    s.urp = 77;
    assert_eq!(l.seg(&s).0, TYPE_UNCOMPRESSED_TCP);
}

#[test]
fn retransmissions_go_uncompressed() {
    let mut l = Line::new(true);
    let mut s = Seg::new(4);
    s.data = vec![9; 100];
    l.seg(&s);
    let mut sent = Vec::new();
    for _ in 0..5 {
        s.seq += 100;
        s.id += 1;
        assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP);
        sent.push(s.clone());
    }
    // Go-back: seq moves backwards.
    let mut r = sent[1].clone();
    r.id = s.id + 1;
    assert_eq!(l.seg(&r).0, TYPE_UNCOMPRESSED_TCP);
    // The same segment again (same id too): nothing changed.
    assert_eq!(l.seg(&r).0, TYPE_UNCOMPRESSED_TCP);
    // And the stream resumes compressed.
    r.seq += 100;
    r.id += 1;
    assert_eq!(l.seg(&r).0, TYPE_COMPRESSED_TCP);
    // A FIN, SYN or RST is never compressed.
    r.flags = ACK | FIN;
    assert_eq!(l.seg(&r).0, TYPE_IP);
    r.flags = SYN;
    assert_eq!(l.seg(&r).0, TYPE_IP);
}

#[test]
fn options_and_header_changes() {
    let mut l = Line::new(true);
    let mut s = Seg::new(5);
    s.ipopts = vec![1, 1, 1, 1]; // NOPs
    s.tcpopts = vec![1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]; // timestamps
    s.data = vec![3; 50];
    l.seg(&s);
    s.seq += 50;
    s.id += 1;
    assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP);
    // Options that change force the header out whole.
    s.seq += 50;
    s.id += 1;
    s.tcpopts[11] = 3;
    assert_eq!(l.seg(&s).0, TYPE_UNCOMPRESSED_TCP);
    s.seq += 50;
    s.id += 1;
    assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP);
    for f in [|s: &mut Seg| s.tos = 0x10, |s: &mut Seg| s.ttl = 3, |s: &mut Seg| s.flags |= 0x40] {
        s.seq += 50;
        s.id += 1;
        f(&mut s);
        assert_eq!(l.seg(&s).0, TYPE_UNCOMPRESSED_TCP);
        s.seq += 50;
        s.id += 1;
        assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP);
    }
    assert_eq!(hlen(&s), 56);
}

#[test]
fn connections_beyond_max_states_reuse_slots() {
    for (max, cid) in [(MAX_STATES - 1, true), (2, false), (7, true)] {
        let mut l = Line::new(cid);
        l.tx = sl_compress_init(max);
        let n = MAX_STATES + 4;
        let mut segs: Vec<Seg> = (0..n as u8).map(Seg::new).collect();
        for round in 0..6 {
            // A working set that fits in the slots, then all of them.
            let k = if round % 2 == 0 { max + 1 } else { n };
            for _ in 0..3 {
                for s in segs.iter_mut().take(k) {
                    s.id += 1;
                    s.seq += 40;
                    s.data = vec![round as u8; 40];
                    l.seg(s);
                }
            }
        }
        assert!(l.tx.sls_misses > 0);
        assert!(l.tx.sls_compressed > 0);
        assert!(l.tx.sls_searches > 0);
        assert_eq!(l.rx.sls_errorin, 0);
    }
}

/// A line in steady state on connection `conn`, and the next segment.
fn warmed(conn: u8) -> (Line, Seg) {
    let mut l = Line::new(true);
    let mut s = Seg::new(conn);
    s.data = vec![1; 20];
    l.seg(&s);
    s.seq += 20;
    s.id += 1;
    l.seg(&s);
    s.seq += 20;
    s.id += 1;
    (l, s)
}

fn compress(tx: &mut Slcompress, s: &Seg, cid: bool) -> (u8, Vec<u8>) {
    let mut p = s.build();
    let (ty, f) = tx.sl_compress_tcp(&mut p, cid);
    (ty, f.to_vec())
}

#[test]
fn unknown_connection_tosses_until_reset() {
    let (mut l, mut s) = warmed(1);
    // A compressed packet naming a slot out of range.
    let bad = [NEW_C | 0x80, MAX_STATES as u8 + 3, 0, 0];
    assert!(l.rx.sl_uncompress_tcp(&bad, TYPE_COMPRESSED_TCP).is_none());
    assert_eq!(l.rx.sls_errorin, 1);
    assert_ne!(l.rx.flags & SLF_TOSS, 0);
    // Implicit-id packets are now tossed, and counted.
    for _ in 0..3 {
        let (ty, f) = compress(&mut l.tx, &s, true);
        assert_eq!(ty, TYPE_COMPRESSED_TCP);
        assert_eq!(f[0] & NEW_C, 0);
        assert!(l.rx.sl_uncompress_tcp(&f, ty).is_none());
        s.seq += 20;
        s.id += 1;
    }
    assert_eq!(l.rx.sls_tossed, 3);
    // The sender's state ran ahead: recover through an explicit id,
    // which is what the sender does after a miss or retransmission;
    // here a compressed packet with NEW_C (compress_cid off).
    let (ty, f) = compress(&mut l.tx, &s, false);
    assert_eq!(f[0] & NEW_C, NEW_C);
    let out = l.rx.sl_uncompress_tcp(&f, ty).expect("explicit id clears the toss");
    assert_eq!(l.rx.flags & SLF_TOSS, 0);
    // ... but its deltas applied to a stale header: only the TCP checksum
    // the sender carried shows it (RFC 1144 relies on that).
    assert_ne!(out.to_vec(), s.build());
    // An uncompressed packet resynchronises.
    s.seq += 20;
    s.id += 1;
    let mut r = s.clone();
    r.seq -= 40; // a retransmission
    l.seg(&r);
    s.seq += 20;
    s.id += 5;
    assert_eq!(l.seg(&s).0, TYPE_COMPRESSED_TCP);
    assert_eq!(l.rx.sls_errorin, 1);
}

#[test]
fn never_loaded_slot_and_fresh_receiver() {
    let mut rx = sl_compress_init(MAX_STATES - 1);
    // A fresh receiver tosses until it hears an id.
    assert!(rx.sl_uncompress_tcp(&[0x80 | NEW_I, 0, 0, 1], TYPE_COMPRESSED_TCP).is_none());
    assert_eq!(rx.sls_tossed, 1);
    // An id in range but never loaded is an error.
    assert!(rx.sl_uncompress_tcp(&[0x80 | NEW_C, 5, 0, 0], TYPE_COMPRESSED_TCP).is_none());
    assert_eq!(rx.sls_errorin, 1);
    // Other types are errors too.
    assert!(rx.sl_uncompress_tcp(&[0x45; 40], TYPE_IP).is_none());
    assert_eq!(rx.sls_errorin, 2);
}

#[test]
fn an_error_tosses_and_leaves_state_alone() {
    let (mut l, mut s) = warmed(2);
    let (ty, f) = compress(&mut l.tx, &s, true);
    // Truncated inside the checksum: an error.
    assert!(l.rx.sl_uncompress_tcp(&f[..2], ty).is_none());
    assert_eq!(l.rx.sls_errorin, 1);
    assert_ne!(l.rx.flags & SLF_TOSS, 0);
    // The whole packet is now tossed (no id in it).
    assert!(l.rx.sl_uncompress_tcp(&f, ty).is_none());
    assert_eq!(l.rx.sls_tossed, 1);
    // A bad uncompressed packet (header length 4) is an error as well.
    let mut u = s.build();
    u[0] = 0x44;
    assert!(l.rx.sl_uncompress_tcp(&u, TYPE_UNCOMPRESSED_TCP).is_none());
    let mut u = s.build();
    u[9] = MAX_STATES as u8;
    assert!(l.rx.sl_uncompress_tcp(&u, TYPE_UNCOMPRESSED_TCP).is_none());
    assert_eq!(l.rx.sls_errorin, 3);
    // The truncated packet changed nothing: with an explicit id the
    // same packet now decodes exactly.
    let mut l2 = warmed(2).0;
    let (ty, f) = compress(&mut l2.tx, &s, false);
    let out = l.rx.sl_uncompress_tcp(&f, ty).unwrap();
    assert_eq!(out.to_vec(), s.build());
    s.seq += 20;
    s.id += 1;
    let (ty, f) = compress(&mut l2.tx, &s, true);
    assert_eq!(l.rx.sl_uncompress_tcp(&f, ty).unwrap().to_vec(), s.build());
}

#[test]
fn malformed_output_is_sent_as_ip() {
    let mut tx = sl_compress_init(MAX_STATES - 1);
    let s = Seg::new(1);
    let good = s.build();
    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<Damage> = vec![
        Box::new(|p| p.truncate(39)),
        Box::new(|p| p[0] = 0x44),
        Box::new(|p| p[0] = 0x4f),
        Box::new(|p| p[0] = 0x65),
        Box::new(|p| p[9] = 17),
        Box::new(|p| p[6] = 0x20),  // more fragments
        Box::new(|p| p[7] = 1),     // fragment offset
        Box::new(|p| p[32] = 0x40), // th_off 4
        Box::new(|p| p[32] = 0xf0), // th_off past the end
        Box::new(|p| p[3] += 1),    // ip_len not the length
        Box::new(|p| p.clear()),
    ];
    for f in cases {
        let mut p = good.clone();
        f(&mut p);
        let orig = p.clone();
        let (ty, out) = tx.sl_compress_tcp(&mut p, true);
        assert_eq!(ty, TYPE_IP);
        assert_eq!(out, &orig[..]);
    }
    assert_eq!(tx.sls_packets, 0);
}

#[test]
fn frame_types() {
    assert_eq!(sl_frame_type(0x45), TYPE_IP);
    assert_eq!(sl_frame_type(0x75), TYPE_UNCOMPRESSED_TCP);
    assert_eq!(sl_frame_type(0x80), TYPE_COMPRESSED_TCP);
    assert_eq!(sl_frame_type(0xcf), TYPE_COMPRESSED_TCP);
    assert_eq!(sl_frame_type(0x00), TYPE_ERROR);
    assert_eq!(sl_frame_type(0x65), TYPE_ERROR);
}

/// One step of a random stream on one of `nconn` connections.
#[derive(Clone, Debug)]
struct Step {
    conn: u8,
    dseq: u32,
    dack: u32,
    dwin: i16,
    did: u16,
    len: usize,
    psh: bool,
    urg: Option<u16>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u8..20,
        prop_oneof![Just(0u32), 1u32..2000, Just(0x1_0000), any::<u32>()],
        prop_oneof![Just(0u32), 1u32..300, 256u32..70000],
        prop_oneof![Just(0i16), any::<i16>()],
        prop_oneof![Just(1u16), Just(0), any::<u16>()],
        prop_oneof![Just(0usize), 1usize..600],
        any::<bool>(),
        proptest::option::weighted(0.1, any::<u16>()),
    )
        .prop_map(|(conn, dseq, dack, dwin, did, len, psh, urg)| Step {
            conn,
            dseq,
            dack,
            dwin,
            did,
            len,
            psh,
            urg,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_streams_round_trip(
        steps in proptest::collection::vec(step(), 1..120),
        max in 2usize..16,
        cid in any::<bool>(),
        nconn in 1u8..20,
        follow in any::<bool>(),
    ) {
        let mut l = Line::new(cid);
        l.tx = sl_compress_init(max);
        let mut segs: Vec<Seg> = (0..20).map(Seg::new).collect();
        let mut last: Vec<usize> = vec![0; 20];
        for st in steps {
            let c = usize::from(st.conn % nconn);
            let s = &mut segs[c];
            // Often the seq follows the last segment's data exactly.
            s.seq = s.seq.wrapping_add(if follow && st.dseq < 2000 { last[c] as u32 } else { st.dseq });
            s.ack = s.ack.wrapping_add(st.dack);
            s.win = s.win.wrapping_add(st.dwin as u16);
            s.id = s.id.wrapping_add(st.did);
            s.data = vec![st.len as u8; st.len];
            s.flags = ACK | if st.psh { PSH } else { 0 };
            if let Some(u) = st.urg {
                s.flags |= URG;
                s.urp = u;
            }
            last[c] = st.len;
            l.seg(s);
        }
        prop_assert_eq!(l.rx.sls_errorin, 0);
    }

    #[test]
    fn any_bytes_never_panic(
        frames in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..200), prop_oneof![
                Just(TYPE_COMPRESSED_TCP), Just(TYPE_UNCOMPRESSED_TCP), any::<u8>()]),
            1..30),
    ) {
        let (mut l, s) = warmed(3);
        for (f, ty) in &frames {
            let _ = l.rx.sl_uncompress_tcp(f, *ty);
            let mut g = f.clone();
            let _ = l.tx.sl_compress_tcp(&mut g, true);
            // Also valid-looking headers with random tails.
            let mut p = s.build();
            let n = f.len().min(p.len() - 20);
            p[20..20 + n].copy_from_slice(&f[..n]);
            let (ty, out) = l.tx.sl_compress_tcp(&mut p, false);
            let out = out.to_vec();
            let _ = l.rx.sl_uncompress_tcp(&out, ty);
        }
    }
}
